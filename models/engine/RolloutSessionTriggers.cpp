// RolloutSession's triggers: judging them each tick (with evidence where the metric has counts),
// firing them (or not: dry run, global incident), pausing for a person, and raising alerts.
#include "engine/RolloutSession.h"
#include "judge/EvidenceText.h"
#include "plan/Duration.h"

#include <QDateTime>
#include <limits>

namespace rollout {

void RolloutSession::evaluateTriggers(qint64 now)
{
    const int phaseAtStart = m_phase;
    for (const TriggerSpec& t : std::vector<TriggerSpec>(m_activeTriggers)) {
        if (!m_trackers.contains(t.name)) continue;
        TriggerTracker& tracker = m_trackers[t.name];
        const bool guarded = t.unless && judge(*t.unless, now).truth == Truth::True;
        const MetricSpec* m = m_plan.metric(t.when.metric);
        const bool evidence = m && m_evidence.judges(t.when, *m, m_reader, false);
        const double level = t.confidence.value_or(m_plan.judgement.triggerConfidence);
        const InconclusivePolicy policy = t.onInconclusive.value_or(m_plan.judgement.onInconclusive);
        const bool wasFired = tracker.fired();
        // With nobody exposed (a shadow or 0% phase) there is nothing a rollback could protect:
        // missing canary data keeps the gate closed but does not escalate.
        const qint64 limit =
            currentTraffic() > 0.0 ? m_plan.inconclusiveLimitMs : std::numeric_limits<qint64>::max();
        Judgement j;
        TriggerTracker::Step step;
        bool building = false;
        if (evidence) {
            const auto tj =
                m_evidence.trigger(t.when, *m, m_reader, now, triggerEvidenceSinceMs(), t.forMs, level);
            j = tj.judgement;
            building = tj.building;
        } else if (m && t.when.usesHistory()) {
            j = m_windows.judge(t.when, *m, m_reader, now, windowScope(t.when), level, false);
        } else {
            j = judge(t.when, now);
        }
        if (t.when.measurement) { // Argo-style: N failed measurements out of M
            const qint64 interval = t.when.measurement->intervalMs > 0 ? t.when.measurement->intervalMs
                                                                       : (m ? m->intervalMs : 15000);
            step = tracker.updateMeasured(j, guarded, now, interval, *t.when.measurement, limit, policy);
        } else if (evidence) {
            step = tracker.updateEvidence(j, building, guarded, now, limit, policy);
        } else {
            step = tracker.update(j, guarded, now, t.forMs, limit, policy);
        }
        // Both cohorts as bad (a global incident): not the canary's fault; pause and say so. Judged
        // before the trigger may fire, so that a rollback never blames the canary for it.
        if (evidence && t.kind == TriggerKind::Hard && !t.dryRun &&
            m_plan.judgement.globalIncident == GlobalIncidentPolicy::Pause && currentTraffic() > 0.0) {
            const EvidenceJudge::GlobalIncident gi = m_evidence.globalIncident(
                t.when, *m, m_reader, now, triggerEvidenceSinceMs(), t.forMs, level);
            if (!gi.reason.isEmpty() && !m_globalIncidents.contains(t.name))
                onGlobalIncident(t, gi.reason, now);
            // Over only once the baseline recovers (a noisy "canary worse" look during it does not end it);
            // then the trigger acts again on the canary's own harm.
            else if (!gi.baselineHarmed && !gi.baselineLooksHarmed)
                m_globalIncidents.remove(t.name);
            // Harm on the canary shown while the baseline looks just as bad: not the canary's fault either.
            if (step == TriggerTracker::Step::Fired && !wasFired && gi.baselineLooksHarmed &&
                !gi.canaryWorse && !m_globalIncidents.contains(t.name))
                onGlobalIncident(t, gi.looksReason, now);
        }
        const QString value = describe(j, m);
        RolloutEvent e;
        e.fromPhase = e.toPhase = m_phase;
        e.trigger = t.name;
        e.action = t.action;
        e.sinceMs = tracker.holdingSinceMs();
        e.dryRun = t.dryRun;
        e.evidence = j.evidence;
        if (step == TriggerTracker::Step::StartedHolding) {
            e.type = EventType::TriggerPending;
            e.reason =
                t.when.measurement ? QStringLiteral("%1 (now %2; a failed measurement: %3)")
                                         .arg(t.when.text, value, tracker.run().describe(*t.when.measurement))
                : evidence ? QStringLiteral("%1 (now %2; fires once harm is shown)").arg(t.when.text, value)
                           : QStringLiteral("%1 (now %2; fires after %3)")
                                 .arg(t.when.text, value, Duration::format(t.forMs));
            record(e);
        } else if (step == TriggerTracker::Step::Cleared) {
            e.type = EventType::TriggerCleared;
            e.reason = guarded ? QStringLiteral("guarded: %1").arg(t.unless->text)
                               : QStringLiteral("now %1").arg(value);
            record(e);
        } else if (step == TriggerTracker::Step::InconclusiveTooLong && !t.dryRun) {
            pauseForPerson(
                t.name,
                QStringLiteral("%1: no data for longer than %2 (%3); paused for a person to decide")
                    .arg(t.name, Duration::format(m_plan.inconclusiveLimitMs), j.reason),
                now);
        } else if (step == TriggerTracker::Step::Fired && !wasFired) {
            fire(t, tracker, now);
            if (m_phase != phaseAtStart || m_complete) return; // rolled back: the trackers were replaced
        }
    }
}

QString RolloutSession::describe(const Judgement& j, const MetricSpec* m)
{
    const Unit unit = m ? m->unit : Unit::None;
    if (j.truth == Truth::Unknown && !j.evidence.present) return j.reason;
    if (!j.evidence.present) return ConditionParser::formatValue(j.observed, unit);
    return EvidenceText::summary(j, unit);
}

void RolloutSession::onGlobalIncident(const TriggerSpec& t, const QString& why, qint64 now)
{
    m_globalIncidents.insert(t.name);
    pauseForPerson(t.name,
                   QStringLiteral("global incident, not the canary: %1. Paused; the plan's "
                                  "judgement.global_incident: act would let \"%2\" act")
                       .arg(why, t.name),
                   now);
}

void RolloutSession::pauseForPerson(const QString& trigger, const QString& reason, qint64 now)
{
    if (!m_paused) {
        m_paused = true;
        RolloutEvent p;
        p.type = EventType::Paused;
        p.fromPhase = p.toPhase = m_phase;
        p.actor = Actor::automation().id;
        p.role = Actor::automation().role;
        p.automatic = true;
        p.trigger = trigger;
        p.reason = reason;
        record(p);
    }
    raiseAlert(trigger, reason, now);
}

bool RolloutSession::hardTriggerHolding() const
{
    for (const TriggerSpec& t : m_activeTriggers) {
        if (t.kind != TriggerKind::Hard || t.dryRun) continue;
        const auto it = m_trackers.constFind(t.name);
        if (it != m_trackers.constEnd() &&
            (it->state() == TriggerState::Pending || it->state() == TriggerState::Fired))
            return true;
    }
    return false;
}

void RolloutSession::fire(const TriggerSpec& t, const TriggerTracker& tracker, qint64 now)
{
    const MetricSpec* m = m_plan.metric(t.when.metric);
    const Judgement& j = tracker.last();
    const QString value = j.truth == Truth::Unknown
                              ? QStringLiteral("no data (%1)").arg(j.reason)
                              : QStringLiteral("%1 = %2").arg(t.when.metric, describe(j, m));
    QString reason =
        j.evidence.present && j.truth == Truth::True
            ? QStringLiteral("%1: %2, harm shown for \"%3\" at %4% confidence")
                  .arg(t.name, value, t.when.text, QString::number(j.evidence.level * 100.0, 'g', 4))
            : QStringLiteral("%1: %2, condition \"%3\" held %4 (since %5)")
                  .arg(t.name, value, t.when.text, Duration::format(now - tracker.holdingSinceMs()),
                       QDateTime::fromMSecsSinceEpoch(tracker.holdingSinceMs(), Qt::UTC)
                           .toString(Qt::ISODate));
    if (t.when.measurement)
        reason = QStringLiteral("%1: %2, \"%3\" failed in more measurements than allowed: %4")
                     .arg(t.name, value, t.when.text, tracker.run().describe(*t.when.measurement));
    const bool global = m_globalIncidents.contains(t.name);
    if (t.dryRun)
        reason = QStringLiteral("DRY RUN, nothing done: ") + reason;
    else if (global && t.kind == TriggerKind::Hard)
        reason += QStringLiteral("; not acted on: both cohorts are as bad (global incident)");
    RolloutEvent e;
    e.type = EventType::TriggerFired;
    e.fromPhase = e.toPhase = m_phase;
    e.trigger = t.name;
    e.action = t.kind == TriggerKind::Hard && !t.dryRun && !global ? t.action : TriggerAction::Alert;
    e.sinceMs = tracker.holdingSinceMs();
    e.values = snapshot();
    e.automatic = true;
    e.reason = reason;
    e.dryRun = t.dryRun;
    e.evidence = j.evidence;
    record(e);

    if (t.dryRun) return; // judged, shown and recorded; never acted on
    if (global && t.kind == TriggerKind::Hard) {
        pauseForPerson(t.name, reason, now);
        return;
    }
    if (!t.actions.empty()) {
        // The list decides: its rollback and segment steps here, in order; the runner verifies them
        // by reading back and runs the calls, notifications and escalations.
        const qint64 since = tracker.holdingSinceMs();
        bool rolledBack = false;
        for (const ActionStep& s : t.actions) {
            if (t.kind != TriggerKind::Hard) break;
            if ((s.kind == ActionStep::Kind::Rollback || s.kind == ActionStep::Kind::RollbackToZero) &&
                !rolledBack) {
                doRollback(Actor::automation(), reason, s.kind == ActionStep::Kind::RollbackToZero, t.name,
                           since, now);
                rolledBack = true;
            } else if (s.kind == ActionStep::Kind::HoldSegment) {
                holdSegment(Actor::automation(), s.segment, true, reason);
            }
        }
        if (!rolledBack) raiseAlert(t.name, reason, now);
        Q_EMIT actionsDue(t.name, t.severity, reason, t.actions);
        return;
    }
    if (t.kind == TriggerKind::Soft || t.action == TriggerAction::Alert) {
        raiseAlert(t.name, reason, now);
        return;
    }
    switch (t.action) {
    case TriggerAction::RollbackPrevious:
        doRollback(Actor::automation(), reason, false, t.name, tracker.holdingSinceMs(), now);
        break;
    case TriggerAction::RollbackToZero:
        doRollback(Actor::automation(), reason, true, t.name, tracker.holdingSinceMs(), now);
        break;
    case TriggerAction::Pause:
        if (!m_paused) {
            m_paused = true;
            RolloutEvent p;
            p.type = EventType::Paused;
            p.fromPhase = p.toPhase = m_phase;
            p.actor = Actor::automation().id;
            p.automatic = true;
            p.trigger = t.name;
            p.reason = reason;
            record(p);
        }
        break;
    case TriggerAction::Alert:
        break;
    }
}

int RolloutSession::raiseAlert(const QString& trigger, const QString& reason, qint64 now)
{
    for (const Alert& a : m_alerts)
        if (a.trigger == trigger && !a.acknowledged) return a.id; // one open alert per trigger
    Alert a{m_nextAlertId++, trigger, now, reason, false};
    m_alerts.append(a);
    RolloutEvent e;
    e.type = EventType::AlertRaised;
    e.fromPhase = e.toPhase = m_phase;
    e.trigger = trigger;
    e.alertId = a.id;
    e.reason = reason;
    e.values = snapshot();
    e.automatic = true;
    record(e);
    return a.id;
}

} // namespace rollout
