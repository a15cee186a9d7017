#include "sim/SimulationFeeder.h"

#include "plan/Duration.h"
#include "sim/SimulatedService.h"

#include <QRegularExpression>

namespace rollout {

SimulationFeeder::SimulationFeeder(const Plan& plan, const SimulatedService& service, TimeSeriesStore& store,
                                   const Clock& clock)
    : m_plan(plan), m_service(service), m_store(store), m_clock(clock)
{
}

// The window a query looks over: the first range selector in it ("rate(x[5m])" → 5 min), so
// that the simulation smooths as the real query would; one minute when there is none.
qint64 SimulationFeeder::windowOf(const MetricSpec& m)
{
    static const QRegularExpression range(QStringLiteral(R"(\[(\d+[smhd])\])"));
    const auto match = range.match(m.query);
    if (match.hasMatch())
        if (const auto ms = Duration::parseMs(match.captured(1)))
            return std::clamp<qint64>(*ms, 1000, 3600 * 1000);
    return 60'000;
}

void SimulationFeeder::tick()
{
    const qint64 now = m_clock.nowMs();
    for (const MetricSpec& m : m_plan.metrics) {
        if (m.simulate.signal.isEmpty()) continue;
        if (!m_all) {
            const SourceSpec* s = m_plan.source(m.source);
            if (!s || s->type != SourceType::Simulator) continue;
        }
        const auto last = m_last.constFind(m.name);
        if (last != m_last.constEnd() && now - *last < m.intervalMs) continue;
        m_last.insert(m.name, now);
        const qint64 window = windowOf(m);
        // Unit conversions: the simulator speaks seconds, MB and per-hour costs.
        // A latency hint may name the healthy value (`mean`, in seconds): the simulated service
        // is then scaled so that this metric's healthy level matches the plan's world.
        const double latencyScale =
            m.simulate.signal == QLatin1String("latency_quantile") && m.simulate.mean > 0
                ? m.simulate.mean / SimulatedService::healthyQuantile(m.simulate.quantile)
                : 1.0;
        auto scaled = [&](double raw) {
            const double v = raw * latencyScale;
            if (m.unit == Unit::Milliseconds && m.simulate.signal == QLatin1String("latency_quantile"))
                return v * 1000.0;
            if (m.unit == Unit::Bytes && m.simulate.signal == QLatin1String("memory")) return v * 1e6;
            if (m.unit == Unit::Percent && m.simulate.signal == QLatin1String("error_ratio"))
                return v * 100.0;
            return v;
        };
        // A rate the simulator models gets its counts too (errors over requests per cohort), so
        // that its plan is judged with evidence unchanged.
        if (m.simulatesCounts() && !m.canary.isEmpty()) {
            for (int cohort = 0; cohort < SimulatedService::kCohorts; ++cohort) {
                const SimulatedService::Counters& c = m_service.counters(cohort);
                m_store.appendCounts(m.name,
                                     cohort == 0 ? QStringLiteral("canary") : QStringLiteral("baseline"), now,
                                     c.errors, c.requests);
            }
        }
        // A metric with canary labels, or with a baseline query, has a canary and a baseline series.
        if (!m.canary.isEmpty() || m.baseline.kind == BaselineSpec::Kind::Query) {
            if (const auto v = m_service.value(m.simulate, QStringLiteral("canary"), window))
                m_store.append(m.name, QStringLiteral("canary"), {now, scaled(*v)});
            if (m.baseline.kind == BaselineSpec::Kind::Series || m.baseline.kind == BaselineSpec::Kind::Query)
                if (const auto b = m_service.value(m.simulate, QStringLiteral("baseline"), window))
                    m_store.append(m.name, QStringLiteral("baseline"), {now, scaled(*b)});
        } else if (const auto v = m_service.value(m.simulate, QString(), window)) {
            m_store.append(m.name, QString(), {now, scaled(*v)});
        }
    }
}

} // namespace rollout
