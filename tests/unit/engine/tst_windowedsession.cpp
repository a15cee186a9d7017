// The engine with windows, totals, budgets and Argo-style measurements: a windowed trigger waits
// (never healthy, never paused) until its window is covered and then acts on the window; a total
// since the phase gates it; a measured trigger fires on the (failure_limit+1)-th failed
// measurement, not before; a measured criterion passes once its count is reached.
#include "PlanFixture.h"
#include "core/Clock.h"
#include "engine/RolloutSession.h"
#include "metrics/TimeSeriesStore.h"

#include <QTest>

using namespace rollout;

namespace {

const QByteArray kPlan = R"(
rollout: windowed
sources: {prom: {type: prometheus, url: http://127.0.0.1:9}}
backends: {f: {type: flagd_file, path: flags.json}}
flags: [{key: k, backend: f}]
metrics:
  availability: {source: prom, query: a, unit: ratio, bad: low, interval: 10s}
  flows: {source: prom, query: f, unit: count, interval: 10s}
  latency: {source: prom, query: l, unit: s, interval: 10s}
  cost: {source: prom, query: c, unit: usd, interval: 10s}
budgets:
  compute: {metric: cost, amount: $80}
triggers:
  - {name: availability, when: availability < 99% over 15m, kind: hard, action: rollback}
  - {name: slow, when: latency > 2s, interval: 1m, failure_limit: 2, kind: hard, action: rollback}
  - {name: over budget, when: cost exceeds budget by > 20%, for: 10m, kind: soft}
phases:
  - name: one
    traffic: 10%
    success:
      - flows total since phase >= 5
      - {when: latency < 1s, interval: 1m, count: 3, failure_limit: 1}
  - {name: two, traffic: 50%}
people: [{id: rita, roles: [rm]}]
inconclusive_limit: 5m
criteria_grace: 0s
)";

const Actor kRita{QStringLiteral("rita"), QStringLiteral("rm")};

struct Harness
{
    ManualClock clock{1'000'000'000};
    TimeSeriesStore store;
    RolloutSession session;
    QList<RolloutEvent> events;
    double flows = 100;

    Harness() : session(test::loadPlan(kPlan), store, clock)
    {
        QObject::connect(&session, &RolloutSession::eventRecorded, &session,
                         [this](const RolloutEvent& e) { events.append(e); });
    }
    void feed(double availability = 0.999, double latency = 0.5, double flowsPerPoll = 0, double cost = 50)
    {
        const qint64 t = clock.nowMs();
        flows += flowsPerPoll;
        store.append(QStringLiteral("availability"), {}, {t, availability});
        store.append(QStringLiteral("latency"), {}, {t, latency});
        store.append(QStringLiteral("flows"), {}, {t, flows});
        store.append(QStringLiteral("cost"), {}, {t, cost});
    }
    // `seconds` of polls every 10 s, evaluating each time.
    template <typename F> void run(qint64 seconds, F f)
    {
        for (qint64 i = 0; i < seconds; i += 10) {
            clock.advanceMs(10'000);
            f();
            session.evaluate();
        }
    }
    void start()
    {
        feed();
        const ActionResult r = session.advance(kRita);
        QVERIFY2(r.ok, qPrintable(r.message));
    }
    int count(EventType t, const QString& trigger = {}) const
    {
        int n = 0;
        for (const RolloutEvent& e : events)
            n += e.type == t && (trigger.isEmpty() || e.trigger == trigger);
        return n;
    }
    TriggerView trigger(const QString& name) const
    {
        for (const TriggerView& v : session.triggers())
            if (v.spec.name == name) return v;
        return {};
    }
};

} // namespace

class TestWindowedSession final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void windowedTriggerWaitsForItsWindowThenActsOnIt()
    {
        Harness h;
        h.start();
        // Ten minutes of terrible availability: the window is not covered yet, so the trigger is
        // inconclusive (never healthy) but neither fires nor pauses for missing data.
        h.run(600, [&] { h.feed(0.5); });
        QCOMPARE(h.count(EventType::RolledBack), 0);
        QCOMPARE(h.count(EventType::Paused), 0);
        QCOMPARE(int(h.trigger(QStringLiteral("availability")).state), int(TriggerState::Inconclusive));
        QVERIFY2(
            h.trigger(QStringLiteral("availability")).last.reason.contains(QStringLiteral("not covered")),
            qPrintable(h.trigger(QStringLiteral("availability")).last.reason));
        // Once 15 minutes are covered, the mean over them is far below 99%: rolled back.
        h.run(360, [&] { h.feed(0.5); });
        QCOMPARE(h.count(EventType::RolledBack, QStringLiteral("availability")), 1);
    }

    void oneBadPollDoesNotBreakAWindow()
    {
        Harness h;
        h.start();
        h.run(1200, [&] { h.feed(); });
        h.run(10, [&] { h.feed(0.9); }); // one sample at 90%: the 15-minute mean stays above 99%
        h.run(60, [&] { h.feed(); });
        QCOMPARE(h.count(EventType::TriggerFired, QStringLiteral("availability")), 0);
    }

    void totalSincePhaseGatesThePhase()
    {
        Harness h;
        h.start();
        h.run(300, [&] { h.feed(0.999, 0.5, 0.1); }); // 30 polls × 0.1 = 3 flows
        GateStatus g = h.session.gate();
        QVERIFY(!g.open);
        QVERIFY2(g.missing().contains(QStringLiteral("flows total since phase >= 5")),
                 qPrintable(g.missing()));
        h.run(300, [&] { h.feed(0.999, 0.5, 0.1); }); // 6 flows now
        g = h.session.gate();
        QVERIFY2(g.open, qPrintable(g.missing()));
    }

    void measuredTriggerFiresOnTheThirdFailedMeasurement()
    {
        Harness h;
        h.start();
        h.run(60, [&] { h.feed(); });
        // Slow for 2 minutes (two failed measurements, the limit), then fine: not fired.
        h.run(120, [&] { h.feed(0.999, 3.0); });
        QCOMPARE(h.count(EventType::TriggerFired, QStringLiteral("slow")), 0);
        QCOMPARE(h.trigger(QStringLiteral("slow")).spec.when.measurement->failureLimit, 2);
        h.run(120, [&] { h.feed(); });
        QCOMPARE(int(h.trigger(QStringLiteral("slow")).state), int(TriggerState::Ok));
        QCOMPARE(h.count(EventType::TriggerFired, QStringLiteral("slow")), 0);
        // One more failed measurement (cumulative, not consecutive): past the limit, fired.
        h.run(60, [&] { h.feed(0.999, 3.0); });
        QCOMPARE(h.count(EventType::TriggerFired, QStringLiteral("slow")), 1);
        QCOMPARE(h.count(EventType::RolledBack, QStringLiteral("slow")), 1);
        const RolloutEvent* fired = nullptr;
        for (const RolloutEvent& e : h.events)
            if (e.type == EventType::TriggerFired) fired = &e;
        QVERIFY2(fired->reason.contains(QStringLiteral("3 failed (failure_limit 2)")),
                 qPrintable(fired->reason));
    }

    void measuredCriterionPassesAtItsCount()
    {
        Harness h;
        h.start();
        h.run(600, [&] { h.feed(0.999, 0.5, 1); }); // flows plenty; latency fine
        const QList<CriterionView> c = h.session.criteria();
        QCOMPARE(int(c[1].truth), int(Truth::True));
        QVERIFY2(
            c[1].last.reason.startsWith(QStringLiteral("analysis passed: 3 of 3 measurements, 0 failed")),
            qPrintable(c[1].last.reason));
    }

    void measuredCriterionFailsPastItsLimit()
    {
        Harness h;
        h.start();
        // Latency over 1 s. The measurements at 10 s and 70 s are inconclusive (too few samples to
        // show it) and are retaken; those at 130 s and 190 s fail: past failure_limit 1.
        h.run(130, [&] { h.feed(0.999, 1.5, 1); });
        QVERIFY2(h.session.criteria()[1].last.reason.startsWith(QStringLiteral(
                     "measuring: 1 of 3 measurements, 1 failed (failure_limit 1), 2 inconclusive")),
                 qPrintable(h.session.criteria()[1].last.reason));
        h.run(60, [&] { h.feed(0.999, 1.5, 1); });
        const QList<CriterionView> c = h.session.criteria();
        QVERIFY2(c[1].truth == Truth::False, qPrintable(c[1].last.reason));
        QVERIFY2(c[1].last.reason.startsWith(QStringLiteral("analysis failed")),
                 qPrintable(c[1].last.reason));
        // Terminal for the phase: fine latency afterwards does not reopen it.
        h.run(300, [&] { h.feed(0.999, 0.5, 1); });
        QCOMPARE(int(h.session.criteria()[1].truth), int(Truth::False));
        QVERIFY(!h.session.gate().open);
    }

    void budgetTriggerAlerts()
    {
        Harness h;
        h.start();
        h.run(300, [&] { h.feed(0.999, 0.5, 0, 90); }); // $90 is within 20% of $80
        QCOMPARE(h.count(EventType::TriggerFired, QStringLiteral("over budget")), 0);
        h.run(610, [&] { h.feed(0.999, 0.5, 0, 100); }); // $100 is 25% over, for 10 minutes
        QCOMPARE(h.count(EventType::TriggerFired, QStringLiteral("over budget")), 1);
    }
};

QTEST_GUILESS_MAIN(TestWindowedSession)
#include "tst_windowedsession.moc"
