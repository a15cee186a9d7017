#include "ledger/DecisionChecks.h"

#include "ledger/LedgerVerifier.h"

#include <QHash>
#include <QJsonArray>

namespace rollout {

namespace {

const QString kDeviceSigned = QStringLiteral("device_signed");
const QString kPending = QStringLiteral("signature_pending");

bool isObservation(const QString& type)
{
    return type == QLatin1String("flags_verified") || type == QLatin1String("flags_not_verified") ||
           type == QLatin1String("flag_drift") || type == QLatin1String("action_step") ||
           type == QLatin1String("escalated") || type == QLatin1String("alert_raised");
}

} // namespace

bool DecisionChecks::isDeviceSigned(const LedgerRecord& r)
{
    return r.payload.value(kDeviceSigned).toBool();
}

QString DecisionChecks::deviceSignerRefusal(const LedgerRecord& r)
{
    if (isObservation(r.type)) return {};
    if (r.type == QLatin1String("rolled_back")) {
        const int from = r.payload.value(QStringLiteral("from_phase")).toInt();
        const int to = r.payload.value(QStringLiteral("to_phase")).toInt(-2);
        if (to < from && to >= -1) return {};
        return QStringLiteral(
                   "a device key signed a rollback from phase %1 to %2, which does not reduce exposure")
            .arg(from + 1)
            .arg(to + 1);
    }
    return QStringLiteral("a device key signs only rollbacks and observations, never a %1: it may not raise "
                          "exposure or speak for a person")
        .arg(r.type);
}

QString DecisionChecks::deviceNote(const LedgerRecord& r)
{
    if (r.type == QLatin1String("rolled_back") && r.actor != QLatin1String("automation"))
        return QStringLiteral("signed by the key of device %1: rolled back by %2 on %1")
            .arg(r.device, r.actor);
    return QStringLiteral("signed by the key of device %1").arg(r.device);
}

QString DecisionChecks::gateRefusal(const LedgerRecord& r)
{
    if (r.type != QLatin1String("phase_advanced") && r.type != QLatin1String("completed")) return {};
    const QJsonValue gate = r.payload.value(QStringLiteral("gate"));
    if (!gate.isObject()) return {}; // recorded before gates were recorded (format notes say so)
    for (const QJsonValue& v : gate.toObject().value(QStringLiteral("checks")).toArray()) {
        const QJsonObject c = v.toObject();
        if (c.value(QStringLiteral("state")).toString() != QLatin1String("met"))
            return QStringLiteral("the advance's own gate says \"%1\" was %2 (%3): a gate that was not open "
                                  "cannot have let it in")
                .arg(c.value(QStringLiteral("label")).toString(), c.value(QStringLiteral("state")).toString(),
                     c.value(QStringLiteral("detail")).toString());
    }
    return {};
}

void DecisionChecks::noteCountersignatures(QList<RecordVerdict>& verdicts)
{
    QHash<QString, QString> by; // countersigned id → who countersigned it
    for (const RecordVerdict& v : verdicts)
        if (v.record && v.record->type == QLatin1String("countersigned") && countsForGate(v))
            by.insert(v.record->payload.value(QStringLiteral("countersigns")).toString(), v.record->actor);
    for (RecordVerdict& v : verdicts) {
        if (!v.record || !isDeviceSigned(*v.record)) continue;
        const QString person = v.record->payload.value(kPending).toString();
        if (person.isEmpty()) continue;
        if (by.value(v.record->id) == person)
            v.notes.append(QStringLiteral("countersigned by %1").arg(person));
        else
            v.notes.append(QStringLiteral("%1's signature pending").arg(person));
    }
}

QStringList DecisionChecks::pendingCountersignatures(const QList<RecordVerdict>& verdicts,
                                                     const QString& person)
{
    QStringList pending;
    QSet<QString> done;
    for (const RecordVerdict& v : verdicts)
        if (v.record && v.record->type == QLatin1String("countersigned") && v.record->actor == person &&
            countsForGate(v))
            done.insert(v.record->payload.value(QStringLiteral("countersigns")).toString());
    for (const RecordVerdict& v : verdicts)
        if (v.record && countsForGate(v) && isDeviceSigned(*v.record) &&
            v.record->payload.value(kPending).toString() == person && !done.contains(v.record->id))
            pending.append(v.record->id);
    return pending;
}

} // namespace rollout
