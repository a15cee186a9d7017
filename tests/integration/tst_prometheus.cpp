// Against a real Prometheus 2.42 scraping the simulator every second (both started by
// scripts/services.sh): seed 000's PromQL shapes compared with the simulator's known truth, a
// canary error spike seen by the engine's hard trigger through Prometheus, and a backfill.
#include "PlanFixture.h"
#include "RequireServers.h"
#include "engine/RolloutSession.h"
#include "metrics/MetricPoller.h"
#include "metrics/PrometheusClient.h"
#include "net/HttpClient.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>
#include <cmath>

using namespace rollout;

namespace {

QString env(const char* name)
{
    return qEnvironmentVariable(name);
}

// One blocking HTTP exchange, for test set-up only.
HttpResponse exchange(const QByteArray& method, const QString& url)
{
    HttpClient http;
    HttpRequest req;
    req.method = method;
    req.url = QUrl(url);
    HttpResponse out;
    bool done = false;
    QObject ctx;
    http.send(req, &ctx, [&](const HttpResponse& r) {
        out = r;
        done = true;
    });
    if (!QTest::qWaitFor([&] { return done; }, 15000)) qWarning("no answer within 15 s");
    return out;
}

PromOutcome instant(PrometheusClient& client, const QString& query)
{
    PromOutcome out;
    bool done = false;
    QObject ctx;
    client.instant(query, QDateTime::currentMSecsSinceEpoch(), &ctx, [&](const PromOutcome& o) {
        out = o;
        done = true;
    });
    if (!QTest::qWaitFor([&] { return done; }, 15000)) qWarning("no answer within 15 s");
    return out;
}

double seriesValue(const PromOutcome& o, const QString& cohort)
{
    for (const PromSeries& s : o.response.series)
        if (s.labels.value(QStringLiteral("cohort")) == cohort && !s.samples.isEmpty())
            return s.samples.last().value;
    return std::nan("");
}

QJsonObject truth(const QString& sim)
{
    const HttpResponse r = exchange("GET", sim + QStringLiteral("/-/truth"));
    return QJsonDocument::fromJson(r.body).object();
}

QByteArray planYaml(const QString& prom, const QString& window)
{
    return QStringLiteral("rollout: prometheus-integration\n"
                          "sources: {prom: {type: prometheus, url: \"%1\", timeout: 5s}}\n"
                          "backends: {f: {type: flagd_file, path: f.json}}\n"
                          "flags: [{key: k, backend: f}]\n"
                          "metrics:\n"
                          "  error_rate:\n"
                          "    source: prom\n"
                          "    unit: ratio\n"
                          "    interval: 1s\n"
                          "    canary: {cohort: canary}\n"
                          "    baseline: {series: {cohort: baseline}}\n"
                          "    query: sum by (cohort) (rate(sim_errors_total[%2])) / sum by (cohort) "
                          "(rate(sim_requests_total[%2]))\n"
                          "triggers:\n"
                          "  - {name: error rate critical, when: error_rate > 5%, for: 10s, kind: hard, "
                          "action: rollback}\n"
                          "phases:\n"
                          "  - {name: canary, traffic: 50%}\n"
                          "  - {name: all, traffic: 100%}\n")
        .arg(prom, window)
        .toUtf8();
}

} // namespace

class TestPrometheusIntegration final : public QObject
{
    Q_OBJECT
    QString m_prom, m_sim;

private Q_SLOTS:
    void initTestCase()
    {
        m_prom = env("ROLLOUT_PROMETHEUS_URL");
        m_sim = env("ROLLOUT_SIMULATOR_URL");
        if (m_prom.isEmpty() || m_sim.isEmpty())
            ROLLOUT_SKIP_OR_FAIL(
                "run through scripts/test.sh: ROLLOUT_PROMETHEUS_URL / ROLLOUT_SIMULATOR_URL unset");
        QVERIFY(exchange("POST", m_sim + QStringLiteral("/-/clear")).success());
        QVERIFY(exchange("POST", m_sim + QStringLiteral("/-/share?percent=50")).success());
    }

    void cleanupTestCase()
    {
        if (!m_sim.isEmpty()) exchange("POST", m_sim + QStringLiteral("/-/clear"));
    }

