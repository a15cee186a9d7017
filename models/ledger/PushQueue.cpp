#include "ledger/PushQueue.h"

#include "core/Backoff.h"
#include "ledger/SharedStore.h"

#include <spdlog/spdlog.h>
#include <utility>

namespace rollout {

PushQueue::PushQueue(Pending pending, MarkPushed markPushed, SharedStore& store, QObject* parent)
    : QObject(parent), m_pending(std::move(pending)), m_markPushed(std::move(markPushed)), m_store(store)
{
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, &PushQueue::drain);
}

void PushQueue::setBackoff(int firstMs, int maxMs)
{
    m_firstDelayMs = qMax(1, firstMs);
    m_maxDelayMs = qMax(m_firstDelayMs, maxMs);
    m_failures = 0;
}

void PushQueue::drain()
{
    if (m_draining) return; // a retry timer firing inside a slot that drains
    m_draining = true;
    m_retry.stop();
    const QList<LedgerRecord> pending = m_pending();
    int confirmed = 0;
    for (qsizetype start = 0; start < pending.size(); start += m_batchSize) {
        const PushResult result = m_store.push(pending.mid(start, m_batchSize));
        // Only what the store confirmed; a refused record stays pending and is reported each time
        // until someone looks into it.
        const QStringList ids = result.confirmed();
        if (!ids.isEmpty()) {
            m_markPushed(ids);
            confirmed += int(ids.size());
        }
        for (const StoreRefusal& r : result.refused) {
            spdlog::error("ledger record {} refused by the shared store: {}", r.id.toStdString(),
                          r.why.toStdString());
            Q_EMIT tampering(r.id, r.why);
        }
        if (!result.ok()) {
            m_draining = false;
            scheduleRetry();
            spdlog::warn("ledger push stopped, retry in {} ms: {}", m_retry.interval(),
                         result.error.toStdString());
            if (result.unreachable)
                Q_EMIT storeUnreachable(result.error);
            else
                Q_EMIT storeFailed(result.error);
            return;
        }
    }
    m_failures = 0;
    m_draining = false;
    Q_EMIT drained(confirmed);
}

void PushQueue::scheduleRetry()
{
    m_retry.start(int(Backoff::delayMs(m_firstDelayMs, ++m_failures, m_maxDelayMs)));
}

} // namespace rollout
