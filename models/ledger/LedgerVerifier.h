#pragma once

#include "ledger/LedgerRecord.h"
#include "plan/Plan.h"

#include <QList>
#include <QSet>
#include <QString>
#include <QStringList>
#include <optional>

namespace rollout {

// What a failed check says was done to the ledger, when it says that someone altered it (rather
// than, say, an approval given under an older plan): docs/ledger-format.md, "Tampering".
enum class Tampering
{
    None,
    Changed,    // the body is not what was signed (signature, shape), or the same id holds other bytes
    Copied,     // a record replayed: the same record twice, or copied from another rollout
    Deleted,    // the chain has a gap: a record before this one is missing
    Reordered,  // the chain's links do not join: moved, replaced, or forked
    ForeignKey, // a valid signature by a key nobody in the plan holds
};

// "changed", "copied", "deleted", "reordered", "signed by a key outside the plan"
QString toString(Tampering kind);

// What the verifier concluded about one record.
struct RecordVerdict
{
    // One check that did not pass: its name (shape, signature, chain, duplicate, signer, rollout,
    // plan, clock), a sentence saying why, and what kind of tampering it shows, if any.
    struct Failure
    {
        QString check;
        QString why;
        Tampering tampering = Tampering::None;
    };

    QString id;     // from the body; from the store's column when the body does not parse
    bool ok = true; // no failures
    QList<Failure> failures;
    QStringList notes;                  // worth knowing, not a failure (a record of another plan version)
    std::optional<LedgerRecord> record; // the fields read out of the signed body, when it parses
    // The record before it in its chain is missing, or failed its own checks: decisions may have
    // been lost right before this one (LedgerReplay uses it to place a lost rollback).
    bool afterDamage = false;

    bool failed(const QString& check) const;
    // The failures that show tampering (any kind but None).
    QList<Failure> tampering() const;
};

// Judges records against a plan without touching any store: the console's sign-off view,
// `rolloutctl ledger verify` and an exported ledger on another machine all run this same code.
// Only `body` and `signature` of the given records are trusted; every field is read back out of
// the signed bytes. Checks (docs/ledger-format.md):
//   shape      the body parses as a record of a known format version
//   signature  Ed25519 over the exact body bytes, by the key named in the body
//   duplicate  no record is given twice (a replayed copy), and no id names two different bodies
//   chain      format 2: per device and rollout, seq 1, 2, 3 … without gap or duplicate, `previous`
//              the hash of the record before. Format 1: the same per device, across rollouts
//   signer     the key belongs to the plan person named as actor, who holds the record's role
//              ("automation" records: the key belongs to a person holding the role "automation")
//   rollout    the record names the plan's rollout
//   plan       decisions bound to a plan version (approvals, checklist ticks, advances) name this plan's
//   sha256 clock      the timestamp is not earlier than the chain's previous record
// A chain failure is reported on the first record after the damage (the gap, the broken link),
// and only there: the records after it are judged on their own.
class LedgerVerifier final
{
public:
    struct Options
    {
        // Devices whose every record, of every rollout, is among those given (the device's own
        // ledger file, read whole): a gap in their format-1 chain is a failure. Any other device's
        // format-1 chain may run through rollouts that are not here, so a gap in it is a note (a
        // format-1 record deleted from one rollout's records cannot be told from one of another
        // rollout). Format-2 chains are complete within their rollout: a gap is always a failure.
        QSet<QString> completeV1Devices;
    };

    // One verdict per record, in the order given. The chain and clock checks look at the whole list.
    static QList<RecordVerdict> verify(const QList<LedgerRecord>& records, const Plan& plan,
                                       const Options& options);
    static QList<RecordVerdict> verify(const QList<LedgerRecord>& records, const Plan& plan)
    {
        return verify(records, plan, Options{});
    }
    // The checks whose failure means the ledger itself was altered, whatever plan it is read against.
    static bool isIntegrityCheck(const QString& check);
    // The record types that bind to the exact plan version they were made under.
    static bool bindsToPlanVersion(const QString& type);
};

// A record counts towards a gate, and is replayed into a session, when it verifies on its own:
// it parses, its signature holds, its signer holds its role in the plan, and it belongs to this
// rollout and plan version, and its device's clock did not go backwards. Damage to the chain around it (a
// record before it deleted, a link broken) is reported as tampering, but does not make an authentic decision
// disappear.
bool countsForGate(const RecordVerdict& verdict);

// One finding as a sentence that starts "tampering: " and names the kind, e.g. "tampering: record
// seq 2 of device … in rollout … is missing (deleted?): seq jumps 1 → 3" (for the watch log,
// the console and the webhook). `failure` is one of verdict.tampering().
QString tamperingSentence(const RecordVerdict& verdict, const RecordVerdict::Failure& failure);

} // namespace rollout
