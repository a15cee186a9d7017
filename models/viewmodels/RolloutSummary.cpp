#include "RolloutSummary.h"

#include "plan/Duration.h"

#include <QObject>

namespace rollout {

namespace {

Severity worse(Severity a, Severity b)
{
    auto rank = [](Severity s) {
        switch (s) {
        case Severity::Bad:
            return 4;
        case Severity::Warning:
            return 3;
        case Severity::Good:
            return 2;
        case Severity::Normal:
            return 1;
        case Severity::Muted:
            return 0;
        }
        return 0;
    };
    return rank(b) > rank(a) ? b : a;
}

} // namespace

QStringList RolloutSummary::waitingOn(const RolloutSession& s, const QString& personId)
{
    const Plan& plan = s.plan();
    QStringList roles;
    for (const Person& p : plan.people)
        if (p.id == personId) roles = p.roles;
    roles.removeAll(Actor::automation().role);
    if (roles.isEmpty() || s.isComplete()) return {};
    const GateStatus g = s.gate();
    if (g.toPhase < 0 || g.toPhase >= int(plan.phases.size())) return {};
    const PhaseSpec& next = plan.phases[std::size_t(g.toPhase)];
    QStringList out;
    bool approver = next.approvals.empty();
    const QList<ApprovalEntry> given = s.approvals(g.toPhase);
    for (const ApprovalRequirement& req : next.approvals) {
        if (!roles.contains(req.role)) continue;
        approver = true;
        int have = 0;
        bool mine = false;
        for (const ApprovalEntry& a : given) {
            if (a.approve && a.role == req.role) ++have;
            if (a.actor == personId && a.role == req.role) mine = true;
        }
        if (have < req.count && !mine)
            out.append(QObject::tr("approve phase %1 as %2").arg(g.toPhase + 1).arg(req.role));
    }
    if (approver) {
        const QStringList items = s.gateItems(g.toPhase);
        const QMap<QString, QString> ticked = s.tickedItems(g.toPhase);
        int attest = 0;
        int checklist = 0;
        for (const QString& i : items) {
            if (ticked.contains(i)) continue;
            if (i.startsWith(QLatin1String("Attest/")))
                ++attest;
            else
                ++checklist;
        }
        if (attest > 0) out.append(QObject::tr("attest %n criterion(s)", nullptr, attest));
        if (checklist > 0) out.append(QObject::tr("tick %n checklist item(s)", nullptr, checklist));
    }
    return out;
}

RolloutSummary RolloutSummary::of(const RolloutSession& s, const QString& personId, bool live)
{
    const Plan& plan = s.plan();
    RolloutSummary r;
    r.rollout = plan.rollout;
    r.environment = plan.environment;
    r.live = live;
    r.phase = s.currentPhase();
    r.phaseCount = int(plan.phases.size());
    if (s.isComplete() && !plan.phases.empty())
        r.phaseName = plan.phases.back().name;
    else if (r.phase >= 0)
        r.phaseName = plan.phases[std::size_t(r.phase)].name;
    r.traffic = s.currentTraffic();
    r.state = s.state();
    r.phaseStartedMs = r.phase >= 0 ? s.phaseStartedMs() : 0;
    r.waiting = waitingOn(s, personId);

    // Health: its worst verdict. From the ledger alone, only what was decided is known.
    switch (r.state) {
    case RolloutState::RolledBack:
        r.health = Severity::Bad;
        r.healthText = QObject::tr("rolled back");
        break;
    case RolloutState::Alert:
        r.health = Severity::Warning;
        r.healthText = QObject::tr("alert open");
        break;
    default:
        break;
    }
    if (live && r.phase >= 0) {
        int fired = 0, holding = 0, failing = 0, inconclusive = 0, judged = 0;
        for (const TriggerView& t : s.triggers()) {
            if (t.spec.dryRun) continue;
            ++judged;
            if (t.state == TriggerState::Fired)
                ++fired;
            else if (t.state == TriggerState::Pending)
                ++holding;
            else if (t.state == TriggerState::Inconclusive)
                ++inconclusive;
        }
        for (const CriterionView& c : s.criteria()) {
            if (c.condition.dryRun) continue;
            ++judged;
            if (c.truth == Truth::False)
                ++failing;
            else if (c.truth == Truth::Unknown)
                ++inconclusive;
        }
        Severity h = judged > 0 ? Severity::Good : Severity::Muted;
        QStringList parts;
        if (fired) {
            parts.append(QObject::tr("%n trigger(s) fired", nullptr, fired));
            h = worse(h, Severity::Bad);
        }
        if (holding) {
            parts.append(QObject::tr("%n trigger(s) holding", nullptr, holding));
            h = worse(h, Severity::Warning);
        }
        if (failing) {
            parts.append(QObject::tr("%n criterion(s) failing", nullptr, failing));
            h = worse(h, Severity::Warning);
        }
        if (inconclusive) { // missing evidence is never healthy: unknown, at best
            parts.append(QObject::tr("%n inconclusive", nullptr, inconclusive));
            if (h == Severity::Good) h = Severity::Muted;
        }
        r.health = worse(r.health, h);
        if (r.healthText.isEmpty())
            r.healthText = parts.isEmpty()
                               ? (judged ? QObject::tr("healthy") : QObject::tr("nothing to judge"))
                               : parts.join(QStringLiteral(", "));
    } else if (r.healthText.isEmpty()) {
        r.healthText =
            r.phase >= 0 ? QObject::tr("not watched here: open it to judge") : QObject::tr("not exposed");
    }

    if (s.isComplete()) {
        r.blockers = QObject::tr("complete");
    } else {
        QStringList blockers;
        for (const GateCheck& c : s.gate().checks) {
            if (c.state == CheckState::Met) continue;
            // Without live metrics, criteria cannot be judged here: say so once.
            if (!live && (c.kind == GateCheck::Kind::Criterion || c.kind == GateCheck::Kind::Baseline ||
                          c.label == QLatin1String("criteria held")))
                continue;
            blockers.append(c.detail.isEmpty() ? c.label : QStringLiteral("%1 %2").arg(c.label, c.detail));
        }
        if (!live && r.phase >= 0) blockers.append(QObject::tr("criteria: open to judge"));
        r.blockers = blockers.isEmpty() ? QObject::tr("nothing: the gate is open")
                                        : blockers.join(QStringLiteral("; "));
    }
    return r;
}

QString RolloutSummary::phaseText() const
{
    if (state == RolloutState::Complete) return QObject::tr("complete (%1 of %1)").arg(phaseCount);
    if (phase < 0)
        return state == RolloutState::RolledBack ? QObject::tr("rolled back to zero")
                                                 : QObject::tr("not started");
    return QObject::tr("%1 of %2 “%3”").arg(phase + 1).arg(phaseCount).arg(phaseName);
}

namespace {

std::optional<RolloutState> stateNamed(const QString& name)
{
    for (RolloutState st : {RolloutState::NotStarted, RolloutState::Running, RolloutState::Paused,
                            RolloutState::Alert, RolloutState::RolledBack, RolloutState::Complete})
        if (toString(st) == name) return st;
    return std::nullopt;
}

// The driver's live health: never good on missing data (an inconclusive check or trigger).
std::pair<Severity, QString> healthOf(const DriverView& v)
{
    const QString age = v.ageText();
    if (v.state == toString(RolloutState::RolledBack))
        return {Severity::Bad, QStringLiteral("rolled back (the driver's view, %1)").arg(age)};
    QStringList bad, unsure;
    for (const DriverView::Trigger& t : v.triggers) {
        if (t.state == QLatin1String("fired") || t.state == QLatin1String("pending"))
            bad.append(QStringLiteral("%1 %2").arg(t.name, t.state));
        else if (t.state == QLatin1String("inconclusive"))
            unsure.append(t.name + QStringLiteral(" inconclusive"));
    }
    for (const GateCheck& c : v.gate.checks)
        if ((c.kind == GateCheck::Kind::Criterion || c.kind == GateCheck::Kind::Baseline) &&
            c.state == CheckState::Inconclusive)
            unsure.append(c.label + QStringLiteral(" waiting for evidence"));
    if (v.drifting) bad.append(QStringLiteral("flag drift"));
    if (!v.driverLive)
        return {Severity::Warning,
                QStringLiteral("nobody drives it now (its last driver's view, %1)").arg(age)};
    if (!bad.isEmpty())
        return {Severity::Bad, bad.join(QStringLiteral("; ")) + QStringLiteral(" (%1)").arg(age)};
    if (!unsure.isEmpty())
        return {Severity::Warning, unsure.join(QStringLiteral("; ")) + QStringLiteral(" (%1)").arg(age)};
    return {Severity::Good, QStringLiteral("healthy as its driver sees it, %1").arg(age)};
}

} // namespace

void RolloutSummary::addDriverView(const StoredRollout& stored, const DriverView* view)
{
    if (stored.driver.live())
        driver = QStringLiteral("%1 (%2)").arg(stored.driver.kind, stored.driver.person);
    if (!view) return;
    // The driver's view is the newest word on where the rollout stands (this machine's ledger may
    // not have pulled its latest records).
    phase = view->phase;
    if (view->phases > 0) phaseCount = view->phases;
    phaseName = view->phaseName;
    if (const auto st = stateNamed(view->state)) state = *st;
    if (!view->complete)
        blockers = view->gate.open ? QStringLiteral("nothing: the gate is open") : view->gate.missing();
    const auto [severity, text] = healthOf(*view);
    health = severity;
    healthText = text;
    live = view->driverLive;
}

RolloutSummary RolloutSummary::ofStore(const StoredRollout& stored, const DriverView* view)
{
    RolloutSummary r;
    r.rollout = stored.rollout;
    r.source = QStringLiteral("shared store");
    r.note = QStringLiteral("in the shared store (%1 records); open its plan file to act on it")
                 .arg(stored.records);
    r.healthText =
        QStringLiteral("not judged here: no driver's view (latest record: %1)").arg(stored.latestType);
    r.addDriverView(stored, view);
    return r;
}

} // namespace rollout
