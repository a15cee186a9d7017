#pragma once

#include "judge/Evidence.h"
#include "plan/Plan.h"

#include <QMap>
#include <QMetaType>
#include <QString>

namespace rollout {

enum class EventType
{
    PhaseAdvanced, // toPhase entered (the first advance starts the rollout)
    Completed,     // the last phase was left: 100% for good
    Paused,
    Resumed,
    RolledBack,     // to toPhase (-1: everything off); automatic when a trigger did it
    TriggerPending, // a trigger's condition started to hold
    TriggerCleared, // it stopped holding before firing
    TriggerFired,   // held for its duration
    AlertRaised,    // a soft trigger fired: a person decides
    AlertAcknowledged,
    ChecklistItemSet, // ticked or unticked
    ApprovalRecorded, // approve or reject
    GateOpened,
    GateClosed,
    BaselineCaptured,
    NoteAdded,        // a person explained a decision afterwards (e.g. the reason for a rollback)
    FlagsVerified,    // every flag of a change read back as asked (reason: per-flag results)
    FlagsNotVerified, // some flag did not move or could not be read back: escalate
    AdvanceClaimed,   // a console asked the shared store for the right to advance (toPhase); no state change
    PhaseOverridden,  // a person moved the rollout to toPhase past its gate (-1: everything off), with a
                      // reason
    SegmentHeld, // partial rollback: `segment` held off on every flag (held), or let follow the rollout again
    FlagDrift, // what the flag services read back differs from what the rollout says (held), or agrees again
    ActionStepDone, // one step of an action list ran: `step`, `outcome` (verified, done, failed) and what was
                    // read back
    Escalated,      // something needs a person now (a failed step, a plan's escalate step), with `severity`
    FlagsReapplied, // a person had the recorded state written again over flags changed behind the rollout's
                    // back
    Countersigned,  // a person signs a decision recorded in their name under the device key (`refersTo`)
    DriverChanged,  // who drives changed, as this process saw it (`reason`): this process took the
                    // lease, gave it back, lost it, or another took it. Shown, never a ledger record
                    // (the lease is coordination, not a decision).
};

QString toString(EventType t);

// One line of the gate as a decision saw it (a GateCheck, with the verdict's numbers for a criterion).
struct GateCheckRecord
{
    QString kind;  // time, criterion, attestation, checklist, approval, retry, paused, alert, baseline, drift
    QString label; // "error_rate < 1%", "time in phase", "checklist"
    QString state; // met, not_met, inconclusive
    QString detail; // "pass: 0.21% [0.05%, 0.61%] on 3 of 1420 requests"
    Evidence evidence;
};

// Why a phase was entered (or a gate was passed over): the gate as it stood at the decision —
// every check with its state, each criterion's evidence, the checklist items ticked and the
// approvals counted, the time spent in the phase left — and, for an override, what it skipped.
struct GateRecord
{
    bool present = false;
    QList<GateCheckRecord> checks;
    qint64 timeInPhaseMs = 0;
    QStringList ticked;    // "Section/Item (by who)"
    QStringList approvals; // "who (role)"
    QStringList skipped;   // an override: the checks it passed over, "label: detail"

    // "time in phase 12m: met (12m of 10m); error_rate < 1%: met (pass: 0.21% [0.05%, 0.61%] on 3
    // of 1420 requests); checklist 2/2 (Tests pass by rita, …); approvals: sam (sre)"
    QString describe() const;
};

// One decision or transition, complete enough to be signed and stored by the ledger and to
// explain itself later: who or what, when, which trigger, which values, since when.
struct RolloutEvent
{
    EventType type = EventType::PhaseAdvanced;
    qint64 atMs = 0;
    int fromPhase = -1;
    int toPhase = -1;
    QString actor; // a person's id, or "automation"
    QString role;
    bool automatic = false;
    QString trigger; // the trigger's name, when one is involved
    TriggerAction action = TriggerAction::Alert;
    qint64 sinceMs = 0;           // when the condition started to hold
    QMap<QString, double> values; // metric snapshot at the decision
    QString reason;               // a sentence a person can read
    QString note;                 // what a person typed
    QString item;                 // checklist item "section/item"
    bool ticked = false;          // checklist
    bool approve = false;         // approval decision
    int alertId = 0;
    bool dryRun = false; // a dry-run trigger: judged and recorded, never acted on
    QString segment;     // SegmentHeld: the segment
    bool held = false;   // SegmentHeld: held off (else released); FlagDrift: drifting (else agrees again)
    Evidence evidence;   // the verdict's numbers (estimate, interval, counts), when judged with evidence
    QString step;        // ActionStepDone: "2 of 4: call admin.emergency-stop"
    QString outcome;     // ActionStepDone: verified (read back), done (nothing to read back) or failed
    QString severity;    // Escalated: P0..P3
    GateRecord gate;     // PhaseAdvanced, Completed, PhaseOverridden: the gate it was taken on
    QString refersTo;    // Countersigned: the record countersigned

    QString describe() const;
};

} // namespace rollout

Q_DECLARE_METATYPE(rollout::RolloutEvent)
