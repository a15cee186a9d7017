#include "ledger/LedgerVerifier.h"

#include "ledger/Ed25519.h"

#include <QDateTime>
#include <QHash>

#include <algorithm>

namespace rollout {

namespace {

const QString kShape = QStringLiteral("shape");
const QString kSignature = QStringLiteral("signature");
const QString kChain = QStringLiteral("chain");
const QString kSigner = QStringLiteral("signer");
const QString kRollout = QStringLiteral("rollout");
const QString kPlan = QStringLiteral("plan");
const QString kClock = QStringLiteral("clock");
const QString kAutomation = QStringLiteral("automation");

void fail(RecordVerdict& v, const QString& check, const QString& why)
{
    v.failures.append({check, why});
    v.ok = false;
}

QString shortHash(const QString& hex) { return hex.isEmpty() ? QStringLiteral("(none)") : hex.left(12); }

QString utc(qint64 ms) { return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs); }

struct DecodedKey
{
    std::optional<QByteArray> raw;
    QString id;
};

void checkSigner(RecordVerdict& v, const LedgerRecord& r, const QByteArray& key, const QString& keyId,
                 const QHash<QByteArray, QList<const Person*>>& byKey)
{
    const QList<const Person*> holders = byKey.value(key);
    if (holders.isEmpty()) {
        fail(v, kSigner, QStringLiteral("key %1 is not in the plan's people").arg(keyId));
        return;
    }
    if (r.actor == kAutomation) {
        for (const Person* p : holders)
            if (p->roles.contains(kAutomation)) return;
        fail(v, kSigner, QStringLiteral("an automation record must be signed by a key of a person with the role \"automation\"; key %1 belongs to %2")
                             .arg(keyId, holders.first()->id));
        return;
    }
    const auto it = std::find_if(holders.begin(), holders.end(), [&](const Person* p) { return p->id == r.actor; });
    if (it == holders.end()) {
        fail(v, kSigner, QStringLiteral("the record names actor \"%1\" but key %2 belongs to \"%3\"").arg(r.actor, keyId, holders.first()->id));
        return;
    }
    if (!(*it)->roles.contains(r.role))
        fail(v, kSigner, QStringLiteral("\"%1\" does not hold the role \"%2\" in this plan (holds: %3)")
                             .arg(r.actor, r.role, (*it)->roles.isEmpty() ? QStringLiteral("none") : (*it)->roles.join(QStringLiteral(", "))));
}

// Checks whose failure says the record is not what its author made: a successor's link to
// such a record cannot be judged, and the failure is already reported on the record itself.
bool forged(const RecordVerdict& v) { return v.failed(kShape) || v.failed(kSignature) || v.failed(kSigner); }

} // namespace

bool RecordVerdict::failed(const QString& check) const
{
    return std::any_of(failures.begin(), failures.end(), [&](const Failure& f) { return f.check == check; });
}

bool LedgerVerifier::isIntegrityCheck(const QString& check)
{
    return check == kShape || check == kSignature || check == kChain || check == kClock;
}

bool LedgerVerifier::bindsToPlanVersion(const QString& type)
{
    return type == QLatin1String("approval_recorded") || type == QLatin1String("checklist_item_set") || type == QLatin1String("phase_advanced");
}

