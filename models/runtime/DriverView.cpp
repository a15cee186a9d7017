#include "runtime/DriverView.h"

#include "judge/EvidenceText.h"
#include "ledger/SharedStore.h"
#include "plan/Duration.h"
#include "runtime/FlagSync.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace rollout {

namespace {

constexpr int Format = 1;

template <typename Enum> std::optional<Enum> parseEnum(const QString& name, std::initializer_list<Enum> all)
{
    for (Enum e : all)
        if (toString(e) == name) return e;
    return std::nullopt;
}

QJsonObject toObject(const DriverView& v, bool withTime)
{
    QJsonObject o{{QStringLiteral("format"), Format},
                  {QStringLiteral("rollout"), v.rollout},
                  {QStringLiteral("driver"), QJsonObject{{QStringLiteral("kind"), v.driverKind},
                                                         {QStringLiteral("person"), v.driverPerson},
                                                         {QStringLiteral("host"), v.driverHost},
                                                         {QStringLiteral("pid"), v.driverPid}}},
                  {QStringLiteral("state"), v.state},
                  {QStringLiteral("phase"), v.phase},
                  {QStringLiteral("complete"), v.complete},
                  {QStringLiteral("phases"), v.phases},
                  {QStringLiteral("phase_name"), v.phaseName}};
    if (withTime) o.insert(QStringLiteral("evaluated_ms"), v.evaluatedMs);
    QJsonArray checks;
    for (const GateCheck& c : v.gate.checks)
        checks.append(QJsonObject{{QStringLiteral("kind"), toString(c.kind)},
                                  {QStringLiteral("label"), c.label},
                                  {QStringLiteral("state"), toString(c.state)},
                                  {QStringLiteral("detail"), c.detail}});
    o.insert(QStringLiteral("gate"), QJsonObject{{QStringLiteral("to_phase"), v.gate.toPhase},
                                                 {QStringLiteral("open"), v.gate.open},
                                                 {QStringLiteral("approvals_done"), v.gate.approvalsDone},
                                                 {QStringLiteral("approvals_needed"), v.gate.approvalsNeeded},
                                                 {QStringLiteral("checklist_done"), v.gate.checklistDone},
                                                 {QStringLiteral("checklist_total"), v.gate.checklistTotal},
                                                 {QStringLiteral("checks"), checks}});
    QJsonArray triggers;
    for (const DriverView::Trigger& t : v.triggers)
        triggers.append(QJsonObject{{QStringLiteral("name"), t.name},
                                    {QStringLiteral("kind"), t.kind},
                                    {QStringLiteral("state"), t.state},
                                    {QStringLiteral("verdict"), t.verdict},
                                    {QStringLiteral("now"), t.now},
                                    {QStringLiteral("holding_since_ms"), t.holdingSinceMs}});
    o.insert(QStringLiteral("triggers"), triggers);
    QJsonArray flags;
    for (const DriverView::Flag& f : v.flags)
        flags.append(QJsonObject{{QStringLiteral("flag"), f.flag},
                                 {QStringLiteral("backend"), f.backend},
                                 {QStringLiteral("state"), f.state},
                                 {QStringLiteral("error"), f.error}});
    o.insert(QStringLiteral("flags"), QJsonObject{{QStringLiteral("read"), v.flagsRead},
                                                  {QStringLiteral("read_ok"), v.flagsReadOk},
                                                  {QStringLiteral("summary"), v.flagsSummary},
                                                  {QStringLiteral("each"), flags},
                                                  {QStringLiteral("drifting"), v.drifting},
                                                  {QStringLiteral("drift"), v.drift}});
    return o;
}

} // namespace

QString DriverView::triggerNow(const TriggerView& t, const Plan& plan)
{
    const MetricSpec* m = plan.metric(t.spec.when.metric);
    if (t.last.missingData || (t.last.truth == Truth::Unknown && !t.last.evidence.present))
        return QStringLiteral("no data");
    return EvidenceText::compact(t.last, m ? m->unit : Unit::None);
}

QString DriverView::triggerVerdict(const TriggerView& t)
{
    if (t.last.missingData) return QStringLiteral("inconclusive (no data)");
    const QString v = toString(rollout::triggerVerdict(t.last));
    return t.spec.dryRun ? QStringLiteral("%1 (dry run)").arg(v) : v;
}

