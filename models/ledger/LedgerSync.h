#pragma once

#include "engine/RolloutSession.h"
#include "ledger/LedgerVerifier.h"
#include "ledger/LocalLedger.h"
#include "ledger/SharedStoreWorker.h"
#include "ledger/StoreSettings.h"

#include <QHash>
#include <QMap>
#include <QObject>
#include <QSet>
#include <QStringList>
#include <QTimer>
#include <memory>

namespace rollout {

struct LedgerSyncOptions
{
    int intervalMs = 2000;    // between rounds while the store answers
    int batchSize = 500;      // records per push
    int maxBackoffMs = 60000; // the longest wait between rounds while the store does not answer
};

// Keeps one rollout's records in the device's ledger and in the shared store in step, without
// blocking the thread it lives in (the console's UI thread): the store's calls run on a
// SharedStoreWorker's thread, and only their answers come back here, where the local ledger
// (one SQLite connection, bound to this thread) and the session are touched.
//
// A round pushes this device's unpushed records of the rollout, then pulls the rollout's records
// stored after the last cursor. Only what the store confirmed is marked pushed. Pulled records
// go into the local ledger as they are; a record that arrived from another device is applied to
// the session when it verifies on its own against the plan (countsForGate: signature, signer,
// rollout, plan), in the order the decisions were taken, and never twice. Everything else is
// reported, never applied.
//
// Tampering in the store is named as such (`tampering`, a sentence starting "tampering: " that
// says the kind): a record whose signature no longer matches its body or whose bytes differ from
// this ledger's copy (changed); a row that copies another record under a new id or from another
// rollout (copied); a gap in a chain, or a record this ledger pushed or pulled that the store no
// longer holds (deleted); a row moved to another seq or a broken link (reordered); a record signed
// by a key nobody in the plan holds. Damage to a chain never hides the authentic records after
// it: they are applied, and a rollback that was lost before them is followed (LedgerReplay::apply).
//
// The cursor lives in memory: after a restart the rollout is pulled from the start again, which
// costs duplicates (no-ops) and nothing else, since records already in the ledger when the sync
// is made count as applied (LedgerReplay replayed them at start-up).
class LedgerSync final : public QObject
{
    Q_OBJECT

public:
    LedgerSync(LocalLedger& ledger, RolloutSession& session, const StoreSettings& settings,
               LedgerSyncOptions options = {}, QObject* parent = nullptr);
    ~LedgerSync() override; // waits for the store call in progress (at most a connect timeout)

    QString rollout() const { return m_rollout; }
    bool isRunning() const { return m_running; }
    bool isSyncing() const { return m_inFlight; } // a round is in flight
    int nextDelayMs() const
    {
        return m_delayMs;
    } // the wait before the next scheduled round (backoff included)

    // Rounds from now until stop(): the first at once, then every intervalMs (longer while the
    // store cannot be reached). A round in flight when stop() is called finishes; no other starts.
    void start();
    void stop();
    // Talk to another store (or the same one, corrected) from the next call on; tries at once.
    void setSettings(const StoreSettings& settings);
    // Records the session already holds (e.g. replayed by other means): never applied again.
    void markKnown(const QStringList& ids);
    // Follow mode: the store wakes this sync when a record of the rollout is stored by another
    // connection (PostgreSQL LISTEN/NOTIFY on the worker's connection), and a round pulls it at
    // once; intervalMs is then only a safety poll for a notification lost with the connection.
    void listenForNotifications();
    bool listening() const { return m_listening; }
    // The worker this sync talks to the store through (one connection): the driver lease uses it too.
    SharedStoreWorker& worker() { return *m_worker; }

public Q_SLOTS:
    // A round as soon as possible: now, or right after the round in flight (which may have read
    // the ledger before the caller's latest record). Ignores the backoff.
    void syncNow();

    // The whole rollout's chain as verified by the last round that applied something: what a view
    // shows, without verifying the ledger a second time.
    const QList<RecordVerdict>& lastVerdicts() const { return m_lastVerdicts; }

Q_SIGNALS:
    void storeHealth(bool reachable, const QString& why);         // when it changes
    void tampering(const QString& id, const QString& why);        // once per record id and kind per run
    void rejected(const QString& id, const QStringList& reasons); // "check: why" each; never applied
    void applied(int count);                                      // after every round that pulled
    // Each record of another device applied to the session (after it verified), as it is applied.
    void recordApplied(const rollout::LedgerRecord& record, const rollout::RolloutEvent& event);
    // The rollout's driver lease changed hands or was given back (a notification).
    void leaseNotified();
    // The rollout's driver published what it sees (SharedStore::publishView).
    void viewNotified();
    void roundFinished();

private:
    void beginRound();
    void pushNextBatch();
    void onPushed(const PushResult& result);
    void onPulled(const QString& rollout, const QList<StoredRecord>& records, qint64 cursor,
                  const QString& error);
    // Verifies the local chain, reports the tampering it shows around the newly arrived records,
    // and applies those that verify on their own, in timestamp order.
    int applyArrived(const QSet<QString>& arrived);
    // Names what was done to a row whose columns disagree with its signed body; true when the
    // body itself may still be stored (it is judged like any other).
    bool reportRow(const StoredRecord& row);
    // After a pull from the start: records this ledger holds as pushed that the store lost.
    void reportDeletions(const QList<StoredRecord>& rows);
    // Verdicts for pulled records the ledger would not hold, read against the local chain.
    void rejectSuspects(const QList<LedgerRecord>& suspects, const QMap<QString, QString>& whys);
    void finishRound(bool reachable, const QString& why);
    void reportTampering(const QString& id, Tampering kind, const QString& why);
    void reportRejected(const QString& id, const QStringList& reasons);

    LocalLedger& m_ledger;
    RolloutSession& m_session;
    StoreSettings m_settings;
    LedgerSyncOptions m_options;
    QString m_rollout;
    QString m_deviceId;
    std::unique_ptr<SharedStoreWorker> m_worker;
    QTimer m_timer;

    bool m_running = false;
    bool m_listening = false;
    bool m_inFlight = false;
    bool m_again = false;
    int m_delayMs = 0;
    int m_failuresInARow = 0;
    bool m_healthKnown = false;
    bool m_healthy = false;
    QString m_healthWhy;

    QList<LedgerRecord> m_pending; // this round's records to push
    qsizetype m_pushOffset = 0;
    qint64 m_cursor = 0;

    QSet<QString> m_applied;        // in the session: replayed before we started, or applied by us
    QSet<QString> m_tamperingSeen;  // id + kind: reported once per run
    QSet<QString> m_refusedByStore; // our records the store would not take: not sent again this run
    QSet<QString> m_rejectedSeen;
    // Pulled records the ledger would not hold (their signature fails): judged with the chain, so
    // that the record after one is not reported as following a gap.
    QHash<QString, LedgerRecord> m_altered;
    bool m_damaged = false; // tampering seen this run (or in the ledger at start)
    QList<RecordVerdict> m_lastVerdicts;
};

} // namespace rollout
