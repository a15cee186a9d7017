// No double advance, against the real PostgreSQL: two consoles with the same open gate ask to
// advance at the same moment; the store grants exactly one; the other is told who advanced and
// when and changes nothing, then shows the advance once the winner's records arrive. Twice in a
// row, so that the second claim follows the first.
#include "PlanFixture.h"
#include "RequireServers.h"
#include "TestKeys.h"
#include "core/Clock.h"
#include "ledger/AdvanceClaimer.h"
#include "ledger/LedgerSync.h"
#include "ledger/SharedStore.h"
#include "metrics/TimeSeriesStore.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

using namespace rollout;

namespace {

Ed25519::KeyPair keyOf(const char* who)
{
    return test::seededKey(QByteArray("claim key ") + who);
}

QByteArray planYaml(const QString& rollout)
{
    return QStringLiteral(R"(
rollout: %1
sources: {sim: {type: simulator}}
backends: {f: {type: flagd_file, path: flags.json}}
flags: [{key: feature, backend: f}]
metrics:
  error_rate: {source: sim, unit: ratio, interval: 1s, simulate: {signal: error_ratio}}
phases:
  - {name: one, traffic: 1%}
  - {name: two, traffic: 10%}
  - {name: three, traffic: 50%}
people:
  - {id: rita, roles: [rm], key: "%2"}
  - {id: ravi, roles: [rm], key: "%3"}
)")
        .arg(rollout, Ed25519::encodePublicKey(keyOf("rita").publicKey),
             Ed25519::encodePublicKey(keyOf("ravi").publicKey))
        .toUtf8();
}

// One console: session, its own ledger, recorder, sync and claimer, all on the same store.
struct Console
{
    SystemClock clock;
    TimeSeriesStore store;
    RolloutSession session;
    std::unique_ptr<LocalLedger> ledger;
    std::unique_ptr<LedgerRecorder> recorder;
    std::unique_ptr<LedgerSync> sync;
    std::unique_ptr<AdvanceClaimer> claimer;
    std::optional<ActionResult> result;

    // `background`: the ledger is written on a thread of its own, as in the console.
    Console(const QByteArray& yaml, const QString& path, const char* who, bool background = false)
        : session(test::loadPlan(yaml), store, clock)
    {
        QString problem;
        ledger = LocalLedger::open(path, clock, &problem);
        if (!ledger) qFatal("%s", qPrintable(problem));
        recorder = std::make_unique<LedgerRecorder>(session, *ledger);
        recorder->addKey(QLatin1String(who), keyOf(who));
        if (background) {
            auto writer = LedgerWriter::open(path, clock, &problem);
            if (!writer) qFatal("%s", qPrintable(problem));
            recorder->setWriter(std::move(writer));
        }
        LedgerSyncOptions o;
        o.intervalMs = 200;
        sync = std::make_unique<LedgerSync>(*ledger, session, StoreSettings::fromEnvironment(), o);
        QObject::connect(recorder.get(), &LedgerRecorder::recorded, sync.get(), &LedgerSync::syncNow);
        claimer = std::make_unique<AdvanceClaimer>(session, *recorder, StoreSettings::fromEnvironment());
        sync->start();
    }
    void advance(const char* who)
    {
        result.reset();
        claimer->advance(Actor{QLatin1String(who), QStringLiteral("rm")},
                         [this](const ActionResult& r) { result = r; });
    }
};

} // namespace

