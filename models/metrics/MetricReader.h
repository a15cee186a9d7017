#pragma once

#include <QList>
#include <QString>
#include <optional>

namespace rollout {

struct Sample
{
    qint64 tMs = 0;
    double value = 0.0;
};

enum class Series
{
    Canary,
    Baseline
};

// Events and trials counted over a span (errors over requests), from counters with resets
// already accounted for. fromMs..toMs are the two counter readings the counts lie between.
struct Counts
{
    double events = 0.0;
    double trials = 0.0;
    qint64 fromMs = 0;
    qint64 toMs = 0;
};

// What the engine reads metric values through: the time-series store in the console and
// watch, a scripted series in tests.
class MetricReader
{
public:
    virtual ~MetricReader() = default;
    // The newest sample of `metric` for that series, if any.
    virtual std::optional<Sample> latest(const QString& metric, Series series) const = 0;
    // The newest sample at or before `tMs`, if any.
    virtual std::optional<Sample> at(const QString& metric, Series series, qint64 tMs) const = 0;
    // The oldest sample still held, if any.
    virtual std::optional<Sample> oldest(const QString& metric, Series series) const = 0;
    // Why the last read of `metric` failed (server, status, message); empty when it did not.
    virtual QString lastError(const QString& metric) const = 0;
    // What was counted from the counter reading at or before `fromMs` (or the oldest one, when
    // none is that old) to the newest reading; nullopt when the metric has no counts at all.
    virtual std::optional<Counts> counts(const QString& metric, Series series, qint64 fromMs) const
    {
        Q_UNUSED(metric)
        Q_UNUSED(series)
        Q_UNUSED(fromMs)
        return std::nullopt;
    }
    // The samples with fromMs <= t <= toMs, oldest first.
    virtual QList<Sample> samples(const QString& metric, Series series, qint64 fromMs, qint64 toMs) const
    {
        Q_UNUSED(metric)
        Q_UNUSED(series)
        Q_UNUSED(fromMs)
        Q_UNUSED(toMs)
        return {};
    }
};

} // namespace rollout
