// The closed loop, all real: engine → FlagSync → Unleash (Admin API) → a simulated service that
// reads its canary share from Unleash's client API → Prometheus scraping it → the engine. An
// advance becomes canary traffic in Prometheus; a canary error spike fires the hard trigger, the
// rollback turns the flag off in Unleash, and the canary's errors stop.
#include "Await.h"
#include "PlanFixture.h"
#include "RequireServers.h"
#include "engine/RolloutSession.h"
#include "metrics/MetricPoller.h"
#include "metrics/PrometheusClient.h"
#include "runtime/FlagSync.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>
#include <cmath>

using namespace rollout;
using test::exchange;

namespace {

QByteArray planYaml(const QString& prom, const QString& unleash, const QString& flag)
{
    return QStringLiteral("rollout: closed-loop\n"
                          "environment: development\n"
                          "sources: {prom: {type: prometheus, url: \"%1\", timeout: 5s}}\n"
                          "backends: {unleash: {type: unleash, url: \"%2\", token_env: "
                          "ROLLOUT_UNLEASH_ADMIN_TOKEN, project: default}}\n"
                          "flags: [{key: %3, backend: unleash, stickiness: userId}]\n"
                          "metrics:\n"
                          "  error_rate:\n"
                          "    source: prom\n"
                          "    unit: ratio\n"
                          "    interval: 1s\n"
                          "    canary: {cohort: canary}\n"
                          "    baseline: {series: {cohort: baseline}}\n"
                          "    query: sum by (cohort) (rate(loop_errors_total[10s])) / sum by (cohort) "
                          "(rate(loop_requests_total[10s]))\n"
                          "triggers:\n"
                          "  - {name: error rate critical, when: error_rate > 5%, for: 5s, kind: hard, "
                          "action: rollback}\n"
                          "phases:\n"
                          "  - {name: half, traffic: 50%}\n"
                          "  - {name: all, traffic: 100%}\n")
        .arg(prom, unleash, flag)
        .toUtf8();
}

double truthShare(const QString& sim)
{
    const HttpResponse r = exchange("GET", sim + QStringLiteral("/-/truth"));
    return QJsonDocument::fromJson(r.body)
        .object()
        .value(QStringLiteral("canary_share_percent"))
        .toDouble(-1);
}

// One number from Prometheus (NaN when the vector is empty or the query failed).
double promValue(const QString& prom, const QString& query)
{
    const HttpResponse r = exchange("GET", prom + QStringLiteral("/api/v1/query?query=") +
                                               QString::fromLatin1(QUrl::toPercentEncoding(query)));
    const QJsonArray result = QJsonDocument::fromJson(r.body)
                                  .object()
                                  .value(QStringLiteral("data"))
                                  .toObject()
                                  .value(QStringLiteral("result"))
                                  .toArray();
    if (result.isEmpty()) return std::nan("");
    return result.first().toObject().value(QStringLiteral("value")).toArray().at(1).toString().toDouble();
}

} // namespace

