#include "ledger/LedgerRecord.h"

#include "ledger/Ed25519.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <nlohmann/json.hpp>

namespace rollout {

QString LedgerRecord::hash() const
{
    return QString::fromLatin1(QCryptographicHash::hash(body, QCryptographicHash::Sha256).toHex());
}

QByteArray LedgerRecord::canonicalBody() const
{
    // nlohmann::json keeps object keys in a std::map: dump() writes them sorted by their UTF-8
    // bytes, compact, with non-ASCII as UTF-8 — the canonical form docs/ledger-format.md defines.
    nlohmann::json j;
    j["v"] = version;
    j["id"] = id.toStdString();
    j["rollout"] = rollout.toStdString();
    j["plan_sha256"] = planHash.toStdString();
    j["type"] = type.toStdString();
    j["payload"] = nlohmann::json::parse(QJsonDocument(payload).toJson(QJsonDocument::Compact).toStdString());
    j["actor"] = actor.toStdString();
    j["role"] = role.toStdString();
    j["public_key"] = publicKey.toStdString();
    j["key_id"] = keyId.toStdString();
    j["ts_ms"] = timestampMs;
    j["device"] = device.toStdString();
    j["seq"] = sequence;
    j["prev_sha256"] = previous.toStdString();
    const std::string out = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
    return QByteArray(out.data(), qsizetype(out.size()));
}

void LedgerRecord::seal(const QByteArray& publicKeyBytes, const QByteArray& secretKey)
{
    publicKey = Ed25519::encodePublicKey(publicKeyBytes);
    keyId = Ed25519::keyId(publicKeyBytes);
    body = canonicalBody();
    signature = Ed25519::sign(body, secretKey);
}

bool LedgerRecord::signatureValid() const
{
    const std::optional<QByteArray> key = Ed25519::decodePublicKey(publicKey);
    return key && Ed25519::verify(body, signature, *key);
}

std::optional<LedgerRecord> LedgerRecord::fromSigned(const QByteArray& body, const QByteArray& signature,
                                                     QString* problem)
{
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(body, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject()) {
        *problem = QStringLiteral("the record body is not a JSON object (%1)").arg(error.errorString());
        return std::nullopt;
    }
    const QJsonObject o = doc.object();
    static const char* const kStrings[] = {"id",   "rollout",    "plan_sha256", "type",   "actor",
                                           "role", "public_key", "key_id",      "device", "prev_sha256"};
    for (const char* key : kStrings)
        if (!o.value(QLatin1String(key)).isString()) {
            *problem = QStringLiteral("the record body has no text field \"%1\"").arg(QLatin1String(key));
            return std::nullopt;
        }
    for (const char* key : {"v", "ts_ms", "seq"})
        if (!o.value(QLatin1String(key)).isDouble()) {
            *problem = QStringLiteral("the record body has no number \"%1\"").arg(QLatin1String(key));
            return std::nullopt;
        }
    if (!o.value(QStringLiteral("payload")).isObject()) {
        *problem = QStringLiteral("the record body has no \"payload\" object");
        return std::nullopt;
    }
    LedgerRecord r;
    r.version = o.value(QStringLiteral("v")).toInt();
    if (r.version < OldestFormatVersion || r.version > FormatVersion) {
        *problem = QStringLiteral("record format version %1 is not known (this build reads %2 to %3)")
                       .arg(r.version)
                       .arg(OldestFormatVersion)
                       .arg(FormatVersion);
        return std::nullopt;
    }
    r.id = o.value(QStringLiteral("id")).toString();
    r.rollout = o.value(QStringLiteral("rollout")).toString();
    r.planHash = o.value(QStringLiteral("plan_sha256")).toString();
    r.type = o.value(QStringLiteral("type")).toString();
    r.payload = o.value(QStringLiteral("payload")).toObject();
    r.actor = o.value(QStringLiteral("actor")).toString();
    r.role = o.value(QStringLiteral("role")).toString();
    r.publicKey = o.value(QStringLiteral("public_key")).toString();
    r.keyId = o.value(QStringLiteral("key_id")).toString();
    r.timestampMs = qint64(o.value(QStringLiteral("ts_ms")).toDouble());
    r.device = o.value(QStringLiteral("device")).toString();
    r.sequence = qint64(o.value(QStringLiteral("seq")).toDouble());
    r.previous = o.value(QStringLiteral("prev_sha256")).toString();
    r.body = body;
    r.signature = signature;
    return r;
}

} // namespace rollout