class TestAdvanceClaim final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void exactlyOneConsoleAdvances()
    {
        if (!StoreSettings::fromEnvironment().isSet())
            ROLLOUT_SKIP_OR_FAIL("run through scripts/test.sh: ROLLOUT_PG_HOST is unset");
        QVERIFY(Ed25519::initialize());
        QTemporaryDir dir;
        const QByteArray yaml =
            planYaml(QStringLiteral("claim-%1").arg(QUuid::createUuid().toString(QUuid::Id128).left(8)));
        Console a(yaml, dir.filePath(QStringLiteral("a.sqlite")), "rita",
                  true); // its claim goes out once its record is on disk
        Console b(yaml, dir.filePath(QStringLiteral("b.sqlite")), "ravi");
        for (int round = 0; round < 2; ++round) {
            QCOMPARE(a.session.currentPhase(), round - 1);
            QCOMPARE(b.session.currentPhase(), round - 1);
            a.advance("rita");
            b.advance("ravi"); // at the same moment: both saw the same gate, both ask
            QTRY_VERIFY_WITH_TIMEOUT(a.result && b.result, 15000);
            QVERIFY2(a.result->ok != b.result->ok,
                     qPrintable(a.result->message + QStringLiteral(" | ") + b.result->message));
            Console& winner = a.result->ok ? a : b;
            Console& loser = a.result->ok ? b : a;
            QVERIFY2(loser.result->message.startsWith(QStringLiteral("already advanced by ")) ||
                         loser.result->message.startsWith(QStringLiteral("already claimed by ")),
                     qPrintable(loser.result->message));
            QCOMPARE(winner.session.currentPhase(), round);
            // The loser took no advance of its own (its state may already show the winner's, pulled)…
            for (const LedgerRecord& r : loser.ledger->records())
                QVERIFY2(!(r.type == QLatin1String("phase_advanced") &&
                           r.device == loser.ledger->deviceId() &&
                           r.payload.value(QStringLiteral("to_phase")).toInt() == round),
                         "the loser advanced too");
            // …and once the winner's records arrive and verify, it stands where the winner stands.
            QTRY_COMPARE_WITH_TIMEOUT(loser.session.currentPhase(), round, 15000);
        }
    }

    void aClaimWhoseAdvanceNeverCameLapsesAndTheStoreSaysSo()
    {
        // A console is granted the claim and dies before it records the advance.
        if (!StoreSettings::fromEnvironment().isSet())
            ROLLOUT_SKIP_OR_FAIL("run through scripts/test.sh: ROLLOUT_PG_HOST is unset");
        QVERIFY(Ed25519::initialize());
        QTemporaryDir dir;
        const QByteArray yaml =
            planYaml(QStringLiteral("claim-%1").arg(QUuid::createUuid().toString(QUuid::Id128).left(8)));
        QString orphan;
        {
            Console dying(yaml, dir.filePath(QStringLiteral("a.sqlite")), "rita");
            const QMetaObject::Connection c =
                QObject::connect(dying.recorder.get(), &LedgerRecorder::recorded, dying.recorder.get(),
                                 [&](const LedgerRecord& r) {
                                     if (r.type == QLatin1String("advance_claimed")) orphan = r.id;
                                 });
            // The claim alone, as the claimer sends it; the process "dies" before the advance.
            QVERIFY(dying.session.recordAdvanceClaim(Actor{QStringLiteral("rita"), QStringLiteral("rm")}).ok);
            QObject::disconnect(c);
            QVERIFY(!orphan.isEmpty());
            SharedStore store(StoreSettings::fromEnvironment());
            std::optional<LedgerRecord> claim;
            for (const LedgerRecord& r : dying.ledger->records())
                if (r.id == orphan) claim = r;
            QVERIFY(claim);
            QVERIFY(store.claimTransition(*claim, QString()).won);
        }
        Console b(yaml, dir.filePath(QStringLiteral("b.sqlite")), "ravi");
        // Within the lease, the claim holds: nobody advances twice.
        b.advance("ravi");
        QTRY_VERIFY_WITH_TIMEOUT(b.result.has_value(), 15000);
        QVERIFY(!b.result->ok);
        QVERIFY2(b.result->message.startsWith(QStringLiteral("already claimed by rita")),
                 qPrintable(b.result->message));
        QCOMPARE(b.session.currentPhase(), -1);
        // Past the lease (shortened here), the next claim goes past it, and the store says why.
        b.claimer->setClaimLeaseMs(0);
        b.advance("ravi");
        QTRY_VERIFY_WITH_TIMEOUT(b.result.has_value(), 15000);
        QVERIFY2(b.result->ok, qPrintable(b.result->message));
        QCOMPARE(b.session.currentPhase(), 0);
        SharedStore store(StoreSettings::fromEnvironment());
        QCOMPARE(store.claimOutcome(orphan), QStringLiteral("expired"));
    }

    void aGateThatClosesAfterTheGrantReleasesTheClaim()
    {
        if (!StoreSettings::fromEnvironment().isSet())
            ROLLOUT_SKIP_OR_FAIL("run through scripts/test.sh: ROLLOUT_PG_HOST is unset");
        QVERIFY(Ed25519::initialize());
        QTemporaryDir dir;
        const QByteArray yaml =
            planYaml(QStringLiteral("claim-%1").arg(QUuid::createUuid().toString(QUuid::Id128).left(8)));
        Console a(yaml, dir.filePath(QStringLiteral("a.sqlite")), "rita");
        Console b(yaml, dir.filePath(QStringLiteral("b.sqlite")), "ravi");
        QSignalSpy released(a.claimer.get(), &AdvanceClaimer::claimReleased);
        a.advance("rita");
        // The claim is on its way to the store; before the grant comes back, the gate closes.
        QVERIFY(
            a.session.pause(Actor{QStringLiteral("rita"), QStringLiteral("rm")}, QStringLiteral("hold on"))
                .ok);
        QTRY_VERIFY_WITH_TIMEOUT(a.result.has_value(), 15000);
        QVERIFY(!a.result->ok);
        QCOMPARE(released.size(), 1);
        const QString claim = released.first().at(0).toString();
        SharedStore store(StoreSettings::fromEnvironment());
        QTRY_COMPARE_WITH_TIMEOUT(store.claimOutcome(claim), QStringLiteral("released"), 15000);
        // The next console advances at once, without waiting for any lease.
        QTRY_VERIFY_WITH_TIMEOUT(b.session.isPaused(), 15000); // rita's pause arrives
        QVERIFY(b.session.resume(Actor{QStringLiteral("ravi"), QStringLiteral("rm")}).ok);
        b.advance("ravi");
        QTRY_VERIFY_WITH_TIMEOUT(b.result.has_value(), 15000);
        QVERIFY2(b.result->ok, qPrintable(b.result->message));
        QCOMPARE(b.session.currentPhase(), 0);
    }
};

QTEST_GUILESS_MAIN(TestAdvanceClaim)
#include "tst_advanceclaim.moc"
