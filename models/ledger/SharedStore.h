#pragma once

#include "ledger/LedgerRecord.h"
#include "ledger/StoreSettings.h"

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>
#include <functional>
#include <optional>

class QSqlDatabase;
class QSqlQuery;

namespace rollout {

// A record the store would not take, and why (a different record already holds its id or its
// device's sequence number, or its body is not a ledger record).
struct StoreRefusal
{
    QString id;
    QString why;
};

// What one push did. `stored` and `alreadyThere` are the ids the store confirmed (the local ledger
// may mark those pushed); records in neither list were not confirmed. A non-empty `error` means
// the push stopped (nothing of that batch was committed); `unreachable` says the store could not
// be reached at all, as opposed to refusing a statement.
struct PushResult
{
    QStringList stored;
    QStringList alreadyThere;
    QList<StoreRefusal> refused;
    QString error;
    bool unreachable = false;

    bool ok() const { return error.isEmpty(); }
    QStringList confirmed() const { return stored + alreadyThere; }
};

// Who drives a rollout: the process holding its lease in the store (docs/ledger-format.md,
// "Driving and following"). `token` is unique per process run; the rest says who it is, for
// "driven by watch (automation) on build-7, pid 4242".
struct LeaseHolder
{
    QString rollout;
    QString token;
    QString device;
    QString person;
    QString kind; // "watch", "console", "bench"
    QString host;
    qint64 pid = 0;
    qint64 heartbeatAgeMs = 0; // as the store saw it when answering
    qint64 expiresInMs = 0;    // negative: lapsed that long ago

    bool isSet() const { return !token.isEmpty(); }
    bool live() const { return isSet() && expiresInMs > 0; }
    // "watch (automation) on device d-1 at build-7, pid 4242, last heartbeat 1.2 s ago"
    QString describe() const;
};

// What a rollout's driver last published of what it sees (SharedStore::publishView): `view` is
// the driver's JSON (DriverView), as stored; `ageMs` how long ago it was written, by the store's
// clock; `driverLive` whether the token that wrote it still holds a live lease.
struct StoredView
{
    QString rollout;
    QString token;
    QByteArray view;
    qint64 ageMs = 0;
    bool driverLive = false;
};

// Every rollout the store holds records of, for the home: its latest record and who drives it.
struct StoredRollout
{
    QString rollout;
    QString latestType; // the type of its latest record
    qint64 latestMs = 0;
    qint64 records = 0;
    LeaseHolder driver; // unset when nobody holds its lease
};

// The answer to a lease request: `won` (this process holds it now, also when it renews), else
// `holder` is who holds it (empty when the store could not say); `error` when the store failed.
struct LeaseOutcome
{
    bool won = false;
    LeaseHolder holder;
    QString error;
    bool unreachable = false;

    bool ok() const { return error.isEmpty(); }
};

// One row as the store holds it. `record` is parsed from the stored body when it parses, and is
// otherwise filled from the row's columns with body and signature as stored; either way body and
// signature are the stored bytes, untouched. `problem` says why the row is suspect: the body no
// longer parses, or a column (id, rollout, device, seq…) disagrees with the body. Whether the
// signature holds and the chain is whole is the verifier's question, not the store's.
struct StoredRecord
{
    LedgerRecord record;
    qint64 cursor = 0;
    QDateTime receivedAt;
    bool bodyParses = true;
    QString problem;
    // The row's own columns, as stored: an id column that is not the body's id is a copy under a
    // new id; a seq column that is not the body's seq, a record moved in the chain.
    QString rowId;
    QString rowDevice;
    QString rowRollout;
    qint64 rowSeq = 0;
    QStringList mismatches; // the columns that disagree with the body: id, device, seq, rollout, plan_sha256,
                            // type, ts_ms
};

// The result of claiming the step after `predecessor` in a rollout's phase-transition chain.
// won: this record is the successor (also when it already was: claiming is idempotent).
// Otherwise, when `error` is empty, another record won: winnerId/winnerActor/winnerTimestampMs
// say who, for "already advanced by rita at 14:02"; nothing of this claim was stored. (So a
// transition record must be claimed before the push queue sends it: a record already pushed stays.)
struct TransitionOutcome
{
    bool won = false;
    QString winnerId;
    QString winnerActor;
    qint64 winnerTimestampMs = 0;
    bool winnerPending =
        false; // the winning claim's advance has not reached the store yet (within its lease)
    QString error;
    bool unreachable = false;

    bool ok() const { return error.isEmpty(); }
};

// The shared PostgreSQL ledger store: append-only signed records, pushed by every console and
// pulled by every verifier, plus the phase-transition claims that stop two consoles advancing the
// same rollout twice. Synchronous and blocking (a connect may take up to 5 s): use it from
// rolloutctl, tests, or a worker thread — the console goes through SharedStoreWorker. One
// instance is one database connection, bound to the thread that first uses it; never share an
// instance between threads.
class SharedStore final
{
public:
    // 2: records unique per (device, rollout, seq), the format-2 chain (docs/ledger-format.md).
    // 3: claim_outcomes, what became of each granted advance claim.
    // 4: driver_leases (who drives each rollout) and NOTIFY on every stored record and lease change.
    // 5: driver_views (what the driver sees), NOTIFY "view" on each write.
    static constexpr int SchemaVersion = 5;
    static constexpr int ConnectTimeoutSeconds = 5;

