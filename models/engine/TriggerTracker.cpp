#include "engine/TriggerTracker.h"

namespace rollout {

QString toString(TriggerState s)
{
    switch (s) {
    case TriggerState::Ok:
        return QStringLiteral("ok");
    case TriggerState::Pending:
        return QStringLiteral("holding");
    case TriggerState::Fired:
        return QStringLiteral("fired");
    case TriggerState::Guarded:
        return QStringLiteral("guarded (low traffic)");
    case TriggerState::Inconclusive:
        return QStringLiteral("inconclusive");
    }
    return {};
}

void TriggerTracker::reset()
{
    *this = TriggerTracker();
}

// Missing data: frozen within the limit; past it, holding (Fail) or reported once (Pause).
TriggerTracker::Step TriggerTracker::missing(qint64 nowMs, qint64 inconclusiveLimitMs,
                                             InconclusivePolicy policy, bool* countsAsHolding)
{
    *countsAsHolding = false;
    if (m_unknownSinceMs == 0) m_unknownSinceMs = nowMs;
    if (nowMs - m_unknownSinceMs < inconclusiveLimitMs) {
        if (!m_fired) m_state = TriggerState::Inconclusive;
        return Step::None; // frozen: neither holding longer nor cleared
    }
    if (policy == InconclusivePolicy::Fail) {
        *countsAsHolding = true;
        return Step::None;
    }
    if (!m_fired) m_state = TriggerState::Inconclusive;
    if (m_inconclusiveReported) return Step::None;
    m_inconclusiveReported = true;
    return Step::InconclusiveTooLong;
}

TriggerTracker::Step TriggerTracker::update(const Judgement& j, bool guarded, qint64 nowMs, qint64 forMs,
                                            qint64 inconclusiveLimitMs, InconclusivePolicy policy)
{
    m_last = j;
    if (guarded) {
        const bool was = m_holding;
        m_holding = m_fired = false;
        m_holdingSinceMs = m_unknownSinceMs = 0;
        m_inconclusiveReported = false;
        m_state = TriggerState::Guarded;
        return was ? Step::Cleared : Step::None;
    }
    qint64 at = j.sampleMs;
    switch (j.truth) {
    case Truth::True:
        m_unknownSinceMs = 0;
        m_inconclusiveReported = false;
        break;
    case Truth::False: {
        const bool was = m_holding;
        m_holding = m_fired = false;
        m_holdingSinceMs = m_unknownSinceMs = 0;
        m_inconclusiveReported = false;
        m_state = TriggerState::Ok;
        return was ? Step::Cleared : Step::None;
    }
    case Truth::Unknown: {
        if (j.warmingUp) { // not enough history yet is not missing data: no inconclusive clock
            if (!m_fired) m_state = TriggerState::Inconclusive;
            return Step::None;
        }
        bool holdingNow = false;
        const Step s = missing(nowMs, inconclusiveLimitMs, policy, &holdingNow);
        if (!holdingNow) return s;
        at = nowMs; // unknown for too long counts as failing
        break;
    }
    }
    Step step = Step::None;
    if (!m_holding) {
        m_holding = true;
        m_holdingSinceMs = at;
        step = Step::StartedHolding;
    }
    if (!m_fired && at - m_holdingSinceMs >= forMs) {
        m_fired = true;
        step = Step::Fired;
    }
    m_state = m_fired ? TriggerState::Fired : TriggerState::Pending;
    return step;
}

TriggerTracker::Step TriggerTracker::updateEvidence(const Judgement& j, bool building, bool guarded,
                                                    qint64 nowMs, qint64 inconclusiveLimitMs,
                                                    InconclusivePolicy policy)
{
    if (j.truth == Truth::Unknown && j.missingData) {
        m_last = j;
        if (guarded) return update(j, true, nowMs, 0, inconclusiveLimitMs, policy);
        bool holdingNow = false;
        const Step s = missing(nowMs, inconclusiveLimitMs, policy, &holdingNow);
        if (!holdingNow) return s;
        Judgement failing = j;
        failing.truth = Truth::True;
        failing.sampleMs = nowMs;
        const Step h = update(failing, false, nowMs, 0, inconclusiveLimitMs, policy);
        m_last = j;
        return h;
    }
    if (guarded) return update(j, true, nowMs, 0, inconclusiveLimitMs, policy);
    m_unknownSinceMs = 0;
    m_inconclusiveReported = false;
    if (j.truth == Truth::True) { // harm shown over a window at least `for` long
        Judgement at = j;
        at.sampleMs = nowMs;
        return update(at, false, nowMs, 0, inconclusiveLimitMs, policy);
    }
    if (building) { // the estimate is past the threshold; the evidence is not in yet
        m_last = j;
        if (m_holding) return Step::None;
        m_holding = true;
        m_holdingSinceMs = nowMs;
        m_state = TriggerState::Pending;
        return Step::StartedHolding;
    }
    Judgement clear = j;
    clear.truth = Truth::False;
    const Step s = update(clear, false, nowMs, 0, inconclusiveLimitMs, policy);
    m_last = j;
    return s;
}

TriggerTracker::Step TriggerTracker::updateMeasured(const Judgement& j, bool guarded, qint64 nowMs,
                                                    qint64 intervalMs, const MeasurementSpec& spec,
                                                    qint64 inconclusiveLimitMs, InconclusivePolicy policy)
{
    if (guarded) return update(j, true, nowMs, 0, inconclusiveLimitMs, policy);
    m_last = j;
    if (j.truth == Truth::Unknown && j.missingData) {
        bool holdingNow = false;
        const Step s = missing(nowMs, inconclusiveLimitMs, policy, &holdingNow);
        if (!holdingNow) return s;
        if (m_fired) return Step::None; // unknown for too long with policy fail: counts as failing
        m_fired = m_holding = true;
        if (m_holdingSinceMs == 0) m_holdingSinceMs = nowMs;
        m_state = TriggerState::Fired;
        return Step::Fired;
    }
    m_unknownSinceMs = 0;
    m_inconclusiveReported = false;
    const Verdict v = triggerVerdict(j);
    if (!m_run.update(v == Verdict::Fail, v == Verdict::Pass, nowMs, intervalMs, spec)) return Step::None;
    if (m_run.outcome() == MeasurementRun::Outcome::Failed && !m_fired) {
        m_fired = m_holding = true;
        if (m_holdingSinceMs == 0) m_holdingSinceMs = m_run.firstFailureMs();
        m_state = TriggerState::Fired;
        return Step::Fired;
    }
    if (m_fired) return Step::None;
    if (v == Verdict::Inconclusive) {
        if (!m_holding) m_state = TriggerState::Inconclusive;
        return Step::None;
    }
    const bool failing = v == Verdict::Fail && m_run.outcome() == MeasurementRun::Outcome::Running;
    if (failing && !m_holding) {
        m_holding = true;
        m_holdingSinceMs = nowMs;
        m_state = TriggerState::Pending;
        return Step::StartedHolding;
    }
    if (!failing && m_holding) {
        m_holding = false;
        m_holdingSinceMs = 0;
        m_state = TriggerState::Ok;
        return Step::Cleared;
    }
    m_state = failing ? TriggerState::Pending : TriggerState::Ok;
    return Step::None;
}

} // namespace rollout
