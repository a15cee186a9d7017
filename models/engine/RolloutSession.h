#pragma once

#include "core/Clock.h"
#include "engine/GateStatus.h"
#include "engine/MeasurementRun.h"
#include "engine/RolloutEvent.h"
#include "engine/TriggerTracker.h"
#include "judge/ConditionJudge.h"
#include "judge/EvidenceJudge.h"
#include "judge/WindowJudge.h"
#include "plan/Plan.h"

#include <QMap>
#include <QObject>
#include <QSet>
#include <algorithm>
#include <functional>
#include <memory>
#include <optional>

namespace rollout {

enum class RolloutState
{
    NotStarted,
    Running,
    Paused,
    Alert,
    RolledBack,
    Complete
};
QString toString(RolloutState s);

// Who does something: a person from the plan's people, or the automation.
struct Actor
{
    QString id;
    QString role;
    static Actor automation() { return {QStringLiteral("automation"), QStringLiteral("automation")}; }
};

struct ActionResult
{
    bool ok = false;
    QString message;
    static ActionResult done(const QString& m = {}) { return {true, m}; }
    static ActionResult refused(const QString& m) { return {false, m}; }
};

struct TriggerView
{
    TriggerSpec spec;
    bool evidence = false; // judged with evidence (counts), not on a single number
    TriggerState state = TriggerState::Ok;
    qint64 holdingSinceMs = 0;
    qint64 unknownSinceMs = 0;
    Judgement last;
};

struct CriterionView
{
    Condition condition;
    Truth truth = Truth::Unknown; // after the inconclusive limit, Unknown reads as False
    Judgement last;
    qint64 unknownSinceMs = 0;
};

struct Alert
{
    int id = 0;
    QString trigger;
    qint64 raisedMs = 0;
    QString reason;
    bool acknowledged = false;
};

struct ApprovalEntry
{
    QString actor;
    QString role;
    bool approve = false;
    QString note;
    qint64 atMs = 0;
    qint64 supersededMs = 0; // a rollback (or override) below its phase made it void then; 0: in force
};

// The rollout engine. Given a plan, metric samples and a clock, it decides: whether the current
// phase's gate is open, when a trigger has held long enough, what a rollback goes back to, when
// a retry is allowed. It never touches a flag service; it emits typed events (eventRecorded)
// that others act on, sign and store. Time comes only from the injected clock.
class RolloutSession final : public QObject
{
    Q_OBJECT
public:
    RolloutSession(Plan plan, const MetricReader& reader, const Clock& clock,
                   std::shared_ptr<const ConditionJudge> judge = nullptr, QObject* parent = nullptr);

    const Plan& plan() const { return m_plan; }
    int currentPhase() const { return m_phase; } // -1: not started, or rolled back to zero
    bool isComplete() const { return m_complete; }
    bool isPaused() const { return m_paused; }
    RolloutState state() const;
    qint64 phaseStartedMs() const { return m_phaseStartedMs; }
    qint64 retryNotBeforeMs() const { return m_retryNotBeforeMs; }
    double currentTraffic() const;
    QMap<QString, FlagSetting> currentFlags() const
    {
        return m_plan.flagSettingsFor(m_complete ? int(m_plan.phases.size()) - 1 : m_phase);
    }
    // What stands before the next phase. Worked out at most once per state change and quarter
    // second: the views of one tick share it (decisions work it out afresh).
    GateStatus gate() const;
    QList<TriggerView> triggers() const;
    QList<CriterionView> criteria() const;
    QList<Alert> alerts() const { return m_alerts; }
    QMap<QString, double> capturedBaselines() const { return m_capturedBaselines; }
    // Checklist and attestation items that guard entry into `phase` ("Section/Item"), ticked or not.
    QStringList gateItems(int phase) const;
    QMap<QString, QString> tickedItems(int phase) const { return m_ticks.value(phase); } // item → who
    QList<ApprovalEntry> approvals(int phase) const { return m_approvals.value(phase); }
    // Approvals a rollback (or an override) below their phase made void, oldest first: the sign-off
    // table keeps them, marked superseded; they never count again.
    QList<ApprovalEntry> supersededApprovals(int phase) const { return m_supersededApprovals.value(phase); }

    // Asked before a person's decision is taken: an empty answer lets it go on, any other text
    // refuses it with that message (the ledger refuses decisions it could not sign). A manual
    // rollback is never asked: stopping harm is not held up by a locked key.
    using ActionGuard = std::function<QString(const Actor& actor, EventType type)>;
    void setActionGuard(ActionGuard guard) { m_guard = std::move(guard); }

    // One evaluation tick: reads the metrics, moves triggers and criteria, may roll back.
    void evaluate();

