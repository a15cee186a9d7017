// RolloutSession::restore (the state transitions of recorded decisions, replayed) and the
// advance claim, kept apart from the live paths in RolloutSession.cpp.
#include "engine/RolloutSession.h"

namespace rollout {

ActionResult RolloutSession::recordAdvanceClaim(const Actor& actor)
{
    if (const QString why = guardRefusal(actor, EventType::AdvanceClaimed); !why.isEmpty())
        return ActionResult::refused(why);
    const GateStatus g = computeGate();
    if (m_complete) return ActionResult::refused(QStringLiteral("the rollout is complete"));
    if (!g.open) return ActionResult::refused(QStringLiteral("the gate is not open: %1").arg(g.missing()));
    RolloutEvent e;
    e.type = EventType::AdvanceClaimed;
    e.fromPhase = m_phase;
    e.toPhase = g.toPhase;
    e.actor = actor.id;
    e.role = actor.role;
    e.automatic = actor.id == Actor::automation().id; // as the advance it asks for will be
    record(e);
    return ActionResult::done();
}

bool RolloutSession::restore(const RolloutEvent& e)
{
    ++m_revision;
    switch (e.type) {
    case EventType::PhaseAdvanced:
        if (m_complete || e.fromPhase != m_phase || e.toPhase != m_phase + 1 ||
            e.toPhase >= int(m_plan.phases.size()))
            return false;
        if (m_phase < 0) m_evidenceSinceMs = e.atMs;
        m_rolledBack = false;
        enterPhase(e.toPhase, e.atMs);
        break;
    case EventType::Completed:
        if (m_complete || e.fromPhase != m_phase) return false;
        m_rolledBack = false;
        m_complete = true;
        break;
    case EventType::RolledBack: {
        const int from = m_complete ? int(m_plan.phases.size()) - 1 : m_phase;
        if (e.fromPhase != from || e.toPhase >= from) return false;
        m_complete = false;
        m_rolledBack = true;
        m_rolledBackAtMs = e.atMs;
        m_paused = false;
        m_retryNotBeforeMs = e.atMs + m_plan.retryAfterRollbackMs;
        voidSignOffsAbove(e.toPhase, e.atMs); // sign-offs for what was rolled back are given again
        for (Alert& a : m_alerts)
            if (a.trigger != kDamageHold) a.acknowledged = true;
        enterPhase(e.toPhase, e.atMs);
        break;
    }
    case EventType::Paused:
        m_paused = true;
        break;
    case EventType::Resumed:
        m_paused = false;
        break;
    case EventType::AlertRaised:
        m_alerts.append(Alert{e.alertId, e.trigger, e.atMs, e.reason, false});
        m_nextAlertId = std::max(m_nextAlertId, e.alertId + 1);
        break;
    case EventType::AlertAcknowledged:
        for (Alert& a : m_alerts)
            if (a.id == e.alertId) a.acknowledged = true;
        break;
    case EventType::ChecklistItemSet:
        if (!gateItems(e.toPhase).contains(e.item)) return false;
        if (e.ticked)
            m_ticks[e.toPhase].insert(e.item, e.actor);
        else
            m_ticks[e.toPhase].remove(e.item);
        break;
    case EventType::ApprovalRecorded: {
        if (e.toPhase < 0 || e.toPhase >= int(m_plan.phases.size()) || !personHasRole(e.actor, e.role))
            return false;
        QList<ApprovalEntry>& list = m_approvals[e.toPhase];
        auto it = std::find_if(list.begin(), list.end(), [&](const ApprovalEntry& a) {
            return a.actor == e.actor && a.role == e.role;
        });
        const ApprovalEntry entry{e.actor, e.role, e.approve, e.note, e.atMs};
        if (it != list.end())
            *it = entry;
        else
            list.append(entry);
        break;
    }
    case EventType::PhaseOverridden:
        if (e.toPhase < -1 || e.toPhase >= int(m_plan.phases.size()) || !isPlanPerson(e.actor)) return false;
        moveTo(e.toPhase, e.atMs, e.toPhase < 0 && e.fromPhase >= 0);
        break;
    case EventType::SegmentHeld:
        if (e.held && !m_heldSegments.contains(e.segment)) m_heldSegments.append(e.segment);
        if (!e.held) m_heldSegments.removeAll(e.segment);
        break;
    case EventType::BaselineCaptured:
        for (auto it = e.values.begin(); it != e.values.end(); ++it)
            m_capturedBaselines.insert(it.key(), it.value());
        break;
    default:
        break; // commentary and notes change no state
    }
    noteFlagEvent(e);
    Q_EMIT stateChanged();
    return true;
}

} // namespace rollout
