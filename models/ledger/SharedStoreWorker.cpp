#include "ledger/SharedStoreWorker.h"

#include <QPointer>
#include <QSemaphore>
#include <atomic>

namespace rollout {

SharedStoreWorker::SharedStoreWorker(const StoreSettings& settings, QObject* parent)
    : QObject(parent), m_context(new QObject), m_store(std::make_shared<SharedStore>(settings))
{
    m_thread.setObjectName(QStringLiteral("SharedStoreWorker"));
    m_context->moveToThread(&m_thread);
    // The store's QSqlDatabase connection must be closed on the thread that opened it: finished
    // is emitted on m_thread, so the store is released there, then the context.
    connect(
        &m_thread, &QThread::finished, m_context, [store = m_store]() mutable { store->close(); },
        Qt::DirectConnection);
    connect(&m_thread, &QThread::finished, m_context, &QObject::deleteLater);
    QPointer<SharedStoreWorker> self(this);
    m_store->setNotificationHandler([self](const QString& rollout, const QString& payload) {
        if (self)
            QMetaObject::invokeMethod(
                self.data(),
                [self, rollout, payload] {
                    if (self) Q_EMIT self->notified(rollout, payload);
                },
                Qt::QueuedConnection);
    });
    m_thread.start();
}

SharedStoreWorker::~SharedStoreWorker()
{
    m_thread.quit();
    m_thread.wait();
    // The store was closed on its thread; its destructor (here or in a dropped job) only unregisters it.
}

void SharedStoreWorker::run(std::function<void(SharedStore&)> job)
{
    QMetaObject::invokeMethod(
        m_context, [store = m_store, job = std::move(job)] { job(*store); }, Qt::QueuedConnection);
}

void SharedStoreWorker::push(const QList<LedgerRecord>& records)
{
    QPointer<SharedStoreWorker> self(this);
    run([self, records](SharedStore& store) {
        const PushResult result = store.push(records);
        if (self)
            QMetaObject::invokeMethod(
                self.data(),
                [self, result] {
                    if (self) Q_EMIT self->pushed(result);
                },
                Qt::QueuedConnection);
    });
}

void SharedStoreWorker::pull(const QString& rollout, qint64 afterCursor)
{
    QPointer<SharedStoreWorker> self(this);
    run([self, rollout, afterCursor](SharedStore& store) {
        qint64 cursor = afterCursor;
        QString error;
        const QList<StoredRecord> records = store.pull(rollout, afterCursor, &cursor, &error);
        if (self)
            QMetaObject::invokeMethod(
                self.data(),
                [self, rollout, records, cursor, error] {
                    if (self) Q_EMIT self->pulled(rollout, records, cursor, error);
                },
                Qt::QueuedConnection);
    });
}

void SharedStoreWorker::releaseClaim(const QString& claimId, const QString& rollout, const QString& reason)
{
    QPointer<SharedStoreWorker> self(this);
    run([self, claimId, rollout, reason](SharedStore& store) {
        QString error;
        const bool ok = store.releaseClaim(claimId, rollout, reason, &error);
        if (self)
            QMetaObject::invokeMethod(
                self.data(),
                [self, claimId, ok, error] {
                    if (self) Q_EMIT self->claimReleased(claimId, ok, error);
                },
                Qt::QueuedConnection);
    });
}

void SharedStoreWorker::claimTransition(const LedgerRecord& transition, const QString& predecessorId,
                                        qint64 leaseMs)
{
    QPointer<SharedStoreWorker> self(this);
    run([self, transition, predecessorId, leaseMs](SharedStore& store) {
        store.setClaimLeaseMs(leaseMs);
        const TransitionOutcome outcome = store.claimTransition(transition, predecessorId);
        const QString id = transition.id;
        if (self)
            QMetaObject::invokeMethod(
                self.data(),
                [self, id, outcome] {
                    if (self) Q_EMIT self->transitionClaimed(id, outcome);
                },
                Qt::QueuedConnection);
    });
}

void SharedStoreWorker::setSettings(const StoreSettings& settings)
{
    run([settings](SharedStore& store) { store.setSettings(settings); });
}

void SharedStoreWorker::acquireLease(const LeaseHolder& me, qint64 ttlMs, const QString& stealToken)
{
    QPointer<SharedStoreWorker> self(this);
    run([self, me, ttlMs, stealToken](SharedStore& store) {
        const LeaseOutcome outcome = store.acquireLease(me, ttlMs, stealToken);
        if (self)
            QMetaObject::invokeMethod(
                self.data(),
                [self, outcome] {
                    if (self) Q_EMIT self->leaseAnswered(outcome);
                },
                Qt::QueuedConnection);
    });
}

void SharedStoreWorker::readLease(const QString& rollout)
{
    QPointer<SharedStoreWorker> self(this);
    run([self, rollout](SharedStore& store) {
        const LeaseOutcome outcome = store.readLease(rollout);
        if (self)
            QMetaObject::invokeMethod(
                self.data(),
                [self, outcome] {
                    if (self) Q_EMIT self->leaseAnswered(outcome);
                },
                Qt::QueuedConnection);
    });
}

void SharedStoreWorker::releaseLease(const QString& rollout, const QString& token)
{
    run([rollout, token](SharedStore& store) { store.releaseLease(rollout, token); });
}

bool SharedStoreWorker::releaseLeaseAndWait(const QString& rollout, const QString& token, int timeoutMs)
{
    // The semaphore and the flag outlive this call when the store answers too late.
    auto done = std::make_shared<QSemaphore>();
    auto ok = std::make_shared<std::atomic_bool>(false);
    run([rollout, token, done, ok](SharedStore& store) {
        ok->store(store.releaseLease(rollout, token));
        done->release();
    });
    return done->tryAcquire(1, timeoutMs) && ok->load();
}

void SharedStoreWorker::listen(const QString& rollout)
{
    run([rollout](SharedStore& store) {
        store.listen(rollout);
        store.open(); // connect now, so that the LISTEN is in place before the first notification
    });
}

void SharedStoreWorker::publishView(const QString& rollout, const QString& token, const QByteArray& view)
{
    ask(
        [rollout, token, view](SharedStore& store) {
            QString error;
            const bool ok = store.publishView(rollout, token, view, &error);
            return std::make_pair(ok, error);
        },
        [rollout](SharedStoreWorker& self, const std::pair<bool, QString>& r) {
            Q_EMIT self.viewPublished(rollout, r.first, r.second);
        });
}

void SharedStoreWorker::readViews(const QStringList& rollouts)
{
    ask(
        [rollouts](SharedStore& store) {
            QString error;
            QList<StoredView> views = store.readViews(rollouts, &error);
            return std::make_pair(views, error);
        },
        [](SharedStoreWorker& self, const std::pair<QList<StoredView>, QString>& r) {
            Q_EMIT self.viewsRead(r.first, r.second);
        });
}

void SharedStoreWorker::readRollouts()
{
    struct Answer
    {
        QList<StoredRollout> rollouts;
        QList<StoredView> views;
        QString error;
    };
    ask(
        [](SharedStore& store) {
            Answer a;
            a.rollouts = store.rollouts(&a.error);
            if (a.error.isEmpty()) a.views = store.readViews({}, &a.error);
            return a;
        },
        [](SharedStoreWorker& self, const Answer& a) {
            Q_EMIT self.rolloutsRead(a.rollouts, a.views, a.error);
        });
}

} // namespace rollout
