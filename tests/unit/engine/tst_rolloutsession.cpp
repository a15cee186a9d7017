// The rollout engine driven by a fake clock and scripted series: hours of plan in milliseconds.
#include "PlanFixture.h"
#include "core/Clock.h"
#include "engine/RolloutSession.h"
#include "ledger/EventCodec.h"
#include "metrics/TimeSeriesStore.h"

#include <QSignalSpy>
#include <QTest>
#include <cmath>
#include <limits>

using namespace rollout;

namespace {

const QByteArray kPlan = R"(
rollout: engine-test
sources: {sim: {type: simulator}}
backends: {f: {type: flagd_file, path: flags.json}}
flags: [{key: feature, backend: f}]
metrics:
  requests: {source: sim, unit: rps, bad: low, interval: 1s, simulate: {signal: request_rate}}
  error_rate: {source: sim, unit: ratio, interval: 1s, simulate: {signal: error_ratio}}
  p99: {source: sim, unit: s, interval: 1s, canary: {cohort: canary}, baseline: {series: {cohort: baseline}}, simulate: {signal: latency_quantile}}
  memory: {source: sim, unit: MB, interval: 1s, simulate: {signal: memory}}
triggers:
  - {name: error rate critical, when: error_rate > 5%, for: 5m, kind: hard, action: rollback, unless: requests < 1}
  - {name: latency spike, when: p99 > 2x baseline, for: 10m, kind: hard, action: rollback_to_zero}
  - {name: memory leak, when: memory grows > 10%/h, for: 0s, kind: soft}
  - {name: error rate warning, when: error_rate > 2%, for: 30m, kind: soft}
phases:
  - {name: one, traffic: 1%, min_duration: 1h, success: [error_rate < 1%], checklist: go, approvals: [{role: rm}]}
  - {name: ten, traffic: 10%, min_duration: 2h, success: [error_rate < 0.5%], approvals: [{role: rm}, {role: pm, mandatory: true}]}
  - {name: all, traffic: 100%, min_duration: 1h, auto_promote: true}
checklists:
  go: {technical: [Tests pass], business: [Stakeholder sign-off]}
people:
  - {id: rita, roles: [rm]}
  - {id: paul, roles: [pm]}
retry_after_rollback: 7d
inconclusive_limit: 15m
)";

const Actor kRita{QStringLiteral("rita"), QStringLiteral("rm")};
const Actor kPaul{QStringLiteral("paul"), QStringLiteral("pm")};

// A session over a store fed second by second, with a fake clock.
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

    // Healthy values for every metric at the current time.
    void feed(double errorRate = 0.001, double requests = 50, double p99 = 0.2, double baselineP99 = 0.2,
              double memory = 30)
    {
        const qint64 t = clock.nowMs();
        auto put = [&](const QString& m, const QString& s, double v) { store.append(m, s, Sample{t, v}); };
        put(QStringLiteral("requests"), {}, requests);
        put(QStringLiteral("error_rate"), {}, errorRate);
        put(QStringLiteral("p99"), QStringLiteral("canary"), p99);
        put(QStringLiteral("p99"), QStringLiteral("baseline"), baselineP99);
        put(QStringLiteral("memory"), {}, memory);
    }

    // One second: step the clock, feed, evaluate.
    template <typename Feed> void run(qint64 seconds, Feed f)
    {
        for (qint64 i = 0; i < seconds; ++i) {
            clock.advanceMs(1000);
            f();
            session.evaluate();
        }
    }
    void runHealthy(qint64 seconds)
    {
        run(seconds, [this] { feed(); });
    }

    void start()
    {
        session.setChecklistItem(0, QStringLiteral("technical/Tests pass"), true, kRita);
        session.setChecklistItem(0, QStringLiteral("business/Stakeholder sign-off"), true, kRita);
        session.recordApproval(0, kRita, true, QStringLiteral("go"));
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
    const RolloutEvent* last(EventType t) const
    {
        for (auto it = events.crbegin(); it != events.crend(); ++it)
            if (it->type == t) return &*it;
        return nullptr;
    }
};

} // namespace

