#include "plan/PlanRehearsal.h"

#include "plan/Duration.h"

#include <algorithm>
#include <cmath>

namespace rollout {

namespace {

struct Scale
{
    double factor;
    qint64 floorMs;

    qint64 time(qint64 ms) const
    {
        return ms <= 0 ? ms : std::max<qint64>(1, std::llround(double(ms) / factor));
    }
    qint64 interval(qint64 ms) const { return ms <= 0 ? ms : std::max(floorMs, time(ms)); }

    qint64 window(qint64 ms) const { return ms <= 0 ? ms : std::max(3 * floorMs, time(ms)); }

    void condition(Condition& c) const
    {
        // A window holds at least three polls: one sample is not a window.
        c.windowMs = window(c.windowMs);
        c.historyMs = window(c.historyMs);
        if (c.measurement) c.measurement->intervalMs = interval(c.measurement->intervalMs);
    }
    void trigger(TriggerSpec& t) const
    {
        t.forMs = time(t.forMs);
        condition(t.when);
        if (t.unless) condition(*t.unless);
    }
};

} // namespace

Plan PlanRehearsal::compress(Plan plan, double factor, qint64 floorMs)
{
    if (!(factor > 1.0)) return plan;
    const Scale s{factor, floorMs};
    for (MetricSpec& m : plan.metrics)
        m.intervalMs = s.interval(m.intervalMs);
    for (TriggerSpec& t : plan.triggers)
        s.trigger(t);
    for (PhaseSpec& p : plan.phases) {
        p.minDurationMs = s.time(p.minDurationMs);
        if (p.maxDurationMs) p.maxDurationMs = s.time(*p.maxDurationMs);
        for (Condition& c : p.success)
            s.condition(c);
        for (TriggerSpec& t : p.triggers)
            s.trigger(t);
    }
    plan.retryAfterRollbackMs = s.time(plan.retryAfterRollbackMs);
    // Missing data must still get a few polls before it counts as failing, and a breach a poll or
    // two before it restarts a phase's window: a rehearsal must not fail on the poll's own rhythm.
    plan.inconclusiveLimitMs = std::max(s.time(plan.inconclusiveLimitMs), 10 * floorMs);
    plan.criteriaGraceMs = std::max(s.time(plan.criteriaGraceMs), 3 * floorMs);
    return plan;
}

QString PlanRehearsal::describe(const Plan& original, double factor)
{
    qint64 longest = 0;
    for (const PhaseSpec& p : original.phases)
        longest = std::max(longest, p.minDurationMs);
    QString text = QStringLiteral("rehearsed %1× faster").arg(factor, 0, 'g', 6);
    if (longest > 0)
        text += QStringLiteral(": the longest phase, %1, lasts %2")
                    .arg(Duration::format(longest), Duration::format(std::llround(double(longest) / factor)));
    return text;
}

} // namespace rollout
