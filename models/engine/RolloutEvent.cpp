#include "engine/RolloutEvent.h"

namespace rollout {

QString toString(EventType t)
{
    switch (t) {
    case EventType::PhaseAdvanced:
        return QStringLiteral("phase_advanced");
    case EventType::Completed:
        return QStringLiteral("completed");
    case EventType::Paused:
        return QStringLiteral("paused");
    case EventType::Resumed:
        return QStringLiteral("resumed");
    case EventType::RolledBack:
        return QStringLiteral("rolled_back");
    case EventType::TriggerPending:
        return QStringLiteral("trigger_pending");
    case EventType::TriggerCleared:
        return QStringLiteral("trigger_cleared");
    case EventType::TriggerFired:
        return QStringLiteral("trigger_fired");
    case EventType::AlertRaised:
        return QStringLiteral("alert_raised");
    case EventType::AlertAcknowledged:
        return QStringLiteral("alert_acknowledged");
    case EventType::ChecklistItemSet:
        return QStringLiteral("checklist_item_set");
    case EventType::ApprovalRecorded:
        return QStringLiteral("approval_recorded");
    case EventType::GateOpened:
        return QStringLiteral("gate_opened");
    case EventType::GateClosed:
        return QStringLiteral("gate_closed");
    case EventType::BaselineCaptured:
        return QStringLiteral("baseline_captured");
    case EventType::NoteAdded:
        return QStringLiteral("note_added");
    case EventType::FlagsVerified:
        return QStringLiteral("flags_verified");
    case EventType::FlagsNotVerified:
        return QStringLiteral("flags_not_verified");
    case EventType::AdvanceClaimed:
        return QStringLiteral("advance_claimed");
    case EventType::PhaseOverridden:
        return QStringLiteral("phase_overridden");
    case EventType::SegmentHeld:
        return QStringLiteral("segment_held");
    case EventType::FlagDrift:
        return QStringLiteral("flag_drift");
    case EventType::ActionStepDone:
        return QStringLiteral("action_step");
    case EventType::Escalated:
        return QStringLiteral("escalated");
    case EventType::FlagsReapplied:
        return QStringLiteral("flags_reapplied");
    case EventType::Countersigned:
        return QStringLiteral("countersigned");
    case EventType::DriverChanged:
        return QStringLiteral("driver_changed");
    }
    return {};
}

QString GateRecord::describe() const
{
    if (!present) return {};
    QStringList parts;
    for (const GateCheckRecord& c : checks)
        parts.append(c.detail.isEmpty() ? QStringLiteral("%1: %2").arg(c.label, c.state)
                                        : QStringLiteral("%1: %2 (%3)").arg(c.label, c.state, c.detail));
    if (!ticked.isEmpty()) parts.append(QStringLiteral("ticked: %1").arg(ticked.join(QStringLiteral(", "))));
    if (!approvals.isEmpty())
        parts.append(QStringLiteral("approved by %1").arg(approvals.join(QStringLiteral(", "))));
    if (!skipped.isEmpty())
        parts.append(QStringLiteral("SKIPPED: %1").arg(skipped.join(QStringLiteral("; "))));
    return parts.join(QStringLiteral("; "));
}

QString RolloutEvent::describe() const
{
    QString who = actor.isEmpty() ? QString() : QStringLiteral(" by %1").arg(actor);
    switch (type) {
    case EventType::PhaseAdvanced:
        return QStringLiteral("advanced to phase %1%2").arg(toPhase + 1).arg(who);
    case EventType::Completed:
        return QStringLiteral("rollout complete%1").arg(who);
    case EventType::Paused:
        return QStringLiteral("paused%1: %2").arg(who, reason);
    case EventType::Resumed:
        return QStringLiteral("resumed%1").arg(who);
    case EventType::RolledBack:
        return QStringLiteral("%1 rollback from phase %2 to %3%4: %5")
            .arg(automatic ? QStringLiteral("AUTOMATIC") : QStringLiteral("manual"))
            .arg(fromPhase + 1)
            .arg(toPhase < 0 ? QStringLiteral("zero (all flags off)")
                             : QStringLiteral("phase %1").arg(toPhase + 1))
            .arg(who, reason);
    case EventType::TriggerPending:
        return QStringLiteral("trigger \"%1\" holding: %2").arg(trigger, reason);
    case EventType::TriggerCleared:
        return QStringLiteral("trigger \"%1\" cleared: %2").arg(trigger, reason);
    case EventType::TriggerFired:
        return QStringLiteral("trigger \"%1\" FIRED: %2").arg(trigger, reason);
    case EventType::AlertRaised:
        return QStringLiteral("alert #%1 \"%2\": %3 (a person decides)").arg(alertId).arg(trigger, reason);
    case EventType::AlertAcknowledged:
        return QStringLiteral("alert #%1 acknowledged%2: %3").arg(alertId).arg(who, note);
    case EventType::ChecklistItemSet:
        return QStringLiteral("%1 \"%2\" for phase %3%4")
            .arg(ticked ? QStringLiteral("ticked") : QStringLiteral("unticked"), item)
            .arg(toPhase + 1)
            .arg(who);
    case EventType::ApprovalRecorded:
        return QStringLiteral("%1 of phase %2%3 (%4)%5")
            .arg(approve ? QStringLiteral("approval") : QStringLiteral("REJECTION"))
            .arg(toPhase + 1)
            .arg(who, role, note.isEmpty() ? QString() : QStringLiteral(": ") + note);
    case EventType::GateOpened:
        return QStringLiteral("gate to phase %1 open").arg(toPhase + 1);
    case EventType::GateClosed:
        return QStringLiteral("gate to phase %1 closed: %2").arg(toPhase + 1).arg(reason);
    case EventType::BaselineCaptured:
        return QStringLiteral("baseline captured: %1").arg(reason);
    case EventType::NoteAdded:
        return QStringLiteral("note%1: %2").arg(who, note);
    case EventType::FlagsVerified:
        return QStringLiteral("flags verified for phase %1: %2").arg(toPhase + 1).arg(reason);
    case EventType::FlagsNotVerified:
        return QStringLiteral("FLAGS NOT VERIFIED for phase %1 — escalate: %2").arg(toPhase + 1).arg(reason);
    case EventType::AdvanceClaimed:
        return QStringLiteral("asked the shared store to advance to phase %1%2").arg(toPhase + 1).arg(who);
    case EventType::PhaseOverridden:
        return QStringLiteral("OVERRIDE: set to %1 past the gate%2: %3")
            .arg(toPhase < 0 ? QStringLiteral("zero (all flags off)")
                             : QStringLiteral("phase %1").arg(toPhase + 1),
                 who, reason);
    case EventType::SegmentHeld:
        return held ? QStringLiteral("partial rollback: segment \"%1\" held off%2: %3")
                          .arg(segment, who, reason)
                    : QStringLiteral("segment \"%1\" follows the rollout again%2").arg(segment, who);
    case EventType::FlagDrift:
        return held ? QStringLiteral("FLAG DRIFT: %1").arg(reason)
                    : QStringLiteral("flags agree with the rollout again: %1").arg(reason);
    case EventType::ActionStepDone:
        return QStringLiteral("%1 step %2%3: %4 — %5")
            .arg(trigger.isEmpty() ? QStringLiteral("rollback") : QStringLiteral("\"%1\"").arg(trigger), step,
                 who, outcome == QLatin1String("failed") ? QStringLiteral("FAILED") : outcome, reason);
    case EventType::Escalated:
        return QStringLiteral("ESCALATED %1%2: %3")
            .arg(severity.isEmpty() ? QStringLiteral("P1") : severity, who, reason);
    case EventType::FlagsReapplied:
        return QStringLiteral("recorded state written again over drifted flags%1: %2").arg(who, note);
    case EventType::Countersigned:
        return QStringLiteral("countersigned record %1%2").arg(refersTo.left(8), who);
    case EventType::DriverChanged:
        return reason;
    }
    return {};
}

} // namespace rollout
