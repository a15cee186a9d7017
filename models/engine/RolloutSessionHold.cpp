// RolloutSession: what holds the rollout for a person (a damaged history, flags changed behind
// its back), the decisions that lift it, and the gate as a decision's record keeps it.
#include "engine/RolloutSession.h"
#include "plan/Duration.h"

namespace rollout {

QString toString(GateCheck::Kind k)
{
    switch (k) {
    case GateCheck::Kind::Time:
        return QStringLiteral("time");
    case GateCheck::Kind::Criterion:
        return QStringLiteral("criterion");
    case GateCheck::Kind::Attestation:
        return QStringLiteral("attestation");
    case GateCheck::Kind::Checklist:
        return QStringLiteral("checklist");
    case GateCheck::Kind::Approval:
        return QStringLiteral("approval");
    case GateCheck::Kind::RetryWait:
        return QStringLiteral("retry_wait");
    case GateCheck::Kind::Paused:
        return QStringLiteral("paused");
    case GateCheck::Kind::Alert:
        return QStringLiteral("alert");
    case GateCheck::Kind::Baseline:
        return QStringLiteral("baseline");
    }
    return {};
}

QString toString(CheckState s)
{
    switch (s) {
    case CheckState::Met:
        return QStringLiteral("met");
    case CheckState::NotMet:
        return QStringLiteral("not_met");
    case CheckState::Inconclusive:
        return QStringLiteral("inconclusive");
    }
    return {};
}

bool RolloutSession::held() const
{
    return std::any_of(m_alerts.begin(), m_alerts.end(),
                       [](const Alert& a) { return a.trigger == kDamageHold && !a.acknowledged; });
}

QString RolloutSession::holdReason() const
{
    for (const Alert& a : m_alerts)
        if (a.trigger == kDamageHold && !a.acknowledged) return a.reason;
    return {};
}

void RolloutSession::holdForDamage(const QStringList& ids, const QString& summary)
{
    // Damage a person has seen already (the same records, found again after a restart or the
    // next pull) is not raised again.
    QStringList fresh;
    for (const QString& id : ids) {
        const bool known = std::any_of(m_alerts.begin(), m_alerts.end(), [&](const Alert& a) {
            return a.trigger == kDamageHold && a.reason.contains(id);
        });
        if (!known && !fresh.contains(id)) fresh.append(id);
    }
    if (!ids.isEmpty() && fresh.isEmpty()) return;
    if (held()) return; // one open hold: its acknowledgement covers what was found meanwhile
    const qint64 now = m_clock.nowMs();
    const QString reason =
        QStringLiteral("the rollout's history failed verification: %1%2. Held: nothing is decided "
                       "automatically and no flag moves but for a person's rollback, until a person "
                       "acknowledges this alert")
            .arg(summary, fresh.isEmpty()
                              ? QString()
                              : QStringLiteral(" (records %1)").arg(fresh.join(QStringLiteral(", "))));
    const int id = raiseAlert(kDamageHold, reason, now);
    recordEscalation(kDamageHold, QStringLiteral("P1"),
                     QStringLiteral("ledger damage, alert #%1: %2").arg(id).arg(reason));
    ++m_revision;
    Q_EMIT stateChanged();
}

ActionResult RolloutSession::reapplyFlags(const Actor& actor, const QString& note)
{
    if (const QString why = guardRefusal(actor, EventType::FlagsReapplied); !why.isEmpty())
        return ActionResult::refused(why);
    if (!isPlanPerson(actor.id))
        return ActionResult::refused(QStringLiteral("%1 is not one of the plan's people").arg(actor.id));
    if (!m_driftHold && !m_drifting)
        return ActionResult::refused(QStringLiteral("no flag has drifted: nothing to write again"));
    if (held())
        return ActionResult::refused(
            QStringLiteral("the rollout is held (%1): acknowledge the alert first").arg(holdReason()));
    RolloutEvent e;
    e.type = EventType::FlagsReapplied;
    e.fromPhase = e.toPhase = m_complete ? int(m_plan.phases.size()) - 1 : m_phase;
    e.actor = actor.id;
    e.role = actor.role;
    e.note = note.isEmpty() ? m_driftSummary : note;
    record(e);
    Q_EMIT stateChanged();
    return ActionResult::done(QStringLiteral("the recorded state is being written again"));
}

ActionResult RolloutSession::countersign(const Actor& actor, const QString& recordId)
{
    if (const QString why = guardRefusal(actor, EventType::Countersigned); !why.isEmpty())
        return ActionResult::refused(why);
    if (!isPlanPerson(actor.id))
        return ActionResult::refused(QStringLiteral("%1 is not one of the plan's people").arg(actor.id));
    RolloutEvent e;
    e.type = EventType::Countersigned;
    e.fromPhase = e.toPhase = m_phase;
    e.actor = actor.id;
    e.role = actor.role;
    e.refersTo = recordId;
    record(e);
    return ActionResult::done(QStringLiteral("countersigned %1").arg(recordId));
}

GateRecord RolloutSession::gateRecord(const GateStatus& g, bool override) const
{
    GateRecord r;
    r.present = true;
    r.timeInPhaseMs = m_phase >= 0 ? m_clock.nowMs() - m_phaseStartedMs : 0;
    for (const GateCheck& c : g.checks) {
        GateCheckRecord check{toString(c.kind), c.label, toString(c.state), c.detail, {}};
        if (c.kind == GateCheck::Kind::Criterion)
            for (const CriterionView& v : m_criteria)
                if (c.label.startsWith(v.condition.text)) check.evidence = v.last.evidence;
        r.checks.append(check);
        if (override && c.state != CheckState::Met)
            r.skipped.append(c.detail.isEmpty() ? c.label : QStringLiteral("%1: %2").arg(c.label, c.detail));
    }
    const QMap<QString, QString> ticks = m_ticks.value(g.toPhase);
    for (auto it = ticks.begin(); it != ticks.end(); ++it)
        r.ticked.append(QStringLiteral("%1 (by %2)").arg(it.key(), it.value()));
    for (const ApprovalEntry& a : m_approvals.value(g.toPhase))
        if (a.approve) r.approvals.append(QStringLiteral("%1 (%2)").arg(a.actor, a.role));
    return r;
}

} // namespace rollout
