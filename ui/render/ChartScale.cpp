#include "ChartScale.h"

#include <QCoreApplication>
#include <cmath>

namespace rollout {

QString ChartScale::axisUnit(Unit u)
{
    switch (u) {
    case Unit::Ratio:
    case Unit::Percent:
        return QStringLiteral("%");
    case Unit::Seconds:
        return QStringLiteral("s");
    case Unit::Milliseconds:
        return QStringLiteral("ms");
    case Unit::Bytes:
    case Unit::Megabytes:
        return QStringLiteral("MB");
    case Unit::PerSecond:
        return QStringLiteral("req/s");
    case Unit::PerHour:
        return QStringLiteral("/h");
    case Unit::Usd:
        return QStringLiteral("$");
    default:
        return {};
    }
}

double ChartScale::displayFactor(Unit u)
{
    return u == Unit::Ratio ? 100.0 : u == Unit::Bytes ? 1e-6 : 1.0;
}

ChartScale::Range ChartScale::valueRange(std::optional<Range> data)
{
    if (!data || !std::isfinite(data->lower) || !std::isfinite(data->upper)) return Range{0.0, 1.0};
    Range r{std::min(0.0, data->lower), data->upper > 0 ? data->upper * 1.25 : 0.0};
    // Flat data (a canary at zero, a constant): a sane unit-tall axis rather than 10⁻⁹ ticks.
    const double span = r.upper - r.lower;
    if (!(span > 1e-6 * std::max(1.0, std::abs(r.lower) + std::abs(r.upper)))) r.upper = r.lower + 1.0;
    return r;
}

std::optional<bool> ChartScale::countedTraffic(const MetricSpec& metric, const TimeSeriesStore& store,
                                               qint64 fromMs, qint64 toMs)
{
    const auto c = store.countsBetween(metric.name, Series::Canary, fromMs, toMs);
    if (!c) return std::nullopt;
    return c->trials > 0;
}

bool ChartScale::isTraffic(const MetricSpec& metric, double canaryValue)
{
    const bool trafficRate = metric.unit == Unit::PerSecond || metric.unit == Unit::PerHour;
    return std::isfinite(canaryValue) && (!trafficRate || canaryValue > 0);
}

bool ChartScale::canaryHasTraffic(const MetricSpec& metric, const TimeSeriesStore& store, qint64 fromMs,
                                  qint64 toMs)
{
    if (const auto counted = countedTraffic(metric, store, fromMs, toMs)) return *counted;
    for (const Sample& s : store.samples(metric.name, Series::Canary, fromMs, toMs))
        if (isTraffic(metric, s.value)) return true;
    return false;
}

QList<ChartScale::Level> ChartScale::levels(const MetricSpec& metric, const Plan& plan)
{
    QList<Level> out;
    auto add = [&out](const Level& l) {
        for (Level& seen : out)
            if (seen.value == l.value) {
                seen.breachAbove = seen.breachAbove || l.breachAbove;
                return;
            }
        out.append(l);
    };
    for (const PhaseSpec& ph : plan.phases)
        for (const Condition& c : ph.success)
            if (c.metric == metric.name && c.kind == ConditionKind::Absolute)
                add(Level{c.threshold, false, false});
    for (const TriggerSpec& t : plan.triggers)
        if (t.when.metric == metric.name && t.when.kind == ConditionKind::Absolute)
            add(Level{t.when.threshold, true,
                      t.kind == TriggerKind::Hard && (t.when.comparison == Comparison::Greater ||
                                                      t.when.comparison == Comparison::GreaterEqual)});
    return out;
}

QString ChartScale::noCanaryTrafficText()
{
    return QCoreApplication::translate("ChartScale", "no canary traffic yet");
}

} // namespace rollout
