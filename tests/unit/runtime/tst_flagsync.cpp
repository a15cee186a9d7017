// The engine's decisions reach the flag services: an advance or rollback sets every flag and
// reads it back; one change at a time, the newest decision wins; a flag that does not move is
// recorded as FlagsNotVerified (an escalation), never as done.
#include "FakeFlagBackend.h"
#include "PlanFixture.h"
#include "core/Clock.h"
#include "metrics/TimeSeriesStore.h"
#include "runtime/FlagSync.h"

#include <QSignalSpy>
#include <QTest>

using namespace rollout;
using test::FakeFlagBackend;

namespace {

const QByteArray kPlan = R"(
rollout: flag-sync-test
sources: {sim: {type: simulator}}
backends: {f: {type: flagd_file, path: flags.json}}
flags: [{key: a, backend: f, stickiness: userId}, {key: b, backend: f}]
metrics:
  error_rate: {source: sim, unit: ratio, interval: 1s, simulate: {signal: error_ratio}}
phases:
  - {name: one, traffic: 10%}
  - {name: two, traffic: 50%, flags: {b: on}}
)";

const Actor kRm{QStringLiteral("rm"), QStringLiteral("rm")};

struct Harness
{
    ManualClock clock{1'000'000};
    TimeSeriesStore store;
    RolloutSession session{test::loadPlan(kPlan), store, clock};
    FakeFlagBackend* fake = nullptr;
    std::unique_ptr<FlagSync> sync;
    QList<RolloutEvent> events;

    Harness()
    {
        FlagBackendSet set;
        auto b = std::make_unique<FakeFlagBackend>(QStringLiteral("f"));
        fake = b.get();
        fake->setDelayMs(30);
        set.add(std::move(b));
        set.assign(QStringLiteral("a"), QStringLiteral("f"), QStringLiteral("userId"));
        set.assign(QStringLiteral("b"), QStringLiteral("f"));
        sync = std::make_unique<FlagSync>(session, std::move(set));
        sync->setDeadlineMs(1000);
        QObject::connect(&session, &RolloutSession::eventRecorded, &session,
                         [this](const RolloutEvent& e) { events.append(e); });
    }
    int count(EventType t) const
    {
        int n = 0;
        for (const RolloutEvent& e : events)
            n += e.type == t;
        return n;
    }
};

} // namespace

class TestFlagSync final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void anAdvanceSetsEveryFlagAndRecordsTheReadBack()
    {
        Harness h;
        QSignalSpy finished(h.sync.get(), &FlagSync::operationFinished);
        QVERIFY(h.session.advance(kRm).ok);
        QVERIFY(h.sync->busy());
        QTRY_COMPARE(finished.size(), 1);
        QVERIFY(h.fake->state(QStringLiteral("a")).matches(FlagSetting{true, 10.0}));
        QCOMPARE(h.fake->state(QStringLiteral("a")).stickiness, QStringLiteral("userId"));
        QCOMPARE(h.count(EventType::FlagsVerified), 1);
        const RolloutEvent& e = h.events.last();
        QVERIFY(e.type == EventType::FlagsVerified);
        QCOMPARE(e.values.value(QStringLiteral("a")), 10.0);
        QVERIFY(e.reason.startsWith(QStringLiteral("advance to phase 1: 2 of 2 flag(s) verified")));
    }

    void aRollbackDuringAnAdvanceWaitsAndWins()
    {
        Harness h;
        QSignalSpy finished(h.sync.get(), &FlagSync::operationFinished);
        QVERIFY(h.session.advance(kRm).ok);
        QVERIFY(h.session.rollback(kRm, QStringLiteral("test"), true).ok); // while the advance is in flight
        QTRY_COMPARE(finished.size(), 2);
        // The writes never interleave: both flags to 10%, then both off.
        const QStringList w = h.fake->writes();
        QCOMPARE(w.size(), 4);
        QVERIFY(w[0].endsWith(QStringLiteral("10%")) && w[1].endsWith(QStringLiteral("10%")));
        QVERIFY(w[2].endsWith(QStringLiteral("off")) && w[3].endsWith(QStringLiteral("off")));
        QVERIFY(!h.fake->state(QStringLiteral("a")).enabled);
        QCOMPARE(finished.last().at(0).toString(), QStringLiteral("rollback to zero"));
    }

    void aFlagThatDoesNotMoveIsAnEscalation()
    {
        Harness h;
        h.fake->script(QStringLiteral("b"), {FakeFlagBackend::Fault::Permanent});
        QSignalSpy finished(h.sync.get(), &FlagSync::operationFinished);
        QVERIFY(h.session.advance(kRm).ok);
        QTRY_COMPARE(finished.size(), 1);
        QCOMPARE(h.count(EventType::FlagsNotVerified), 1);
        QCOMPARE(h.count(EventType::FlagsVerified), 0);
        QVERIFY(h.events.last().reason.contains(QStringLiteral("ESCALATE")));
        QVERIFY(h.events.last().describe().startsWith(QStringLiteral("FLAGS NOT VERIFIED")));
        QVERIFY(!h.sync->lastReport().allVerified());
        // A retry (the console's button) applies the same target again and now succeeds.
        h.sync->applyCurrent(QStringLiteral("retry"));
        QTRY_COMPARE(finished.size(), 2);
        QVERIFY(h.sync->lastReport().allVerified());
        QCOMPARE(h.count(EventType::FlagsVerified), 1);
    }
};

QTEST_GUILESS_MAIN(TestFlagSync)
#include "tst_flagsync.moc"
