// A phase that exposes nobody (0% traffic: the code deployed, the flag off) has no canary data to
// read, and that is expected: missing data there keeps the gate shut but never escalates, and it
// must not count against the next phase either. Seed 003's "Initial deployment" (2h at 0%) before
// its 10% phase: the modern variant's response time is null until the flag is on.
#include "PlanFixture.h"
#include "core/Clock.h"
#include "engine/RolloutSession.h"
#include "metrics/TimeSeriesStore.h"

#include <QTest>
#include <limits>

using namespace rollout;

namespace {

const QByteArray kPlan = R"(
rollout: unexposed-phase
sources: {sim: {type: simulator}}
backends: {f: {type: flagd_file, path: flags.json}}
flags: [{key: feature, backend: f}]
metrics:
  error_rate: {source: sim, unit: ratio, interval: 1s, simulate: {signal: error_ratio}}
  latency: {source: sim, unit: ms, interval: 1s, simulate: {signal: latency_quantile}}
triggers:
  - {name: slow responses, when: latency > 1500ms, for: 5m, kind: hard, action: rollback_to_zero}
phases:
  - {name: deployed, traffic: 0%, min_duration: 2h, success: [error_rate < 5%]}
  - {name: ten, traffic: 10%, min_duration: 2h}
people:
  - {id: rita, roles: [rm]}
inconclusive_limit: 15m
)";

const Actor kRita{QStringLiteral("rita"), QStringLiteral("rm")};
const double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Harness
{
    ManualClock clock{1'000'000};
    TimeSeriesStore store;
    RolloutSession session;
    QList<RolloutEvent> events;

    Harness() : session(test::loadPlan(kPlan), store, clock)
    {
        QObject::connect(&session, &RolloutSession::eventRecorded, &session,
                         [this](const RolloutEvent& e) { events.append(e); });
    }
    // `seconds` seconds of the service: its error rate, and the canary's latency (NaN: no canary).
    void run(qint64 seconds, double latency)
    {
        for (qint64 i = 0; i < seconds; ++i) {
            clock.advanceMs(1000);
            store.append(QStringLiteral("error_rate"), {}, Sample{clock.nowMs(), 0.01});
            store.append(QStringLiteral("latency"), {}, Sample{clock.nowMs(), latency});
            session.evaluate();
        }
    }
    int count(EventType t) const
    {
        return int(
            std::count_if(events.begin(), events.end(), [t](const RolloutEvent& e) { return e.type == t; }));
    }
};

} // namespace

class TestUnexposedPhase final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void noCanaryDataWhileNobodyIsExposedDoesNotCountAgainstTheNextPhase()
    {
        Harness h;
        QVERIFY(h.session.advance(kRita).ok);
        h.run(2 * 3600 + 5, kNaN); // two hours at 0%: no canary, as expected
        QCOMPARE(h.count(EventType::AlertRaised), 0);
        const ActionResult r = h.session.advance(kRita);
        QVERIFY2(r.ok, qPrintable(r.message));
        QCOMPARE(h.session.currentPhase(), 1);
        h.run(3, kNaN); // the first polls at 10%, before the canary's first answer
        h.run(60, 900);
        QCOMPARE(h.count(EventType::AlertRaised), 0);
        QCOMPARE(h.count(EventType::Paused), 0);
        QVERIFY(!h.session.isPaused());
    }

    // The limit still holds once people are exposed: counted from the phase's start.
    void noCanaryDataInAnExposedPhaseStillPausesPastTheLimit()
    {
        Harness h;
        QVERIFY(h.session.advance(kRita).ok);
        h.run(2 * 3600 + 5, kNaN);
        QVERIFY(h.session.advance(kRita).ok);
        h.run(15 * 60 - 5, kNaN);
        QVERIFY(!h.session.isPaused());
        h.run(10, kNaN);
        QVERIFY(h.session.isPaused());
        QCOMPARE(h.count(EventType::AlertRaised), 1);
    }
};

QTEST_GUILESS_MAIN(TestUnexposedPhase)
#include "tst_unexposedphase.moc"
