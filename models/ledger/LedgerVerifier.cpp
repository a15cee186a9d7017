#include "ledger/LedgerVerifier.h"

#include "ledger/DecisionChecks.h"
#include "ledger/Ed25519.h"

#include <QDateTime>
#include <QHash>
#include <algorithm>
#include <functional>

namespace rollout {

namespace {

const QString kShape = QStringLiteral("shape");
const QString kSignature = QStringLiteral("signature");
const QString kDuplicate = QStringLiteral("duplicate");
const QString kChain = QStringLiteral("chain");
const QString kSigner = QStringLiteral("signer");
const QString kRollout = QStringLiteral("rollout");
const QString kPlan = QStringLiteral("plan");
const QString kClock = QStringLiteral("clock");
const QString kGate = QStringLiteral("gate");
const QString kAutomation = QStringLiteral("automation");

void fail(RecordVerdict& v, const QString& check, const QString& why, Tampering kind = Tampering::None)
{
    v.failures.append({check, why, kind});
    v.ok = false;
}

QString shortHash(const QString& hex)
{
    return hex.isEmpty() ? QStringLiteral("(none)") : hex.left(12);
}

QString utc(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

struct DecodedKey
{
    std::optional<QByteArray> raw;
    QString id;
};

void checkSigner(RecordVerdict& v, const LedgerRecord& r, const QByteArray& key, const QString& keyId,
                 const QHash<QByteArray, QList<const Person*>>& byKey)
{
    if (DecisionChecks::isDeviceSigned(r)) { // a device key: only what lowers exposure or reports
        if (const QString why = DecisionChecks::deviceSignerRefusal(r); !why.isEmpty())
            fail(v, kSigner, why, Tampering::ForeignKey);
        else
            v.notes.append(DecisionChecks::deviceNote(r));
        return;
    }
    const QList<const Person*> holders = byKey.value(key);
    if (holders.isEmpty()) {
        fail(v, kSigner,
             QStringLiteral(
                 "key %1 is not in the plan's people: the record is signed by a key outside the plan")
                 .arg(keyId),
             Tampering::ForeignKey);
        return;
    }
    if (r.actor == kAutomation) {
        for (const Person* p : holders)
            if (p->roles.contains(kAutomation)) return;
        fail(v, kSigner,
             QStringLiteral("an automation record must be signed by a key of a person with the role "
                            "\"automation\"; key %1 belongs to %2")
                 .arg(keyId, holders.first()->id));
        return;
    }
    const auto it =
        std::find_if(holders.begin(), holders.end(), [&](const Person* p) { return p->id == r.actor; });
    if (it == holders.end()) {
        fail(v, kSigner,
             QStringLiteral("the record names actor \"%1\" but key %2 belongs to \"%3\"")
                 .arg(r.actor, keyId, holders.first()->id));
        return;
    }
    if (!(*it)->roles.contains(r.role))
        fail(v, kSigner,
             QStringLiteral("\"%1\" does not hold the role \"%2\" in this plan (holds: %3)")
                 .arg(r.actor, r.role,
                      (*it)->roles.isEmpty() ? QStringLiteral("none")
                                             : (*it)->roles.join(QStringLiteral(", "))));
}

// Checks whose failure says the record is not what its author made: a successor's link to
// such a record cannot be judged, and the failure is already reported on the record itself.
bool forged(const RecordVerdict& v)
{
    return v.failed(kShape) || v.failed(kSignature) || v.failed(kSigner);
}

QString missingRange(qint64 first, qint64 last, const QString& where)
{
    return first == last ? QStringLiteral("record seq %1 of %2 is missing (deleted?)").arg(first).arg(where)
                         : QStringLiteral("records seq %1–%2 of %3 are missing (deleted?)")
                               .arg(first)
                               .arg(last)
                               .arg(where);
}

QString absentRange(qint64 first, qint64 last, const QString& where)
{
    return first == last
               ? QStringLiteral("record seq %1 of %2 is not among these records").arg(first).arg(where)
               : QStringLiteral("records seq %1–%2 of %3 are not among these records")
                     .arg(first)
                     .arg(last)
                     .arg(where);
}

// One chain walked in sequence order: each record is judged against the one before it. `judge`
// says which entries this walk reports on (the others are only links, judged by another walk).
struct ChainWalk
{
    const QList<LedgerRecord>& records;
    QList<RecordVerdict>& out;
    QHash<qsizetype, QString>& hashes;
    QString where; // "device X" (format 1) or "device X in rollout Y" (format 2)
    bool gapsAreFailures = true;

    const QString& hashOf(qsizetype i)
    {
        auto it = hashes.find(i);
        if (it == hashes.end()) it = hashes.insert(i, records[i].hash());
        return it.value();
    }

    void run(QList<qsizetype> chain, const std::function<bool(const LedgerRecord&)>& judge)
    {
        std::stable_sort(chain.begin(), chain.end(), [&](qsizetype a, qsizetype b) {
            return out[a].record->sequence < out[b].record->sequence;
        });
        qint64 lastSeq = 0;
        qint64 lastTs = 0;
        int lastVersion = 0;
        QList<qsizetype> before; // the record(s) holding lastSeq
        for (qsizetype i : chain) {
            RecordVerdict& v = out[i];
            const LedgerRecord& r = *v.record;
            if (!judge(r)) { // a link of this chain judged elsewhere (a format-1 record before the format-2
                             // ones)
                if (before.isEmpty() || r.sequence != lastSeq) before.clear();
                before.append(i);
                lastSeq = r.sequence;
                lastTs = r.timestampMs;
                lastVersion = r.version;
                continue;
            }
            if (!before.isEmpty() && r.sequence == lastSeq) {
                fail(v, kChain,
                     QStringLiteral("%1 has more than one record with seq %2 (also %3): the chain was forked")
                         .arg(where)
                         .arg(r.sequence)
                         .arg(out[before.first()].id),
                     Tampering::Reordered);
                before.append(i);
                continue;
            }
            if (r.sequence > lastSeq + 1) {
                // After a format-1 link, the format-2 chain went on from it: only the one record is missing.
                const qint64 first = lastVersion == 1 && r.version != 1 ? r.sequence - 1 : lastSeq + 1;
                const QString which = missingRange(first, r.sequence - 1, where);
                const QString why =
                    lastSeq == 0
                        ? QStringLiteral("%1: the chain starts at seq %2").arg(which).arg(r.sequence)
                        : QStringLiteral("%1: seq jumps %2 → %3").arg(which).arg(lastSeq).arg(r.sequence);
                if (gapsAreFailures) {
                    fail(v, kChain, why, Tampering::Deleted);
                    v.afterDamage = true;
                } else
                    v.notes.append(QStringLiteral("%1: a version-1 chain runs through every rollout of its "
                                                  "device, so they may be records of "
                                                  "other rollouts; a deletion cannot be told apart from "
                                                  "that, and the link is not checked")
                                       .arg(absentRange(first, r.sequence - 1, where)));
            } else if (r.sequence == 1) {
                if (!r.previous.isEmpty())
                    fail(v, kChain,
                         QStringLiteral("the first record of %1 names a previous record (%2): it was moved, "
                                        "or records were put before it")
                             .arg(where, shortHash(r.previous)),
                         Tampering::Reordered);
            } else {
                const bool linked = std::any_of(before.begin(), before.end(),
                                                [&](qsizetype b) { return hashOf(b) == r.previous; });
                const bool explained =
                    std::all_of(before.begin(), before.end(), [&](qsizetype b) { return forged(out[b]); });
                if (!linked && explained) {
                    v.notes.append(
                        QStringLiteral(
                            "the link to seq %1 cannot be checked: that record failed its own checks")
                            .arg(lastSeq));
                    v.afterDamage = true;
                } else if (!linked)
                    fail(v, kChain,
                         QStringLiteral("prev_sha256 %1 is not the hash of seq %2 of %3 (%4): the chain was "
                                        "reordered, or the record "
                                        "before it replaced")
                             .arg(shortHash(r.previous))
                             .arg(lastSeq)
                             .arg(where, shortHash(hashOf(before.first()))),
                         Tampering::Reordered);
            }
            if (!before.isEmpty() && r.timestampMs < lastTs)
                fail(v, kClock,
                     QStringLiteral("the clock went backwards on %1: %2 is %3 ms earlier than seq %4 (%5)")
                         .arg(where, utc(r.timestampMs))
                         .arg(lastTs - r.timestampMs)
                         .arg(lastSeq)
                         .arg(utc(lastTs)));
            lastSeq = r.sequence;
            lastTs = r.timestampMs;
            lastVersion = r.version;
            before = {i};
        }
    }
};

} // namespace

QString toString(Tampering kind)
{
    switch (kind) {
    case Tampering::None:
        return {};
    case Tampering::Changed:
        return QStringLiteral("changed");
    case Tampering::Copied:
        return QStringLiteral("copied");
    case Tampering::Deleted:
        return QStringLiteral("deleted");
    case Tampering::Reordered:
        return QStringLiteral("reordered");
    case Tampering::ForeignKey:
        return QStringLiteral("signed by a key outside the plan");
    }
    return {};
}

bool RecordVerdict::failed(const QString& check) const
{
    return std::any_of(failures.begin(), failures.end(), [&](const Failure& f) { return f.check == check; });
}

QList<RecordVerdict::Failure> RecordVerdict::tampering() const
{
    QList<Failure> out;
    for (const Failure& f : failures)
        if (f.tampering != Tampering::None) out.append(f);
    return out;
}

bool LedgerVerifier::isIntegrityCheck(const QString& check)
{
    return check == kShape || check == kSignature || check == kDuplicate || check == kChain ||
           check == kClock;
}

bool LedgerVerifier::bindsToPlanVersion(const QString& type)
{
    return type == QLatin1String("approval_recorded") || type == QLatin1String("checklist_item_set") ||
           type == QLatin1String("phase_advanced");
}

QList<RecordVerdict> LedgerVerifier::verify(const QList<LedgerRecord>& records, const Plan& plan,
                                            const Options& options)
{
    QHash<QByteArray, QList<const Person*>> byKey;
    for (const Person& p : plan.people)
        if (const std::optional<QByteArray> k = Ed25519::decodePublicKey(p.publicKey)) byKey[*k].append(&p);
    QHash<QString, DecodedKey> keys; // a ledger holds few distinct keys: decode each once
    const QString planHash = QString::fromLatin1(plan.sha256).toLower();

    QList<RecordVerdict> out(records.size());
    QHash<QString, qsizetype> firstById;
    QHash<QString, QList<qsizetype>> v1ByDevice; // format 1: one chain per device, across rollouts
    QHash<QString, QList<qsizetype>>
        byChain; // device + rollout: the format-2 chains (and the format-1 records before them)
    QHash<QString, QString> chainNames;
    for (qsizetype i = 0; i < records.size(); ++i) {
        RecordVerdict& v = out[i];
        v.id = records[i].id;
        QString problem;
        v.record = LedgerRecord::fromSigned(records[i].body, records[i].signature, &problem);
        if (!v.record) {
            fail(v, kShape, QStringLiteral("%1: it was changed, or is not a ledger record").arg(problem),
                 Tampering::Changed);
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
            fail(v, kSignature,
                 QStringLiteral("public_key \"%1\" is not an Ed25519 key").arg(r.publicKey.left(60)),
                 Tampering::Changed);
        } else {
            if (r.keyId != key.id)
                fail(v, kShape,
                     QStringLiteral("key_id %1 does not name the record's public key (%2)")
                         .arg(r.keyId, key.id));
            if (!Ed25519::verify(r.body, r.signature, *key.raw))
                fail(v, kSignature,
                     QStringLiteral("the Ed25519 signature by key %1 does not match the body: the body was "
                                    "changed after signing, "
                                    "or it was signed by another key")
                         .arg(key.id),
                     Tampering::Changed);
            checkSigner(v, r, *key.raw, key.id, byKey);
        }
        if (const QString why = DecisionChecks::gateRefusal(r); !why.isEmpty()) fail(v, kGate, why);
        if (r.sequence < 1)
            fail(v, kShape,
                 QStringLiteral("seq %1 is not a sequence number (they start at 1)").arg(r.sequence));
        if (r.rollout != plan.rollout)
            fail(v, kRollout,
                 QStringLiteral(
                     "the record belongs to rollout \"%1\", not \"%2\": replayed from another rollout")
                     .arg(r.rollout, plan.rollout),
                 Tampering::Copied);
        if (r.planHash.toLower() != planHash) {
            if (bindsToPlanVersion(r.type))
                fail(v, kPlan,
                     QStringLiteral("%1 was made under plan version %2, not this plan (%3): the plan changed "
                                    "after it was given")
                         .arg(r.type, shortHash(r.planHash), shortHash(planHash)));
            else
                v.notes.append(QStringLiteral("made under plan version %1 (this plan is %2)")
                                   .arg(shortHash(r.planHash), shortHash(planHash)));
        }

        // The same record twice is a replayed copy; the same id over other bytes, a changed one.
        if (const auto first = firstById.constFind(r.id); first != firstById.constEnd()) {
            const LedgerRecord& original = records[*first];
            if (original.body == records[i].body && original.signature == records[i].signature) {
                fail(v, kDuplicate,
                     QStringLiteral("record %1 is here twice: a replayed copy of the same signed record")
                         .arg(r.id),
                     Tampering::Copied);
                continue; // a copy is not a link of the chain: the original is
            }
            fail(v, kDuplicate,
                 QStringLiteral(
                     "another record carries the same id %1 with different bytes: one of them was changed")
                     .arg(r.id),
                 Tampering::Changed);
        } else {
            firstById.insert(r.id, i);
        }
        if (r.sequence < 1) continue;
        if (r.version == 1) v1ByDevice[r.device].append(i);
        const QString chain = r.device + QChar(0x1f) + r.rollout;
        byChain[chain].append(i);
        if (!chainNames.contains(chain))
            chainNames.insert(chain, QStringLiteral("device %1 in rollout %2").arg(r.device, r.rollout));
    }

    // Chain and clock, per chain in sequence order.
    QHash<qsizetype, QString> hashes;
    for (auto dev = v1ByDevice.cbegin(); dev != v1ByDevice.cend(); ++dev) {
        ChainWalk walk{records, out, hashes, QStringLiteral("device %1").arg(dev.key()),
                       options.completeV1Devices.contains(dev.key())};
        walk.run(dev.value(), [](const LedgerRecord&) { return true; });
    }
    for (auto c = byChain.cbegin(); c != byChain.cend(); ++c) {
        ChainWalk walk{records, out, hashes, chainNames.value(c.key()), true};
        walk.run(c.value(), [](const LedgerRecord& r) { return r.version >= 2; });
    }
    DecisionChecks::noteCountersignatures(out);
    return out;
}

bool countsForGate(const RecordVerdict& verdict)
{
    if (!verdict.record) return false;
    return std::all_of(verdict.failures.begin(), verdict.failures.end(),
                       [](const RecordVerdict::Failure& f) { return f.check == kChain; });
}

QString tamperingSentence(const RecordVerdict& v, const RecordVerdict::Failure& f)
{
    const LedgerRecord* r = v.record ? &*v.record : nullptr;
    switch (f.tampering) {
    case Tampering::Changed:
        return QStringLiteral("tampering: record %1 was changed (%2)").arg(v.id, f.why);
    case Tampering::Copied:
        return QStringLiteral("tampering: record %1 is a copy (%2)").arg(v.id, f.why);
    case Tampering::Deleted:
        return QStringLiteral("tampering: %1").arg(f.why);
    case Tampering::Reordered:
        return QStringLiteral("tampering: record %1 is out of order in its chain: %2").arg(v.id, f.why);
    case Tampering::ForeignKey:
        return QStringLiteral(
                   "tampering: record %1 (%2 by \"%3\") is signed by a key that is not in the plan (key %4)")
            .arg(v.id, r ? r->type : QString(), r ? r->actor : QString(), r ? r->keyId : QString());
    case Tampering::None:
        break;
    }
    return QStringLiteral("%1: %2").arg(f.check, f.why);
}

} // namespace rollout
