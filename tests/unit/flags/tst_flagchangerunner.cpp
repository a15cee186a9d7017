// Several flags as one operation: parallel, retried while transient and inside the deadline,
// never stopped by one bad flag, never reported as done when a flag did not read back.
#include "Await.h"
#include "FakeFlagBackend.h"
#include "flags/FlagChangeRunner.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

using namespace rollout;
using test::FakeFlagBackend;
using Fault = FakeFlagBackend::Fault;

namespace {

struct Fixture
{
    FlagBackendSet set;
    FakeFlagBackend* fake = nullptr;
    explicit Fixture(const QStringList& flags)
    {
        auto b = std::make_unique<FakeFlagBackend>(QStringLiteral("fake"));
        fake = b.get();
        set.add(std::move(b));
        for (const QString& f : flags)
            set.assign(f, QStringLiteral("fake"), QStringLiteral("userId"));
    }
};

QList<FlagChange> allTo(const QStringList& flags, FlagSetting s)
{
    QList<FlagChange> out;
    for (const QString& f : flags)
        out.append(FlagChange{f, s, {}, true});
    return out;
}

FlagChangeRunner::Options fast(qint64 deadlineMs = 2000)
{
    FlagChangeRunner::Options o;
    o.deadlineMs = deadlineMs;
    o.firstBackoffMs = 20;
    o.maxBackoffMs = 200;
    return o;
}

const QStringList kThree = {QStringLiteral("USE_SAFE_EVAL"), QStringLiteral("USE_SAFE_SERIALIZATION"),
                            QStringLiteral("USE_JAX_OPTIMIZATION")};

} // namespace

