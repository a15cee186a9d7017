// One way in, several processes: a decision `rolloutctl` records in the ledger file a running
// `watch` (or console) drives the rollout from reaches that process's engine, verified, in order,
// once; a record that does not verify is reported and never applied.
#include "PlanFixture.h"
#include "core/Clock.h"
#include "ledger/LocalLedger.h"
#include "runtime/RolloutRuntime.h"
#include "sim/DemoKeys.h"

#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace rollout;

namespace {

const Actor kRm{QStringLiteral("rm-demo"), QStringLiteral("release-manager")};
const Actor kPm{QStringLiteral("pm-demo"), QStringLiteral("pm")};

// One process's view of the rollout: its own engine on the shared ledger file.
struct Process
{
    ManualClock& clock;
    RolloutRuntime runtime;
    QList<RolloutEvent> appended;

    Process(ManualClock& c, const QString& ledgerPath, const QStringList& keys)
        : clock(c),
          runtime(test::loadPlan(test::sourceFile(QStringLiteral("resources/demo/demo-plan.yaml"))), c)
    {
        QString problem;
        auto ledger = LocalLedger::open(ledgerPath, clock, &problem);
        if (!ledger) qFatal("%s", qPrintable(problem));
        runtime.attachLedger(std::move(ledger));
        for (const QString& k : keys)
            runtime.recorder()->addKey(k, DemoKeys::forPerson(k));
        QObject::connect(&runtime, &RolloutRuntime::eventAppended, &runtime,
                         [this](const RolloutEvent& e) { appended.append(e); });
    }
};

} // namespace

class TestLedgerFollower final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY(Ed25519::initialize()); }

    void decisionsAnotherProcessRecordsReachTheEngineOnce()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("ledger.sqlite"));
        ManualClock clock{1'700'000'000'000};
        Process watch(clock, path, {QStringLiteral("automation")});
        Process cli(clock, path, {QStringLiteral("rm-demo"), QStringLiteral("pm-demo")});

        // The first gate's checklist, ticked from the command line.
        const QStringList items = cli.runtime.session().gateItems(0);
        QVERIFY(!items.isEmpty());
        clock.advanceMs(1000);
        QVERIFY(cli.runtime.session().setChecklistItem(0, items.first(), true, kRm).ok);
        clock.advanceMs(1000);
        QVERIFY(cli.runtime.session().recordApproval(0, kRm, true, QStringLiteral("go")).ok);
        QVERIFY(watch.runtime.session().tickedItems(0).isEmpty());

        watch.runtime.follower()->poll();
        QCOMPARE(watch.runtime.session().tickedItems(0).value(items.first()), QStringLiteral("rm-demo"));
        QCOMPARE(watch.runtime.session().approvals(0).size(), 1);
        QCOMPARE(watch.appended.size(), 2); // shown (the watch log, the console's events), in order
        QVERIFY(watch.appended.first().type == EventType::ChecklistItemSet);
        watch.runtime.follower()->poll(); // never twice
        QCOMPARE(watch.appended.size(), 2);

        // The watch's own records are not "arrivals" to itself.
        clock.advanceMs(1000);
        QVERIFY(watch.runtime.session().pause(Actor::automation(), QStringLiteral("test")).ok);
        watch.runtime.follower()->poll();
        QCOMPARE(watch.appended.size(), 3); // its own pause, appended once by the runtime
        // …but they reach the command line's engine.
        cli.runtime.follower()->poll();
        QVERIFY(cli.runtime.session().isPaused());
    }

    void aRollbackFromTheCommandLineLeavesTheDriverRolledBackAndNotYetApplied()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("ledger.sqlite"));
        ManualClock clock{1'700'000'000'000};
        Process watch(clock, path, {QStringLiteral("automation")});
        Process cli(clock, path, {QStringLiteral("oncall-demo")});
        // Both rebuilt at phase 1 from an advance the watch recorded.
        RolloutEvent advanced;
        advanced.type = EventType::PhaseAdvanced;
        advanced.toPhase = 0;
        advanced.atMs = clock.nowMs();
        QVERIFY(watch.runtime.session().restore(advanced));
        QVERIFY(cli.runtime.session().restore(advanced));
        clock.advanceMs(5000);
        QVERIFY(cli.runtime.session()
                    .rollback(Actor{QStringLiteral("oncall-demo"), QStringLiteral("on-call")},
                              QStringLiteral("pager"), true)
                    .ok);
        watch.runtime.follower()->poll();
        QVERIFY(watch.runtime.session().state() == RolloutState::RolledBack);
        QVERIFY(!watch.runtime.session().flagsApplied()); // the driver finishes it on its next flag read
    }

    void aForgedRecordInTheFileIsReportedAndNotApplied()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("ledger.sqlite"));
        ManualClock clock{1'700'000'000'000};
        Process watch(clock, path, {QStringLiteral("automation")});
        {
            // Someone with write access to the file signs an approval with a key that is not rm-demo's.
            ManualClock other{1'700'000'001'000};
            QString problem;
            auto ledger = LocalLedger::open(path, other, &problem);
            QVERIFY(ledger);
            LedgerRecord fields;
            fields.rollout = watch.runtime.plan().rollout;
            fields.planHash = QString::fromLatin1(watch.runtime.plan().sha256);
            fields.type = QStringLiteral("approval_recorded");
            fields.payload = QJsonObject{{QStringLiteral("from_phase"), -1},
                                         {QStringLiteral("to_phase"), 0},
                                         {QStringLiteral("decision"), QStringLiteral("approve")}};
            fields.actor = QStringLiteral("rm-demo");
            fields.role = QStringLiteral("release-manager");
            const Ed25519::KeyPair forged = DemoKeys::forPerson(QStringLiteral("pm-demo"));
            QVERIFY(ledger->append(fields, forged.publicKey, forged.secretKey, &problem));
        }
        QSignalSpy rejected(watch.runtime.follower(), &LedgerFollower::rejected);
        watch.runtime.follower()->poll();
        QCOMPARE(rejected.size(), 1);
        QVERIFY2(rejected.first().at(1).toString().contains(QStringLiteral("signer")),
                 qPrintable(rejected.first().at(1).toString()));
        QVERIFY(watch.runtime.session().approvals(0).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestLedgerFollower)
#include "tst_ledgerfollower.moc"
