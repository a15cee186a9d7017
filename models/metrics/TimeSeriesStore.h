#pragma once

#include "metrics/MetricReader.h"
#include "metrics/SampleRing.h"

#include <QHash>
#include <QObject>
#include <QTimer>
#include <map>

namespace rollout {

// Every metric's samples, per series ("canary", "baseline", or a label set), each in a bounded
// ring (by default 25 h at 1 s). The engine reads it as a MetricReader; views are told about new
// samples at most once per coalescing interval, however many arrive.
class TimeSeriesStore final : public QObject, public MetricReader
{
    Q_OBJECT
public:
    static constexpr std::size_t kDefaultCapacity = 25 * 3600;

    explicit TimeSeriesStore(std::size_t capacityPerSeries = kDefaultCapacity, QObject* parent = nullptr);

    // Series keys: "canary" and "baseline" for split metrics; "" for a single series.
    void append(const QString& metric, const QString& series, const Sample& s);
    // A reading of a rate's two raw counters ("canary" or "baseline" cohort). Counter resets (a
    // reading below the previous one: the process restarted) count from zero, as Prometheus' rate() does.
    void appendCounts(const QString& metric, const QString& cohort, qint64 tMs, double events, double trials);
    void setError(const QString& metric, const QString& error);
    void clearError(const QString& metric) { setError(metric, {}); }

    QStringList metrics() const;
    QStringList seriesOf(const QString& metric) const;
    QList<Sample> window(const QString& metric, const QString& series, qint64 fromMs, qint64 toMs) const;
    std::optional<Sample> newest(const QString& metric, const QString& series) const;

    std::optional<Sample> latest(const QString& metric, Series series) const override;
    std::optional<Sample> at(const QString& metric, Series series, qint64 tMs) const override;
    std::optional<Sample> oldest(const QString& metric, Series series) const override;
    QString lastError(const QString& metric) const override { return m_errors.value(metric); }
    std::optional<Counts> counts(const QString& metric, Series series, qint64 fromMs) const override;
    // What was counted between the readings at or before fromMs and at or before toMs (charts).
    std::optional<Counts> countsBetween(const QString& metric, Series series, qint64 fromMs,
                                        qint64 toMs) const;
    QList<Sample> samples(const QString& metric, Series series, qint64 fromMs, qint64 toMs) const override;

    void setCoalesceIntervalMs(int ms) { m_notify.setInterval(ms); }

Q_SIGNALS:
    // Emitted once per coalescing interval when anything arrived (samples or errors).
    void updated();

private:
    const SampleRing* ring(const QString& metric, Series series) const;
    void scheduleNotify();

    std::size_t m_capacity;
    std::map<std::pair<QString, QString>, SampleRing> m_rings;
    struct CounterRings
    {
        SampleRing events; // cumulative, reset-corrected
        SampleRing trials;
        double rawEvents = -1.0, rawTrials = -1.0; // the last raw reading, to see resets
    };
    std::map<std::pair<QString, QString>, CounterRings> m_counters;
    QHash<QString, QString> m_errors;
    QTimer m_notify;
};

} // namespace rollout