class TestFlagChangeRunner final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void everyFlagVerifiedInOrder()
    {
        Fixture fx(kThree);
        FlagChangeRunner runner(fx.set);
        QSignalSpy progress(&runner, &FlagChangeRunner::flagFinished);
        const FlagChangeReport r = test::awaitRun(runner, allTo(kThree, {true, 25.0}), fast());
        QVERIFY(r.allVerified());
        QCOMPARE(r.results.size(), 3);
        for (int i = 0; i < 3; ++i)
            QCOMPARE(r.results[i].flag, kThree[i]); // the order asked, whatever order they finished
        QCOMPARE(progress.size(), 3);
        QCOMPARE(fx.fake->state(kThree[1]).percent, 25.0);
        QCOMPARE(fx.fake->state(kThree[1]).stickiness, QStringLiteral("userId"));
        QVERIFY(r.summary().startsWith(QStringLiteral("3 of 3 flag(s) verified")));
    }

    void aTransientErrorIsRetried()
    {
        Fixture fx(kThree);
        fx.fake->script(kThree[0], {Fault::Transient, Fault::Transient});
        FlagChangeRunner runner(fx.set);
        const FlagChangeReport r = test::awaitRun(runner, allTo(kThree, {false, 0.0}), fast());
        QVERIFY2(r.allVerified(), qPrintable(r.summary()));
        QCOMPARE(r.results[0].attempts, 3);
        QCOMPARE(r.results[1].attempts, 1);
    }

    void aPermanentErrorIsNotRetriedAndTheOthersGoOn()
    {
        Fixture fx(kThree);
        fx.fake->script(kThree[1], {Fault::Permanent});
        FlagChangeRunner runner(fx.set);
        const FlagChangeReport r = test::awaitRun(runner, allTo(kThree, {false, 0.0}), fast());
        QVERIFY(!r.allVerified());
        QCOMPARE(r.notMoved(), QStringList{kThree[1]});
        QCOMPARE(r.results[1].attempts, 1);
        QCOMPARE(r.results[1].status, 401);
        QVERIFY(r.results[0].verified && r.results[2].verified);
        QVERIFY(!fx.fake->state(kThree[0]).enabled);
        QVERIFY2(r.summary().startsWith(QStringLiteral("ESCALATE: 1 of 3")), qPrintable(r.summary()));
        QVERIFY(r.summary().contains(kThree[1]));
    }

    void aHangIsCutAtTheDeadline()
    {
        Fixture fx(kThree);
        fx.fake->script(kThree[2], {Fault::Hang});
        FlagChangeRunner runner(fx.set);
        QElapsedTimer t;
        t.start();
        const FlagChangeReport r = test::awaitRun(runner, allTo(kThree, {false, 0.0}), fast(300));
        QVERIFY(r.deadlinePassed);
        QVERIFY(t.elapsed() < 2000);
        QCOMPARE(r.notMoved(), QStringList{kThree[2]});
        QVERIFY2(r.results[2].message.contains(QStringLiteral("deadline of 0.3 s passed")),
                 qPrintable(r.results[2].message));
        QVERIFY(r.summary().contains(QStringLiteral("before the deadline")));
    }

    void aReadBackThatDisagreesIsNeverDone()
    {
        Fixture fx({QStringLiteral("k")});
        fx.fake->script(QStringLiteral("k"),
                        {Fault::WrongReadBack, Fault::WrongReadBack, Fault::WrongReadBack,
                         Fault::WrongReadBack, Fault::WrongReadBack, Fault::WrongReadBack,
                         Fault::WrongReadBack, Fault::WrongReadBack});
        FlagChangeRunner runner(fx.set);
        const FlagChangeReport r =
            test::awaitRun(runner, allTo({QStringLiteral("k")}, {true, 10.0}), fast(400));
        QVERIFY(!r.allVerified());
        QCOMPARE(r.results[0].step, QStringLiteral("read back"));
        QVERIFY(r.results[0].attempts > 1); // retried: another writer may have raced us
    }

    void aRepeatedOperationIsHarmless()
    {
        Fixture fx(kThree);
        FlagChangeRunner runner(fx.set);
        QVERIFY(test::awaitRun(runner, allTo(kThree, {true, 10.0}), fast()).allVerified());
        const FlagChangeReport again = test::awaitRun(runner, allTo(kThree, {true, 10.0}), fast());
        QVERIFY(again.allVerified());
        QCOMPARE(again.results[0].before.percent, 10.0);
    }

    void segmentsAndReads()
    {
        Fixture fx(kThree);
        FlagChangeRunner runner(fx.set);
        QList<FlagChange> hold;
        for (const QString& f : kThree)
            hold.append(FlagChange{f, {}, QStringLiteral("beta_users"), false});
        QVERIFY(test::awaitRun(runner, hold, fast()).allVerified());
        QCOMPARE(fx.fake->state(kThree[0]).disabledSegments, QStringList{QStringLiteral("beta_users")});
        bool done = false;
        FlagChangeReport read;
        QObject ctx;
        runner.readAll(&ctx, [&](const FlagChangeReport& r) {
            read = r;
            done = true;
        });
        QTRY_VERIFY(done);
        QCOMPARE(read.results.size(), 3);
        QVERIFY(read.allVerified());
    }

    void aFlagWithoutBackendIsNamed()
    {
        Fixture fx({QStringLiteral("a")});
        FlagChangeRunner runner(fx.set);
        const FlagChangeReport r = test::awaitRun(
            runner, allTo({QStringLiteral("a"), QStringLiteral("orphan")}, {true, 1.0}), fast());
        QCOMPARE(r.notMoved(), QStringList{QStringLiteral("orphan")});
        QVERIFY(r.results[1].message.contains(QStringLiteral("no backend")));
    }

    void aRunnerDestroyedMidOperationLeavesNothingBehind()
    {
        Fixture fx(kThree);
        fx.fake->setDelayMs(50);
        bool called = false;
        QObject ctx;
        {
            FlagChangeRunner runner(fx.set);
            runner.run(allTo(kThree, {true, 5.0}), fast(100), &ctx,
                       [&](const FlagChangeReport&) { called = true; });
        }                  // answers, retries and the deadline of that operation must all be gone now
        QTest::qWait(300); // longer than the delay and the deadline: nothing may fire into a dead runner
        QVERIFY(!called);
    }

    void phaseTargetsComeFromThePlan()
    {
        Plan plan;
        plan.flags = {
            FlagSpec{QStringLiteral("a"), QStringLiteral("fake"), {}, QStringLiteral("userId"), {}, {}},
            FlagSpec{QStringLiteral("b"), QStringLiteral("fake"), {}, QStringLiteral("default"), {}, {}}};
        PhaseSpec one;
        one.traffic = 10.0;
        one.flags.insert(QStringLiteral("b"), FlagSetting{true, 100.0});
        plan.phases = {one};
        const QList<FlagChange> at = FlagChange::forPhase(plan, 0);
        QCOMPARE(at.size(), 2);
        QCOMPARE(at[0].setting, (FlagSetting{true, 10.0}));
        QCOMPARE(at[1].setting, (FlagSetting{true, 100.0}));
        for (const FlagChange& c : FlagChange::forPhase(plan, -1))
            QVERIFY(!c.setting.enabled);
    }
};

QTEST_GUILESS_MAIN(TestFlagChangeRunner)
#include "tst_flagchangerunner.moc"
