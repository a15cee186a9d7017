#pragma once

#include "ledger/SharedStore.h"

#include <QObject>
#include <QPointer>
#include <QThread>
#include <functional>
#include <memory>

namespace rollout {

// The shared store for the console: the same calls as SharedStore, without blocking the caller.
// Each call is queued to a thread of the worker's own, where one SharedStore (one connection)
// does the work in order; the answer comes back as a signal in the worker's thread (the UI
// thread when the console made it). Calls still queued when the worker is destroyed are dropped:
// nothing is lost, since the local ledger keeps unconfirmed records pending.
class SharedStoreWorker final : public QObject
{
    Q_OBJECT

public:
    explicit SharedStoreWorker(const StoreSettings& settings, QObject* parent = nullptr);
    ~SharedStoreWorker() override; // waits for the call in progress (at most a connect timeout)

public Q_SLOTS:
    void push(const QList<rollout::LedgerRecord>& records);
    void pull(const QString& rollout, qint64 afterCursor);
    void claimTransition(const rollout::LedgerRecord& transition, const QString& predecessorId,
                         qint64 leaseMs = 60000);
    // Gives a granted claim back (fire and forget; claimReleased tells how it went).
    void releaseClaim(const QString& claimId, const QString& rollout, const QString& reason);
    // Calls queued after this one use `settings` (queued in order, so never in the middle of a call).
    void setSettings(const rollout::StoreSettings& settings);
    // The driver lease (SharedStore::acquireLease / readLease): the answer comes as leaseAnswered.
    void acquireLease(const rollout::LeaseHolder& me, qint64 ttlMs, const QString& stealToken = {});
    void readLease(const QString& rollout);
    void releaseLease(const QString& rollout, const QString& token);
    // From now on the worker's connection LISTENs on the rollout's channel (also after a
    // reconnect; the next call connects when nothing else did): `notified` for every notification.
    void listen(const QString& rollout);
    // The driver's view (SharedStore::publishView / readViews): answers come as viewPublished,
    // viewsRead. readViews with no rollout reads every published view.
    void publishView(const QString& rollout, const QString& token, const QByteArray& view);
    void readViews(const QStringList& rollouts);
    // Every rollout of the store with its driver (SharedStore::rollouts), then its views: rolloutsRead.
    void readRollouts();

public:
    // Gives the lease back and waits for the answer (at most `timeoutMs`): on the way out, when
    // queued calls would be dropped. True when the store confirmed it.
    bool releaseLeaseAndWait(const QString& rollout, const QString& token, int timeoutMs = 3000);

Q_SIGNALS:
    void pushed(const rollout::PushResult& result);
    void pulled(const QString& rollout, const QList<rollout::StoredRecord>& records, qint64 cursor,
                const QString& error);
    void transitionClaimed(const QString& recordId, const rollout::TransitionOutcome& outcome);
    void claimReleased(const QString& claimId, bool ok, const QString& error);
    void leaseAnswered(const rollout::LeaseOutcome& outcome);
    // Another connection stored a record of `rollout` ("record <type>") or changed its lease ("lease").
    void notified(const QString& rollout, const QString& payload);
    void viewPublished(const QString& rollout, bool ok, const QString& error);
    void viewsRead(const QList<rollout::StoredView>& views, const QString& error);
    void rolloutsRead(const QList<rollout::StoredRollout>& rollouts, const QList<rollout::StoredView>& views,
                      const QString& error);

private:
    // Runs `job` on the store's thread with the store.
    void run(std::function<void(SharedStore&)> job);
    // Runs `work` on the store's thread, then `answer` with its result in the worker's thread.
    template <typename Work, typename Answer> void ask(Work work, Answer answer)
    {
        QPointer<SharedStoreWorker> self(this);
        run([self, work = std::move(work), answer = std::move(answer)](SharedStore& store) mutable {
            auto result = work(store);
            if (self)
                QMetaObject::invokeMethod(
                    self.data(),
                    [self, result = std::move(result), answer]() mutable {
                        if (self) answer(*self, result);
                    },
                    Qt::QueuedConnection);
        });
    }

    QThread m_thread;
    QObject* m_context = nullptr;         // lives on m_thread; queued jobs run in its thread
    std::shared_ptr<SharedStore> m_store; // used on m_thread only; created there on first use
};

} // namespace rollout