class TestRolloutSession final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void startNeedsChecklistAndApproval()
    {
        Harness h;
        QCOMPARE(toString(h.session.state()), toString(RolloutState::NotStarted));
        GateStatus g = h.session.gate();
        QVERIFY(!g.open);
        QCOMPARE(g.checklistTotal, 2);
        QCOMPARE(g.approvalsNeeded, 1);
        QVERIFY(!h.session.advance(kRita).ok);
        QVERIFY(!h.session.recordApproval(0, Actor{QStringLiteral("mallory"), QStringLiteral("rm")}, true, {})
                     .ok);                                         // not in people
        QVERIFY(!h.session.recordApproval(0, kPaul, true, {}).ok); // phase one needs no pm
        QVERIFY(!h.session.setChecklistItem(0, QStringLiteral("technical/Not an item"), true, kRita).ok);
        h.start();
        QCOMPARE(h.session.currentPhase(), 0);
        QCOMPARE(h.session.currentTraffic(), 1.0);
        QCOMPARE(toString(h.session.state()), toString(RolloutState::Running));
        QCOMPARE(h.count(EventType::PhaseAdvanced), 1);
    }

    // The gate is worked out once per tick and shared by every view; it is never stale: a decision,
    // an evaluation or a quarter second makes it worked out again.
    void theSharedGateFollowsEveryChange()
    {
        Harness h;
        QCOMPARE(h.session.gate().checklistDone, 0);
        QVERIFY(h.session.setChecklistItem(0, QStringLiteral("technical/Tests pass"), true, kRita).ok);
        QCOMPARE(h.session.gate().checklistDone, 1); // a decision, at the same millisecond
        h.start();
        auto timeInPhase = [&h] {
            for (const GateCheck& c : h.session.gate().checks)
                if (c.label == QLatin1String("time in phase")) return c.detail;
            return QString();
        };
        QCOMPARE(h.session.gate().toPhase, 1);
        const QString first = timeInPhase();
        h.clock.advanceMs(1000); // time alone, no evaluation: "time in phase" moves on
        QVERIFY2(timeInPhase() != first, qPrintable(first));
        // Decisions never use a shared gate: after an hour of health the advance sees it open.
        h.runHealthy(3600);
        QVERIFY(h.session.recordApproval(1, kRita, true, {}).ok);
        QVERIFY(h.session.recordApproval(1, kPaul, true, {}).ok);
        h.runHealthy(1);
        QVERIFY2(h.session.gate().open, qPrintable(h.session.gate().missing()));
        QVERIFY(h.session.advance(kRita).ok);
        QCOMPARE(h.session.gate().toPhase, 2); // and the next gate at once
    }

    void hardTriggerFiresAtFiveMinutesNotBefore()
    {
        Harness h;
        h.start();
        h.runHealthy(60);
        // Breach: samples at t0 .. t0+299 s hold for 4:59 — must not fire.
        h.run(300, [&] { h.feed(0.08); });
        QCOMPARE(h.count(EventType::TriggerFired), 0);
        QCOMPARE(h.session.currentPhase(), 0);
        QCOMPARE(h.count(EventType::TriggerPending, QStringLiteral("error rate critical")), 1);
        const qint64 since = h.clock.nowMs() - 299'000; // the first breaching sample
        // The 301st breaching sample is 5:00 after the first: fires now.
        h.run(1, [&] { h.feed(0.08); });
        QCOMPARE(h.count(EventType::TriggerFired), 1);
        const RolloutEvent* rb = h.last(EventType::RolledBack);
        QVERIFY(rb);
        QVERIFY(rb->automatic);
        QCOMPARE(rb->trigger, QStringLiteral("error rate critical"));
        QCOMPARE(rb->fromPhase, 0);
        QCOMPARE(rb->toPhase, -1);
        QCOMPARE(rb->sinceMs, since);
        QCOMPARE(h.clock.nowMs() - since, qint64(300'000));
        QCOMPARE(rb->values.value(QStringLiteral("error_rate")), 0.08);
        QCOMPARE(toString(h.session.state()), toString(RolloutState::RolledBack));
        QCOMPARE(h.session.currentTraffic(), 0.0);
    }

    void breachOfFourFiftyNineThenRecoveryNeverFires()
    {
        Harness h;
        h.start();
        h.run(300, [&] { h.feed(0.08); }); // 4:59 between first and last breaching sample
        h.runHealthy(1);
        h.runHealthy(600);
        QCOMPARE(h.count(EventType::TriggerFired), 0);
        QCOMPARE(h.count(EventType::TriggerCleared, QStringLiteral("error rate critical")), 1);
        QCOMPARE(h.session.currentPhase(), 0);
    }

    void flappingMetricNeverHoldsLongEnough()
    {
        Harness h;
        h.start();
        for (int i = 0; i < 10; ++i) {
            h.run(240, [&] { h.feed(0.09); });
            h.runHealthy(1);
        }
        QCOMPARE(h.count(EventType::TriggerFired), 0);
        QCOMPARE(h.count(EventType::TriggerPending, QStringLiteral("error rate critical")), 10);
        QCOMPARE(h.count(EventType::TriggerCleared, QStringLiteral("error rate critical")), 10);
    }

    void minimumTrafficGuardKeepsTriggerQuiet()
    {
        Harness h;
        h.start();
        h.run(900, [&] { h.feed(1.0, 0.2); }); // one error at tiny traffic is 100%
        QCOMPARE(h.count(EventType::TriggerFired), 0);
        bool guarded = false;
        for (const TriggerView& t : h.session.triggers())
            if (t.spec.name == QStringLiteral("error rate critical"))
                guarded = t.state == TriggerState::Guarded;
        QVERIFY(guarded);
    }

    void nanIsInconclusiveAndNeverPromotes()
    {
        Harness h;
        h.start();
        const double nan = std::numeric_limits<double>::quiet_NaN();
        h.runHealthy(3600);
        h.run(10 * 60, [&] { h.feed(nan); }); // within the 15 min inconclusive limit
        QCOMPARE(h.session.currentPhase(), 0);
        GateStatus g = h.session.gate();
        QVERIFY(!g.open);
        bool sawCriterion = false;
        for (const GateCheck& c : g.checks)
            if (c.kind == GateCheck::Kind::Criterion) {
                sawCriterion = true;
                QVERIFY(c.state != CheckState::Met);
            }
        QVERIFY(sawCriterion);
        h.session.recordApproval(1, kRita, true, {});
        h.session.recordApproval(1, kPaul, true, {});
        QVERIFY(!h.session.advance(kRita).ok);
        QCOMPARE(h.session.currentPhase(), 0);
    }

    // Missing data is never healthy, and inconclusive for too long asks a person (Argo's
    // Inconclusive): the rollout pauses with an alert; it is not silently rolled back.
    void unknownBeyondLimitPausesForAPerson()
    {
        Harness h;
        h.start();
        const double nan = std::numeric_limits<double>::quiet_NaN();
        h.run(15 * 60 - 2, [&] { h.feed(nan); });
        QVERIFY(!h.session.isPaused());
        h.run(5, [&] { h.feed(nan); });
        QVERIFY(h.session.isPaused());
        QVERIFY(
            h.last(EventType::AlertRaised)->reason.contains(QStringLiteral("no data for longer than 15m")));
        QVERIFY(!h.session.gate().open);
        h.run(30 * 60, [&] { h.feed(nan); }); // past the limit and any hold: still paused, never rolled back
        QCOMPARE(h.count(EventType::RolledBack), 0);
        QCOMPARE(h.count(EventType::TriggerFired), 0);
    }

    void gapMakesDataStaleAndBlocksTheGate()
    {
        Harness h;
        h.start();
        h.runHealthy(3600);
        QVERIFY(h.session.gate().checks.size() > 0);
        // Sixty seconds without a sample: stale (interval 1 s), inconclusive, gate closed.
        h.run(60, [] {});
        const GateStatus g = h.session.gate();
        QVERIFY(!g.open);
        bool stale = false;
        for (const GateCheck& c : g.checks)
            if (c.kind == GateCheck::Kind::Criterion && c.state == CheckState::Inconclusive)
                stale = c.detail.contains(QStringLiteral("stale"));
        QVERIFY2(stale, qPrintable(g.missing()));
    }

    void gateOpensAfterCriteriaHeldForMinimumDuration()
    {
        Harness h;
        h.start();
        h.runHealthy(3600); // criteria judged from the first tick in the phase: held 59:59
        QVERIFY(!h.session.gate().open);
        QVERIFY(h.session.gate().opensInMs > 0);
        h.runHealthy(1);
        GateStatus g = h.session.gate();
        // Time and criteria are met; approvals for "ten" are still missing.
        QVERIFY(!g.open);
        QCOMPARE(g.approvalsNeeded, 2);
        QVERIFY(g.missing().contains(QStringLiteral("pm approval (mandatory)")));
        QVERIFY(h.session.recordApproval(1, kRita, true, {}).ok);
        QVERIFY(h.session.recordApproval(1, kPaul, false, QStringLiteral("cost unclear")).ok);
        QVERIFY(!h.session.gate().open);
        QVERIFY(h.session.gate().missing().contains(QStringLiteral("rejected by paul")));
        QVERIFY(h.session.recordApproval(1, kPaul, true, QStringLiteral("ok now")).ok);
        QVERIFY2(h.session.gate().open, qPrintable(h.session.gate().missing()));
        QVERIFY(h.session.advance(kRita).ok);
        QCOMPARE(h.session.currentTraffic(), 10.0);
    }

    void failingCriterionRestartsTheWindow()
    {
        Harness h;
        h.start();
        h.runHealthy(1800);
        h.run(30, [&] { h.feed(0.015); }); // a 30 s blip, shorter than the 1 min grace: the window holds
        QVERIFY(!h.session.gate().open);   // …but nothing opens while it fails
        h.runHealthy(1800);
        QVERIFY(!h.session.gate().missing().contains(QStringLiteral("criteria held")));
        h.run(61, [&] { h.feed(0.015); }); // above the 1% success criterion for longer than the grace
        h.runHealthy(1800);
        QVERIFY(h.session.gate().missing().contains(QStringLiteral("criteria held")));
        h.runHealthy(1801);
        QVERIFY(!h.session.gate().missing().contains(QStringLiteral("criteria held")));
    }

    void relativeToBaselineTrigger()
    {
        Harness h;
        h.start();
        h.run(600, [&] { h.feed(0.001, 50, 0.41, 0.2); }); // 2.05x baseline for 9:59
        QCOMPARE(h.count(EventType::TriggerFired), 0);
        h.run(1, [&] { h.feed(0.001, 50, 0.41, 0.2); });
        QCOMPARE(h.count(EventType::TriggerFired), 1);
        QCOMPARE(h.last(EventType::RolledBack)->toPhase, -1); // rollback_to_zero
    }

    // Relative conditions compare by difference, so a baseline of 0 is an ordinary case: the old
    // judge called it inconclusive and, after the inconclusive limit, rolled a healthy canary back.
    void baselineOfZeroIsComparedByDifference()
    {
        Harness h;
        h.start();
        h.run(40 * 60, [&] { h.feed(0.001, 50, 0.0, 0.0); }); // past the 15m limit and the 10m hold
        QCOMPARE(h.count(EventType::TriggerFired), 0);
        QVERIFY(!h.session.isPaused());
        h.run(10 * 60 + 1, [&] { h.feed(0.001, 50, 5.0, 0.0); }); // 5 s against 2 × 0: it holds
        QCOMPARE(h.count(EventType::TriggerFired, QStringLiteral("latency spike")), 1);
    }

    void rateOfChangeRaisesSoftAlert()
    {
        Harness h;
        h.start();
        double mem = 30;
        // +5%/h for an hour: no alert; then +20%/h.
        h.run(3600, [&] {
            mem *= std::pow(1.05, 1.0 / 3600.0);
            h.feed(0.001, 50, 0.2, 0.2, mem);
        });
        QCOMPARE(h.count(EventType::AlertRaised), 0);
        h.run(3600, [&] {
            mem *= std::pow(1.2, 1.0 / 3600.0);
            h.feed(0.001, 50, 0.2, 0.2, mem);
        });
        QCOMPARE(h.count(EventType::AlertRaised), 1); // one open alert per trigger, not one per tick
        QCOMPARE(toString(h.session.state()), toString(RolloutState::Alert));
        QCOMPARE(h.session.currentPhase(), 0); // soft: nothing rolled back
        QVERIFY(h.session.gate().missing().contains(QStringLiteral("alert #1")));
        const int id = h.session.alerts().first().id;
        QVERIFY(h.session.acknowledgeAlert(id, kRita, QStringLiteral("known GC change")).ok);
        QCOMPARE(toString(h.session.state()), toString(RolloutState::Running));
        QCOMPARE(h.count(EventType::AlertAcknowledged), 1);
    }

    void retryWaitAfterRollback()
    {
        Harness h;
        h.start();
        QVERIFY(h.session.rollback(kRita, QStringLiteral("manual test"), false).ok);
        QCOMPARE(h.session.currentPhase(), -1);
        QCOMPARE(h.last(EventType::RolledBack)->automatic, false);
        // Rolling back again at zero is harmless.
        QVERIFY(h.session.rollback(kRita, QStringLiteral("again"), false).ok);
        QCOMPARE(h.count(EventType::RolledBack), 1);
        // The sign-offs were for the attempt that failed: they must be given again.
        QCOMPARE(h.session.gate().checklistDone, 0);
        h.session.setChecklistItem(0, QStringLiteral("technical/Tests pass"), true, kRita);
        h.session.setChecklistItem(0, QStringLiteral("business/Stakeholder sign-off"), true, kRita);
        h.session.recordApproval(0, kRita, true, {});
        h.runHealthy(60);
        QVERIFY(h.session.gate().missing().contains(QStringLiteral("waiting period")));
        h.clock.advanceMs(7LL * 24 * 3600 * 1000);
        h.feed();
        QVERIFY2(h.session.gate().open, qPrintable(h.session.gate().missing()));
        QVERIFY(h.session.advance(kRita).ok);
        QCOMPARE(toString(h.session.state()), toString(RolloutState::Running));
    }

    void pauseBlocksAdvanceButNotSafety()
    {
        Harness h;
        h.start();
        QVERIFY(h.session.pause(kRita, QStringLiteral("holiday freeze")).ok);
        QCOMPARE(toString(h.session.state()), toString(RolloutState::Paused));
        h.run(301, [&] { h.feed(0.08); });
        QCOMPARE(h.count(EventType::RolledBack), 1); // a paused rollout is still protected
    }

    void autoPromoteAndComplete()
    {
        Harness h;
        h.start();
        h.runHealthy(3601);
        h.session.recordApproval(1, kRita, true, {});
        h.session.recordApproval(1, kPaul, true, {});
        QVERIFY(h.session.advance(kRita).ok);
        h.runHealthy(2 * 3600 + 1);
        QVERIFY(h.session.advance(kRita).ok); // into "all", which may promote itself
        QCOMPARE(h.session.currentTraffic(), 100.0);
        h.runHealthy(3600 + 1);
        QCOMPARE(toString(h.session.state()), toString(RolloutState::Complete));
        QCOMPARE(h.last(EventType::Completed)->actor, QStringLiteral("automation"));
        QVERIFY(!h.session.advance(kRita).ok);
    }

    void rollbackToPreviousPhaseRestartsIt()
    {
        Harness h;
        h.start();
        h.runHealthy(3601);
        h.session.recordApproval(1, kRita, true, {});
        h.session.recordApproval(1, kPaul, true, {});
        QVERIFY(h.session.advance(kRita).ok);
        h.run(301, [&] { h.feed(0.08); });
        const RolloutEvent* rb = h.last(EventType::RolledBack);
        QVERIFY(rb);
        QCOMPARE(rb->fromPhase, 1);
        QCOMPARE(rb->toPhase, 0);
        QCOMPARE(h.session.currentTraffic(), 1.0);
        QCOMPARE(h.session.phaseStartedMs(), h.clock.nowMs());
        QVERIFY(h.session.approvals(1).isEmpty());
    }

    // The ledger rebuilds a console's state from its records: replaying the recorded decisions
    // (through the record payload and back) into a fresh session gives the same state.
    void replayingTheRecordedDecisionsRebuildsTheState()
    {
        Harness h;
        h.start();
        h.runHealthy(3601);
        QVERIFY(h.session.recordApproval(1, kRita, true, QStringLiteral("go")).ok);
        QVERIFY(h.session.recordApproval(1, kPaul, true, QStringLiteral("mandatory go")).ok);
        QVERIFY2(h.session.advance(kRita).ok, qPrintable(h.session.gate().missing()));
        QVERIFY(h.session.pause(kRita, QStringLiteral("lunch")).ok);
        QVERIFY(h.session.resume(kRita).ok);
        h.runHealthy(60);
        h.run(301, [&] { h.feed(0.08); }); // error rate critical: automatic rollback to phase one
        QCOMPARE(h.session.currentPhase(), 0);
        QVERIFY(h.count(EventType::RolledBack) == 1);

        Harness fresh;
        int replayed = 0;
        for (const RolloutEvent& e : h.events) {
            if (!EventCodec::isRecorded(e.type)) continue;
            QString problem;
            const auto back = EventCodec::fromRecord(toString(e.type), EventCodec::toPayload(e), e.actor,
                                                     e.role, e.atMs, &problem);
            QVERIFY2(back, qPrintable(problem));
            QVERIFY2(fresh.session.restore(*back), qPrintable(e.describe()));
            ++replayed;
        }
        QVERIFY(replayed >= 8);
        const RolloutSession& a = h.session;
        const RolloutSession& b = fresh.session;
        QCOMPARE(b.currentPhase(), a.currentPhase());
        QCOMPARE(b.phaseStartedMs(), a.phaseStartedMs());
        QCOMPARE(toString(b.state()), toString(a.state()));
        QCOMPARE(b.retryNotBeforeMs(), a.retryNotBeforeMs());
        QCOMPARE(b.isPaused(), a.isPaused());
        QCOMPARE(b.tickedItems(0), a.tickedItems(0));
        QCOMPARE(b.approvals(0).size(), a.approvals(0).size());
        QCOMPARE(b.approvals(1).size(), 0); // given for the phase that was rolled back: asked again
        QCOMPARE(b.gate().toPhase, a.gate().toPhase);
        // A decision that does not fit the state changes nothing.
        RolloutEvent bogus;
        bogus.type = EventType::PhaseAdvanced;
        bogus.fromPhase = 3;
        bogus.toPhase = 4;
        QVERIFY(!fresh.session.restore(bogus));
        QCOMPARE(fresh.session.currentPhase(), 0);
    }
};

QTEST_GUILESS_MAIN(TestRolloutSession)
#include "tst_rolloutsession.moc"