    explicit SharedStore(StoreSettings settings);
    ~SharedStore();
    SharedStore(const SharedStore&) = delete;
    SharedStore& operator=(const SharedStore&) = delete;

    // Uses other settings from the next call on (closes the current connection).
    void setSettings(const StoreSettings& settings);
    const StoreSettings& settings() const { return m_settings; }

    // Connects and brings the schema up to date. Every call below does this when needed, so
    // calling it is only a way to learn early that the store is unreachable ("" when fine).
    QString open();
    void close();

    // Idempotent, one transaction per batch: the same record again is counted as already there;
    // a different record under an existing id or (device, rollout, seq) is refused without blocking the rest.
    PushResult push(const QList<LedgerRecord>& records);

    // The records of `rollout` stored after `afterCursor` (0: from the start), in store order, at
    // most `limit` (0: all). `newCursor` gets the last one's cursor (or afterCursor when none).
    QList<StoredRecord> pull(const QString& rollout, qint64 afterCursor, qint64* newCursor,
                             QString* error = nullptr, int limit = 0);

    // In one SQL transaction: store `transition` (idempotently) and make it the successor of
    // `predecessorId` ("" for the rollout's first transition), unless another record already is.
    // A claim that holds the slot is gone past when it was released or when it is older than the
    // lease without its advance (expired, noted in claim_outcomes): a claim never wedges a rollout.
    TransitionOutcome claimTransition(const LedgerRecord& transition, const QString& predecessorId);
    // The owner of a granted claim gives it back (the gate closed after the grant): the next
    // claim may take the slot at once. Recorded in claim_outcomes as "released", with the reason.
    bool releaseClaim(const QString& claimId, const QString& rollout, const QString& reason,
                      QString* error = nullptr);
    // "advanced", "released", "expired", or "" (still pending, or not a claim).
    QString claimOutcome(const QString& claimId, QString* error = nullptr);
    // How long a granted claim may wait for its advance before the next claim goes past it.
    void setClaimLeaseMs(qint64 ms) { m_claimLeaseMs = ms; }

    // Driving (SharedStoreLease.cpp). Takes the rollout's lease for `me` for `ttlMs` from now
    // (server time), or renews it when `me.token` holds it: granted when nobody holds it, when its
    // lease lapsed, or when its holder's token is `stealToken` (a holder known to be dead: a
    // process of this host that no longer runs). Otherwise says who holds it.
    LeaseOutcome acquireLease(const LeaseHolder& me, qint64 ttlMs, const QString& stealToken = {});
    // Who holds the rollout's lease, lapsed or not (holder unset when nobody ever took it or it
    // was given back).
    LeaseOutcome readLease(const QString& rollout);
    // Gives the lease back when `token` holds it (the next driver need not wait for it to lapse).
    bool releaseLease(const QString& rollout, const QString& token, QString* error = nullptr);

    // The driver's view (SharedStoreViews.cpp). Writes `view` as the rollout's driver view when
    // `token` holds its live lease; false with nothing written otherwise (`error` says which).
    bool publishView(const QString& rollout, const QString& token, const QByteArray& view,
                     QString* error = nullptr);
    // The rollout's last published view (nullopt when none was, or on an error: `error` says).
    std::optional<StoredView> readView(const QString& rollout, QString* error = nullptr);
    // Every rollout with records in the store, latest first, with its driver (the home).
    QList<StoredRollout> rollouts(QString* error = nullptr);
    // The published views of the rollouts named (empty: all).
    QList<StoredView> readViews(const QStringList& rollouts, QString* error = nullptr);

    // Listening (SharedStoreLease.cpp): from now on this connection LISTENs on the channel of each
    // rollout named here, also after a reconnect, and `handler` gets every notification another
    // connection sent on one ("record <type>" or "lease"), in the thread that uses this store.
    // The connection's own notifications are dropped. Needs that thread to run an event loop.
    void listen(const QString& rollout);
    void setNotificationHandler(std::function<void(const QString& rollout, const QString& payload)> handler);
    // The channel of a rollout's notifications: "rollout_" + md5(rollout) (any rollout id fits
    // PostgreSQL's 63-byte identifiers).
    static QString channelFor(const QString& rollout);

    // The lease columns of driver_leases as leaseHolderFrom reads them (8 values from `first`).
    static constexpr const char* LeaseColumns =
        "token, device, person, kind, host, pid,"
        " (extract(epoch from clock_timestamp() - heartbeat_at) * 1000)::bigint,"
        " (extract(epoch from expires_at - clock_timestamp()) * 1000)::bigint";
    static LeaseHolder leaseHolderFrom(const QString& rollout, const QSqlQuery& q, int first);

private:
    bool ensureOpen(QString* error, bool* unreachable);
    void subscribe(QSqlDatabase& db);
    bool migrate(QSqlDatabase& db, QString* error);
    // Inserts the records that are new; sorts every record into stored / alreadyThere / refused.
    bool insertRecords(QSqlDatabase& db, const QList<LedgerRecord>& records, PushResult* result);
    // After a failed statement: drop the connection so the next call reconnects, and tell
    // whether the server is gone (unreachable) or refused the statement.
    void failed(const QString& what, const QSqlQuery& query, QString* error, bool* unreachable);

    StoreSettings m_settings;
    QString m_connectionName;
    qint64 m_claimLeaseMs = 60000;
    bool m_reconnect = false;
    QHash<QString, QString> m_listening; // channel → rollout
    std::function<void(const QString&, const QString&)> m_onNotification;
};

} // namespace rollout