class TestClosedLoop final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void advanceShowsInMetricsAndRollbackStopsTheErrors()
    {
        const QString prom = qEnvironmentVariable("ROLLOUT_PROMETHEUS_URL");
        const QString unleash = qEnvironmentVariable("ROLLOUT_UNLEASH_URL");
        const QString sim = qEnvironmentVariable("ROLLOUT_LOOP_SIMULATOR_URL");
        const QString flag = qEnvironmentVariable("ROLLOUT_LOOP_FLAG");
        if (prom.isEmpty() || unleash.isEmpty() || sim.isEmpty() || flag.isEmpty())
            ROLLOUT_SKIP_OR_FAIL("run through scripts/test.sh: the Prometheus, Unleash and closed-loop "
                                 "simulator variables are unset");
        const QByteArray admin = qgetenv("ROLLOUT_UNLEASH_ADMIN_TOKEN");
        const HttpResponse created =
            exchange("POST", unleash + QStringLiteral("/api/admin/projects/default/features"),
                     QStringLiteral("{\"name\":\"%1\",\"type\":\"release\"}").arg(flag).toUtf8(), admin);
        QVERIFY2(created.status == 201 || created.status == 409, qPrintable(created.describe(QUrl(unleash))));
        exchange("POST", sim + QStringLiteral("/-/clear"));
        QTRY_COMPARE_WITH_TIMEOUT(truthShare(sim), 0.0, 10000); // nobody has the feature yet

        const Plan plan = test::loadPlan(planYaml(prom, unleash, flag));
        QString problem;
        std::optional<FlagBackendSet> backends = FlagBackendSet::fromPlan(plan, &problem);
        QVERIFY2(backends, qPrintable(problem));
        SystemClock clock;
        TimeSeriesStore store;
        MetricPoller poller(plan, store, clock);
        RolloutSession session(plan, store, clock);
        FlagSync flags(session, std::move(*backends));
        QSignalSpy flagOps(&flags, &FlagSync::operationFinished);
        QTimer tick;
        QObject::connect(&tick, &QTimer::timeout, &session, [&] { session.evaluate(); });

        // Advance: Unleash says 50%, the service moves half its traffic, Prometheus sees it.
        QElapsedTimer t;
        t.start();
        QVERIFY(session.advance(Actor{QStringLiteral("rm"), QStringLiteral("rm")}).ok);
        QTRY_COMPARE_WITH_TIMEOUT(flagOps.size(), 1, 15000);
        QVERIFY2(flags.lastReport().allVerified(), qPrintable(flags.lastReport().summary()));
        const qint64 verifiedMs = t.elapsed();
        QTRY_COMPARE_WITH_TIMEOUT(truthShare(sim), 50.0, 10000);
        const qint64 serviceMs = t.elapsed();
        const QString canaryRps = QStringLiteral("sum(rate(loop_requests_total{cohort=\"canary\"}[5s]))");
        QTRY_VERIFY_WITH_TIMEOUT(promValue(prom, canaryRps) > 0.0, 30000);
        qInfo("advance → Unleash verified in %lld ms, service at 50%% after %lld ms, canary traffic in "
              "Prometheus after %lld ms",
              verifiedMs, serviceMs, t.elapsed());

        // A canary error spike: the hard trigger fires, the rollback turns the flag off in Unleash.
        poller.start();
        tick.start(250);
        QTRY_VERIFY_WITH_TIMEOUT(store.latest(QStringLiteral("error_rate"), Series::Canary).has_value(),
                                 20000);
        t.restart();
        QVERIFY(exchange("POST", sim + QStringLiteral("/-/fault?spec=canary-error-spike@0s")).success());
        QTRY_COMPARE_WITH_TIMEOUT(session.currentPhase(), -1, 90000);
        const qint64 firedMs = t.elapsed();
        QTRY_COMPARE_WITH_TIMEOUT(flagOps.size(), 2, 35000);
        QVERIFY2(flags.lastReport().allVerified(), qPrintable(flags.lastReport().summary()));
        QVERIFY(!flags.lastReport().results.first().after.enabled);
        const qint64 rolledBackMs = t.elapsed();
        QTRY_COMPARE_WITH_TIMEOUT(truthShare(sim), 0.0, 10000);
        // The canary's errors stop: no canary requests, hence no canary errors, reach Prometheus.
        QTRY_VERIFY_WITH_TIMEOUT(
            promValue(prom, QStringLiteral(
                                "sum(increase(loop_errors_total{cohort=\"canary\"}[3s])) or vector(0)")) ==
                0.0,
            30000);
        qInfo("spike → trigger fired and rolled back after %lld ms; Unleash verified off at %lld ms; canary "
              "errors stopped at %lld ms",
              firedMs, rolledBackMs, t.elapsed());
        exchange("POST", sim + QStringLiteral("/-/clear"));
    }
};

QTEST_GUILESS_MAIN(TestClosedLoop)
#include "tst_closedloop.moc"
