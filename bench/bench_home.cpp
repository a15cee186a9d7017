// The home's refresh (prints figures; not a test): 50 plans, 20,000 signed records in one ledger,
// the cost of one refresh on the thread that asks (the console's UI thread):
//   - as the home did it: a whole RolloutRuntime per plan (poller, flags, recorder, follower), each
//     opening the ledger and verifying its rollout's records;
//   - RolloutDirectory::read: one ledger read, a bare session per plan replayed from its records;
//   - RolloutDirectory::readCached with nothing changed (what the home's 3-second timer costs
//     between changes).
#include "core/Clock.h"
#include "ledger/LedgerRecorder.h"
#include "ledger/LocalLedger.h"
#include "metrics/TimeSeriesStore.h"
#include "plan/PlanLoader.h"
#include "runtime/RolloutRuntime.h"
#include "viewmodels/RolloutDirectory.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <cstdio>

using namespace rollout;

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    Ed25519::initialize();
    const int plans = 50, perPlan = 400;
    // On tmpfs when there is one: building the ledger fsyncs every record.
    QTemporaryDir dir(QFile::exists(QStringLiteral("/dev/shm")) ? QStringLiteral("/dev/shm/bench-home-XXXXXX")
                                                                : QString());
    const QString ledgerPath = dir.filePath(QStringLiteral("ledger.sqlite"));
    const Ed25519::KeyPair rita = Ed25519::generate();
    SystemClock clock;
    QList<RolloutDirectory::Source> sources;
    QElapsedTimer built;
    built.start();
    for (int p = 0; p < plans; ++p) {
        const QByteArray yaml =
            QStringLiteral("rollout: home-%1\n"
                           "sources: {sim: {type: simulator}}\n"
                           "backends: {f: {type: flagd_file, path: %2/flags-%1.json}}\n"
                           "flags: [{key: f%1, backend: f}]\n"
                           "metrics:\n  error_rate: {source: sim, unit: ratio, interval: 1s, "
                           "simulate: {signal: error_ratio}}\n"
                           "phases:\n  - {name: one, traffic: 1%, checklist: go}\n"
                           "  - {name: two, traffic: 10%}\n"
                           "checklists:\n  go: {technical: [Tests pass]}\n"
                           "people:\n  - {id: rita, roles: [rm], key: \"%3\"}\n")
                .arg(p)
                .arg(dir.path(), Ed25519::encodePublicKey(rita.publicKey))
                .toUtf8();
        const QString path = dir.filePath(QStringLiteral("plan-%1.yaml").arg(p));
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly)) return 1;
        f.write(yaml);
        f.close();
        sources.append({path, QStringLiteral("recent plan")});
        PlanLoadResult loaded = PlanLoader::loadBytes(yaml, path);
        TimeSeriesStore samples;
        RolloutSession session(std::move(*loaded.plan), samples, clock);
        QString problem;
        auto ledger = LocalLedger::open(ledgerPath, clock, &problem);
        LedgerRecorder recorder(session, *ledger);
        recorder.addKey(QStringLiteral("rita"), rita);
        for (int i = 0; i < perPlan; ++i)
            session.setChecklistItem(0, QStringLiteral("technical/Tests pass"), i % 2 == 0,
                                     Actor{QStringLiteral("rita"), QStringLiteral("rm")});
    }
    std::printf("ledger: %d plans × %d records = %d signed records (built in %.1f s)\n", plans, perPlan,
                plans * perPlan, double(built.elapsed()) / 1000.0);

    const int rounds = argc > 1 ? std::max(1, QString::fromLocal8Bit(argv[1]).toInt()) : 3;
    for (int round = 0; round < rounds; ++round) {
        QElapsedTimer t;
        t.start();
        int rows = 0;
        for (const RolloutDirectory::Source& s : sources) { // the home before: a runtime per plan
            PlanLoadResult loaded = PlanLoader::loadFile(s.planPath);
            RolloutRuntime runtime(std::move(*loaded.plan), clock);
            QString problem;
            if (auto ledger = LocalLedger::open(ledgerPath, clock, &problem))
                runtime.attachLedger(std::move(ledger));
            RolloutSummary::of(runtime.session(), QStringLiteral("rita"), false);
            ++rows;
        }
        const double before = double(t.nsecsElapsed()) / 1e6;
        t.restart();
        rows = int(RolloutDirectory::read(sources, ledgerPath, QStringLiteral("rita"), {}, clock).size());
        const double after = double(t.nsecsElapsed()) / 1e6;
        RolloutDirectory cached;
        cached.readCached(sources, ledgerPath, QStringLiteral("rita"), {}, clock);
        t.restart();
        cached.readCached(sources, ledgerPath, QStringLiteral("rita"), {}, clock);
        const double unchanged = double(t.nsecsElapsed()) / 1e6;
        { // one new record in one rollout
            PlanLoadResult loaded = PlanLoader::loadFile(sources.first().planPath);
            TimeSeriesStore samples;
            RolloutSession session(std::move(*loaded.plan), samples, clock);
            QString problem;
            auto ledger = LocalLedger::open(ledgerPath, clock, &problem);
            LedgerRecorder recorder(session, *ledger);
            recorder.addKey(QStringLiteral("rita"), rita);
            session.setChecklistItem(0, QStringLiteral("technical/Tests pass"), true,
                                     Actor{QStringLiteral("rita"), QStringLiteral("rm")});
        }
        t.restart();
        cached.readCached(sources, ledgerPath, QStringLiteral("rita"), {}, clock);
        const double oneChanged = double(t.nsecsElapsed()) / 1e6;
        std::printf("refresh of %d rows: a runtime per plan %7.1f ms   one read %7.1f ms   cached: nothing "
                    "changed %6.1f ms, one rollout changed %6.1f ms\n",
                    rows, before, after, unchanged, oneChanged);
    }
    return 0;
}
