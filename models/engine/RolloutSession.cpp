#include "engine/RolloutSession.h"

#include "judge/EvidenceText.h"
#include "plan/Duration.h"

#include <cmath>
#include <limits>

namespace rollout {

QString toString(RolloutState s)
{
    switch (s) {
    case RolloutState::NotStarted:
        return QStringLiteral("not started");
    case RolloutState::Running:
        return QStringLiteral("running");
    case RolloutState::Paused:
        return QStringLiteral("paused");
    case RolloutState::Alert:
        return QStringLiteral("alert");
    case RolloutState::RolledBack:
        return QStringLiteral("rolled back");
    case RolloutState::Complete:
        return QStringLiteral("complete");
    }
    return {};
}

QString GateStatus::missing() const
{
    QStringList out;
    for (const GateCheck& c : checks)
        if (c.state != CheckState::Met)
            out.append(c.detail.isEmpty() ? c.label : c.label + QStringLiteral(": ") + c.detail);
    return out.join(QStringLiteral("; "));
}

RolloutSession::RolloutSession(Plan plan, const MetricReader& reader, const Clock& clock,
                               std::shared_ptr<const ConditionJudge> judge, QObject* parent)
    : QObject(parent), m_plan(std::move(plan)), m_reader(reader), m_clock(clock),
      m_judge(judge ? std::move(judge) : std::make_shared<ThresholdJudge>()), m_evidence(m_plan),
      m_windows(m_plan, m_evidence)
{
    qRegisterMetaType<rollout::RolloutEvent>();
    m_phaseStartedMs = m_clock.nowMs();
}

RolloutState RolloutSession::state() const
{
    if (m_complete) return RolloutState::Complete;
    if (m_rolledBack) return RolloutState::RolledBack;
    for (const Alert& a : m_alerts)
        if (!a.acknowledged) return RolloutState::Alert;
    if (m_paused) return RolloutState::Paused;
    if (m_phase < 0) return RolloutState::NotStarted;
    return RolloutState::Running;
}

double RolloutSession::currentTraffic() const
{
    if (m_complete) return m_plan.phases.empty() ? 0.0 : m_plan.phases.back().traffic;
    if (m_phase < 0) return 0.0;
    return m_plan.phases[std::size_t(m_phase)].traffic;
}

void RolloutSession::record(RolloutEvent e)
{
    if (e.atMs == 0) e.atMs = m_clock.nowMs();
    ++m_revision;
    noteFlagEvent(e);
    Q_EMIT eventRecorded(e);
}

Judgement RolloutSession::judge(const Condition& c, qint64 nowMs) const
{
    const MetricSpec* m = m_plan.metric(c.metric);
    if (!m) {
        Judgement unknown;
        unknown.reason = QStringLiteral("unknown metric %1").arg(c.metric);
        unknown.missingData = true;
        return unknown;
    }
    const auto captured = m_capturedBaselines.contains(c.metric)
                              ? std::optional<double>(m_capturedBaselines.value(c.metric))
                              : std::nullopt;
    if (c.usesHistory())
        return m_windows.judge(c, *m, m_reader, nowMs, windowScope(c), m_plan.judgement.triggerConfidence,
                               false);
    return m_judge->judge(c, *m, m_reader, nowMs, captured);
}

WindowJudge::Scope RolloutSession::windowScope(const Condition& c) const
{
    WindowJudge::Scope s;
    s.phaseStartMs = m_phaseStartedMs;
    s.rolloutStartMs = m_evidenceSinceMs;
    s.triggerSinceMs = triggerEvidenceSinceMs();
    if (m_capturedBaselines.contains(c.metric)) s.capturedBaseline = m_capturedBaselines.value(c.metric);
    return s;
}

Judgement RolloutSession::measureCriterion(std::size_t index, const Condition& c, const Judgement& measured,
                                           qint64 nowMs)
{
    if (!c.measurement) return measured;
    if (m_criterionRuns.size() <= index) m_criterionRuns.resize(index + 1);
    MeasurementRun& run = m_criterionRuns[index];
    const MetricSpec* m = m_plan.metric(c.metric);
    const qint64 interval =
        c.measurement->intervalMs > 0 ? c.measurement->intervalMs : (m ? m->intervalMs : 15000);
    const Verdict v = criterionVerdict(measured);
    run.update(v == Verdict::Fail, v == Verdict::Pass, nowMs, interval, *c.measurement);
    Judgement j = measured;
    const QString progress = run.describe(*c.measurement);
    switch (run.outcome()) {
    case MeasurementRun::Outcome::Failed:
        j.truth = Truth::False;
        j.missingData = false;
        j.reason = QStringLiteral("analysis failed: %1").arg(progress);
        break;
    case MeasurementRun::Outcome::Succeeded:
        j.truth = Truth::True;
        j.missingData = false;
        j.reason = QStringLiteral("analysis passed: %1").arg(progress);
        break;
    case MeasurementRun::Outcome::Running:
        // Without a count the criterion holds once a measurement passed and the failures stay
        // within the limit; with one, only once the count is reached. Missing data stays missing.
        if (!c.measurement->count && run.passes() > 0) {
            j.truth = Truth::True;
            j.missingData = false;
        } else {
            j.truth = Truth::Unknown;
            j.missingData = measured.missingData;
        }
        j.reason = QStringLiteral("measuring: %1%2")
                       .arg(progress,
                            measured.reason.isEmpty() ? QString() : QStringLiteral("; ") + measured.reason);
        break;
    }
    return j;
}

Judgement RolloutSession::judgeCriterion(const Condition& c, qint64 nowMs) const
{
    const MetricSpec* m = m_plan.metric(c.metric);
    if (m && c.usesHistory())
        return m_windows.judge(c, *m, m_reader, nowMs, windowScope(c), m_plan.judgement.confidence, true);
    if (m && m_evidence.judges(c, *m, m_reader, true))
        return m_evidence.criterion(c, *m, m_reader, nowMs, m_phaseStartedMs, m_plan.judgement.confidence);
    return judge(c, nowMs);
}

QMap<QString, double> RolloutSession::snapshot() const
{
    QMap<QString, double> out;
    for (const MetricSpec& m : m_plan.metrics) {
        const auto s = m_reader.latest(m.name, Series::Canary);
        out.insert(m.name, s ? s->value : std::numeric_limits<double>::quiet_NaN());
    }
    return out;
}

bool RolloutSession::personHasRole(const QString& id, const QString& role) const
{
    for (const Person& p : m_plan.people)
        if (p.id == id) return p.roles.contains(role);
    return false;
}

void RolloutSession::enterPhase(int phase, qint64 nowMs)
{
    const bool wasExposed = currentTraffic() > 0.0;
    m_phase = phase;
    m_phaseStartedMs = nowMs;
    const bool promotion = phase > m_previousPhaseForTrackers && m_previousPhaseForTrackers >= 0;
    m_previousPhaseForTrackers = phase;
    m_activeTriggers = phase >= 0 ? m_plan.triggersFor(phase) : std::vector<TriggerSpec>{};
    // A promotion does not restart a trigger's clock: the same trigger carries on in the next phase.
    // Missing canary data while nobody was exposed (a 0% phase) was expected: it does not count
    // against the first phase that exposes people, whose inconclusive limit starts with it.
    QMap<QString, TriggerTracker> kept;
    for (const TriggerSpec& t : m_activeTriggers) {
        TriggerTracker tracker =
            promotion && m_trackers.contains(t.name) ? m_trackers.value(t.name) : TriggerTracker();
        if (!wasExposed) tracker.restartMissingClock();
        kept.insert(t.name, tracker);
    }
    m_trackers = kept;
    if (!promotion) m_globalIncidents.clear();
    m_criteria.clear();
    m_criterionRuns.clear();
    if (phase >= 0)
        for (const Condition& c : m_plan.phases[std::size_t(phase)].success)
            m_criteria.push_back(CriterionView{c, Truth::Unknown, {}, 0});
    m_criteriaGreenSinceMs = 0;
    m_criteriaFailingSinceMs = 0;
    m_gateWasOpen = false;
}

QStringList RolloutSession::gateItems(int phase) const
{
    QStringList items;
    // Attestations of the phase being left ("No security incidents") come first.
    const int leaving = phase - 1;
    if (leaving >= 0 && leaving < int(m_plan.phases.size()))
        for (const QString& a : m_plan.phases[std::size_t(leaving)].attest)
            items.append(QStringLiteral("Attest/") + a);
    if (phase >= 0 && phase < int(m_plan.phases.size())) {
        if (const Checklist* list = m_plan.checklist(m_plan.phases[std::size_t(phase)].checklist))
            for (const ChecklistSection& s : list->sections)
                for (const QString& i : s.items)
                    items.append(s.name + QLatin1Char('/') + i);
    }
    return items;
}

GateStatus RolloutSession::gate() const
{
    const qint64 now = m_clock.nowMs();
    if (!m_gateCache || m_gateRevision != m_revision || now < m_gateAtMs || now - m_gateAtMs >= 250) {
        m_gateCache = computeGate();
        m_gateRevision = m_revision;
        m_gateAtMs = now;
    }
    return *m_gateCache;
}

GateStatus RolloutSession::computeGate() const
{
    const qint64 now = m_clock.nowMs();
    GateStatus g;
    g.toPhase = m_phase + 1;
    const int count = int(m_plan.phases.size());
    if (m_complete) {
        g.checks.append({GateCheck::Kind::Time, QStringLiteral("rollout"), CheckState::NotMet,
                         QStringLiteral("complete")});
        return g;
    }
    if (m_paused)
        g.checks.append({GateCheck::Kind::Paused, QStringLiteral("paused"), CheckState::NotMet,
                         QStringLiteral("resume first")});
    for (const Alert& a : m_alerts)
        if (!a.acknowledged)
            g.checks.append({GateCheck::Kind::Alert,
                             QStringLiteral("alert #%1 \"%2\"").arg(a.id).arg(a.trigger), CheckState::NotMet,
                             a.trigger == kDamageHold ? QStringLiteral("held until a person acknowledges it")
                                                      : QStringLiteral("acknowledge or roll back")});
    if (m_driftHold)
        g.checks.append({GateCheck::Kind::Alert, QStringLiteral("flags changed behind the rollout's back"),
                         CheckState::NotMet,
                         QStringLiteral("write the recorded state again (re-apply) or roll back")});
    if (m_retryNotBeforeMs > now)
        g.checks.append({GateCheck::Kind::RetryWait, QStringLiteral("waiting period after rollback"),
                         CheckState::NotMet,
                         QStringLiteral("%1 left").arg(Duration::format(m_retryNotBeforeMs - now))});

    if (m_phase >= 0) {
        const PhaseSpec& ph = m_plan.phases[std::size_t(m_phase)];
        const qint64 inPhase = now - m_phaseStartedMs;
        const bool timeOk = inPhase >= ph.minDurationMs;
        g.opensInMs = timeOk ? 0 : ph.minDurationMs - inPhase;
        g.checks.append(
            {GateCheck::Kind::Time, QStringLiteral("time in phase"),
             timeOk ? CheckState::Met : CheckState::NotMet,
             QStringLiteral("%1 of %2").arg(Duration::format(inPhase), Duration::format(ph.minDurationMs))});
        for (const CriterionView& c : m_criteria) {
            GateCheck check{GateCheck::Kind::Criterion, c.condition.text, CheckState::Met, {}};
            const MetricSpec* m = m_plan.metric(c.condition.metric);
            const Unit unit = m ? m->unit : Unit::None;
            if (c.truth == Truth::Unknown) {
                check.state = CheckState::Inconclusive;
                check.detail =
                    c.last.evidence.present && !c.last.missingData ? EvidenceText::waiting(c.last, unit)
                    : c.last.reason.isEmpty()
                        ? QStringLiteral("inconclusive: not judged yet (no evaluation since the phase began)")
                        : QStringLiteral("inconclusive (%1)").arg(c.last.reason);
            } else if (c.truth == Truth::False) {
                check.state = CheckState::NotMet;
                check.detail = c.last.truth == Truth::Unknown
                                   ? QStringLiteral("no data for longer than %1 counts as failing (%2)")
                                         .arg(Duration::format(m_plan.inconclusiveLimitMs), c.last.reason)
                                   : QStringLiteral("fail: %1").arg(describe(c.last, m));
            } else {
                check.detail = QStringLiteral("pass: %1").arg(describe(c.last, m));
            }
            if (c.condition.dryRun) { // shown, never holds the gate
                check.label = QStringLiteral("%1 (dry run)").arg(check.label);
                check.detail = QStringLiteral("%1: %2").arg(toString(criterionVerdict(c.last)), check.detail);
                check.state = CheckState::Met;
            }
            g.checks.append(check);
        }
        for (const TriggerSpec& t : m_activeTriggers) {
            if (t.kind != TriggerKind::Hard || t.dryRun) continue;
            const auto it = m_trackers.constFind(t.name);
            if (it == m_trackers.constEnd() ||
                (it->state() != TriggerState::Pending && it->state() != TriggerState::Fired))
                continue;
            g.checks.append({GateCheck::Kind::Alert,
                             QStringLiteral("hard trigger \"%1\" holding").arg(t.name), CheckState::NotMet,
                             QStringLiteral("since %1; a gate never opens while it holds")
                                 .arg(Duration::format(now - it->holdingSinceMs()))});
        }
        if (!m_criteria.empty()) {
            const bool allTrue =
                std::all_of(m_criteria.begin(), m_criteria.end(), [](const CriterionView& c) {
                    return c.condition.dryRun || c.truth == Truth::True;
                });
            const qint64 held = (allTrue && m_criteriaGreenSinceMs > 0) ? now - m_criteriaGreenSinceMs : 0;
            const bool heldOk = allTrue && held >= ph.minDurationMs;
            if (!heldOk && ph.minDurationMs > 0) g.opensInMs = std::max(g.opensInMs, ph.minDurationMs - held);
            g.checks.append(
                {GateCheck::Kind::Time, QStringLiteral("criteria held"),
                 heldOk ? CheckState::Met : CheckState::NotMet,
                 QStringLiteral("%1 of %2").arg(Duration::format(held), Duration::format(ph.minDurationMs))});
        }
    }

    const QStringList items = gateItems(g.toPhase);
    const QMap<QString, QString> ticks = m_ticks.value(g.toPhase);
    g.checklistTotal = int(items.size());
    for (const QString& i : items)
        if (ticks.contains(i)) ++g.checklistDone;
    if (g.checklistTotal > 0)
        g.checks.append({GateCheck::Kind::Checklist, QStringLiteral("checklist"),
                         g.checklistDone == g.checklistTotal ? CheckState::Met : CheckState::NotMet,
                         QStringLiteral("%1/%2 ticked").arg(g.checklistDone).arg(g.checklistTotal)});

    if (g.toPhase < count) {
        const PhaseSpec& next = m_plan.phases[std::size_t(g.toPhase)];
        const QList<ApprovalEntry> given = m_approvals.value(g.toPhase);
        for (const ApprovalEntry& a : given)
            if (!a.approve)
                g.checks.append({GateCheck::Kind::Approval,
                                 QStringLiteral("rejected by %1 (%2)").arg(a.actor, a.role),
                                 CheckState::NotMet, a.note});
        for (const ApprovalRequirement& req : next.approvals) {
            int have = 0;
            for (const ApprovalEntry& a : given)
                if (a.approve && a.role == req.role) ++have;
            have = std::min(have, req.count);
            g.approvalsDone += have;
            g.approvalsNeeded += req.count;
            g.checks.append({GateCheck::Kind::Approval,
                             QStringLiteral("%1 approval%2")
                                 .arg(req.role, req.mandatory ? QStringLiteral(" (mandatory)") : QString()),
                             have >= req.count ? CheckState::Met : CheckState::NotMet,
                             QStringLiteral("%1/%2").arg(have).arg(req.count)});
        }
    }
    if (m_phase < 0) {
        for (const MetricSpec& m : m_plan.metrics) {
            if (m.baseline.kind != BaselineSpec::Kind::Captured) continue;
            Condition anyValue; // "any finite value": is there a sample to capture?
            anyValue.metric = m.name;
            anyValue.threshold = -std::numeric_limits<double>::infinity();
            const Judgement j = m_judge->judge(anyValue, m, m_reader, now, std::nullopt);
            if (j.truth == Truth::Unknown)
                g.checks.append({GateCheck::Kind::Baseline, QStringLiteral("baseline of %1").arg(m.name),
                                 CheckState::Inconclusive,
                                 QStringLiteral("cannot be captured: %1").arg(j.reason)});
        }
    }
    g.open = std::all_of(g.checks.begin(), g.checks.end(),
                         [](const GateCheck& c) { return c.state == CheckState::Met; });
    return g;
}

QList<TriggerView> RolloutSession::triggers() const
{
    QList<TriggerView> out;
    const std::vector<TriggerSpec> specs = m_phase >= 0 ? m_activeTriggers : m_plan.triggersFor(0);
    for (const TriggerSpec& t : specs) {
        const TriggerTracker tr = m_trackers.value(t.name);
        const MetricSpec* m = m_plan.metric(t.when.metric);
        out.append({t, m && m_evidence.judges(t.when, *m, m_reader, false), tr.state(), tr.holdingSinceMs(),
                    tr.unknownSinceMs(), tr.last()});
    }
    return out;
}

QList<CriterionView> RolloutSession::criteria() const
{
    return QList<CriterionView>(m_criteria.begin(), m_criteria.end());
}

void RolloutSession::evaluate()
{
    ++m_revision;
    const qint64 now = m_clock.nowMs();
    if (m_complete || m_phase < 0) return; // nothing is exposed: no trigger can hold
    if (held()) {                          // damaged history: nothing is decided automatically
        Q_EMIT stateChanged();
        return;
    }
    const int phaseAtStart = m_phase;
    evaluateTriggers(now);
    if (m_phase != phaseAtStart) {
        Q_EMIT stateChanged();
        return;
    }

    bool allTrue = !m_criteria.empty();
    bool anyFalse = false;
    bool anyWaiting = false; // too little evidence: not holding, so the hold starts again once it passes
    for (std::size_t i = 0; i < m_criteria.size(); ++i) {
        CriterionView& c = m_criteria[i];
        c.last = measureCriterion(i, c.condition, judgeCriterion(c.condition, now), now);
        if (c.last.truth == Truth::Unknown && c.last.missingData) {
            if (c.unknownSinceMs == 0) c.unknownSinceMs = now;
            c.truth = now - c.unknownSinceMs >= m_plan.inconclusiveLimitMs ? Truth::False : Truth::Unknown;
        } else {
            // Too little evidence is not missing data: the phase waits for it (extended, never promoted).
            c.unknownSinceMs = 0;
            c.truth = c.last.truth;
        }
        if (c.condition.dryRun) continue; // judged and shown; never holds the gate
        anyWaiting = anyWaiting || (c.truth == Truth::Unknown && !c.last.missingData);
        allTrue = allTrue && c.truth == Truth::True;
        anyFalse = anyFalse || c.truth == Truth::False;
    }
    // A breach shorter than the plan's grace does not restart the window (one noisy sample at
    // 1% traffic must not cost a day), but the gate stays closed while anything fails.
    if (anyFalse) {
        if (m_criteriaFailingSinceMs == 0) m_criteriaFailingSinceMs = now;
        if (now - m_criteriaFailingSinceMs >= m_plan.criteriaGraceMs) m_criteriaGreenSinceMs = 0;
    } else {
        m_criteriaFailingSinceMs = 0;
        if (anyWaiting) m_criteriaGreenSinceMs = 0;
        if (allTrue && m_criteriaGreenSinceMs == 0) m_criteriaGreenSinceMs = now;
    }
    // Unknown within the limit keeps the window but blocks the gate (see gate()).
    ++m_revision;

    const GateStatus g = gate();
    if (g.open != m_gateWasOpen) {
        m_gateWasOpen = g.open;
        RolloutEvent e;
        e.type = g.open ? EventType::GateOpened : EventType::GateClosed;
        e.fromPhase = m_phase;
        e.toPhase = g.toPhase;
        e.reason = g.open ? QString() : g.missing();
        record(e);
    }
    if (g.open && !m_paused && m_phase >= 0 && m_plan.phases[std::size_t(m_phase)].autoPromote)
        advance(Actor::automation());
    Q_EMIT stateChanged();
}

ActionResult RolloutSession::doRollback(const Actor& actor, const QString& reason, bool toZero,
                                        const QString& trigger, qint64 sinceMs, qint64 now)
{
    if (m_phase < 0 && !m_complete)
        return ActionResult::done(QStringLiteral("already at zero: nothing to roll back"));
    const int from = m_complete ? int(m_plan.phases.size()) - 1 : m_phase;
    const int to = toZero ? -1 : from - 1;
    RolloutEvent e;
    e.type = EventType::RolledBack;
    e.fromPhase = from;
    e.toPhase = to;
    e.actor = actor.id;
    e.role = actor.role;
    e.automatic = !trigger.isEmpty();
    e.trigger = trigger;
    e.action = toZero ? TriggerAction::RollbackToZero : TriggerAction::RollbackPrevious;
    e.sinceMs = sinceMs;
    e.values = snapshot();
    e.reason = reason;
    m_complete = false;
    m_rolledBack = true;
    m_rolledBackAtMs = now;
    m_paused = false;
    m_retryNotBeforeMs = now + m_plan.retryAfterRollbackMs;
    voidSignOffsAbove(to, now); // sign-offs for what was rolled back are given again
    for (Alert& a : m_alerts)   // the rollback is the decision on open alerts (damage needs its own)
        if (a.trigger != kDamageHold) a.acknowledged = true;
    enterPhase(to, now);
    record(e);
    Q_EMIT stateChanged();
    return ActionResult::done(
        QStringLiteral("rolled back to %1")
            .arg(to < 0 ? QStringLiteral("zero") : m_plan.phases[std::size_t(to)].name));
}

ActionResult RolloutSession::advance(const Actor& actor)
{
    if (const QString why = guardRefusal(actor, EventType::PhaseAdvanced); !why.isEmpty())
        return ActionResult::refused(why);
    const GateStatus g = computeGate();
    if (m_complete) return ActionResult::refused(QStringLiteral("the rollout is complete"));
    if (!g.open) return ActionResult::refused(QStringLiteral("the gate is not open: %1").arg(g.missing()));
    const qint64 now = m_clock.nowMs();
    RolloutEvent e;
    e.fromPhase = m_phase;
    e.toPhase = g.toPhase;
    e.actor = actor.id;
    e.role = actor.role;
    e.automatic = actor.id == Actor::automation().id; // the engine's own auto-promotion or auto-start
    e.values = snapshot();
    e.gate = gateRecord(g, false);
    if (m_phase < 0 && !m_rolledBack) {
        for (const MetricSpec& m : m_plan.metrics) {
            if (m.baseline.kind != BaselineSpec::Kind::Captured) continue;
            const auto s = m_reader.latest(m.name, Series::Canary);
            if (!s) continue; // gate() made sure there is one
            m_capturedBaselines.insert(m.name, s->value);
            RolloutEvent b;
            b.type = EventType::BaselineCaptured;
            b.toPhase = 0;
            b.values.insert(m.name, s->value);
            b.reason = QStringLiteral("%1 = %2").arg(m.name, ConditionParser::formatValue(s->value, m.unit));
            record(b);
        }
    }
    if (m_phase < 0) m_evidenceSinceMs = now; // the rollout (re)starts: the canary's evidence starts here
    m_rolledBack = false;
    if (g.toPhase >= int(m_plan.phases.size())) {
        m_complete = true;
        e.type = EventType::Completed;
        e.reason = QStringLiteral("left the last phase \"%1\"").arg(m_plan.phases.back().name);
        record(e);
        Q_EMIT stateChanged();
        return ActionResult::done(QStringLiteral("rollout complete"));
    }
    enterPhase(g.toPhase, now);
    e.type = EventType::PhaseAdvanced;
    e.reason = QStringLiteral("entered \"%1\" at %2% traffic")
                   .arg(m_plan.phases[std::size_t(m_phase)].name)
                   .arg(currentTraffic());
    record(e);
    Q_EMIT stateChanged();
    return ActionResult::done(e.reason);
}

ActionResult RolloutSession::pause(const Actor& actor, const QString& reason)
{
    if (const QString why = guardRefusal(actor, EventType::Paused); !why.isEmpty())
        return ActionResult::refused(why);
    if (m_paused) return ActionResult::done(QStringLiteral("already paused"));
    m_paused = true;
    RolloutEvent e;
    e.type = EventType::Paused;
    e.fromPhase = e.toPhase = m_phase;
    e.actor = actor.id;
    e.role = actor.role;
    e.reason = reason;
    record(e);
    Q_EMIT stateChanged();
    return ActionResult::done();
}

ActionResult RolloutSession::resume(const Actor& actor)
{
    if (const QString why = guardRefusal(actor, EventType::Resumed); !why.isEmpty())
        return ActionResult::refused(why);
    if (!m_paused) return ActionResult::done(QStringLiteral("not paused"));
    m_paused = false;
    RolloutEvent e;
    e.type = EventType::Resumed;
    e.fromPhase = e.toPhase = m_phase;
    e.actor = actor.id;
    e.role = actor.role;
    record(e);
    Q_EMIT stateChanged();
    return ActionResult::done();
}

ActionResult RolloutSession::rollback(const Actor& actor, const QString& reason, bool toZero)
{
    return doRollback(actor, reason, toZero, {}, 0, m_clock.nowMs());
}

ActionResult RolloutSession::acknowledgeAlert(int alertId, const Actor& actor, const QString& note)
{
    if (const QString why = guardRefusal(actor, EventType::AlertAcknowledged); !why.isEmpty())
        return ActionResult::refused(why);
    for (Alert& a : m_alerts) {
        if (a.id != alertId) continue;
        if (a.acknowledged) return ActionResult::done(QStringLiteral("already acknowledged"));
        a.acknowledged = true;
        RolloutEvent e;
        e.type = EventType::AlertAcknowledged;
        e.fromPhase = e.toPhase = m_phase;
        e.actor = actor.id;
        e.role = actor.role;
        e.alertId = alertId;
        e.trigger = a.trigger;
        e.note = note;
        record(e);
        Q_EMIT stateChanged();
        return ActionResult::done();
    }
    return ActionResult::refused(QStringLiteral("no alert #%1").arg(alertId));
}

ActionResult RolloutSession::setChecklistItem(int phase, const QString& item, bool ticked, const Actor& actor)
{
    if (const QString why = guardRefusal(actor, EventType::ChecklistItemSet); !why.isEmpty())
        return ActionResult::refused(why);
    if (!gateItems(phase).contains(item))
        return ActionResult::refused(
            QStringLiteral("\"%1\" is not on the checklist for phase %2").arg(item).arg(phase + 1));
    QMap<QString, QString>& ticks = m_ticks[phase];
    if (ticked == ticks.contains(item)) return ActionResult::done(QStringLiteral("unchanged"));
    if (ticked)
        ticks.insert(item, actor.id);
    else
        ticks.remove(item);
    RolloutEvent e;
    e.type = EventType::ChecklistItemSet;
    e.fromPhase = m_phase;
    e.toPhase = phase;
    e.actor = actor.id;
    e.role = actor.role;
    e.item = item;
    e.ticked = ticked;
    record(e);
    Q_EMIT stateChanged();
    return ActionResult::done();
}

ActionResult RolloutSession::recordApproval(int phase, const Actor& actor, bool approve, const QString& note)
{
    if (const QString why = guardRefusal(actor, EventType::ApprovalRecorded); !why.isEmpty())
        return ActionResult::refused(why);
    if (phase < 0 || phase >= int(m_plan.phases.size()))
        return ActionResult::refused(QStringLiteral("no phase %1").arg(phase + 1));
    const PhaseSpec& ph = m_plan.phases[std::size_t(phase)];
    const bool needed = std::any_of(ph.approvals.begin(), ph.approvals.end(),
                                    [&](const ApprovalRequirement& r) { return r.role == actor.role; });
    if (!needed)
        return ActionResult::refused(
            QStringLiteral("phase \"%1\" needs no %2 approval").arg(ph.name, actor.role));
    if (!personHasRole(actor.id, actor.role))
        return ActionResult::refused(
            QStringLiteral("%1 does not hold the role %2 in this plan's people").arg(actor.id, actor.role));
    QList<ApprovalEntry>& list = m_approvals[phase];
    const qint64 now = m_clock.nowMs();
    auto it = std::find_if(list.begin(), list.end(), [&](const ApprovalEntry& a) {
        return a.actor == actor.id && a.role == actor.role;
    });
    if (it != list.end())
        *it = {actor.id, actor.role, approve, note, now};
    else
        list.append({actor.id, actor.role, approve, note, now});
    RolloutEvent e;
    e.type = EventType::ApprovalRecorded;
    e.fromPhase = m_phase;
    e.toPhase = phase;
    e.actor = actor.id;
    e.role = actor.role;
    e.approve = approve;
    e.note = note;
    record(e);
    Q_EMIT stateChanged();
    return ActionResult::done();
}

void RolloutSession::recordFlagOutcome(bool verified, const QString& summary,
                                       const QMap<QString, double>& percents)
{
    RolloutEvent e;
    e.type = verified ? EventType::FlagsVerified : EventType::FlagsNotVerified;
    e.fromPhase = e.toPhase = m_phase;
    e.actor = Actor::automation().id;
    e.role = Actor::automation().role;
    e.automatic = true;
    e.values = percents;
    e.reason = summary;
    record(e);
}

ActionResult RolloutSession::addNote(const Actor& actor, const QString& note)
{
    if (const QString why = guardRefusal(actor, EventType::NoteAdded); !why.isEmpty())
        return ActionResult::refused(why);
    if (note.trimmed().isEmpty()) return ActionResult::refused(QStringLiteral("the note is empty"));
    RolloutEvent e;
    e.type = EventType::NoteAdded;
    e.fromPhase = e.toPhase = m_phase;
    e.actor = actor.id;
    e.role = actor.role;
    e.note = note.trimmed();
    record(e);
    return ActionResult::done();
}

void RolloutSession::voidSignOffsAbove(int phase, qint64 atMs)
{
    for (auto it = m_ticks.begin(); it != m_ticks.end();)
        it = it.key() > phase ? m_ticks.erase(it) : std::next(it);
    for (auto it = m_approvals.begin(); it != m_approvals.end();) {
        if (it.key() <= phase) {
            ++it;
            continue;
        }
        for (ApprovalEntry a : std::as_const(it.value())) {
            a.supersededMs = atMs;
            m_supersededApprovals[it.key()].append(a);
        }
        it = m_approvals.erase(it);
    }
}

} // namespace rollout
