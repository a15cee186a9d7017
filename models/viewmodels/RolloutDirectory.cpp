#include "viewmodels/RolloutDirectory.h"

#include "ledger/LedgerReplay.h"
#include "ledger/LocalLedger.h"
#include "metrics/TimeSeriesStore.h"
#include "plan/PlanLoader.h"

#include <QDateTime>
#include <QFileInfo>
#include <QHash>

namespace rollout {

namespace {

QString fileStamp(const QString& path)
{
    const QFileInfo f(path);
    return f.exists()
               ? QStringLiteral("%1@%2:%3").arg(path).arg(f.lastModified().toMSecsSinceEpoch()).arg(f.size())
               : path + QStringLiteral("@-");
}

} // namespace

QList<RolloutSummary> RolloutDirectory::read(const QList<Source>& plans, const QString& ledgerPath,
                                             const QString& personId, const QSet<QString>& skip,
                                             const Clock& clock)
{
    QList<RolloutSummary> out;
    QSet<QString> known = skip;
    QString ledgerProblem;
    QHash<QString, QList<LedgerRecord>> byRollout;
    QMap<QString, LedgerRecord> last; // the newest record of each rollout
    if (std::unique_ptr<LocalLedger> ledger = LocalLedger::open(ledgerPath, clock, &ledgerProblem)) {
        for (const LedgerRecord& r : ledger->records({}, &ledgerProblem)) {
            byRollout[r.rollout].append(r);
            last.insert(r.rollout, r);
        }
    }
    for (const Source& source : plans) {
        PlanLoadResult loaded = PlanLoader::loadFile(source.planPath);
        if (!loaded.plan) {
            RolloutSummary bad;
            bad.rollout = QFileInfo(source.planPath).fileName();
            bad.planPath = source.planPath;
            bad.source = source.kind;
            bad.health = Severity::Bad;
            bad.healthText = QObject::tr("the plan does not load");
            bad.note = loaded.errors.isEmpty() ? QString() : loaded.errors.first().toString();
            bad.blockers = bad.note;
            out.append(bad);
            continue;
        }
        if (known.contains(loaded.plan->rollout)) continue;
        known.insert(loaded.plan->rollout);
        TimeSeriesStore samples;
        RolloutSession session(std::move(*loaded.plan), samples, clock);
        const LedgerReplay::Outcome replay =
            LedgerReplay::rebuild(session, byRollout.value(session.plan().rollout));
        // Damage in its history holds it, in view only (nothing can be signed here).
        QStringList damaged;
        for (const RecordVerdict& v : replay.verdicts)
            if (!v.tampering().isEmpty()) damaged.append(v.id);
        if (!replay.tampering.isEmpty()) session.holdForDamage(damaged, replay.tampering.first());
        RolloutSummary s = RolloutSummary::of(session, personId, false);
        s.planPath = source.planPath;
        s.source = source.kind;
        if (!ledgerProblem.isEmpty()) s.note = ledgerProblem;
        out.append(s);
    }
    // The ledger's other rollouts: decided elsewhere, their plan not opened here.
    for (auto it = last.begin(); it != last.end(); ++it) {
        if (known.contains(it.key())) continue;
        RolloutSummary s;
        s.rollout = it.key();
        s.source = QStringLiteral("ledger");
        s.note = QObject::tr("plan not opened here: File → Open its plan");
        s.healthText = QObject::tr("last: %1 by %2").arg(it->type, it->actor);
        s.blockers = s.note;
        out.append(s);
    }
    return out;
}

QList<RolloutSummary> RolloutDirectory::readCached(const QList<Source>& plans, const QString& ledgerPath,
                                                   const QString& personId, const QSet<QString>& skip,
                                                   const Clock& clock, qint64 maxAgeMs)
{
    QStringList parts{personId, fileStamp(ledgerPath), fileStamp(ledgerPath + QStringLiteral("-wal"))};
    for (const Source& s : plans)
        parts.append(fileStamp(s.planPath) + s.kind);
    QStringList open(skip.begin(), skip.end());
    open.sort();
    parts += open;
    const QString stamp = parts.join(QLatin1Char('|'));
    const qint64 now = clock.nowMs();
    if (stamp == m_stamp && now >= m_readAtMs && now - m_readAtMs < maxAgeMs) return m_last;
    m_last = read(plans, ledgerPath, personId, skip, clock);
    m_stamp = stamp;
    m_readAtMs = now;
    ++m_reads;
    return m_last;
}

} // namespace rollout
