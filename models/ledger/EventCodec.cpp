#include "ledger/EventCodec.h"

#include <QJsonArray>
#include <cmath>
#include <limits>

namespace rollout {

namespace {

constexpr EventType kAll[] = {
    EventType::PhaseAdvanced,     EventType::Completed,        EventType::Paused,
    EventType::Resumed,           EventType::RolledBack,       EventType::TriggerPending,
    EventType::TriggerCleared,    EventType::TriggerFired,     EventType::AlertRaised,
    EventType::AlertAcknowledged, EventType::ChecklistItemSet, EventType::ApprovalRecorded,
    EventType::GateOpened,        EventType::GateClosed,       EventType::BaselineCaptured,
    EventType::NoteAdded,         EventType::FlagsVerified,    EventType::FlagsNotVerified,
    EventType::AdvanceClaimed,    EventType::PhaseOverridden,  EventType::SegmentHeld,
    EventType::FlagDrift,         EventType::ActionStepDone,   EventType::Escalated,
    EventType::FlagsReapplied,    EventType::Countersigned};

std::optional<TriggerAction> actionFromString(const QString& s)
{
    for (TriggerAction a : {TriggerAction::RollbackPrevious, TriggerAction::RollbackToZero,
                            TriggerAction::Pause, TriggerAction::Alert})
        if (toString(a) == s) return a;
    return std::nullopt;
}

void putFinite(QJsonObject& o, const QString& key, double v)
{
    if (std::isfinite(v)) o.insert(key, v);
}

double finiteOr(const QJsonObject& o, const QString& key)
{
    return o.value(key).isDouble() ? o.value(key).toDouble() : std::numeric_limits<double>::quiet_NaN();
}

// A verdict's numbers, so that an auditor sees why (docs/ledger-format.md, "evidence").
QJsonObject evidenceToJson(const Evidence& e)
{
    QJsonObject o;
    o.insert(QStringLiteral("method"), e.method);
    o.insert(QStringLiteral("level"), e.level);
    o.insert(QStringLiteral("window"), e.window);
    o.insert(QStringLiteral("from_ms"), double(e.fromMs));
    o.insert(QStringLiteral("to_ms"), double(e.toMs));
    QJsonObject canary;
    putFinite(canary, QStringLiteral("estimate"), e.canaryEstimate);
    putFinite(canary, QStringLiteral("lower"), e.canaryLower);
    putFinite(canary, QStringLiteral("upper"), e.canaryUpper);
    if (e.canaryTrials > 0 || e.isRate()) {
        canary.insert(QStringLiteral("events"), e.canaryEvents);
        canary.insert(QStringLiteral("trials"), e.canaryTrials);
    } else {
        canary.insert(QStringLiteral("samples"), e.canarySamples);
    }
    o.insert(QStringLiteral("canary"), canary);
    if (e.hasBaseline) {
        QJsonObject base;
        putFinite(base, QStringLiteral("estimate"), e.baselineEstimate);
        putFinite(base, QStringLiteral("lower"), e.baselineLower);
        putFinite(base, QStringLiteral("upper"), e.baselineUpper);
        if (e.isRate()) {
            base.insert(QStringLiteral("events"), e.baselineEvents);
            base.insert(QStringLiteral("trials"), e.baselineTrials);
        } else {
            base.insert(QStringLiteral("samples"), e.baselineSamples);
        }
        o.insert(QStringLiteral("baseline"), base);
    }
    QJsonObject d;
    putFinite(d, QStringLiteral("estimate"), e.difference);
    putFinite(d, QStringLiteral("lower"), e.differenceLower);
    putFinite(d, QStringLiteral("upper"), e.differenceUpper);
    o.insert(QStringLiteral("difference"), d);
    if (e.moreNeeded > 0) o.insert(QStringLiteral("more_needed"), e.moreNeeded);
    if (e.approximate) o.insert(QStringLiteral("approximate"), true);
    return o;
}

Evidence evidenceFromJson(const QJsonObject& o)
{
    Evidence e;
    e.present = true;
    e.method = o.value(QStringLiteral("method")).toString();
    e.level = o.value(QStringLiteral("level")).toDouble();
    e.window = o.value(QStringLiteral("window")).toString();
    e.fromMs = qint64(o.value(QStringLiteral("from_ms")).toDouble());
    e.toMs = qint64(o.value(QStringLiteral("to_ms")).toDouble());
    const QJsonObject c = o.value(QStringLiteral("canary")).toObject();
    e.canaryEstimate = finiteOr(c, QStringLiteral("estimate"));
    e.canaryLower = finiteOr(c, QStringLiteral("lower"));
    e.canaryUpper = finiteOr(c, QStringLiteral("upper"));
    e.canaryEvents = c.value(QStringLiteral("events")).toDouble();
    e.canaryTrials = c.value(QStringLiteral("trials")).toDouble();
    e.canarySamples = c.value(QStringLiteral("samples")).toInt();
    if (o.contains(QStringLiteral("baseline"))) {
        const QJsonObject b = o.value(QStringLiteral("baseline")).toObject();
        e.hasBaseline = true;
        e.baselineEstimate = finiteOr(b, QStringLiteral("estimate"));
        e.baselineLower = finiteOr(b, QStringLiteral("lower"));
        e.baselineUpper = finiteOr(b, QStringLiteral("upper"));
        e.baselineEvents = b.value(QStringLiteral("events")).toDouble();
        e.baselineTrials = b.value(QStringLiteral("trials")).toDouble();
        e.baselineSamples = b.value(QStringLiteral("samples")).toInt();
    }
    const QJsonObject d = o.value(QStringLiteral("difference")).toObject();
    e.difference = finiteOr(d, QStringLiteral("estimate"));
    e.differenceLower = finiteOr(d, QStringLiteral("lower"));
    e.differenceUpper = finiteOr(d, QStringLiteral("upper"));
    e.moreNeeded = o.value(QStringLiteral("more_needed")).toDouble();
    e.approximate = o.value(QStringLiteral("approximate")).toBool();
    return e;
}

QJsonArray stringsToJson(const QStringList& list)
{
    QJsonArray a;
    for (const QString& s : list)
        a.append(s);
    return a;
}

QStringList stringsFromJson(const QJsonValue& v)
{
    QStringList out;
    for (const QJsonValue& s : v.toArray())
        out.append(s.toString());
    return out;
}

// The gate a phase was entered on (docs/ledger-format.md, "gate").
QJsonObject gateToJson(const GateRecord& g)
{
    QJsonArray checks;
    for (const GateCheckRecord& c : g.checks) {
        QJsonObject o;
        o.insert(QStringLiteral("kind"), c.kind);
        o.insert(QStringLiteral("label"), c.label);
        o.insert(QStringLiteral("state"), c.state);
        if (!c.detail.isEmpty()) o.insert(QStringLiteral("detail"), c.detail);
        if (c.evidence.present) o.insert(QStringLiteral("evidence"), evidenceToJson(c.evidence));
        checks.append(o);
    }
    QJsonObject o;
    o.insert(QStringLiteral("checks"), checks);
    o.insert(QStringLiteral("time_in_phase_ms"), double(g.timeInPhaseMs));
    o.insert(QStringLiteral("ticked"), stringsToJson(g.ticked));
    o.insert(QStringLiteral("approvals"), stringsToJson(g.approvals));
    if (!g.skipped.isEmpty()) o.insert(QStringLiteral("skipped"), stringsToJson(g.skipped));
    return o;
}

GateRecord gateFromJson(const QJsonObject& o)
{
    GateRecord g;
    g.present = true;
    for (const QJsonValue& v : o.value(QStringLiteral("checks")).toArray()) {
        const QJsonObject c = v.toObject();
        GateCheckRecord check{c.value(QStringLiteral("kind")).toString(),
                              c.value(QStringLiteral("label")).toString(),
                              c.value(QStringLiteral("state")).toString(),
                              c.value(QStringLiteral("detail")).toString(),
                              {}};
        if (c.value(QStringLiteral("evidence")).isObject())
            check.evidence = evidenceFromJson(c.value(QStringLiteral("evidence")).toObject());
        g.checks.append(check);
    }
    g.timeInPhaseMs = qint64(o.value(QStringLiteral("time_in_phase_ms")).toDouble());
    g.ticked = stringsFromJson(o.value(QStringLiteral("ticked")));
    g.approvals = stringsFromJson(o.value(QStringLiteral("approvals")));
    g.skipped = stringsFromJson(o.value(QStringLiteral("skipped")));
    return g;
}

} // namespace

bool EventCodec::isRecorded(EventType type)
{
    switch (type) {
    case EventType::TriggerPending:
    case EventType::TriggerCleared:
    case EventType::GateOpened:
    case EventType::GateClosed:
        return false;
    default:
        return true;
    }
}

std::optional<EventType> EventCodec::typeFromString(const QString& name)
{
    for (EventType t : kAll)
        if (toString(t) == name) return t;
    return std::nullopt;
}

QJsonObject EventCodec::toPayload(const RolloutEvent& e)
{
    QJsonObject o;
    o.insert(QStringLiteral("from_phase"), e.fromPhase);
    o.insert(QStringLiteral("to_phase"), e.toPhase);
    o.insert(QStringLiteral("automatic"), e.automatic);
    if (!e.trigger.isEmpty()) {
        o.insert(QStringLiteral("trigger"), e.trigger);
        o.insert(QStringLiteral("action"), toString(e.action));
        o.insert(QStringLiteral("since_ms"), double(e.sinceMs));
    }
    if (!e.values.isEmpty()) {
        QJsonObject values;
        for (auto it = e.values.begin(); it != e.values.end(); ++it)
            values.insert(it.key(), it.value());
        o.insert(QStringLiteral("values"), values);
    }
    if (!e.reason.isEmpty()) o.insert(QStringLiteral("reason"), e.reason);
    if (!e.note.isEmpty()) o.insert(QStringLiteral("note"), e.note);
    if (e.type == EventType::ChecklistItemSet) {
        o.insert(QStringLiteral("item"), e.item);
        o.insert(QStringLiteral("ticked"), e.ticked);
    }
    if (e.type == EventType::ApprovalRecorded)
        o.insert(QStringLiteral("decision"),
                 e.approve ? QStringLiteral("approve") : QStringLiteral("reject"));
    if (e.alertId) o.insert(QStringLiteral("alert_id"), e.alertId);
    if (e.type == EventType::SegmentHeld) {
        o.insert(QStringLiteral("segment"), e.segment);
        o.insert(QStringLiteral("held"), e.held);
    }
    if (e.type == EventType::FlagDrift) o.insert(QStringLiteral("drift"), e.held);
    if (e.type == EventType::ActionStepDone) {
        o.insert(QStringLiteral("step"), e.step);
        o.insert(QStringLiteral("outcome"), e.outcome);
    }
    if (e.type == EventType::Escalated) o.insert(QStringLiteral("severity"), e.severity);
    if (e.dryRun) o.insert(QStringLiteral("dry_run"), true);
    if (e.evidence.present) o.insert(QStringLiteral("evidence"), evidenceToJson(e.evidence));
    if (e.gate.present) o.insert(QStringLiteral("gate"), gateToJson(e.gate));
    if (!e.refersTo.isEmpty()) o.insert(QStringLiteral("countersigns"), e.refersTo);
    return o;
}

std::optional<RolloutEvent> EventCodec::fromRecord(const QString& type, const QJsonObject& p,
                                                   const QString& actor, const QString& role, qint64 atMs,
                                                   QString* problem)
{
    const std::optional<EventType> t = typeFromString(type);
    if (!t) {
        *problem = QStringLiteral("unknown record type \"%1\"").arg(type);
        return std::nullopt;
    }
    if (!p.value(QStringLiteral("from_phase")).isDouble() ||
        !p.value(QStringLiteral("to_phase")).isDouble()) {
        *problem = QStringLiteral("%1 record without from_phase/to_phase").arg(type);
        return std::nullopt;
    }
    RolloutEvent e;
    e.type = *t;
    e.atMs = atMs;
    e.actor = actor;
    e.role = role;
    e.fromPhase = p.value(QStringLiteral("from_phase")).toInt();
    e.toPhase = p.value(QStringLiteral("to_phase")).toInt();
    e.automatic = p.value(QStringLiteral("automatic")).toBool();
    e.trigger = p.value(QStringLiteral("trigger")).toString();
    if (p.contains(QStringLiteral("action"))) {
        const std::optional<TriggerAction> a = actionFromString(p.value(QStringLiteral("action")).toString());
        if (!a) {
            *problem = QStringLiteral("%1 record with unknown action \"%2\"")
                           .arg(type, p.value(QStringLiteral("action")).toString());
            return std::nullopt;
        }
        e.action = *a;
    }
    e.sinceMs = qint64(p.value(QStringLiteral("since_ms")).toDouble());
    const QJsonObject values = p.value(QStringLiteral("values")).toObject();
    for (auto it = values.begin(); it != values.end(); ++it)
        e.values.insert(it.key(), it.value().toDouble());
    e.reason = p.value(QStringLiteral("reason")).toString();
    e.note = p.value(QStringLiteral("note")).toString();
    e.item = p.value(QStringLiteral("item")).toString();
    e.ticked = p.value(QStringLiteral("ticked")).toBool();
    e.approve = p.value(QStringLiteral("decision")).toString() == QLatin1String("approve");
    e.alertId = p.value(QStringLiteral("alert_id")).toInt();
    e.dryRun = p.value(QStringLiteral("dry_run")).toBool();
    e.segment = p.value(QStringLiteral("segment")).toString();
    e.held =
        p.value(e.type == EventType::FlagDrift ? QStringLiteral("drift") : QStringLiteral("held")).toBool();
    if (e.type == EventType::SegmentHeld && e.segment.isEmpty()) {
        *problem = QStringLiteral("segment_held record without a segment");
        return std::nullopt;
    }
    e.step = p.value(QStringLiteral("step")).toString();
    e.outcome = p.value(QStringLiteral("outcome")).toString();
    e.severity = p.value(QStringLiteral("severity")).toString();
    if (e.type == EventType::ActionStepDone && (e.step.isEmpty() || e.outcome.isEmpty())) {
        *problem = QStringLiteral("action_step record without its step or outcome");
        return std::nullopt;
    }
    if (p.value(QStringLiteral("evidence")).isObject())
        e.evidence = evidenceFromJson(p.value(QStringLiteral("evidence")).toObject());
    if (p.value(QStringLiteral("gate")).isObject())
        e.gate = gateFromJson(p.value(QStringLiteral("gate")).toObject());
    e.refersTo = p.value(QStringLiteral("countersigns")).toString();
    if (e.type == EventType::Countersigned && e.refersTo.isEmpty()) {
        *problem = QStringLiteral("countersigned record without the record it countersigns");
        return std::nullopt;
    }
    return e;
}

} // namespace rollout
