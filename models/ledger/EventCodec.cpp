#include "ledger/EventCodec.h"

#include <QJsonArray>

namespace rollout {

namespace {

constexpr EventType kAll[] = {EventType::PhaseAdvanced,   EventType::Completed,        EventType::Paused,
                              EventType::Resumed,         EventType::RolledBack,       EventType::TriggerPending,
                              EventType::TriggerCleared,  EventType::TriggerFired,     EventType::AlertRaised,
                              EventType::AlertAcknowledged, EventType::ChecklistItemSet, EventType::ApprovalRecorded,
                              EventType::GateOpened,      EventType::GateClosed,       EventType::BaselineCaptured,
                              EventType::NoteAdded,       EventType::FlagsVerified,    EventType::FlagsNotVerified,
                              EventType::AdvanceClaimed};

std::optional<TriggerAction> actionFromString(const QString& s)
{
    for (TriggerAction a : {TriggerAction::RollbackPrevious, TriggerAction::RollbackToZero, TriggerAction::Pause, TriggerAction::Alert})
        if (toString(a) == s) return a;
    return std::nullopt;
}

} // namespace

bool EventCodec::isRecorded(EventType type)
{
    switch (type) {
    case EventType::TriggerPending:
    case EventType::TriggerCleared:
    case EventType::GateOpened:
    case EventType::GateClosed: return false;
    default: return true;
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
        for (auto it = e.values.begin(); it != e.values.end(); ++it) values.insert(it.key(), it.value());
        o.insert(QStringLiteral("values"), values);
    }
    if (!e.reason.isEmpty()) o.insert(QStringLiteral("reason"), e.reason);
    if (!e.note.isEmpty()) o.insert(QStringLiteral("note"), e.note);
    if (e.type == EventType::ChecklistItemSet) {
        o.insert(QStringLiteral("item"), e.item);
        o.insert(QStringLiteral("ticked"), e.ticked);
    }
    if (e.type == EventType::ApprovalRecorded) o.insert(QStringLiteral("decision"), e.approve ? QStringLiteral("approve") : QStringLiteral("reject"));
    if (e.alertId) o.insert(QStringLiteral("alert_id"), e.alertId);
    return o;
}

std::optional<RolloutEvent> EventCodec::fromRecord(const QString& type, const QJsonObject& p, const QString& actor, const QString& role,
                                                   qint64 atMs, QString* problem)
{
    const std::optional<EventType> t = typeFromString(type);
    if (!t) {
        *problem = QStringLiteral("unknown record type \"%1\"").arg(type);
        return std::nullopt;
    }
    if (!p.value(QStringLiteral("from_phase")).isDouble() || !p.value(QStringLiteral("to_phase")).isDouble()) {
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
            *problem = QStringLiteral("%1 record with unknown action \"%2\"").arg(type, p.value(QStringLiteral("action")).toString());
            return std::nullopt;
        }
        e.action = *a;
    }
    e.sinceMs = qint64(p.value(QStringLiteral("since_ms")).toDouble());
    const QJsonObject values = p.value(QStringLiteral("values")).toObject();
    for (auto it = values.begin(); it != values.end(); ++it) e.values.insert(it.key(), it.value().toDouble());
    e.reason = p.value(QStringLiteral("reason")).toString();
    e.note = p.value(QStringLiteral("note")).toString();
    e.item = p.value(QStringLiteral("item")).toString();
    e.ticked = p.value(QStringLiteral("ticked")).toBool();
    e.approve = p.value(QStringLiteral("decision")).toString() == QLatin1String("approve");
    e.alertId = p.value(QStringLiteral("alert_id")).toInt();
    return e;
}

} // namespace rollout