DriverView DriverView::of(const RolloutSession& session, const FlagSync* flags, const LeaseHolder& me,
                          qint64 nowMs)
{
    DriverView v;
    v.rollout = session.plan().rollout;
    v.driverKind = me.kind;
    v.driverPerson = me.person;
    v.driverHost = me.host;
    v.driverPid = me.pid;
    v.evaluatedMs = nowMs;
    v.state = toString(session.state());
    v.phase = session.currentPhase();
    v.complete = session.isComplete();
    v.phases = int(session.plan().phases.size());
    if (v.phase >= 0 && v.phase < v.phases) v.phaseName = session.plan().phases[std::size_t(v.phase)].name;
    v.gate = session.gate();
    v.gate.opensInMs = 0; // a countdown: the time check's detail says it, without publishing every tick
    for (const TriggerView& t : session.triggers())
        v.triggers.append(Trigger{
            t.spec.name, t.spec.kind == TriggerKind::Hard ? QStringLiteral("hard") : QStringLiteral("soft"),
            toString(t.state), triggerVerdict(t), triggerNow(t, session.plan()), t.holdingSinceMs});
    if (flags && !flags->lastRead().results.isEmpty()) {
        const FlagChangeReport& read = flags->lastRead();
        v.flagsRead = true;
        v.flagsReadOk = read.allVerified();
        v.flagsSummary = read.summary();
        for (const FlagResult& r : read.results)
            v.flags.append(Flag{r.flag, r.backend,
                                r.verified ? r.after.describe() : QStringLiteral("unknown"),
                                r.verified ? QString() : r.message});
    }
    v.drifting = session.drifting();
    v.drift = session.driftSummary();
    return v;
}

QJsonObject DriverView::toObject() const
{
    return rollout::toObject(*this, true);
}

QByteArray DriverView::toJson() const
{
    return QJsonDocument(toObject()).toJson(QJsonDocument::Compact);
}

bool DriverView::sameAs(const DriverView& other) const
{
    return rollout::toObject(*this, false) == rollout::toObject(other, false);
}

std::optional<DriverView> DriverView::fromJson(const QByteArray& json, QString* error)
{
    QJsonParseError parse;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parse);
    if (parse.error != QJsonParseError::NoError || !doc.isObject()) {
        *error = QStringLiteral("driver view: not a JSON object (%1 at offset %2)")
                     .arg(parse.errorString())
                     .arg(parse.offset);
        return std::nullopt;
    }
    const QJsonObject o = doc.object();
    if (o.value(QStringLiteral("format")).toInt() != Format) {
        *error = QStringLiteral("driver view: field \"format\" is %1, this build reads %2")
                     .arg(o.value(QStringLiteral("format")).toVariant().toString())
                     .arg(Format);
        return std::nullopt;
    }
    DriverView v;
    v.rollout = o.value(QStringLiteral("rollout")).toString();
    const QJsonObject d = o.value(QStringLiteral("driver")).toObject();
    v.driverKind = d.value(QStringLiteral("kind")).toString();
    v.driverPerson = d.value(QStringLiteral("person")).toString();
    v.driverHost = d.value(QStringLiteral("host")).toString();
    v.driverPid = d.value(QStringLiteral("pid")).toInteger();
    v.evaluatedMs = o.value(QStringLiteral("evaluated_ms")).toInteger();
    v.state = o.value(QStringLiteral("state")).toString();
    v.phase = o.value(QStringLiteral("phase")).toInt(-1);
    v.complete = o.value(QStringLiteral("complete")).toBool();
    v.phases = o.value(QStringLiteral("phases")).toInt();
    v.phaseName = o.value(QStringLiteral("phase_name")).toString();
    const QJsonObject g = o.value(QStringLiteral("gate")).toObject();
    v.gate.toPhase = g.value(QStringLiteral("to_phase")).toInt();
    v.gate.open = g.value(QStringLiteral("open")).toBool();
    v.gate.approvalsDone = g.value(QStringLiteral("approvals_done")).toInt();
    v.gate.approvalsNeeded = g.value(QStringLiteral("approvals_needed")).toInt();
    v.gate.checklistDone = g.value(QStringLiteral("checklist_done")).toInt();
    v.gate.checklistTotal = g.value(QStringLiteral("checklist_total")).toInt();
    const QJsonArray checks = g.value(QStringLiteral("checks")).toArray();
    for (qsizetype i = 0; i < checks.size(); ++i) {
        const QJsonObject c = checks.at(i).toObject();
        using K = GateCheck::Kind;
        const auto kind = parseEnum<K>(c.value(QStringLiteral("kind")).toString(),
                                       {K::Time, K::Criterion, K::Attestation, K::Checklist, K::Approval,
                                        K::RetryWait, K::Paused, K::Alert, K::Baseline});
        const auto state =
            parseEnum<CheckState>(c.value(QStringLiteral("state")).toString(),
                                  {CheckState::Met, CheckState::NotMet, CheckState::Inconclusive});
        if (!kind || !state) {
            *error = QStringLiteral("driver view: gate.checks[%1]: unknown %2 \"%3\"")
                         .arg(i)
                         .arg(kind ? QStringLiteral("state") : QStringLiteral("kind"))
                         .arg(c.value(kind ? QStringLiteral("state") : QStringLiteral("kind")).toString());
            return std::nullopt;
        }
        v.gate.checks.append(GateCheck{*kind, c.value(QStringLiteral("label")).toString(), *state,
                                       c.value(QStringLiteral("detail")).toString()});
    }
    for (const QJsonValue& tv : o.value(QStringLiteral("triggers")).toArray()) {
        const QJsonObject t = tv.toObject();
        v.triggers.append(
            Trigger{t.value(QStringLiteral("name")).toString(), t.value(QStringLiteral("kind")).toString(),
                    t.value(QStringLiteral("state")).toString(),
                    t.value(QStringLiteral("verdict")).toString(), t.value(QStringLiteral("now")).toString(),
                    t.value(QStringLiteral("holding_since_ms")).toInteger()});
    }
    const QJsonObject f = o.value(QStringLiteral("flags")).toObject();
    v.flagsRead = f.value(QStringLiteral("read")).toBool();
    v.flagsReadOk = f.value(QStringLiteral("read_ok")).toBool();
    v.flagsSummary = f.value(QStringLiteral("summary")).toString();
    for (const QJsonValue& fv : f.value(QStringLiteral("each")).toArray()) {
        const QJsonObject e = fv.toObject();
        v.flags.append(
            Flag{e.value(QStringLiteral("flag")).toString(), e.value(QStringLiteral("backend")).toString(),
                 e.value(QStringLiteral("state")).toString(), e.value(QStringLiteral("error")).toString()});
    }
    v.drifting = f.value(QStringLiteral("drifting")).toBool();
    v.drift = f.value(QStringLiteral("drift")).toString();
    return v;
}