    ActionResult advance(const Actor& actor);
    ActionResult pause(const Actor& actor, const QString& reason);
    ActionResult resume(const Actor& actor);
    ActionResult rollback(const Actor& actor, const QString& reason, bool toZero);
    ActionResult acknowledgeAlert(int alertId, const Actor& actor, const QString& note);
    ActionResult setChecklistItem(int phase, const QString& item, bool ticked, const Actor& actor);
    ActionResult recordApproval(int phase, const Actor& actor, bool approve, const QString& note);
    // A person's explanation added after the fact, e.g. why they rolled back.
    ActionResult addNote(const Actor& actor, const QString& note);
    // What the flag services read back after a phase change or rollback, so that the record of
    // the rollout says whether its flags really moved (FlagsVerified / FlagsNotVerified).
    void recordFlagOutcome(bool verified, const QString& summary, const QMap<QString, double>& percents);
    // One step of an action list ran (ActionRunner): `outcome` is verified, done or failed.
    void recordActionStep(const QString& trigger, const QString& step, const QString& outcome,
                          const QString& detail);
    // Something needs a person now, at `severity` (P0..P3): a failed step, or a plan's escalate step.
    void recordEscalation(const QString& trigger, const QString& severity, const QString& reason);

    // Sets the rollout to `phase` (-1: everything off) past its gate: an override, allowed only to
    // a person holding one of the plan's override_roles, with a reason. Recorded like any decision
    // and shown in red wherever the rollout is shown. Nothing else moves a phase past its gate.
    ActionResult overridePhase(const Actor& actor, int phase, const QString& reason);
    // Partial rollback: hold `segment` off on every flag (hold), or let it follow the rollout again.
    // Always allowed to a person of the plan, like a rollback.
    ActionResult holdSegment(const Actor& actor, const QString& segment, bool hold, const QString& reason);
    QStringList heldSegments() const { return m_heldSegments; }
    // Recorded means applied: false from a decision that moves the flags (advance, completion,
    // rollback, override, segment) until the flag services read back its settings. A rollout
    // whose flags are not applied is never shown as done; the runtime finishes the change.
    bool flagsApplied() const { return m_flagsApplied; }
    // What the flag services read back differs from what the rollout says although the change was
    // applied: someone changed a flag behind the rollout's back. Never adopted; shown and alerted.
    void recordDrift(bool drifting, const QString& summary, const QMap<QString, double>& percents);
    bool drifting() const { return m_drifting; }
    QString driftSummary() const { return m_driftSummary; }

    // Holds: the rollout's history failed verification (a record changed, deleted, replayed or
    // reordered; a broken chain), or a decision could not be recorded. While held, nothing is
    // decided automatically (evaluate() judges nothing, acts on nothing) and no flag is written
    // but for a person's rollback; the gate stays shut. A P1 alert (trigger kDamageHold) says
    // what was damaged; the hold lasts until a person acknowledges that alert (a signed record),
    // which a rollback does not do. `ids` are the damaged records: damage already acknowledged is
    // not raised again (a restart finds the same damage in the same records).
    static inline const QString kDamageHold = QStringLiteral("ledger damage");
    void holdForDamage(const QStringList& ids, const QString& summary);
    bool held() const;
    QString holdReason() const;
    // Confirmed drift (a flag changed behind the rollout's back) holds automatic promotion, and
    // the gate, until a person writes the recorded state again (reapplyFlags) or rolls back.
    bool driftHeld() const { return m_driftHold; }
    ActionResult reapplyFlags(const Actor& actor, const QString& note);
    // A person's signature over a decision recorded in their name under this device's key (a
    // rollback taken while their key was locked): changes no state.
    ActionResult countersign(const Actor& actor, const QString& recordId);

    // Records that `actor` asks the shared store for the right to take the open gate (a signed
    // claim, so that two consoles never both advance); changes nothing. Refused when the gate is closed.
    ActionResult recordAdvanceClaim(const Actor& actor);

    // Rebuilding from the ledger: applies a recorded decision to the state as it was taken (at
    // e.atMs, by e.actor), without judging the gate again and without emitting anything.
    // Decisions must come in the order they were taken. Returns false for an event that does not
    // fit the state (e.g. an advance from a phase the rollout is not in), which changes nothing.
    bool restore(const RolloutEvent& e);

