#pragma once

#include "judge/ConditionJudge.h"
#include "plan/Condition.h"

namespace rollout {

// Argo Rollouts' measurement semantics for one trigger or criterion (plan keys interval, count,
// failure_limit): a measurement every interval; the run fails once more than failure_limit
// measurements failed (cumulative, not consecutive, as Argo's `failed > failureLimit`); with a
// count it succeeds once `count` measurements are decided and the failures stayed within the
// limit. Failure is checked first, so the count-th measurement failing one too many fails the run.
// An inconclusive measurement (too little evidence, missing data) is taken again at the next
// interval and counts toward neither; missing data keeps its own limit (inconclusive_limit).
class MeasurementRun
{
public:
    enum class Outcome
    {
        Running,
        Failed,
        Succeeded
    };

    // Takes a measurement when one is due (`intervalMs` after the last); `failed` and `passed`
    // say what it showed (neither: inconclusive). Returns true when a measurement was taken.
    bool update(bool failed, bool passed, qint64 nowMs, qint64 intervalMs, const MeasurementSpec& spec);

    Outcome outcome() const { return m_outcome; }
    int failures() const { return m_failures; }
    int passes() const { return m_passes; }
    int inconclusive() const { return m_inconclusive; }
    int decided() const { return m_failures + m_passes; }
    bool lastFailed() const { return m_lastFailed; }
    qint64 firstFailureMs() const { return m_firstFailureMs; }
    qint64 lastMeasuredMs() const { return m_lastMs; }
    // "2 of 5 measurements, 1 failed (failure_limit 2)"
    QString describe(const MeasurementSpec& spec) const;

private:
    Outcome m_outcome = Outcome::Running;
    int m_failures = 0;
    int m_passes = 0;
    int m_inconclusive = 0;
    bool m_lastFailed = false;
    qint64 m_lastMs = -1;
    qint64 m_firstFailureMs = 0;
};

} // namespace rollout
