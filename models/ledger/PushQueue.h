#pragma once

#include "ledger/LedgerRecord.h"

#include <QObject>
#include <QStringList>
#include <QTimer>
#include <functional>

namespace rollout {

class SharedStore;

// Drains the local ledger's unpushed records into the shared store. The local ledger says what
// is pending and is told what the store confirmed (stored, or already there from an earlier push
// whose confirmation was lost); nothing else is ever marked pushed, so a crash anywhere costs at
// most a repeated push, which the store answers with "already there". When the store cannot be
// reached the queue stops and tries again later, backing off exponentially up to a cap.
//
// drain() blocks on the store: create the queue in the thread the store works in (not the UI
// thread). `pending` and `markPushed` are called in that thread.
class PushQueue final : public QObject
{
    Q_OBJECT

public:
    using Pending = std::function<QList<LedgerRecord>()>;
    using MarkPushed = std::function<void(const QStringList& ids)>;

    static constexpr int DefaultBatchSize = 500;
    static constexpr int DefaultFirstRetryMs = 1000;
    static constexpr int MaxRetryMs = 60000;

    PushQueue(Pending pending, MarkPushed markPushed, SharedStore& store, QObject* parent = nullptr);

    void setBatchSize(int records) { m_batchSize = qMax(1, records); }
    // The first retry's delay; each failure in a row doubles it, up to `maxMs`.
    void setBackoff(int firstMs, int maxMs = MaxRetryMs);
    bool retryPending() const { return m_retry.isActive(); }
    int scheduledRetryMs() const { return m_retry.interval(); } // the delay of the retry last scheduled

public Q_SLOTS:
    void drain();

Q_SIGNALS:
    void drained(int count);                   // this many records confirmed by the store
    void storeUnreachable(const QString& why); // stopped; a retry is scheduled
    void storeFailed(const QString& why);      // the store refused a statement; retry scheduled
    void tampering(const QString& id,
                   const QString& why); // the store holds something else under this record's id

private:
    void scheduleRetry();

    Pending m_pending;
    MarkPushed m_markPushed;
    SharedStore& m_store;
    QTimer m_retry;
    int m_batchSize = DefaultBatchSize;
    int m_firstDelayMs = DefaultFirstRetryMs;
    int m_maxDelayMs = MaxRetryMs;
    int m_failures = 0; // retries in a row since the last drain that went through
    bool m_draining = false;
};

} // namespace rollout
