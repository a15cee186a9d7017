#include "metrics/MetricPoller.h"

#include "core/Backoff.h"
#include "metrics/JsonHttpFetcher.h"
#include "metrics/JsonLinesFetcher.h"
#include "metrics/PrometheusFetcher.h"

#include <spdlog/spdlog.h>

namespace rollout {

QString toString(MetricHealth::State s)
{
    switch (s) {
    case MetricHealth::State::Waiting:
        return QStringLiteral("waiting");
    case MetricHealth::State::Ok:
        return QStringLiteral("ok");
    case MetricHealth::State::Stale:
        return QStringLiteral("stale");
    case MetricHealth::State::Error:
        return QStringLiteral("error");
    }
    return {};
}

MetricPoller::MetricPoller(const Plan& plan, TimeSeriesStore& store, const Clock& clock, QObject* parent)
    : QObject(parent), m_plan(plan), m_store(store), m_clock(clock)
{
    for (const SourceSpec& s : plan.sources)
        switch (s.type) {
        case SourceType::Prometheus:
            m_fetchers[s.name] = std::make_shared<PrometheusFetcher>(s);
            break;
        case SourceType::JsonHttp:
            m_fetchers[s.name] = std::make_shared<JsonHttpFetcher>(s);
            break;
        case SourceType::JsonLines:
            m_fetchers[s.name] = std::make_shared<JsonLinesFetcher>(s);
            break;
        case SourceType::Simulator:
            break; // fed directly by the simulation
        }
}

void MetricPoller::setFetcher(const QString& source, std::shared_ptr<MetricFetcher> fetcher)
{
    m_fetchers[source] = std::move(fetcher);
}

qint64 MetricPoller::backoffMs(qint64 intervalMs, int failures)
{
    const qint64 cap = 5 * 60 * 1000;
    return Backoff::delayMs(intervalMs, failures + 1, std::max(cap, intervalMs));
}

void MetricPoller::start()
{
    stop();
    const qint64 now = m_clock.nowMs();
    for (const MetricSpec& m : m_plan.metrics) {
        if (!hasFetcher(m.source)) continue;
        auto timer = std::make_unique<QTimer>();
        // Precise: a coarse timer may fire up to 5% early, and its polls would not lie on the schedule.
        timer->setTimerType(Qt::PreciseTimer);
        timer->setInterval(int(m.intervalMs));
        const QString name = m.name;
        m_anchorMs[name] = now;
        m_lastAtMs.remove(name);
        connect(timer.get(), &QTimer::timeout, this, [this, name] {
            if (const MetricSpec* spec = m_plan.metric(name))
                poll(*spec, scheduledMs(*spec, m_clock.nowMs()));
        });
        timer->start();
        m_timers.push_back(std::move(timer));
    }
    for (const MetricSpec& m : m_plan.metrics) // the first poll of each schedule, at its anchor
        if (hasFetcher(m.source)) poll(m, now);
}

// The time a timed poll stands for: its place on the metric's schedule (start + k × interval),
// not the moment the event loop got round to it. An instant query is evaluated at that time
// and its sample stamped with it, like a Prometheus rule's evaluations, so samples lie exactly
// one interval apart and a trigger's `for` of 5 s is 5 polls at 1 s — not 6 because the last
// poll happened to run 2 ms earlier in its slot than the first (the "4:59 does not fire" rule
// read 4.998 s). Never a time after `now` (no sample claims to be fresher than it is); a poll
// late by more than a quarter interval (a stalled loop) or a wall clock that stepped starts
// the schedule again from now.
qint64 MetricPoller::scheduledMs(const MetricSpec& metric, qint64 nowMs)
{
    const qint64 interval = std::max<qint64>(metric.intervalMs, 1);
    const qint64 slack = interval / 4;
    qint64& anchor = m_anchorMs[metric.name];
    const qint64 at = anchor + std::max<qint64>(0, (nowMs - anchor) / interval) * interval;
    const auto last = m_lastAtMs.constFind(metric.name);
    if (at <= nowMs && nowMs - at <= slack && (last == m_lastAtMs.cend() || at > *last)) return at;
    anchor = nowMs;
    return nowMs;
}

void MetricPoller::stop()
{
    m_timers.clear();
}

void MetricPoller::pollAll()
{
    const qint64 now = m_clock.nowMs();
    for (const MetricSpec& m : m_plan.metrics)
        if (hasFetcher(m.source)) poll(m, now);
}

bool MetricPoller::idle() const
{
    for (bool busy : m_inFlight)
        if (busy) return false;
    return true;
}

void MetricPoller::poll(const MetricSpec& metric, qint64 atMs)
{
    MetricHealth& h = m_health[metric.name];
    const qint64 now = m_clock.nowMs();
    if (m_inFlight.value(metric.name)) {
        ++h.skippedBusy;
        return;
    }
    if (now < h.nextPollMs) return;                             // backing off
    if (now < m_sourceNotBeforeMs.value(metric.source)) return; // the server said Retry-After
    m_inFlight[metric.name] = true;
    m_lastAtMs[metric.name] = atMs;
    const QString name = metric.name;
    m_fetchers.at(metric.source)->fetch(metric, atMs, this, [this, name](const FetchResult& r) {
        onResult(name, r);
    });
}

void MetricPoller::onResult(const QString& metric, const FetchResult& r)
{
    m_inFlight[metric] = false;
    MetricHealth& h = m_health[metric];
    const MetricSpec* spec = m_plan.metric(metric);
    const qint64 interval = spec ? spec->intervalMs : 15000;
    const qint64 now = m_clock.nowMs();
    for (const auto& [key, sample] : r.samples) {
        m_store.append(metric, key, sample);
        h.lastSampleMs = std::max(h.lastSampleMs, sample.tMs);
    }
    for (const CountReading& c : r.counts)
        m_store.appendCounts(metric, c.cohort, c.tMs, c.events, c.trials);
    const MetricHealth::State before = h.state;
    const QString beforeMessage = h.message;
    if (r.problem.isEmpty()) {
        h.consecutiveFailures = 0;
        h.nextPollMs = 0;
        h.state = MetricHealth::State::Ok;
        h.message.clear();
        m_store.clearError(metric);
    } else {
        ++h.consecutiveFailures;
        h.nextPollMs = now + (r.retryAfterMs ? std::max(*r.retryAfterMs, interval)
                                             : backoffMs(interval, h.consecutiveFailures) - interval);
        if (r.retryAfterMs && spec) {
            qint64& until = m_sourceNotBeforeMs[spec->source];
            until = std::max(until, now + *r.retryAfterMs);
        }
        h.state = MetricHealth::State::Error;
        h.message = r.problem;
        m_store.setError(metric, r.problem);
        if (h.consecutiveFailures == 1 || h.message != beforeMessage)
            spdlog::warn("metric {}: {}", metric.toStdString(), r.problem.toStdString());
    }
    if (h.state != before || h.message != beforeMessage) Q_EMIT healthChanged(metric);
    Q_EMIT polled(metric);
}

void MetricPoller::backfill(qint64 spanMs)
{
    const qint64 now = m_clock.nowMs();
    auto pending = std::make_shared<int>(0);
    auto count = std::make_shared<int>(0);
    auto problems = std::make_shared<QStringList>();
    for (const MetricSpec& m : m_plan.metrics)
        if (hasFetcher(m.source)) ++*pending;
    if (*pending == 0) {
        Q_EMIT backfillFinished(0, {});
        return;
    }
    for (const MetricSpec& m : m_plan.metrics) {
        if (!hasFetcher(m.source)) continue;
        const QString name = m.name;
        m_fetchers.at(m.source)->backfill(
            m, now - spanMs, now, this, [this, name, pending, count, problems](const BackfillResult& r) {
                if (!r.problem.isEmpty()) problems->append(name + QStringLiteral(": ") + r.problem);
                for (const auto& [key, samples] : r.series) {
                    for (const Sample& s : samples)
                        m_store.append(name, key, s);
                    ++*count;
                }
                if (--*pending == 0) Q_EMIT backfillFinished(*count, problems->join(QStringLiteral("; ")));
            });
    }
}

} // namespace rollout
