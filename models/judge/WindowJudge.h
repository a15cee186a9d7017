#pragma once

#include "judge/ConditionJudge.h"
#include "judge/EvidenceJudge.h"
#include "plan/Plan.h"

namespace rollout {

// Judges the conditions that read more than the newest sample (docs/plan-format.md, "Windows,
// history and totals"), from the samples and counts the engine keeps:
// - `over 15m`: a rate's counts summed over the window (events over trials, with the evidence
//   judge's interval where the metric has counts), or the mean of a gauge's samples over it;
// - `total since phase >= 5`: how much a counter went up (resets count from zero);
// - `> 3x median over 7d`: the newest sample against k× the median (or mean) of its own history.
// A window the samples do not cover yet is inconclusive (warming up), never healthy, and says how
// much of it they cover; stale, NaN or missing data is inconclusive as everywhere. A total that
// cannot be counted completely is a lower bound: it decides only where a bound suffices
// ("total >= 5" with 7 counted already holds).
class WindowJudge
{
public:
    WindowJudge(const Plan& plan, const EvidenceJudge& evidence) : m_plan(plan), m_evidence(evidence) {}

    struct Scope
    {
        qint64 phaseStartMs = 0;
        qint64 rolloutStartMs = 0;
        qint64 triggerSinceMs = 0; // a trigger's window starts no earlier (the last rollback)
        std::optional<double> capturedBaseline;
    };

    // `level`: the confidence of an interval, where the metric gives evidence; `criterion`: a
    // value metric's window is then judged with the sequential mean test, else on its mean.
    Judgement judge(const Condition& c, const MetricSpec& m, const MetricReader& reader, qint64 nowMs,
                    const Scope& scope, double level, bool criterion) const;

    // How much of [fromMs, nowMs] finite samples cover: gaps longer than two polling intervals
    // (and NaN samples) do not count.
    static qint64 coverage(const QList<Sample>& samples, qint64 fromMs, qint64 nowMs, qint64 intervalMs);

private:
    Judgement window(const Condition& c, const MetricSpec& m, const MetricReader& reader, qint64 nowMs,
                     const Scope& scope, double level, bool criterion) const;
    Judgement total(const Condition& c, const MetricSpec& m, const MetricReader& reader, qint64 nowMs,
                    const Scope& scope, bool criterion) const;
    Judgement history(const Condition& c, const MetricSpec& m, const MetricReader& reader,
                      qint64 nowMs) const;

    const Plan& m_plan;
    const EvidenceJudge& m_evidence;
};

} // namespace rollout
