#include "ledger/LedgerReplay.h"

#include "ledger/EventCodec.h"

#include <QHash>
#include <algorithm>

namespace rollout {

namespace {

bool changesPhase(EventType t)
{
    return t == EventType::PhaseAdvanced || t == EventType::Completed || t == EventType::RolledBack;
}

QString who(const RecordVerdict& v)
{
    return v.record ? QStringLiteral("%1 (%2 by %3)").arg(v.id, v.record->type, v.record->actor) : v.id;
}

} // namespace

QStringList LedgerReplay::tamperingOf(const RecordVerdict& verdict)
{
    QStringList out;
    for (const RecordVerdict::Failure& f : verdict.tampering())
        out.append(tamperingSentence(verdict, f));
    return out;
}

QList<LedgerReplay::Step> LedgerReplay::applyAll(RolloutSession& session,
                                                 const QList<const RecordVerdict*>& ordered,
                                                 bool ledgerDamaged)
{
    QList<Step> steps(ordered.size());
    QList<std::optional<RolloutEvent>> events(ordered.size());
    for (qsizetype i = 0; i < ordered.size(); ++i) {
        const RecordVerdict& v = *ordered[i];
        steps[i].verdict = &v;
        if (!countsForGate(v)) {
            QStringList why;
            for (const RecordVerdict::Failure& f : v.failures)
                why.append(QStringLiteral("%1: %2").arg(f.check, f.why));
            steps[i].why = why.join(QStringLiteral("; "));
            continue;
        }
        QString problem;
        events[i] = EventCodec::fromRecord(v.record->type, v.record->payload, v.record->actor, v.record->role,
                                           v.record->timestampMs, &problem);
        if (!events[i]) steps[i].why = QStringLiteral("payload: %1").arg(problem);
    }

    // Where lost rollbacks go: the phase each authentic phase change was taken at, against the
    // phase the changes before it lead to.
    const int last = int(session.plan().phases.size()) - 1;
    QHash<qsizetype, std::pair<int, qsizetype>> bridges; // before step i: roll back to phase, shown by step j
    if (ledgerDamaged) {
        int phase = session.isComplete() ? last : session.currentPhase();
        qsizetype damage = -1;
        for (qsizetype i = 0; i < ordered.size(); ++i) {
            if (!events[i]) continue;
            if (ordered[i]->afterDamage && damage < 0) damage = i;
            const RolloutEvent& e = *events[i];
            if (!changesPhase(e.type)) continue;
            if (e.fromPhase < phase) bridges.insert(damage >= 0 ? damage : i, {e.fromPhase, i});
            phase = e.type == EventType::Completed ? last : e.toPhase;
            damage = -1;
        }
    }

    for (qsizetype i = 0; i < ordered.size(); ++i) {
        if (const auto b = bridges.constFind(i); b != bridges.constEnd()) {
            const RecordVerdict& shown = *ordered[b->second];
            RolloutEvent back;
            back.type = EventType::RolledBack;
            back.atMs = shown.record->timestampMs;
            back.fromPhase = session.isComplete() ? last : session.currentPhase();
            back.toPhase = b->first;
            back.actor = QStringLiteral("automation");
            back.role = QStringLiteral("automation");
            back.reason = QStringLiteral("record %1 was taken at phase %2: a rollback before it is missing "
                                         "from the ledger (deleted, or altered and "
                                         "refused)")
                              .arg(who(shown))
                              .arg(b->first + 1);
            if (back.toPhase < back.fromPhase && session.restore(back))
                steps[b->second].bridged = back.reason;
        }
        if (!events[i]) continue;
        if (!session.restore(*events[i])) {
            steps[i].why = QStringLiteral("state: does not follow from the records before it (%1)")
                               .arg(events[i]->describe());
            continue;
        }
        steps[i].event = events[i];
        steps[i].applied = true;
    }
    return steps;
}

LedgerReplay::Outcome LedgerReplay::rebuild(RolloutSession& session, const QList<LedgerRecord>& records)
{
    Outcome out;
    out.verdicts = LedgerVerifier::verify(records, session.plan());
    for (const RecordVerdict& v : std::as_const(out.verdicts))
        out.tampering += tamperingOf(v);
    // Decisions in the order they were taken, whichever device took them.
    QList<const RecordVerdict*> order;
    for (const RecordVerdict& v : std::as_const(out.verdicts))
        order.append(&v);
    std::stable_sort(order.begin(), order.end(), [](const RecordVerdict* a, const RecordVerdict* b) {
        const qint64 ta = a->record ? a->record->timestampMs : 0, tb = b->record ? b->record->timestampMs : 0;
        return ta < tb;
    });
    for (const Step& s : applyAll(session, order, !out.tampering.isEmpty())) {
        if (!s.bridged.isEmpty())
            out.tampering.append(
                QStringLiteral("tampering: %1; the session was rolled back to follow it").arg(s.bridged));
        if (s.applied) {
            ++out.restored;
            if (s.event) out.events.append(*s.event);
            continue;
        }
        const RecordVerdict& v = *s.verdict;
        const QString what =
            v.record ? QStringLiteral(" (%1 by %2)").arg(v.record->type, v.record->actor) : QString();
        out.skipped.append(QStringLiteral("record %1%2: %3").arg(v.id, what, s.why));
    }
    return out;
}

} // namespace rollout
