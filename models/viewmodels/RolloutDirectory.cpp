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

// One plan's summary, from its records in the ledger.
RolloutSummary summarize(Plan plan, const QList<LedgerRecord>& records, const QString& personId,
                         const Clock& clock)
{
    TimeSeriesStore samples;
    RolloutSession session(std::move(plan), samples, clock);
    const LedgerReplay::Outcome replay = LedgerReplay::rebuild(session, records);
    // Damage in its history holds it, in view only (nothing can be signed here).
    QStringList damaged;
    for (const RecordVerdict& v : replay.verdicts)
        if (!v.tampering().isEmpty()) damaged.append(v.id);
    if (!replay.tampering.isEmpty()) session.holdForDamage(damaged, replay.tampering.first());
    return RolloutSummary::of(session, personId, false);
}

RolloutSummary unloadable(const RolloutDirectory::Source& source, const PlanLoadResult& loaded)
{
    RolloutSummary bad;
    bad.rollout = QFileInfo(source.planPath).fileName();
    bad.planPath = source.planPath;
    bad.source = source.kind;
    bad.health = Severity::Bad;
    bad.healthText = QObject::tr("the plan does not load");
    bad.note = loaded.errors.isEmpty() ? QString() : loaded.errors.first().toString();
    bad.blockers = bad.note;
    return bad;
}

RolloutSummary elsewhere(const LedgerRecord& last)
{
    RolloutSummary s;
    s.rollout = last.rollout;
    s.source = QStringLiteral("ledger");
    s.note = QObject::tr("plan not opened here: File → Open its plan");
    s.healthText = QObject::tr("last: %1 by %2").arg(last.type, last.actor);
    s.blockers = s.note;
    return s;
}

} // namespace

RolloutDirectory::RolloutDirectory() = default;
RolloutDirectory::~RolloutDirectory() = default;

QList<RolloutSummary> RolloutDirectory::read(const QList<Source>& plans, const QString& ledgerPath,
                                             const QString& personId, const QSet<QString>& skip,
                                             const Clock& clock)
{
    RolloutDirectory once;
    return once.readCached(plans, ledgerPath, personId, skip, clock);
}

QList<RolloutSummary> RolloutDirectory::readCached(const QList<Source>& plans, const QString& ledgerPath,
                                                   const QString& personId, const QSet<QString>& skip,
                                                   const Clock& clock, qint64 maxAgeMs)
{
    QList<RolloutSummary> out;
    QSet<QString> known = skip;
    // One connection for as long as the ledger file is the same (the home refreshes every few s).
    QString problem;
    if (!m_ledger || m_ledger->path() != ledgerPath)
        m_ledger = LocalLedger::open(ledgerPath, clock, &problem);
    LocalLedger* ledger = m_ledger.get();
    const qint64 now = clock.nowMs();
    // Opening the ledger touches its files: what changed is told by its records (count, last row).
    const QHash<QString, QString> marks = ledger ? ledger->changeMarks() : QHash<QString, QString>{};
    for (const Source& source : plans) {
        Entry& e = m_entries[source.planPath];
        const QString planStamp = fileStamp(source.planPath);
        if (e.planStamp != planStamp) { // parsed again only when the file changed
            PlanLoadResult loaded = PlanLoader::loadFile(source.planPath);
            e.plan = loaded.plan;
            e.unloadable =
                loaded.plan ? QList<RolloutSummary>{} : QList<RolloutSummary>{unloadable(source, loaded)};
            e.planStamp = planStamp;
            e.stamp.clear();
        }
        if (!e.plan) {
            out += e.unloadable;
            continue;
        }
        const QString rollout = e.plan->rollout;
        if (known.contains(rollout)) continue;
        known.insert(rollout);
        const QString stamp =
            QStringList{planStamp, personId, ledger ? marks.value(rollout, QStringLiteral("0/0")) : problem}
                .join(QLatin1Char('|'));
        if (e.stamp != stamp || now < e.atMs || now - e.atMs >= maxAgeMs) {
            e.summary = summarize(*e.plan, ledger ? ledger->records(rollout) : QList<LedgerRecord>{},
                                  personId, clock);
            e.summary.planPath = source.planPath;
            e.summary.source = source.kind;
            if (!problem.isEmpty()) e.summary.note = problem;
            e.stamp = stamp;
            e.atMs = now;
            ++m_reads;
        }
        out.append(e.summary);
    }
    // The ledger's other rollouts, read again only when the ledger's records changed.
    QStringList all;
    for (auto it = marks.begin(); it != marks.end(); ++it)
        all.append(it.key() + QLatin1Char('=') + it.value());
    all.sort();
    const QString others = all.join(QLatin1Char('|'));
    if (others != m_othersStamp && ledger) {
        m_others.clear();
        for (const LedgerRecord& r : ledger->lastOfEachRollout(&problem))
            m_others.append(elsewhere(r));
        m_othersStamp = others;
    }
    for (const RolloutSummary& s : m_others)
        if (!known.contains(s.rollout)) out.append(s);
    return out;
}

} // namespace rollout
