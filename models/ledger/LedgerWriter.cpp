#include "ledger/LedgerWriter.h"

#include "ledger/LocalLedger.h"

namespace rollout {

std::unique_ptr<LedgerWriter> LedgerWriter::open(const QString& path, const Clock& clock, QString* problem)
{
    std::unique_ptr<LedgerWriter> w(new LedgerWriter);
    w->m_thread.setObjectName(QStringLiteral("ledger writer"));
    w->m_worker = new QObject;
    w->m_worker->moveToThread(&w->m_thread);
    QObject::connect(&w->m_thread, &QThread::finished, w->m_worker, &QObject::deleteLater);
    w->m_thread.start();
    // The connection belongs to the thread that opens it: open it there, and wait for the answer.
    bool ok = false;
    QMetaObject::invokeMethod(
        w->m_worker,
        [&] {
            w->m_ledger = LocalLedger::open(path, clock, problem);
            ok = w->m_ledger != nullptr;
        },
        Qt::BlockingQueuedConnection);
    if (!ok) return nullptr;
    return w;
}

LedgerWriter::~LedgerWriter()
{
    // The appends already queued run first (the queue is in order), then the connection closes
    // on its own thread.
    if (m_worker)
        QMetaObject::invokeMethod(
            m_worker, [this] { m_ledger.reset(); }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

void LedgerWriter::append(const LedgerRecord& fields, const Ed25519::KeyPair& key)
{
    // The key's bytes are shared with the recorder's copy (implicit sharing): nothing new to wipe.
    // `this` outlives every queued append (the destructor drains the queue first); an answer
    // posted back to a writer already gone is dropped by Qt with the object's posted events.
    QMetaObject::invokeMethod(m_worker, [this, fields, key] {
        QString problem;
        const std::optional<LedgerRecord> r =
            m_ledger->append(fields, key.publicKey, key.secretKey, &problem);
        if (r)
            QMetaObject::invokeMethod(
                this, [this, rec = *r] { Q_EMIT appended(rec); }, Qt::QueuedConnection);
        else
            QMetaObject::invokeMethod(
                this, [this, id = fields.id, problem] { Q_EMIT failed(id, problem); }, Qt::QueuedConnection);
    });
}

} // namespace rollout