QList<RecordVerdict> LedgerVerifier::verify(const QList<LedgerRecord>& records, const Plan& plan)
{
    QHash<QByteArray, QList<const Person*>> byKey;
    for (const Person& p : plan.people)
        if (const std::optional<QByteArray> k = Ed25519::decodePublicKey(p.publicKey)) byKey[*k].append(&p);
    QHash<QString, DecodedKey> keys;   // a ledger holds few distinct keys: decode each once
    const QString planHash = QString::fromLatin1(plan.sha256).toLower();

    QList<RecordVerdict> out(records.size());
    QHash<QString, QList<qsizetype>> byDevice;
    for (qsizetype i = 0; i < records.size(); ++i) {
        RecordVerdict& v = out[i];
        v.id = records[i].id;
        QString problem;
        v.record = LedgerRecord::fromSigned(records[i].body, records[i].signature, &problem);
        if (!v.record) {
            fail(v, kShape, problem);
            continue;
        }
        const LedgerRecord& r = *v.record;
        v.id = r.id;

        auto found = keys.find(r.publicKey);
        if (found == keys.end()) {
            DecodedKey d;
            d.raw = Ed25519::decodePublicKey(r.publicKey);
            if (d.raw) d.id = Ed25519::keyId(*d.raw);
            found = keys.insert(r.publicKey, d);
        }
        const DecodedKey& key = found.value();
        if (!key.raw) {
            fail(v, kSignature, QStringLiteral("public_key \"%1\" is not an Ed25519 key").arg(r.publicKey.left(60)));
        } else {
            if (r.keyId != key.id) fail(v, kShape, QStringLiteral("key_id %1 does not name the record's public key (%2)").arg(r.keyId, key.id));
            if (!Ed25519::verify(r.body, r.signature, *key.raw))
                fail(v, kSignature, QStringLiteral("the Ed25519 signature by key %1 does not match the body: the body was changed after signing, "
                                                   "or it was signed by another key")
                                        .arg(key.id));
            checkSigner(v, r, *key.raw, key.id, byKey);
        }
        if (r.rollout != plan.rollout)
            fail(v, kRollout, QStringLiteral("the record belongs to rollout \"%1\", not \"%2\": replayed from another rollout").arg(r.rollout, plan.rollout));
        if (r.planHash.toLower() != planHash) {
            if (bindsToPlanVersion(r.type))
                fail(v, kPlan, QStringLiteral("%1 was made under plan version %2, not this plan (%3): the plan changed after it was given")
                                   .arg(r.type, shortHash(r.planHash), shortHash(planHash)));
            else
                v.notes.append(QStringLiteral("made under plan version %1 (this plan is %2)").arg(shortHash(r.planHash), shortHash(planHash)));
        }
        byDevice[r.device].append(i);
    }

    // Chain and clock, per device in sequence order.
    QHash<qsizetype, QString> hashes;
    auto hashOf = [&](qsizetype i) -> const QString& {
        auto it = hashes.find(i);
        if (it == hashes.end()) it = hashes.insert(i, records[i].hash());
        return it.value();
    };
    for (auto dev = byDevice.begin(); dev != byDevice.end(); ++dev) {
        QList<qsizetype>& chain = dev.value();
        std::stable_sort(chain.begin(), chain.end(), [&](qsizetype a, qsizetype b) { return out[a].record->sequence < out[b].record->sequence; });
        const QString& device = dev.key();
        qint64 lastSeq = 0;
        qint64 lastTs = 0;
        QList<qsizetype> before;   // the record(s) holding lastSeq
        for (qsizetype i : chain) {
            RecordVerdict& v = out[i];
            const LedgerRecord& r = *v.record;
            if (r.sequence < 1) {
                fail(v, kChain, QStringLiteral("seq %1 of device %2 is not a sequence number (they start at 1)").arg(r.sequence).arg(device));
                continue;
            }
            if (!before.isEmpty() && r.sequence == lastSeq) {
                fail(v, kChain, QStringLiteral("device %1 has more than one record with seq %2 (also %3): the chain was forked")
                                    .arg(device).arg(r.sequence).arg(out[before.first()].id));
                before.append(i);
                continue;
            }
            if (r.sequence > lastSeq + 1) {
                const qint64 first = lastSeq + 1, last = r.sequence - 1;
                const QString which = first == last ? QStringLiteral("record %1 of device %2 is missing").arg(first).arg(device)
                                                    : QStringLiteral("records %1–%2 of device %3 are missing").arg(first).arg(last).arg(device);
                fail(v, kChain, lastSeq == 0 ? QStringLiteral("%1: the chain starts at seq %2").arg(which).arg(r.sequence)
                                             : QStringLiteral("%1: seq jumps %2 → %3").arg(which).arg(lastSeq).arg(r.sequence));
            } else if (r.sequence == 1) {
                if (!r.previous.isEmpty())
                    fail(v, kChain, QStringLiteral("the first record of device %1 names a previous record (%2)").arg(device, shortHash(r.previous)));
            } else {
                const bool linked = std::any_of(before.begin(), before.end(), [&](qsizetype b) { return hashOf(b) == r.previous; });
                const bool explained = std::all_of(before.begin(), before.end(), [&](qsizetype b) { return forged(out[b]); });
                if (!linked && explained)
                    v.notes.append(QStringLiteral("the link to seq %1 cannot be checked: that record failed its own checks").arg(lastSeq));
                else if (!linked)
                    fail(v, kChain, QStringLiteral("prev_sha256 %1 is not the hash of record %2 of device %3 (%4): the record before it was replaced")
                                        .arg(shortHash(r.previous)).arg(lastSeq).arg(device, shortHash(hashOf(before.first()))));
            }
            if (!before.isEmpty() && r.timestampMs < lastTs)
                fail(v, kClock, QStringLiteral("the clock went backwards on device %1: %2 is %3 ms earlier than seq %4 (%5)")
                                    .arg(device, utc(r.timestampMs)).arg(lastTs - r.timestampMs).arg(lastSeq).arg(utc(lastTs)));
            lastSeq = r.sequence;
            lastTs = r.timestampMs;
            before = {i};
        }
    }
    return out;
}

bool countsForGate(const RecordVerdict& verdict)
{
    return verdict.ok && verdict.failures.isEmpty() && verdict.record.has_value();
}

} // namespace rollout
