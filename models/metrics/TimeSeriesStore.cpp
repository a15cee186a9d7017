#include "metrics/TimeSeriesStore.h"

#include <cmath>

namespace rollout {

TimeSeriesStore::TimeSeriesStore(std::size_t capacityPerSeries, QObject* parent)
    : QObject(parent), m_capacity(capacityPerSeries)
{
    m_notify.setSingleShot(true);
    m_notify.setInterval(40);
    connect(&m_notify, &QTimer::timeout, this, &TimeSeriesStore::updated);
}

void TimeSeriesStore::scheduleNotify()
{
    if (!m_notify.isActive()) m_notify.start();
}

void TimeSeriesStore::append(const QString& metric, const QString& series, const Sample& s)
{
    auto it = m_rings.find({metric, series});
    if (it == m_rings.end())
        it = m_rings.emplace(std::make_pair(metric, series), SampleRing(m_capacity)).first;
    if (it->second.append(s)) scheduleNotify();
}

void TimeSeriesStore::appendCounts(const QString& metric, const QString& cohort, qint64 tMs, double events,
                                   double trials)
{
    if (!std::isfinite(events) || !std::isfinite(trials) || events < 0 || trials < 0) return; // never a count
    auto it = m_counters.find({metric, cohort});
    if (it == m_counters.end())
        it = m_counters
                 .emplace(std::make_pair(metric, cohort),
                          CounterRings{SampleRing(m_capacity), SampleRing(m_capacity)})
                 .first;
    CounterRings& c = it->second;
    const auto lastE = c.events.newest();
    const auto lastT = c.trials.newest();
    if (lastE && tMs <= lastE->tMs) return; // in order only
    // The increments since the last reading; a counter below its last value was reset to zero.
    const double de = c.rawEvents < 0 ? 0.0 : (events >= c.rawEvents ? events - c.rawEvents : events);
    const double dt = c.rawTrials < 0 ? 0.0 : (trials >= c.rawTrials ? trials - c.rawTrials : trials);
    c.rawEvents = events;
    c.rawTrials = trials;
    c.events.append({tMs, (lastE ? lastE->value : 0.0) + de});
    c.trials.append({tMs, (lastT ? lastT->value : 0.0) + dt});
    scheduleNotify();
}

std::optional<Counts> TimeSeriesStore::counts(const QString& metric, Series series, qint64 fromMs) const
{
    const auto it = m_counters.find(
        {metric, series == Series::Canary ? QStringLiteral("canary") : QStringLiteral("baseline")});
    if (it == m_counters.end()) return std::nullopt;
    const CounterRings& c = it->second;
    const auto newestE = c.events.newest();
    const auto newestT = c.trials.newest();
    if (!newestE || !newestT) return std::nullopt;
    auto fromE = c.events.atOrBefore(fromMs);
    auto fromT = c.trials.atOrBefore(fromMs);
    if (!fromE || !fromT) {
        fromE = c.events.oldestSample();
        fromT = c.trials.oldestSample();
    }
    return Counts{newestE->value - fromE->value, newestT->value - fromT->value, fromE->tMs, newestE->tMs};
}

std::optional<Counts> TimeSeriesStore::countsBetween(const QString& metric, Series series, qint64 fromMs,
                                                     qint64 toMs) const
{
    const auto it = m_counters.find(
        {metric, series == Series::Canary ? QStringLiteral("canary") : QStringLiteral("baseline")});
    if (it == m_counters.end()) return std::nullopt;
    const CounterRings& c = it->second;
    const auto toE = c.events.atOrBefore(toMs);
    const auto toT = c.trials.atOrBefore(toMs);
    if (!toE || !toT) return std::nullopt;
    auto fromE = c.events.atOrBefore(fromMs);
    auto fromT = c.trials.atOrBefore(fromMs);
    if (!fromE || !fromT) {
        fromE = c.events.oldestSample();
        fromT = c.trials.oldestSample();
    }
    return Counts{toE->value - fromE->value, toT->value - fromT->value, fromE->tMs, toE->tMs};
}

QList<Sample> TimeSeriesStore::samples(const QString& metric, Series series, qint64 fromMs, qint64 toMs) const
{
    const SampleRing* r = ring(metric, series);
    return r ? r->window(fromMs, toMs) : QList<Sample>{};
}

void TimeSeriesStore::setError(const QString& metric, const QString& error)
{
    if (m_errors.value(metric) == error) return;
    if (error.isEmpty())
        m_errors.remove(metric);
    else
        m_errors.insert(metric, error);
    scheduleNotify();
}

QStringList TimeSeriesStore::metrics() const
{
    QStringList out;
    for (const auto& [key, ring] : m_rings)
        if (out.isEmpty() || out.last() != key.first) out.append(key.first);
    return out;
}

QStringList TimeSeriesStore::seriesOf(const QString& metric) const
{
    QStringList out;
    for (auto it = m_rings.lower_bound({metric, QString()}); it != m_rings.end() && it->first.first == metric;
         ++it)
        out.append(it->first.second);
    return out;
}

QList<Sample> TimeSeriesStore::window(const QString& metric, const QString& series, qint64 fromMs,
                                      qint64 toMs) const
{
    const auto it = m_rings.find({metric, series});
    return it == m_rings.end() ? QList<Sample>{} : it->second.window(fromMs, toMs);
}

std::optional<Sample> TimeSeriesStore::newest(const QString& metric, const QString& series) const
{
    const auto it = m_rings.find({metric, series});
    return it == m_rings.end() ? std::nullopt : it->second.newest();
}

const SampleRing* TimeSeriesStore::ring(const QString& metric, Series series) const
{
    // The canary is the "canary" series when the metric is split, else its only series.
    const QString key = series == Series::Canary ? QStringLiteral("canary") : QStringLiteral("baseline");
    auto it = m_rings.find({metric, key});
    if (it == m_rings.end() && series == Series::Canary) it = m_rings.find({metric, QString()});
    return it == m_rings.end() ? nullptr : &it->second;
}

std::optional<Sample> TimeSeriesStore::latest(const QString& metric, Series series) const
{
    const SampleRing* r = ring(metric, series);
    return r ? r->newest() : std::nullopt;
}

std::optional<Sample> TimeSeriesStore::at(const QString& metric, Series series, qint64 tMs) const
{
    const SampleRing* r = ring(metric, series);
    return r ? r->atOrBefore(tMs) : std::nullopt;
}

std::optional<Sample> TimeSeriesStore::oldest(const QString& metric, Series series) const
{
    const SampleRing* r = ring(metric, series);
    return r ? r->oldestSample() : std::nullopt;
}

} // namespace rollout
