#include "engine/TriggerTracker.h"

namespace rollout {

QString toString(TriggerState s)
{
    switch (s) {
    case TriggerState::Ok: return QStringLiteral("ok");
    case TriggerState::Pending: return QStringLiteral("holding");
    case TriggerState::Fired: return QStringLiteral("fired");
    case TriggerState::Guarded: return QStringLiteral("guarded (low traffic)");
    case TriggerState::Inconclusive: return QStringLiteral("inconclusive");
    }
    return {};
}

void TriggerTracker::reset()
{
    *this = TriggerTracker();
}

TriggerTracker::Step TriggerTracker::update(const Judgement& j, bool guarded, qint64 nowMs, qint64 forMs, qint64 inconclusiveLimitMs)
{
    m_last = j;
    if (guarded) {
        const bool was = m_holding;
        m_holding = m_fired = false;
        m_holdingSinceMs = m_unknownSinceMs = 0;
        m_state = TriggerState::Guarded;
        return was ? Step::Cleared : Step::None;
    }
    qint64 at = j.sampleMs;
    switch (j.truth) {
    case Truth::True:
        m_unknownSinceMs = 0;
        break;
    case Truth::False: {
        const bool was = m_holding;
        m_holding = m_fired = false;
        m_holdingSinceMs = m_unknownSinceMs = 0;
        m_state = TriggerState::Ok;
        return was ? Step::Cleared : Step::None;
    }
    case Truth::Unknown:
        if (j.warmingUp) {   // not enough history yet is not missing data: no inconclusive clock
            if (!m_fired) m_state = TriggerState::Inconclusive;
            return Step::None;
        }
        if (m_unknownSinceMs == 0) m_unknownSinceMs = nowMs;
        if (nowMs - m_unknownSinceMs < inconclusiveLimitMs) {
            if (!m_fired) m_state = TriggerState::Inconclusive;
            return Step::None;   // frozen: neither holding longer nor cleared
        }
        // unknown for too long counts as failing
        at = nowMs;
        break;
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

} // namespace rollout
