#pragma once

#include "ledger/LedgerRecord.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QSqlDatabase>
#include <QString>
#include <QStringList>
#include <memory>
#include <optional>

class QSqlError;

namespace rollout {

class Clock;

// This device's own ledger: an SQLite file (WAL, synchronous=FULL) holding the records this
// device signed, chained per device and rollout, and the records pulled from other devices. A record that
// append() returned is on disk: it survives the process being killed and a power loss. Bodies and
// signatures are stored as the exact signed bytes; judging them is LedgerVerifier's job.
//
// One instance is one SQLite connection and belongs to the thread that opened it (open another
// instance on another thread). Several processes may share the file (the console and rolloutctl):
// appends take SQLite's write lock first, so two writers never hand out the same sequence number.
class LocalLedger final
{
public:
    // 2: records unique per (device, rollout, seq), the format-2 chain (docs/ledger-format.md).
    static constexpr int SchemaVersion = 2;

    enum class InsertOutcome
    {
        Inserted,  // a record this ledger did not hold
        Duplicate, // the same id with the same bytes: nothing to do
        Conflict,  // the same id (or device + rollout + seq) with different bytes: tampering; nothing
                   // overwritten
        Rejected,  // not a record: the body does not parse or the signature does not verify
        Failed,    // the database failed (problem says how)
    };

    // Opens or creates the ledger at `path`, applying schema migrations in one transaction.
    // nullptr with `problem` set when the file cannot be used (not SQLite, written by a newer
    // build, WAL unavailable…). `clock` must outlive the ledger.
    static std::unique_ptr<LocalLedger> open(const QString& path, const Clock& clock, QString* problem);
    // Where the console and rolloutctl keep the ledger by default, so that both see the same records:
    // <GenericDataLocation>/rollout-console/ledger.sqlite (~/.local/share/rollout-console/ on Linux).
    static QString defaultPath();
    ~LocalLedger();
    LocalLedger(const LocalLedger&) = delete;
    LocalLedger& operator=(const LocalLedger&) = delete;

    QString path() const { return m_path; }
    // This device's id: a UUID made when the file was created, kept for the file's life.
    QString deviceId() const { return m_deviceId; }

    // Signs and stores a decision. From `fields` it takes rollout, planHash, type, payload, actor,
    // role and id when set; it assigns id (else), device, sequence, previous and timestampMs (from the
    // clock), seals with the key pair, and commits. Returns the stored record, or nullopt with `problem`.
    std::optional<LedgerRecord> append(LedgerRecord fields, const QByteArray& publicKey,
                                       const QByteArray& secretKey, QString* problem);
    // Stores a record another device signed (read from its body; the struct's other fields are
    // ignored). Never overwrites: see InsertOutcome.
    InsertOutcome insertPulled(const LedgerRecord& record, QString* problem = nullptr);

    // Every record (or one rollout's), ordered by (timestamp, device, sequence). Bodies that do
    // not parse still come back (id, device and sequence from their columns) so that a verifier
    // can name them.
    QList<LedgerRecord> records(const QString& rollout = {}, QString* problem = nullptr) const;
    // A cheap mark that changes whenever a record of `rollout` is added, by this process or
    // another one sharing the file (count and newest row): the followers' "anything new?".
    // The newest record of each rollout in the ledger.
    QList<LedgerRecord> lastOfEachRollout(QString* problem = nullptr) const;
    // changeMark() of every rollout in the ledger, in one pass.
    QHash<QString, QString> changeMarks() const;
    QString changeMark(const QString& rollout) const;
    // Records not yet pushed to the shared ledger, in chain order per device and rollout.
    QList<LedgerRecord> unpushed(QString* problem = nullptr) const;
    bool markPushed(const QStringList& ids, QString* problem = nullptr);

    // Reads one PRAGMA as text (journal_mode, synchronous, foreign_keys, user_version): for tests and
    // diagnostics.
    QString pragma(const QString& name) const;

private:
    LocalLedger(const QString& path, const Clock& clock);
    bool setUp(QString* problem);
    bool migrate(QString* problem);
    QString failure(const QString& what, const QSqlError& error) const;
    QList<LedgerRecord> select(const QString& sql, const QVariantList& binds, QString* problem) const;

    QString m_path;
    QString m_connection;
    const Clock& m_clock;
    QSqlDatabase m_db;
    QString m_deviceId;
};

} // namespace rollout