    // How many receivers eventRecorded has: one (the runtime's DecisionPath) once assembled.
    int decisionListeners() const { return receivers(SIGNAL(eventRecorded(rollout::RolloutEvent))); }

Q_SIGNALS:
    void eventRecorded(const rollout::RolloutEvent& event);
    // A trigger with an action list fired and was acted on: its rollback and segment steps are
    // decided already (recorded before this); the runner verifies them and runs the rest in order.
    void actionsDue(const QString& trigger, const QString& severity, const QString& reason,
                    const std::vector<rollout::ActionStep>& steps);
    void stateChanged();

private:
    GateStatus computeGate() const;
    // The gate as a decision saw it, for its record (RolloutSessionGateRecord.cpp).
    GateRecord gateRecord(const GateStatus& g, bool override) const;
    void enterPhase(int phase, qint64 nowMs);
    void fire(const TriggerSpec& trigger, const TriggerTracker& tracker, qint64 nowMs);
    ActionResult doRollback(const Actor& actor, const QString& reason, bool toZero, const QString& trigger,
                            qint64 sinceMs, qint64 nowMs);
    int raiseAlert(const QString& trigger, const QString& reason, qint64 nowMs);
    QMap<QString, double> snapshot() const;
    Judgement judge(const Condition& c, qint64 nowMs) const;
    Judgement judgeCriterion(const Condition& c, qint64 nowMs) const;
    WindowJudge::Scope windowScope(const Condition& c) const;
    // A criterion with Argo-style measurements (interval, count, failure_limit): its verdict from the run.
    Judgement measureCriterion(std::size_t index, const Condition& c, const Judgement& measured,
                               qint64 nowMs);
    static QString describe(const Judgement& j, const MetricSpec* m);
    void evaluateTriggers(qint64 nowMs);
    void onGlobalIncident(const TriggerSpec& t, const QString& why, qint64 nowMs);
    void pauseForPerson(const QString& trigger, const QString& reason, qint64 nowMs);
    bool hardTriggerHolding() const;
    bool personHasRole(const QString& id, const QString& role) const;
    bool isPlanPerson(const QString& id) const;
    // Keeps flagsApplied() and drifting() in step with an event, live or restored.
    void noteFlagEvent(const RolloutEvent& e);
    void moveTo(int phase, qint64 nowMs, bool rolledBack);
    void record(RolloutEvent e);
    QString guardRefusal(const Actor& actor, EventType type) const
    {
        return m_guard ? m_guard(actor, type) : QString();
    }

    Plan m_plan;
    const MetricReader& m_reader;
    const Clock& m_clock;
    std::shared_ptr<const ConditionJudge> m_judge;
    EvidenceJudge m_evidence;
    WindowJudge m_windows; // windows, totals and history (`over 15m`, `total`, `3x median over 7d`)
    ActionGuard m_guard;
    int m_previousPhaseForTrackers = -1;
    quint64 m_revision = 0; // bumped by every evaluation and state change
    mutable std::optional<GateStatus> m_gateCache;
    mutable quint64 m_gateRevision = 0;
    mutable qint64 m_gateAtMs = 0;
    qint64 m_evidenceSinceMs = 0; // triggers weigh the canary's counts since the rollout (re)started
    // ... or since the last rollback to an earlier phase: that phase is judged afresh at its own
    // traffic, not on the evidence (or the window) gathered at the traffic it was rolled back from.
    qint64 m_rolledBackAtMs = 0;
    qint64 triggerEvidenceSinceMs() const { return std::max(m_evidenceSinceMs, m_rolledBackAtMs); }
    QSet<QString> m_globalIncidents; // triggers whose "both cohorts" alert is raised

    int m_phase = -1;
    qint64 m_phaseStartedMs = 0;
    bool m_paused = false;
    bool m_rolledBack = false;
    bool m_complete = false;
    qint64 m_retryNotBeforeMs = 0;
    std::vector<TriggerSpec> m_activeTriggers;
    QMap<QString, TriggerTracker> m_trackers;
    std::vector<CriterionView> m_criteria;
    std::vector<MeasurementRun>
        m_criterionRuns; // per criterion of the phase; used by those with measurements
    qint64 m_criteriaGreenSinceMs = 0;
    qint64 m_criteriaFailingSinceMs = 0;
    bool m_gateWasOpen = false;
    QList<Alert> m_alerts;
    int m_nextAlertId = 1;
    QMap<int, QMap<QString, QString>> m_ticks;   // target phase → item → actor
    QMap<int, QList<ApprovalEntry>> m_approvals; // target phase → latest decision per actor
    QMap<int, QList<ApprovalEntry>> m_supersededApprovals;
    // Sign-offs for the phases above `phase` must be given again (a rollback, an override): the
    // ticks go, the approvals are kept as superseded at `atMs`.
    void voidSignOffsAbove(int phase, qint64 atMs);
    QMap<QString, double> m_capturedBaselines;
    QStringList m_heldSegments;
    bool m_flagsApplied = true; // before anything happens, the flags should be off: nothing to finish
    bool m_drifting = false;
    bool m_driftHold = false; // drift confirmed; a person re-applies or rolls back
    QString m_driftSummary;
};

} // namespace rollout
