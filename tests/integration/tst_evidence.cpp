// The evidence judge through the real Prometheus, fed by the simulator (scripts/services.sh): the
// engine reads raw counters (sum by (cohort) (sim_errors_total)), differences them and weighs how
// many requests stand behind each verdict.
// - A healthy canary at 1% (about 2 requests a second) is neither rolled back nor promoted before
//   its evidence suffices.
// - A 2x error regression at 10% is caught: the relative trigger rolls back on evidence of harm,
//   and the record carries the numbers.
#include "Await.h"
#include "PlanFixture.h"
#include "RequireServers.h"
#include "engine/RolloutSession.h"
#include "metrics/MetricPoller.h"

#include <QElapsedTimer>
#include <QTest>
#include <QTimer>

using namespace rollout;
using test::exchange;

namespace {

QByteArray planYaml(const QString& prom)
{
    return QStringLiteral(
               "rollout: evidence-integration\n"
               "sources: {prom: {type: prometheus, url: \"%1\", timeout: 5s}}\n"
               "backends: {f: {type: flagd_file, path: unused.json}}\n"
               "flags: [{key: feature, backend: f}]\n"
               "metrics:\n"
               "  error_rate:\n"
               "    source: prom\n"
               "    unit: ratio\n"
               "    interval: 1s\n"
               "    canary: {cohort: canary}\n"
               "    baseline: {series: {cohort: baseline}}\n"
               "    query: sum by (cohort) (rate(sim_errors_total[10s])) / sum by (cohort) "
               "(rate(sim_requests_total[10s]))\n"
               "    events: sum by (cohort) (sim_errors_total)\n"
               "    trials: sum by (cohort) (sim_requests_total)\n"
               "triggers:\n"
               "  - {name: critical, when: error_rate > 20%, for: 15s, kind: hard, action: rollback}\n"
               "  - {name: worse than baseline, when: error_rate > 1x baseline, for: 30s, kind: hard, "
               "action: rollback}\n"
               "phases:\n"
               "  - {name: one, traffic: 1%, min_duration: 10s, success: [error_rate < 10%], auto_promote: "
               "true}\n"
               "  - {name: ten, traffic: 10%, min_duration: 1h, success: [error_rate < 1.2x baseline]}\n"
               "people: [{id: rm, roles: [rm]}]\n"
               "inconclusive_limit: 2m\n")
        .arg(prom)
        .toUtf8();
}

} // namespace

class TestEvidence final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void healthyCanaryWaitsForEvidenceAndARegressionIsCaught()
    {
        const QString prom = qEnvironmentVariable("ROLLOUT_PROMETHEUS_URL");
        const QString sim = qEnvironmentVariable("ROLLOUT_SIMULATOR_URL");
        if (prom.isEmpty() || sim.isEmpty())
            ROLLOUT_SKIP_OR_FAIL(
                "run through scripts/test.sh: ROLLOUT_PROMETHEUS_URL / ROLLOUT_SIMULATOR_URL unset");
        // A service with 2% errors in both cohorts, 1% of its 200 requests/s on the canary.
        QVERIFY(exchange("POST", sim + QStringLiteral("/-/clear")).success());
        QVERIFY(exchange("POST", sim + QStringLiteral("/-/error-ratio?ratio=0.02")).success());
        QVERIFY(exchange("POST", sim + QStringLiteral("/-/share?percent=1")).success());

        const Plan plan = test::loadPlan(planYaml(prom));
        SystemClock clock;
        TimeSeriesStore store;
        MetricPoller poller(plan, store, clock);
        RolloutSession session(plan, store, clock);
        QList<RolloutEvent> events;
        QList<CriterionView> atGate; // the criteria as judged when the gate opened
        QObject::connect(&session, &RolloutSession::eventRecorded, &session, [&](const RolloutEvent& e) {
            events.append(e);
            if (e.type == EventType::GateOpened && atGate.isEmpty()) atGate = session.criteria();
            // The simulated service follows the rollout, as a flag service would make it.
            if (e.type == EventType::PhaseAdvanced || e.type == EventType::RolledBack) {
                const double share = e.toPhase < 0 ? 0.0 : plan.phases[std::size_t(e.toPhase)].traffic;
                exchange("POST", sim + QStringLiteral("/-/share?percent=%1").arg(share));
            }
        });
        QTimer tick;
        QObject::connect(&tick, &QTimer::timeout, &session, &RolloutSession::evaluate);
        poller.start();
        // Wait until the counters read show the 1% share (the scrape before it still had the old one).
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const auto c =
                    store.counts(QStringLiteral("error_rate"), Series::Canary, clock.nowMs() - 3000);
                return c && c->toMs - c->fromMs >= 2000 && c->trials < 15;
            }(),
            60000);
        QVERIFY(session.advance(Actor{QStringLiteral("rm"), QStringLiteral("rm")}).ok);
        tick.start(250);

        // Phase one: promoted only once "error_rate < 10%" is shown, on the canary's own counts.
        QElapsedTimer t;
        t.start();
        QTRY_VERIFY_WITH_TIMEOUT(session.currentPhase() == 1,
                                 600000); // about 100 s; the evidence decides, so a generous bound
        QVERIFY(t.elapsed() >= 10000);    // never before the minimum duration
        QCOMPARE(atGate.size(), 1);
        const Judgement& passed = atGate.first().last;
        QVERIFY(passed.truth == Truth::True);
        QVERIFY(passed.evidence.present);
        QVERIFY2(passed.evidence.canaryUpper < 0.10,
                 qPrintable(QString::number(passed.evidence.canaryUpper)));
        QVERIFY(passed.evidence.canaryTrials >= 20); // a handful of requests never passes it
        qInfo("1%% canary promoted after %lld ms on %.0f canary requests (%.0f errors): %.2f%% [%.2f%%, "
              "%.2f%%]",
              t.elapsed(), passed.evidence.canaryTrials, passed.evidence.canaryEvents,
              passed.evidence.canaryEstimate * 100, passed.evidence.canaryLower * 100,
              passed.evidence.canaryUpper * 100);
        for (const RolloutEvent& e : events)
            QVERIFY(e.type != EventType::RolledBack);

        // Phase ten: the canary's errors double (2% → 4%); the relative trigger rolls back on evidence.
        QVERIFY(exchange("POST", sim + QStringLiteral("/-/fault?spec=canary-error-spike@0s*0.04")).success());
        t.restart();
        QTRY_VERIFY_WITH_TIMEOUT(session.currentPhase() == 0, 600000);
        qInfo("2x regression at 10%% rolled back after %lld ms", t.elapsed());
        const RolloutEvent* fired = nullptr;
        for (const RolloutEvent& e : events)
            if (e.type == EventType::TriggerFired) fired = &e;
        QVERIFY(fired);
        QCOMPARE(fired->trigger, QStringLiteral("worse than baseline"));
        QVERIFY(fired->evidence.present && fired->evidence.hasBaseline);
        QVERIFY(fired->evidence.differenceLower > 0);
        QVERIFY(fired->evidence.canaryTrials > 0 &&
                fired->evidence.baselineTrials > fired->evidence.canaryTrials);
        qInfo("fired on %s", qPrintable(fired->reason));

        exchange("POST", sim + QStringLiteral("/-/clear"));
        exchange("POST", sim + QStringLiteral("/-/error-ratio?ratio=0.0002"));
        exchange("POST", sim + QStringLiteral("/-/share?percent=50"));
    }
};

QTEST_GUILESS_MAIN(TestEvidence)
#include "tst_evidence.moc"
