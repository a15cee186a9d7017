#pragma once

#include "core/Clock.h"
#include "metrics/MetricFetcher.h"
#include "metrics/TimeSeriesStore.h"
#include "plan/Plan.h"

#include <QHash>
#include <QObject>
#include <QTimer>
#include <map>
#include <memory>

namespace rollout {

struct MetricHealth
{
    enum class State
    {
        Waiting,
        Ok,
        Stale,
        Error
    };
    State state = State::Waiting;
    QString message; // the last problem, verbatim
    qint64 lastSampleMs = 0;
    int consecutiveFailures = 0;
    qint64 nextPollMs = 0;
    int skippedBusy = 0; // polls skipped because the previous one had not answered
};
QString toString(MetricHealth::State s);

// Polls every metric of a plan at its own interval, each independently: never two requests in
// flight for one metric, exponential backoff after errors, one slow source never delays
// another. A server's Retry-After (capped at 5 minutes by HttpClient) holds back every metric
// of that source until then, not just the one whose poll was answered with it. Samples and
// problems go into the store.
class MetricPoller final : public QObject
{
    Q_OBJECT
public:
    MetricPoller(const Plan& plan, TimeSeriesStore& store, const Clock& clock, QObject* parent = nullptr);

    // Fetchers are made from the plan's sources (Prometheus, …); tests may put their own.
    void setFetcher(const QString& source, std::shared_ptr<MetricFetcher> fetcher);
    bool hasFetcher(const QString& source) const { return m_fetchers.count(source) > 0; }

    void start();
    void stop();
    // One round now, for every metric that is not busy or backing off (rolloutctl metrics).
    void pollAll();
    // Load the last `spanMs` of history into the store (charts on open).
    void backfill(qint64 spanMs);
    bool idle() const; // nothing in flight

    MetricHealth health(const QString& metric) const { return m_health.value(metric); }
    // Until when a source asked not to be polled (its Retry-After), 0 when it did not.
    qint64 sourceNotBeforeMs(const QString& source) const { return m_sourceNotBeforeMs.value(source); }
    static qint64 backoffMs(qint64 intervalMs, int failures);

Q_SIGNALS:
    void healthChanged(const QString& metric);
    // A poll of `metric` ended: its samples (or its problem) are in the store, judge them now.
    void polled(const QString& metric);
    void backfillFinished(int series, const QString& problems);

private:
    void poll(const MetricSpec& metric, qint64 atMs);
    qint64 scheduledMs(const MetricSpec& metric, qint64 nowMs);
    void onResult(const QString& metric, const FetchResult& r);

    const Plan& m_plan;
    TimeSeriesStore& m_store;
    const Clock& m_clock;
    std::map<QString, std::shared_ptr<MetricFetcher>> m_fetchers;
    QHash<QString, MetricHealth> m_health;
    QHash<QString, bool> m_inFlight;
    QHash<QString, qint64> m_anchorMs;          // each metric's schedule: anchor + k × interval
    QHash<QString, qint64> m_lastAtMs;          // the time the last poll of each metric stood for
    QHash<QString, qint64> m_sourceNotBeforeMs; // source → its Retry-After's end
    std::vector<std::unique_ptr<QTimer>> m_timers;
};

} // namespace rollout
