#include "metrics/TimeSeriesStore.h"

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
    if (it == m_rings.end()) it = m_rings.emplace(std::make_pair(metric, series), SampleRing(m_capacity)).first;
    if (it->second.append(s)) scheduleNotify();
}

void TimeSeriesStore::setError(const QString& metric, const QString& error)
{
    if (m_errors.value(metric) == error) return;
    if (error.isEmpty()) m_errors.remove(metric);
    else m_errors.insert(metric, error);
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
    for (auto it = m_rings.lower_bound({metric, QString()}); it != m_rings.end() && it->first.first == metric; ++it)
        out.append(it->first.second);
    return out;
}

QList<Sample> TimeSeriesStore::window(const QString& metric, const QString& series, qint64 fromMs, qint64 toMs) const
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
