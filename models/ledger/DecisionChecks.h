#pragma once

#include "ledger/LedgerRecord.h"

#include <QList>
#include <QString>

namespace rollout {

struct RecordVerdict;

// The checks LedgerVerifier makes of what a record decided, beyond who signed it
// (docs/ledger-format.md, "Device key" and "gate"):
//   - a record signed with a device key (payload "device_signed") is accepted only when it can
//     only reduce exposure or report: a rollback to an earlier phase, or an observation (flag
//     read-back, drift, an action step, an escalation). Anything else a device key signed is
//     refused as signed by a key outside the plan;
//   - an advance or completion that carries its gate says every check of it was met; an
//     override says what it skipped.
class DecisionChecks final
{
public:
    static bool isDeviceSigned(const LedgerRecord& r);
    // Empty when a device key may sign this record; else why not.
    static QString deviceSignerRefusal(const LedgerRecord& r);
    // "signed by the key of device X (rollback by sre while their key was locked)".
    static QString deviceNote(const LedgerRecord& r);
    // Empty when the record's gate (if any) allows what it decided; else the check that was not met.
    static QString gateRefusal(const LedgerRecord& r);
    // Adds to each device-signed record whose actor is a person "countersigned by X (record …)" or
    // "X's signature pending", from the countersigned records among `verdicts` that verify.
    static void noteCountersignatures(QList<RecordVerdict>& verdicts);
    // The device-signed records among `verdicts` that await `person`'s countersignature.
    static QStringList pendingCountersignatures(const QList<RecordVerdict>& verdicts, const QString& person);
};

} // namespace rollout
