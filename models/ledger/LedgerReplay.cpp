#include "ledger/LedgerReplay.h"

#include "ledger/EventCodec.h"

#include <algorithm>

namespace rollout {

LedgerReplay::Outcome LedgerReplay::rebuild(RolloutSession& session, const QList<LedgerRecord>& records)
{
    Outcome out;
    out.verdicts = LedgerVerifier::verify(records, session.plan());
    // Decisions in the order they were taken, whichever device took them.
    QList<const RecordVerdict*> order;
    for (const RecordVerdict& v : std::as_const(out.verdicts)) order.append(&v);
    std::stable_sort(order.begin(), order.end(), [](const RecordVerdict* a, const RecordVerdict* b) {
        const qint64 ta = a->record ? a->record->timestampMs : 0, tb = b->record ? b->record->timestampMs : 0;
        return ta < tb;
    });
    for (const RecordVerdict* v : std::as_const(order)) {
        const QString who = v->record ? QStringLiteral(" (%1 by %2)").arg(v->record->type, v->record->actor) : QString();
        if (!countsForGate(*v)) {
            QStringList why;
            for (const RecordVerdict::Failure& f : v->failures) why.append(QStringLiteral("%1: %2").arg(f.check, f.why));
            out.skipped.append(QStringLiteral("record %1%2: %3").arg(v->id, who, why.join(QStringLiteral("; "))));
            continue;
        }
        const LedgerRecord& r = *v->record;
        QString problem;
        const std::optional<RolloutEvent> e = EventCodec::fromRecord(r.type, r.payload, r.actor, r.role, r.timestampMs, &problem);
        if (!e) {
            out.skipped.append(QStringLiteral("record %1%2: %3").arg(v->id, who, problem));
            continue;
        }
        if (!session.restore(*e)) {
            out.skipped.append(QStringLiteral("record %1%2: does not follow from the records before it (%3)").arg(v->id, who, e->describe()));
            continue;
        }
        ++out.restored;
    }
    return out;
}

} // namespace rollout
