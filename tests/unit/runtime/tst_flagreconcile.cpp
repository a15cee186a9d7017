// Recorded means applied, and drift: every read of the flags is compared with what the rollout
// says. A decision whose flags were never read back (a crash in the middle, another process made
// it) is finished; a flag changed behind the rollout's back is drift: confirmed, recorded,
// alerted, and never adopted. Overrides and segments held off move flags through the same path.
#include "FakeFlagBackend.h"
#include "PlanFixture.h"
#include "core/Clock.h"
#include "metrics/TimeSeriesStore.h"
#include "notify/IncidentMessage.h"
#include "runtime/FlagSync.h"

#include <QSignalSpy>
#include <QTest>

using namespace rollout;
using test::FakeFlagBackend;

namespace {

const QByteArray kPlan = R"(
rollout: reconcile-test
sources: {sim: {type: simulator}}
backends: {f: {type: flagd_file, path: flags.json}}
flags: [{key: checkout, backend: f}, {key: banner, backend: f}]
metrics:
  error_rate: {source: sim, unit: ratio, interval: 1s, simulate: {signal: error_ratio}}
override_roles: [release-manager]
people:
  - {id: rm, roles: [release-manager]}
  - {id: dev, roles: [developer]}
phases:
  - {name: one, traffic: 10%}
  - {name: two, traffic: 50%}
)";

const Actor kRm{QStringLiteral("rm"), QStringLiteral("release-manager")};
const Actor kDev{QStringLiteral("dev"), QStringLiteral("developer")};

FlagState at(double percent)
{
    FlagState s;
    s.exists = true;
    s.enabled = percent > 0;
    s.percent = percent;
    return s;
}

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
        fake->setDelayMs(5);
        set.add(std::move(b));
        set.assign(QStringLiteral("checkout"), QStringLiteral("f"));
        set.assign(QStringLiteral("banner"), QStringLiteral("f"));
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
    void settle() { QTRY_VERIFY(!sync->busy() && !sync->reading()); }
    void readAndSettle()
    {
        QSignalSpy read(sync.get(), &FlagSync::readFinished);
        sync->readAll();
        QTRY_VERIFY(read.size() >= 1);
        settle();
    }
};

} // namespace

