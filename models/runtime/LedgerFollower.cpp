#include "runtime/LedgerFollower.h"

#include "ledger/EventCodec.h"
#include "ledger/LedgerVerifier.h"

namespace rollout {

LedgerFollower::LedgerFollower(LocalLedger& ledger, RolloutSession& session, QObject* parent)
    : QObject(parent), m_ledger(ledger), m_session(session)
{
}

void LedgerFollower::markAllKnown()
{
    m_mark = m_ledger.changeMark(m_session.plan().rollout);
    for (const LedgerRecord& r : m_ledger.records(m_session.plan().rollout))
        m_known.insert(r.id);
}

void LedgerFollower::poll()
{
    const QString mark = m_ledger.changeMark(m_session.plan().rollout);
    if (mark == m_mark) return;
    m_mark = mark;
    const QList<LedgerRecord> all = m_ledger.records(m_session.plan().rollout);
    // Records of this device written by another process sharing the file; other devices' records
    // arrive through the shared store, and LedgerSync applies those.
    auto isNew = [&](const QString& id, const std::optional<LedgerRecord>& r) {
        return !m_known.contains(id) && r && r->device == m_ledger.deviceId();
    };
    bool anyNew = false;
    for (const LedgerRecord& r : all)
        anyNew = anyNew || isNew(r.id, r);
    if (!anyNew) return;
    // The chain and clock checks need every record of the rollout, not only the new ones.
    const QList<RecordVerdict> verdicts = LedgerVerifier::verify(all, m_session.plan());
    QList<const RecordVerdict*> order;
    for (const RecordVerdict& v : verdicts)
        if (isNew(v.id, v.record)) order.append(&v);
    std::stable_sort(order.begin(), order.end(), [](const RecordVerdict* a, const RecordVerdict* b) {
        return (a->record ? a->record->timestampMs : 0) < (b->record ? b->record->timestampMs : 0);
    });
    for (const RecordVerdict* v : std::as_const(order)) {
        m_known.insert(v->id);
        if (!countsForGate(*v)) {
            QStringList why;
            for (const RecordVerdict::Failure& f : v->failures)
                why.append(f.check + QStringLiteral(": ") + f.why);
            Q_EMIT rejected(v->id, why.join(QStringLiteral("; ")));
            continue;
        }
        const LedgerRecord& r = *v->record;
        QString problem;
        const std::optional<RolloutEvent> e =
            EventCodec::fromRecord(r.type, r.payload, r.actor, r.role, r.timestampMs, &problem);
        if (!e) {
            Q_EMIT rejected(r.id, QStringLiteral("payload: %1").arg(problem));
            continue;
        }
        if (!m_session.restore(*e)) {
            Q_EMIT rejected(
                r.id,
                QStringLiteral("state: does not follow from the records before it (%1)").arg(e->describe()));
            continue;
        }
        Q_EMIT applied(*e);
    }
}

} // namespace rollout
