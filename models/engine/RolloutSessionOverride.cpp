// RolloutSession: the decisions that move flags past the gate (an override, a segment held off)
// and what the flag services say about the rollout (applied, drift), kept apart from the gate.
#include "engine/RolloutSession.h"

#include <cmath>

namespace rollout {

bool RolloutSession::isPlanPerson(const QString& id) const
{
    return std::any_of(m_plan.people.begin(), m_plan.people.end(),
                       [&](const Person& p) { return p.id == id; });
}

void RolloutSession::moveTo(int phase, qint64 nowMs, bool rolledBack)
{
    m_complete = false;
    m_rolledBack = rolledBack;
    if (rolledBack) m_rolledBackAtMs = nowMs;
    if (phase >= 0 && m_phase < 0)
        m_evidenceSinceMs = nowMs;   // the rollout (re)starts: the canary's evidence starts here
    voidSignOffsAbove(phase, nowMs); // sign-offs for what was rolled back are given again
    enterPhase(phase, nowMs);
}

ActionResult RolloutSession::overridePhase(const Actor& actor, int phase, const QString& reason)
{
    if (const QString why = guardRefusal(actor, EventType::PhaseOverridden); !why.isEmpty())
        return ActionResult::refused(why);
    if (phase < -1 || phase >= int(m_plan.phases.size()))
        return ActionResult::refused(
            QStringLiteral("no phase %1: the plan has %2").arg(phase + 1).arg(m_plan.phases.size()));
    if (reason.trimmed().isEmpty())
        return ActionResult::refused(QStringLiteral("an override needs a reason (--reason)"));
    if (m_plan.overrideRoles.isEmpty())
        return ActionResult::refused(
            QStringLiteral("this plan allows no override: name the roles that may in override_roles"));
    if (!personHasRole(actor.id, actor.role) || !m_plan.overrideRoles.contains(actor.role))
        return ActionResult::refused(
            QStringLiteral("%1 (%2) may not override: the plan allows it to %3")
                .arg(actor.id, actor.role, m_plan.overrideRoles.join(QStringLiteral(", "))));
    const int current = m_complete ? int(m_plan.phases.size()) - 1 : m_phase;
    if (held() && phase > current)
        return ActionResult::refused(
            QStringLiteral("the rollout is held (%1): acknowledge the alert first; only a rollback moves "
                           "flags now")
                .arg(holdReason()));
    RolloutEvent e;
    e.type = EventType::PhaseOverridden;
    e.gate = gateRecord(computeGate(), true);
    e.fromPhase = current;
    e.toPhase = phase;
    e.actor = actor.id;
    e.role = actor.role;
    e.values = snapshot();
    e.reason = reason.trimmed();
    e.atMs = m_clock.nowMs();
    moveTo(phase, e.atMs, phase < 0 && e.fromPhase >= 0);
    record(e);
    Q_EMIT stateChanged();
    return ActionResult::done(phase < 0 ? QStringLiteral("overridden to zero: every flag off")
                                        : QStringLiteral("overridden to phase %1 \"%2\" at %3%")
                                              .arg(phase + 1)
                                              .arg(m_plan.phases[std::size_t(phase)].name)
                                              .arg(currentTraffic()));
}

ActionResult RolloutSession::holdSegment(const Actor& actor, const QString& segment, bool hold,
                                         const QString& reason)
{
    if (segment.trimmed().isEmpty()) return ActionResult::refused(QStringLiteral("name the segment"));
    if (!isPlanPerson(actor.id) && actor.id != Actor::automation().id)
        return ActionResult::refused(QStringLiteral("%1 is not one of the plan's people").arg(actor.id));
    if (hold == m_heldSegments.contains(segment))
        return ActionResult::done(
            hold ? QStringLiteral("segment %1 is already held off").arg(segment)
                 : QStringLiteral("segment %1 already follows the rollout").arg(segment));
    RolloutEvent e;
    e.type = EventType::SegmentHeld;
    e.fromPhase = e.toPhase = m_phase;
    e.actor = actor.id;
    e.role = actor.role;
    e.segment = segment;
    e.held = hold;
    e.reason = reason;
    if (hold)
        m_heldSegments.append(segment);
    else
        m_heldSegments.removeAll(segment);
    record(e);
    Q_EMIT stateChanged();
    return ActionResult::done(hold ? QStringLiteral("segment %1 held off on every flag").arg(segment)
                                   : QStringLiteral("segment %1 follows the rollout again").arg(segment));
}

void RolloutSession::recordActionStep(const QString& trigger, const QString& step, const QString& outcome,
                                      const QString& detail)
{
    RolloutEvent e;
    e.type = EventType::ActionStepDone;
    e.fromPhase = e.toPhase = m_phase;
    e.actor = Actor::automation().id;
    e.role = Actor::automation().role;
    e.automatic = true;
    e.trigger = trigger;
    e.step = step;
    e.outcome = outcome;
    e.reason = detail;
    record(e);
}

void RolloutSession::recordEscalation(const QString& trigger, const QString& severity, const QString& reason)
{
    RolloutEvent e;
    e.type = EventType::Escalated;
    e.fromPhase = e.toPhase = m_phase;
    e.actor = Actor::automation().id;
    e.role = Actor::automation().role;
    e.automatic = true;
    e.trigger = trigger;
    e.severity = severity.isEmpty() ? QStringLiteral("P1") : severity;
    e.reason = reason;
    record(e);
}

void RolloutSession::recordDrift(bool drifting, const QString& summary, const QMap<QString, double>& percents)
{
    if (drifting == m_drifting && (!drifting || summary == m_driftSummary))
        return; // said once per distinct drift
    RolloutEvent e;
    e.type = EventType::FlagDrift;
    e.fromPhase = e.toPhase = m_phase;
    e.actor = Actor::automation().id;
    e.role = Actor::automation().role;
    e.automatic = true;
    e.held = drifting;
    e.values = percents;
    e.reason = summary;
    record(e);
    Q_EMIT stateChanged();
}

void RolloutSession::noteFlagEvent(const RolloutEvent& e)
{
    switch (e.type) {
    case EventType::PhaseAdvanced:
    case EventType::Completed:
    case EventType::RolledBack:
    case EventType::PhaseOverridden:
    case EventType::SegmentHeld:
        if (e.type == EventType::RolledBack || e.type == EventType::PhaseOverridden) m_driftHold = false;
        m_flagsApplied = false;
        m_drifting = false; // the flags are about to move: drift is judged again once they have
        m_driftSummary.clear();
        break;
    case EventType::FlagsVerified: {
        // Applied when what was read back is the current target (an older operation's success
        // while a newer decision waits does not count).
        const QMap<QString, FlagSetting> want = currentFlags();
        bool all = true;
        for (auto it = e.values.begin(); it != e.values.end(); ++it) {
            const FlagSetting s = want.value(it.key());
            all = all && std::abs((s.enabled ? s.percent : 0.0) - it.value()) < 0.01;
        }
        if (all) m_flagsApplied = true;
        break;
    }
    case EventType::FlagDrift:
        m_drifting = e.held;
        m_driftSummary = e.held ? e.reason : QString();
        if (e.held) m_driftHold = true; // lifted by a person only: re-apply or roll back
        break;
    case EventType::FlagsReapplied:
        m_flagsApplied = false;
        m_drifting = false;
        m_driftHold = false;
        m_driftSummary.clear();
        break;
    default:
        break;
    }
}

} // namespace rollout
