#include "RolloutDirectory.h"

#include "ledger/LocalLedger.h"
#include "plan/PlanLoader.h"
#include "runtime/RolloutRuntime.h"

#include <QFileInfo>

namespace rollout {

QList<RolloutSummary> RolloutDirectory::read(const QList<Source>& plans, const QString& ledgerPath,
                                             const QString& personId, const QSet<QString>& skip,
                                             const Clock& clock)
{
    QList<RolloutSummary> out;
    QSet<QString> known = skip;
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
        RolloutRuntime runtime(std::move(*loaded.plan), clock);
        QString problem;
        if (std::unique_ptr<LocalLedger> ledger = LocalLedger::open(ledgerPath, clock, &problem))
            runtime.attachLedger(std::move(ledger));
        runtime.holdForReplayedDamage(); // nothing can be signed here: held in view only
        RolloutSummary s = RolloutSummary::of(runtime.session(), personId, false);
        s.planPath = source.planPath;
        s.source = source.kind;
        if (!problem.isEmpty()) s.note = problem;
        out.append(s);
    }
    // The ledger's other rollouts: decided elsewhere, their plan not opened here.
    QString problem;
    if (std::unique_ptr<LocalLedger> ledger = LocalLedger::open(ledgerPath, clock, &problem)) {
        QMap<QString, LedgerRecord> last;
        for (const LedgerRecord& r : ledger->records({}, &problem))
            if (!known.contains(r.rollout)) last.insert(r.rollout, r);
        for (auto it = last.begin(); it != last.end(); ++it) {
            RolloutSummary s;
            s.rollout = it.key();
            s.source = QStringLiteral("ledger");
            s.note = QObject::tr("plan not opened here: File → Open its plan");
            s.healthText = QObject::tr("last: %1 by %2").arg(it->type, it->actor);
            s.blockers = s.note;
            out.append(s);
        }
    }
    return out;
}

} // namespace rollout
