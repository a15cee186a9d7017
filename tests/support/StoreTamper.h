#pragma once

#include "ledger/LedgerRecord.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QVariant>
#include <utility>

namespace rollout::test {

// Rewrites the shared store behind the consoles' backs, as an attacker with database access
// would: connected as the PostgreSQL superuser over the unix socket scripts/services.sh made
// ($ROLLOUT_SERVICES_DIR/pg-sock), with the append-only triggers switched off for the one
// transaction (session_replication_role = replica). For tests of SharedStore and of the verifier:
// whatever these do, a verifier must notice.
class StoreTamper final
{
public:
    StoreTamper();
    ~StoreTamper();
    StoreTamper(const StoreTamper&) = delete;
    StoreTamper& operator=(const StoreTamper&) = delete;

    // False (with why) when there is no superuser socket to reach, e.g. a store elsewhere.
    bool open(QString* why);
    QString lastError() const { return m_lastError; }

    // Replaces the first occurrence of `from` in the stored body of `id` (e.g. a decision).
    bool replaceInBody(const QString& id, const QByteArray& from, const QByteArray& to);
    bool setBody(const QString& id, const QByteArray& body);
    bool setSignature(const QString& id, const QByteArray& signature);
    // Replaces body and signature at once (a record re-signed with another key).
    bool setSigned(const QString& id, const QByteArray& body, const QByteArray& signature);
    bool deleteRecord(const QString& id);
    // Stores `r`'s body and signature as a new row of `rollout` under `rowId`, device/seq columns
    // made up so no constraint stops it: a record copied from another rollout.
    bool insertCopy(const LedgerRecord& r, const QString& rowId, const QString& rollout);
    // Stores `r` as a new row whose columns agree with its body (a record signed elsewhere, e.g.
    // with a key that is not in the plan).
    bool insertRecord(const LedgerRecord& r);
    // Swaps the seq columns of two rows (through a free value, within one transaction): the
    // bodies stay as they were signed.
    bool swapSeq(const QString& idA, const QString& idB);
    // Executes `sql` (no parameters) with the triggers off.
    bool exec(const QString& sql);

private:
    bool run(const QString& sql, const QVariantList& values);
    // Several statements in one transaction, triggers off; each must change a row.
    bool runAll(const QList<std::pair<QString, QVariantList>>& statements);

    QString m_connectionName;
    QString m_lastError;
};

} // namespace rollout::test