    void promqlShapesMatchTheSimulatorsTruth()
    {
        SourceSpec src;
        src.name = QStringLiteral("prom");
        src.url = m_prom;
        PrometheusClient client(src);
        // Readiness, not a sleep: rate() over 1m is unbiased once the series is older than the
        // window (a series that starts inside it is extrapolated short), i.e. once Prometheus
        // holds more than 75 s of 1 s scrapes.
        QTRY_VERIFY_WITH_TIMEOUT(
            seriesValue(instant(client, QStringLiteral(
                                            "count_over_time(sim_requests_total{cohort=\"canary\"}[90s])")),
                        QStringLiteral("canary")) >= 75,
            150000);
        const QString requests = QStringLiteral("sum by (cohort) (rate(sim_requests_total[1m]))");

        const PromOutcome rps = instant(client, requests);
        const PromOutcome errors =
            instant(client, QStringLiteral("sum by (cohort) (rate(sim_errors_total[1m])) / sum by (cohort) "
                                           "(rate(sim_requests_total[1m]))"));
        const PromOutcome p95 = instant(
            client,
            QStringLiteral(
                "histogram_quantile(0.95, sum by (cohort, le) (rate(sim_duration_seconds_bucket[1m])))"));
        QVERIFY2(rps.ok() && errors.ok() && p95.ok(), qPrintable(rps.problem + errors.problem + p95.problem));
        const QJsonObject t = truth(m_sim);
        const QJsonObject canary = t.value(QStringLiteral("canary")).toObject();
        const double truthRps = canary.value(QStringLiteral("request_rate")).toDouble();
        const double truthErr = canary.value(QStringLiteral("error_ratio")).toDouble();
        const double truthP95 = canary.value(QStringLiteral("latency_p95")).toDouble();
        const double promRps = seriesValue(rps, QStringLiteral("canary"));
        const double promErr = seriesValue(errors, QStringLiteral("canary"));
        const double promP95 = seriesValue(p95, QStringLiteral("canary"));
        qInfo("canary rps: prometheus %.2f truth %.2f; error ratio %.5f vs %.5f; p95 %.4fs vs %.4fs", promRps,
              truthRps, promErr, truthErr, promP95, truthP95);
        // Tolerances: the two windows are offset by up to a scrape (1 s) plus rate()'s
        // extrapolation at the window edges; the error ratio is a small count.
        QVERIFY(std::fabs(promRps - truthRps) <= 0.10 * truthRps);
        QVERIFY(std::fabs(promErr - truthErr) <= 0.003);
        QVERIFY(std::fabs(promP95 - truthP95) <= 0.15 * truthP95);
    }

    void canarySpikeFiresTheHardTriggerThroughPrometheus()
    {
        const Plan plan = test::loadPlan(planYaml(m_prom, QStringLiteral("20s")));
        SystemClock clock;
        TimeSeriesStore store;
        MetricPoller poller(plan, store, clock);
        RolloutSession session(plan, store, clock);
        QVERIFY(session.advance(Actor{QStringLiteral("rm"), QStringLiteral("rm")}).ok);
        QSignalSpy events(&session, &RolloutSession::eventRecorded);
        poller.start();
        QTimer tick;
        QObject::connect(&tick, &QTimer::timeout, &session, [&] { session.evaluate(); });
        tick.start(250);
        // Healthy first: the canary's error rate is well under the threshold.
        QTRY_VERIFY_WITH_TIMEOUT(store.latest(QStringLiteral("error_rate"), Series::Canary).has_value(),
                                 15000);
        QCOMPARE(session.currentPhase(), 0);

        QElapsedTimer sinceSpike;
        QVERIFY(exchange("POST", m_sim + QStringLiteral("/-/fault?spec=canary-error-spike@0s")).success());
        sinceSpike.start();
        QTRY_VERIFY_WITH_TIMEOUT(session.currentPhase() == -1, 90000);
        const qint64 detectedMs = sinceSpike.elapsed();
        bool fired = false;
        for (const QList<QVariant>& e : std::as_const(events)) {
            const auto ev = e.first().value<RolloutEvent>();
            if (ev.type == EventType::TriggerFired)
                fired = ev.trigger == QStringLiteral("error rate critical");
        }
        QVERIFY(fired);
        qInfo("spike → hard trigger fired through Prometheus in %.1f s (rate window 20s, for: 10s, scrape "
              "1s, poll 1s)",
              double(detectedMs) / 1000.0);
        // Physically possible only after the hold: at least the 10 s of `for`.
        QVERIFY(detectedMs >= 10000);
        exchange("POST", m_sim + QStringLiteral("/-/clear"));
    }

    void backfillsAChartWindowWithQueryRange()
    {
        const Plan plan = test::loadPlan(planYaml(m_prom, QStringLiteral("1m")));
        SystemClock clock;
        TimeSeriesStore store;
        MetricPoller poller(plan, store, clock);
        QSignalSpy done(&poller, &MetricPoller::backfillFinished);
        poller.backfill(2 * 60 * 1000);
        QVERIFY(done.wait(15000));
        QVERIFY2(done.first().at(1).toString().isEmpty(), qPrintable(done.first().at(1).toString()));
        const QList<Sample> canary =
            store.window(QStringLiteral("error_rate"), QStringLiteral("canary"), 0, clock.nowMs());
        const QList<Sample> baseline =
            store.window(QStringLiteral("error_rate"), QStringLiteral("baseline"), 0, clock.nowMs());
        qInfo("backfill: %lld canary and %lld baseline points over the last 2 minutes", qint64(canary.size()),
              qint64(baseline.size()));
        QVERIFY(canary.size() >= 60);
        QVERIFY(baseline.size() >= 60);
        for (int i = 1; i < canary.size(); ++i)
            QVERIFY(canary[i].tMs > canary[i - 1].tMs);
    }

    void aWrongQueryReachesTheUserVerbatim()
    {
        SourceSpec src;
        src.name = QStringLiteral("prom");
        src.url = m_prom;
        PrometheusClient client(src);
        const PromOutcome o = instant(client, QStringLiteral("sum(rate(sim_errors_total[1m])"));
        QVERIFY(!o.ok());
        QCOMPARE(o.http.status, 400);
        QCOMPARE(o.response.errorType, QStringLiteral("bad_data"));
        QVERIFY2(o.problem.contains(QStringLiteral("bad_data: invalid parameter \"query\": 1:")) &&
                     o.problem.contains(QStringLiteral("parse error")),
                 qPrintable(o.problem));
    }
};

QTEST_GUILESS_MAIN(TestPrometheusIntegration)
#include "tst_prometheus.moc"