QString DriverView::driver() const
{
    return QStringLiteral("%1 (%2) on %3, pid %4").arg(driverKind, driverPerson, driverHost).arg(driverPid);
}

QString DriverView::verdictKey(const GateStatus& gate)
{
    QString key = QStringLiteral("%1 %2 %3/%4 %5/%6")
                      .arg(gate.toPhase)
                      .arg(gate.open)
                      .arg(gate.approvalsDone)
                      .arg(gate.approvalsNeeded)
                      .arg(gate.checklistDone)
                      .arg(gate.checklistTotal);
    for (const GateCheck& c : gate.checks)
        key += QLatin1Char('|') + c.label + QLatin1Char('=') + toString(c.state);
    return key;
}

QString DriverView::gateLine(const GateStatus& gate, const Plan& plan)
{
    const QString to = gate.toPhase >= int(plan.phases.size())
                           ? QStringLiteral("completion")
                           : QStringLiteral("phase %1").arg(gate.toPhase + 1);
    QStringList parts;
    for (const GateCheck& c : gate.checks) {
        if (c.state == CheckState::Met) continue;
        if (c.kind == GateCheck::Kind::Approval) continue; // counted below
        QString detail = c.detail;
        if (detail.startsWith(QLatin1String("waiting for evidence: ")))
            detail = QStringLiteral("waiting for evidence, ") + detail.mid(22);
        parts.append(detail.isEmpty() ? c.label : c.label + QLatin1Char(' ') + detail);
    }
    if (gate.approvalsNeeded > 0)
        parts.append(QStringLiteral("%1 of %2 approvals").arg(gate.approvalsDone).arg(gate.approvalsNeeded));
    return QStringLiteral("gate to %1: %2")
        .arg(to, gate.open ? QStringLiteral("open") : parts.join(QStringLiteral("; ")));
}

QString DriverView::ageText() const
{
    QString s = ageMs < 60000 ? QStringLiteral("%1 s ago").arg(double(ageMs) / 1000.0, 0, 'f', 1)
                              : QStringLiteral("%1 ago").arg(Duration::format(ageMs));
    if (!driverLive) s += QStringLiteral(" — its driver no longer holds the lease");
    return s;
}

} // namespace rollout
