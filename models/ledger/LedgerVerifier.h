#pragma once

#include "ledger/LedgerRecord.h"
#include "plan/Plan.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace rollout {

// What the verifier concluded about one record.
struct RecordVerdict
{
    // One check that did not pass: its name (shape, signature, chain, signer, rollout, plan,
    // clock) and a sentence saying why.
    struct Failure
    {
        QString check;
        QString why;
    };

    QString id;                            // from the body; from the store's column when the body does not parse
    bool ok = true;                        // no failures
    QList<Failure> failures;
    QStringList notes;                     // worth knowing, not a failure (a record of another plan version)
    std::optional<LedgerRecord> record;    // the fields read out of the signed body, when it parses

    bool failed(const QString& check) const;
};

// Judges records against a plan without touching any store: the console's sign-off view,
// `rolloutctl ledger verify` and an exported ledger on another machine all run this same code.
// Only `body` and `signature` of the given records are trusted; every field is read back out of
// the signed bytes. Checks (docs/ledger-format.md):
//   shape      the body parses as a record of a known format version
//   signature  Ed25519 over the exact body bytes, by the key named in the body
//   chain      per device: seq 1, 2, 3 … without gap or duplicate; `previous` is the hash of the record before
//   signer     the key belongs to the plan person named as actor, who holds the record's role
//              ("automation" records: the key belongs to a person holding the role "automation")
//   rollout    the record names the plan's rollout
//   plan       decisions bound to a plan version (approvals, checklist ticks, advances) name this plan's sha256
//   clock      the timestamp is not earlier than the device's previous record
class LedgerVerifier final
{
public:
    // One verdict per record, in the order given. The chain and clock checks look at the whole list.
    static QList<RecordVerdict> verify(const QList<LedgerRecord>& records, const Plan& plan);
    // The checks whose failure means the ledger itself was altered, whatever plan it is read against.
    static bool isIntegrityCheck(const QString& check);
    // The record types that bind to the exact plan version they were made under.
    static bool bindsToPlanVersion(const QString& type);
};

// Only fully verified records count towards a gate (approvals, checklist ticks).
bool countsForGate(const RecordVerdict& verdict);

} // namespace rollout
