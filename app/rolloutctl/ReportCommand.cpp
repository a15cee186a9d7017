// rolloutctl report: the evidence pack of a rollout — a page with phases, gates, approvals and
// their signature status, triggers, rollbacks and flag read-backs, a chart per metric over the
// rollout (backfilled from the plan's sources) and the signed ledger beside it.
#include "CommandLine.h"
#include "Commands.h"
#include "EvidencePackWriter.h"
#include "core/Clock.h"
#include "ledger/LocalLedger.h"
#include "metrics/MetricPoller.h"
#include "plan/PlanLoader.h"

#include <QEventLoop>
#include <QTimer>

namespace rolloutctl {

using namespace rollout;

int report(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Write a rollout's evidence pack into a folder: index.md (phases with start and end, gates and "
        "approvals with their "
        "signature status, triggers, rollbacks and flag read-backs with values), charts/*.png (each metric "
        "over the rollout, "
        "backfilled from the plan's sources) and ledger.jsonl (the signed records, verifiable anywhere)."));
    parser.addPositionalArgument(QStringLiteral("plan"), QStringLiteral("The plan file."),
                                 QStringLiteral("PLAN"));
    parser.addOption(
        {QStringLiteral("out"), QStringLiteral("The folder to write (created)."), QStringLiteral("DIR")});
    parser.addOption({QStringLiteral("db"),
                      QStringLiteral("The ledger database (default: %1).").arg(LocalLedger::defaultPath()),
                      QStringLiteral("FILE")});
    if (auto exit = parseArguments(parser, QStringLiteral("report"), args)) return *exit;
    QTextStream err(stderr);
    if (parser.positionalArguments().size() != 1 || !parser.isSet(QStringLiteral("out"))) {
        err << "rolloutctl report: name one plan and --out DIR\n";
        return Usage;
    }
    const PlanLoadResult loaded = PlanLoader::loadFile(parser.positionalArguments().first());
    if (!loaded.plan) {
        for (const PlanError& e : loaded.errors)
            err << e.toString() << "\n";
        return Failed;
    }
    const Plan& plan = *loaded.plan;
    SystemClock clock;
    QString problem;
    const QString db =
        parser.isSet(QStringLiteral("db")) ? parser.value(QStringLiteral("db")) : LocalLedger::defaultPath();
    std::unique_ptr<LocalLedger> ledger = LocalLedger::open(db, clock, &problem);
    if (!ledger) {
        err << "rolloutctl report: " << problem << "\n";
        return Failed;
    }
    const QList<LedgerRecord> records = ledger->records(plan.rollout, &problem);
    if (records.isEmpty())
        err << "rolloutctl report: " << db << " holds no record of " << plan.rollout
            << "; the pack says so\n";
    const QList<RecordVerdict> verdicts = LedgerVerifier::verify(records, plan);

    // Charts: the metrics over the rollout, from the plan's own sources (at most a week).
    const qint64 now = clock.nowMs();
    qint64 first = now - 15 * 60 * 1000;
    for (const LedgerRecord& r : records)
        first = std::min(first, r.timestampMs - 2 * 60 * 1000);
    TimeSeriesStore store;
    MetricPoller poller(plan, store, clock);
    QEventLoop loop;
    QObject::connect(&poller, &MetricPoller::backfillFinished, &loop, [&](int, const QString& problems) {
        if (!problems.isEmpty()) err << "rolloutctl report: backfill: " << problems << "\n";
        loop.quit();
    });
    poller.backfill(std::min<qint64>(now - first, 7LL * 24 * 3600 * 1000));
    QTimer::singleShot(60000, &loop,
                       &QEventLoop::quit); // every request has its own deadline; this is a last resort
    loop.exec();

    const std::optional<QString> page =
        EvidencePackWriter::write(parser.value(QStringLiteral("out")), plan, verdicts, store, now, &problem);
    if (!page) {
        err << "rolloutctl report: " << problem << "\n";
        return Failed;
    }
    int bad = 0;
    for (const RecordVerdict& v : verdicts)
        bad += !v.ok;
    QTextStream(stdout) << "wrote " << *page << " (" << records.size() << " records, " << bad
                        << " not verified)\n";
    return bad ? Failed : Ok;
}

} // namespace rolloutctl
