// A headless rollout can start itself: with auto_start, the runtime driving it enters the first
// phase once that gate is green, as the engine's own (automatic) decision — once: after a
// rollback a person restarts it. And the records say who decided: a person's advance and claim
// are not automatic, the engine's are.
#include "PlanFixture.h"
#include "core/Clock.h"
#include "runtime/RolloutRuntime.h"

#include <QTest>

using namespace rollout;

namespace {

QByteArray plan(bool autoStart)
{
    return QByteArray(R"(
rollout: auto-start-test
sources: {sim: {type: simulator}}
backends: {f: {type: flagd_file, path: flags.json}}
flags: [{key: a, backend: f}]
metrics:
  error_rate: {source: sim, unit: ratio, interval: 1s, simulate: {signal: error_ratio}}
people:
  - {id: rm, roles: [release-manager]}
phases:
  - {name: one, traffic: 10%}
  - {name: two, traffic: 50%}
)") + (autoStart ? QByteArray("auto_start: true\n") : QByteArray());
}

} // namespace

class TestAutoStart final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void autoStartEntersTheFirstPhaseOnceItsGateIsGreen()
    {
        ManualClock clock{1'000'000};
        RolloutRuntime runtime(test::loadPlan(plan(true)), clock);
        QList<RolloutEvent> events;
        connect(&runtime, &RolloutRuntime::eventAppended, this,
                [&](const RolloutEvent& e) { events.append(e); });
        runtime.tick();
        QCOMPARE(runtime.session().currentPhase(), 0);
        const auto advanced = std::find_if(events.begin(), events.end(), [](const RolloutEvent& e) {
            return e.type == EventType::PhaseAdvanced;
        });
        QVERIFY(advanced != events.end());
        QVERIFY(advanced->automatic);
        QCOMPARE(advanced->actor, QStringLiteral("automation"));

        // Rolled back: it does not start again by itself.
        QVERIFY(runtime.session()
                    .rollback(Actor{QStringLiteral("rm"), QStringLiteral("release-manager")},
                              QStringLiteral("test"), true)
                    .ok);
        clock.advanceMs(60'000);
        runtime.tick();
        QCOMPARE(runtime.session().currentPhase(), -1);
        QVERIFY(runtime.session().state() == RolloutState::RolledBack);
    }

    void withoutAutoStartNothingStartsByItself()
    {
        ManualClock clock{1'000'000};
        RolloutRuntime runtime(test::loadPlan(plan(false)), clock);
        runtime.tick();
        QCOMPARE(runtime.session().currentPhase(), -1);
        // The runtime driving it can be told not to, whatever the plan says (a one-shot rolloutctl command).
        RolloutRuntime oneShot(test::loadPlan(plan(true)), clock);
        oneShot.setAutoStart(false);
        oneShot.tick();
        QCOMPARE(oneShot.session().currentPhase(), -1);
    }

    void recordsSayWhetherAPersonOrTheEngineDecided()
    {
        ManualClock clock{1'000'000};
        RolloutRuntime runtime(test::loadPlan(plan(false)), clock);
        QList<RolloutEvent> events;
        connect(&runtime.session(), &RolloutSession::eventRecorded, this,
                [&](const RolloutEvent& e) { events.append(e); });
        const Actor rm{QStringLiteral("rm"), QStringLiteral("release-manager")};
        QVERIFY(runtime.session().recordAdvanceClaim(rm).ok);
        QVERIFY(runtime.session().advance(rm).ok);
        QCOMPARE(events.size(), 2);
        QVERIFY(events[0].type == EventType::AdvanceClaimed && !events[0].automatic);
        QVERIFY(events[1].type == EventType::PhaseAdvanced && !events[1].automatic);
        QVERIFY(runtime.session().recordAdvanceClaim(Actor::automation()).ok);
        QVERIFY(runtime.session().advance(Actor::automation()).ok);
        QVERIFY(events[2].type == EventType::AdvanceClaimed && events[2].automatic);
        QVERIFY(events[3].type == EventType::Completed || events[3].type == EventType::PhaseAdvanced);
        QVERIFY(events[3].automatic);
    }
};

QTEST_GUILESS_MAIN(TestAutoStart)
#include "tst_autostart.moc"
