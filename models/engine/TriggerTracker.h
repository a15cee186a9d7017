#pragma once

#include "engine/MeasurementRun.h"
#include "judge/ConditionJudge.h"

namespace rollout {

enum class TriggerState
{
    Ok,
    Pending,
    Fired,
    Guarded,
    Inconclusive
};
QString toString(TriggerState s);

// How long one trigger's condition has held, from judgement to judgement. It fires once the
// condition has held for `for` (measured between sample timestamps, so 4:59 of breach does not
// fire and 5:00 does). Unknown data freezes the hold. Missing data for longer than the plan's
// inconclusive limit is never healthy: with the policy Fail it counts as holding; with Pause
// (the default) the tracker reports InconclusiveTooLong once, and the engine pauses for a person.
// Warming up (a rate of change without enough history yet) only waits.
// Judged with evidence (updateEvidence), the evidence windows already span `for`: harm shown
// fires at once, an estimate past the threshold that is not yet shown is "holding".
class TriggerTracker
{
public:
    enum class Step
    {
        None,
        StartedHolding,
        Cleared,
        Fired,
        InconclusiveTooLong
    };

    Step update(const Judgement& j, bool guarded, qint64 nowMs, qint64 forMs, qint64 inconclusiveLimitMs,
                InconclusivePolicy policy = InconclusivePolicy::Fail);
    Step updateEvidence(const Judgement& j, bool building, bool guarded, qint64 nowMs,
                        qint64 inconclusiveLimitMs, InconclusivePolicy policy);
    // Argo-style (interval, count, failure_limit): a measurement every interval of the verdict `j`
    // (harm shown or the condition holding is a failed measurement); fires once more than
    // failure_limit measurements failed; holding while the latest measurement failed; a run that
    // reached its count without that is over (ok) until the tracker is reset. Missing data keeps
    // the inconclusive clock, as update() does.
    Step updateMeasured(const Judgement& j, bool guarded, qint64 nowMs, qint64 intervalMs,
                        const MeasurementSpec& spec, qint64 inconclusiveLimitMs, InconclusivePolicy policy);
    const MeasurementRun& run() const { return m_run; }

    // Keeps a trigger's clock across a promotion (the same trigger in the next phase).
    bool holding() const { return m_holding; }
    void reset();
    // Missing data starts counting again from the next judgement (a phase that exposed nobody,
    // where no canary data could exist, is over).
    void restartMissingClock()
    {
        m_unknownSinceMs = 0;
        m_inconclusiveReported = false;
    }

    TriggerState state() const { return m_state; }
    qint64 holdingSinceMs() const { return m_holdingSinceMs; } // 0 when not holding
    qint64 unknownSinceMs() const { return m_unknownSinceMs; } // 0 when data is known
    const Judgement& last() const { return m_last; }
    bool fired() const { return m_fired; }

private:
    TriggerState m_state = TriggerState::Ok;
    qint64 m_holdingSinceMs = 0;
    qint64 m_unknownSinceMs = 0;
    bool m_holding = false;
    bool m_fired = false;
    bool m_inconclusiveReported = false;
    Judgement m_last;
    MeasurementRun m_run;

    Step missing(qint64 nowMs, qint64 inconclusiveLimitMs, InconclusivePolicy policy, bool* countsAsHolding);
};

} // namespace rollout