class TestFlagReconcile final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void aFlagChangedBehindTheRolloutsBackIsDriftNeverAdopted()
    {
        Harness h;
        QVERIFY(h.session.advance(kRm).ok);
        h.settle();
        QVERIFY(h.session.flagsApplied());
        h.readAndSettle();
        QCOMPARE(h.count(EventType::FlagDrift), 0); // as recorded: nothing to say

        h.fake->setState(QStringLiteral("checkout"), at(50)); // someone, in the service's UI
        const int writes = int(h.fake->writes().size());
        h.readAndSettle();
        QCOMPARE(h.count(EventType::FlagDrift), 1);
        const RolloutEvent drift = h.events.last();
        QVERIFY(drift.held);
        QVERIFY2(drift.reason.contains(QStringLiteral("checkout is 50% in f; the rollout says 10%")),
                 qPrintable(drift.reason));
        QVERIFY(drift.describe().startsWith(QStringLiteral("FLAG DRIFT")));
        QVERIFY(h.session.drifting());
        // Never adopted, never silently put back: the rollout still says phase 1 at 10%, nothing was written.
        QCOMPARE(h.session.currentPhase(), 0);
        QCOMPARE(h.fake->writes().size(), writes);
        QCOMPARE(IncidentMessage::kindOf(drift), QStringLiteral("drift"));
        QVERIFY(IncidentMessage::text(h.session.plan(), drift).contains(QStringLiteral("FLAG DRIFT")));

        h.readAndSettle(); // said once per distinct drift
        QCOMPARE(h.count(EventType::FlagDrift), 1);

        h.fake->setState(QStringLiteral("checkout"), at(10)); // put back by hand
        h.readAndSettle();
        QCOMPARE(h.count(EventType::FlagDrift), 2);
        QVERIFY(!h.events.last().held);
        QVERIFY(!h.session.drifting());
    }

    void aFlagOnBeforeTheRolloutStartedIsDrift()
    {
        Harness h;
        h.fake->setState(QStringLiteral("checkout"), at(10));
        h.readAndSettle();
        QCOMPARE(h.count(EventType::FlagDrift), 1);
        QVERIFY(h.events.last().reason.contains(QStringLiteral("the rollout says off")));
    }

    void aRecordedRollbackThatNeverReachedTheFlagsIsFinished()
    {
        // As after a SIGKILL between the rollback's record and its flag change: the ledger says
        // rolled back, the service still serves phase 1.
        Harness h;
        h.fake->setState(QStringLiteral("checkout"), at(10));
        h.fake->setState(QStringLiteral("banner"), at(10));
        RolloutEvent advanced;
        advanced.type = EventType::PhaseAdvanced;
        advanced.fromPhase = -1;
        advanced.toPhase = 0;
        advanced.atMs = h.clock.nowMs();
        QVERIFY(h.session.restore(advanced));
        RolloutEvent verified;
        verified.type = EventType::FlagsVerified;
        verified.toPhase = 0;
        verified.values = {{QStringLiteral("checkout"), 10.0}, {QStringLiteral("banner"), 10.0}};
        QVERIFY(h.session.restore(verified));
        QVERIFY(h.session.flagsApplied());
        RolloutEvent rolledBack;
        rolledBack.type = EventType::RolledBack;
        rolledBack.fromPhase = 0;
        rolledBack.toPhase = -1;
        rolledBack.automatic = true;
        rolledBack.atMs = h.clock.nowMs();
        QVERIFY(h.session.restore(rolledBack));
        QVERIFY(!h.session.flagsApplied()); // recorded, not applied: never shown as done

        h.readAndSettle();
        QCOMPARE(h.count(EventType::FlagDrift), 0); // not drift: an unfinished decision
        QCOMPARE(h.count(EventType::FlagsVerified), 1);
        QVERIFY(!h.fake->state(QStringLiteral("checkout")).enabled);
        QVERIFY(!h.fake->state(QStringLiteral("banner")).enabled);
        QVERIFY(h.session.flagsApplied());
        QVERIFY(h.sync->lastReport().allVerified());
    }

    void anUnfinishedRollbackIsRetriedUntilVerified()
    {
        Harness h;
        h.fake->setState(QStringLiteral("checkout"), at(10));
        RolloutEvent advanced;
        advanced.type = EventType::PhaseAdvanced;
        advanced.toPhase = 0;
        QVERIFY(h.session.restore(advanced));
        RolloutEvent rolledBack;
        rolledBack.type = EventType::RolledBack;
        rolledBack.fromPhase = 0;
        rolledBack.toPhase = -1;
        QVERIFY(h.session.restore(rolledBack));
        h.fake->script(QStringLiteral("checkout"),
                       {FakeFlagBackend::Fault::Pass,
                        FakeFlagBackend::Fault::Permanent}); // the read goes through, the write fails
        h.readAndSettle();
        QCOMPARE(h.count(EventType::FlagsNotVerified), 1); // escalated
        QVERIFY(!h.session.flagsApplied());
        h.readAndSettle(); // the next read tries again
        QCOMPARE(h.count(EventType::FlagsVerified), 1);
        QVERIFY(h.session.flagsApplied());
        QVERIFY(!h.fake->state(QStringLiteral("checkout")).enabled);
    }

    void anOverrideIsSignedToARoleThePlanNamesAndMovesTheFlags()
    {
        Harness h;
        QVERIFY(!h.session.overridePhase(kDev, 1, QStringLiteral("hotfix")).ok); // not an override role
        QVERIFY(!h.session.overridePhase(kRm, 1, QStringLiteral("  ")).ok);      // no reason
        QVERIFY(!h.session.overridePhase(kRm, 5, QStringLiteral("x")).ok);       // no such phase
        QCOMPARE(h.count(EventType::PhaseOverridden), 0);
        const ActionResult r =
            h.session.overridePhase(kRm, 1, QStringLiteral("incident 42: the fix needs 50%"));
        QVERIFY2(r.ok, qPrintable(r.message));
        QCOMPARE(h.session.currentPhase(), 1);
        QVERIFY(!h.session.flagsApplied());
        h.settle();
        QVERIFY(h.fake->state(QStringLiteral("checkout")).matches(FlagSetting{true, 50.0}));
        QVERIFY(h.session.flagsApplied());
        const RolloutEvent o = h.events.first();
        QVERIFY(o.type == EventType::PhaseOverridden);
        QCOMPARE(o.actor, QStringLiteral("rm"));
        QCOMPARE(o.fromPhase, -1);
        QVERIFY(o.describe().startsWith(QStringLiteral("OVERRIDE")));
        QCOMPARE(IncidentMessage::kindOf(o), QStringLiteral("override"));
        QVERIFY(IncidentMessage::text(h.session.plan(), o).contains(QStringLiteral("incident 42")));

        // Replayed elsewhere, the override puts the rollout in the same place.
        ManualClock clock{1'000'000};
        TimeSeriesStore store;
        RolloutSession replica(test::loadPlan(kPlan), store, clock);
        QVERIFY(replica.restore(o));
        QCOMPARE(replica.currentPhase(), 1);
    }

    void aPlanWithoutOverrideRolesAllowsNone()
    {
        ManualClock clock{1'000'000};
        TimeSeriesStore store;
        QByteArray plan = kPlan;
        plan.replace("override_roles: [release-manager]\n", "");
        RolloutSession session(test::loadPlan(plan), store, clock);
        const ActionResult r = session.overridePhase(kRm, 0, QStringLiteral("why not"));
        QVERIFY(!r.ok);
        QVERIFY(r.message.contains(QStringLiteral("override_roles")));
    }

    void aSegmentHeldOffReachesEveryFlagAndStaysHeldAcrossAPhaseChange()
    {
        Harness h;
        QVERIFY(h.session.advance(kRm).ok);
        h.settle();
        QVERIFY(
            h.session
                .holdSegment(kRm, QStringLiteral("beta"), true, QStringLiteral("beta users report errors"))
                .ok);
        h.settle();
        QVERIFY(h.fake->state(QStringLiteral("checkout")).disabledSegments.contains(QStringLiteral("beta")));
        QVERIFY(h.fake->state(QStringLiteral("banner")).disabledSegments.contains(QStringLiteral("beta")));
        QVERIFY(h.session.flagsApplied());
        QVERIFY(h.session.overridePhase(kRm, 1, QStringLiteral("go")).ok);
        h.settle();
        QVERIFY(h.fake->state(QStringLiteral("checkout")).disabledSegments.contains(QStringLiteral("beta")));
        QVERIFY(h.session.holdSegment(kRm, QStringLiteral("beta"), false, {}).ok);
        h.settle();
        QVERIFY(!h.fake->state(QStringLiteral("checkout")).disabledSegments.contains(QStringLiteral("beta")));
        QCOMPARE(h.session.heldSegments(), QStringList());
    }
};

QTEST_GUILESS_MAIN(TestFlagReconcile)
#include "tst_flagreconcile.moc"
