// The fault table for metric polling: every way a Prometheus answer can go wrong ends in a
// named problem, an inconclusive criterion, and no promotion. A scripted loopback server plays
// the faults a real Prometheus will not produce on demand.
#include "FakeHttpServer.h"
#include "PlanFixture.h"
#include "engine/RolloutSession.h"
#include "metrics/MetricPoller.h"

#include <QFile>
#include <QLocale>
#include <QTest>
#include <QUrlQuery>
#include <cmath>

using namespace rollout;
using Reply = test::FakeHttpServer::Reply;

namespace {

QByteArray planFor(const QString& url)
{
    return QString::fromUtf8(R"yaml(
rollout: faults
sources: {prom: {type: prometheus, url: "%1", timeout: 1s}}
backends: {f: {type: flagd_file, path: f.json}}
flags: [{key: k, backend: f}]
metrics:
  error_rate: {source: prom, query: "sum(rate(errors_total[1m])) / sum(rate(requests_total[1m]))", unit: ratio, interval: 1s}
triggers:
  - {name: errors, when: error_rate > 5%, for: 0s, kind: hard}
phases:
  - {name: one, traffic: 1%, success: [error_rate < 1%]}
  - {name: two, traffic: 10%}
)yaml")
        .arg(url)
        .toUtf8();
}

qint64 rssKb()
{
    QFile f(QStringLiteral("/proc/self/status"));
    f.open(QIODevice::ReadOnly);
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith("VmRSS:")) return line.mid(6).trimmed().split(' ').first().toLongLong();
    return 0;
}

Reply json(const QByteArray& body, int status = 200)
{
    return Reply{status, body, {}, false, false, 0, false};
}

QByteArray httpDate(qint64 ms)
{
    return QLocale::c()
        .toString(QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC),
                  QStringLiteral("ddd, dd MMM yyyy HH:mm:ss 'GMT'"))
        .toLatin1();
}

} // namespace

class TestMetricPoller final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void faults_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("expected");
        QTest::newRow("500") << 0
                             << QStringLiteral(
                                    "/api/v1/query: HTTP 500 Internal Server Error: internal error");
        QTest::newRow("503 retry-after")
            << 1 << QStringLiteral("HTTP 503 Service Unavailable (Retry-After 7s): unavailable: too busy");
        QTest::newRow("never answers") << 2 << QStringLiteral("no answer within the deadline");
        QTest::newRow("connection refused") << 3 << QStringLiteral("refused");
        QTest::newRow("truncated json") << 4 << QStringLiteral("then the answer was cut off");
        QTest::newRow("wrong shape") << 5 << QStringLiteral("unexpected shape");
        QTest::newRow("prometheus error")
            << 6 << QStringLiteral("bad_data: 1:5: parse error: unexpected <by>");
        QTest::newRow("empty result") << 7 << QStringLiteral("empty result");
        QTest::newRow("NaN") << 8 << QStringLiteral("no data");
        QTest::newRow("50 MB body") << 9 << QStringLiteral("size cap");
        QTest::newRow("+Inf") << 10 << QStringLiteral("no data");
        QTest::newRow("500 prometheus error")
            << 11 << QStringLiteral("HTTP 500 Internal Server Error: internal: boom");
        QTest::newRow("503 from a proxy")
            << 12 << QStringLiteral("HTTP 503 Service Unavailable: no healthy upstream");
        QTest::newRow("503 retry-after date")
            << 13 << QStringLiteral("HTTP 503 Service Unavailable (Retry-After 2");
        QTest::newRow("502 html page") << 14 << QStringLiteral("HTTP 502 Bad Gateway");
    }

    void faults()
    {
        QFETCH(int, kind);
        QFETCH(QString, expected);
        test::FakeHttpServer server([kind](const QByteArray&, const QByteArray&, const QByteArray&) -> Reply {
            const QByteArray vector =
                R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[%T,"%V"]}]}})";
            auto sample = [&](const char* v) {
                QByteArray b = vector;
                return b
                    .replace("%T",
                             QByteArray::number(double(QDateTime::currentMSecsSinceEpoch()) / 1000.0, 'f', 3))
                    .replace("%V", v);
            };
            switch (kind) {
            case 0:
                return json("internal error", 500);
            case 1: {
                Reply r = json(R"({"status":"error","errorType":"unavailable","error":"too busy"})", 503);
                r.headers = {{"Retry-After", "7"}};
                return r;
            }
            case 2: {
                Reply r;
                r.hang = true;
                return r;
            }
            case 4: {
                Reply r = json(sample("0.001"));
                r.truncate = true;
                return r;
            }
            case 5:
                return json(R"({"status":"success","data":{"resultType":"vector","result":{"oops":1}}})");
            case 6:
                return json(
                    R"({"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected <by>"})",
                    400);
            case 7:
                return json(R"({"status":"success","data":{"resultType":"vector","result":[]}})");
            case 8:
                return json(sample("NaN"));
            case 9: {
                Reply r;
                r.bodyBytes = 50LL * 1024 * 1024;
                return r;
            }
            case 10:
                return json(sample("+Inf"));
            case 11:
                return json(R"({"status":"error","errorType":"internal","error":"boom"})", 500);
            case 12:
                return json(R"({"message":"no healthy upstream"})", 503);
            case 13: {
                Reply r = json("<html><body><h1>503 Service Unavailable</h1></body></html>", 503);
                r.headers = {{"Retry-After", httpDate(QDateTime::currentMSecsSinceEpoch() + 25000)}};
                return r;
            }
            case 14:
                return json("<html><body>Bad Gateway</body></html>", 502);
            default:
                return json(sample("0.001"));
            }
        });
        QString url = server.url();
        if (kind == 3) { // a port nobody listens on
            QTcpServer probe;
            probe.listen(QHostAddress::LocalHost, 0);
            url = QStringLiteral("http://127.0.0.1:%1").arg(probe.serverPort());
        }
        const Plan plan = test::loadPlan(planFor(url));
        SystemClock clock;
        TimeSeriesStore store;
        MetricPoller poller(plan, store, clock);
        RolloutSession session(plan, store, clock);
        QVERIFY(session.advance(Actor{QStringLiteral("rm"), QStringLiteral("rm")}).ok); // into phase one
        const qint64 rssBefore = rssKb();

        poller.pollAll();
        QVERIFY(!poller.idle());
        QTRY_VERIFY_WITH_TIMEOUT(poller.idle(), 15000);
        session.evaluate();

        const MetricHealth h = poller.health(QStringLiteral("error_rate"));
        const Judgement j =
            ThresholdJudge().judge(plan.phases[0].success[0], *plan.metric(QStringLiteral("error_rate")),
                                   store, clock.nowMs(), std::nullopt);
        QCOMPARE(int(j.truth), int(Truth::Unknown));
        QVERIFY2(j.reason.contains(expected, Qt::CaseInsensitive), qPrintable(j.reason));
        if (kind != 8 && kind != 10) {
            QCOMPARE(int(h.state), int(MetricHealth::State::Error));
            QVERIFY2(h.message.contains(expected, Qt::CaseInsensitive), qPrintable(h.message));
        }
        // Nothing promoted, nothing rolled back on one bad answer.
        QVERIFY(!session.gate().open);
        QVERIFY(!session.advance(Actor{QStringLiteral("rm"), QStringLiteral("rm")}).ok);
        QCOMPARE(session.currentPhase(), 0);
        if (kind == 0 || kind >= 11 || kind == 1) { // an error status is the server's, not a shape
            QVERIFY2(!h.message.contains(QStringLiteral("unexpected shape")) &&
                         !h.message.contains(QStringLiteral("not JSON")) &&
                         !h.message.contains(QStringLiteral("<html")),
                     qPrintable(h.message));
            QVERIFY2(h.message.startsWith(url + QStringLiteral("/api/v1/query: HTTP ")),
                     qPrintable(h.message));
        }
        if (kind == 1 || kind == 13) { // Retry-After honoured: nothing asked of the source before then
            QVERIFY(h.nextPollMs >= clock.nowMs() + (kind == 1 ? 6000 : 20000));
            QVERIFY(poller.sourceNotBeforeMs(QStringLiteral("prom")) >=
                    clock.nowMs() + (kind == 1 ? 6000 : 20000));
            poller.pollAll();
            QVERIFY(poller.idle());
            QCOMPARE(server.requests(), 1);
        }
        if (kind == 9)
            QVERIFY2(rssKb() - rssBefore < 24 * 1024,
                     qPrintable(QStringLiteral("RSS grew by %1 kB").arg(rssKb() - rssBefore)));
    }

    void neverTwoRequestsInFlightForOneMetric()
    {
        test::FakeHttpServer server([](const QByteArray&, const QByteArray&, const QByteArray&) {
            Reply r;
            r.hang = true;
            return r;
        });
        const Plan plan = test::loadPlan(planFor(server.url()));
        SystemClock clock;
        TimeSeriesStore store;
        MetricPoller poller(plan, store, clock);
        poller.pollAll();
        poller.pollAll();
        poller.pollAll();
        QTRY_COMPARE(server.requests(), 1);
        QCOMPARE(poller.health(QStringLiteral("error_rate")).skippedBusy, 2);
        QTRY_VERIFY_WITH_TIMEOUT(poller.idle(), 5000);
    }

    void goodAnswerClearsTheProblem()
    {
        int calls = 0;
        test::FakeHttpServer server(
            [&calls](const QByteArray&, const QByteArray& path, const QByteArray&) -> Reply {
                if (calls++ == 0) return json("boom", 500);
                const QByteArray t =
                    QByteArray::number(double(QDateTime::currentMSecsSinceEpoch()) / 1000.0, 'f', 3);
                Q_UNUSED(path)
                return json(
                    R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[)" +
                    t + R"(,"0.002"]}]}})");
            });
        const Plan plan = test::loadPlan(planFor(server.url()));
        SystemClock clock;
        TimeSeriesStore store;
        MetricPoller poller(plan, store, clock);
        poller.pollAll();
        QTRY_VERIFY(poller.idle());
        QVERIFY(!store.lastError(QStringLiteral("error_rate")).isEmpty());
        // Backing off: an immediate second round sends nothing.
        poller.pollAll();
        QCOMPARE(server.requests(), 1);
        QTRY_VERIFY_WITH_TIMEOUT((poller.pollAll(), server.requests() == 2), 5000);
        QTRY_VERIFY(poller.idle());
        QVERIFY(store.lastError(QStringLiteral("error_rate")).isEmpty());
        QCOMPARE(store.latest(QStringLiteral("error_rate"), Series::Canary)->value, 0.002);
        // The query went out percent-encoded, '+' and all.
        QVERIFY(server.paths().last().contains("query=sum%28rate%28errors_total%5B1m%5D%29%29%20%2F%20sum"));
    }

    void credentialsComeFromTheEnvironmentAndStayOutOfMessages()
    {
        test::FakeHttpServer server(
            [](const QByteArray&, const QByteArray&, const QByteArray&) { return json("no", 401); });
        QByteArray yaml = planFor(server.url());
        yaml.replace("timeout: 1s}", "timeout: 1s, token_env: ROLLOUT_TEST_PROM_TOKEN}");
        const Plan plan = test::loadPlan(yaml);
        SystemClock clock;
        TimeSeriesStore store;
        MetricPoller poller(plan, store, clock);
        qunsetenv("ROLLOUT_TEST_PROM_TOKEN");
        poller.pollAll();
        QTRY_VERIFY(poller.idle());
        // Unset: said by name, and nothing was sent.
        QVERIFY2(store.lastError(QStringLiteral("error_rate"))
                     .contains(QStringLiteral("ROLLOUT_TEST_PROM_TOKEN (the token) is not set")),
                 qPrintable(store.lastError(QStringLiteral("error_rate"))));
        QCOMPARE(server.requests(), 0);
        qputenv("ROLLOUT_TEST_PROM_TOKEN", "s3cret-value");
        MetricPoller second(plan, store, clock);
        second.pollAll();
        QTRY_VERIFY(second.idle());
        QVERIFY(server.lastHead().contains("Authorization: Bearer s3cret-value"));
        QVERIFY(store.lastError(QStringLiteral("error_rate")).contains(QStringLiteral("HTTP 401")));
        QVERIFY(!store.lastError(QStringLiteral("error_rate")).contains(QStringLiteral("s3cret")));
        qunsetenv("ROLLOUT_TEST_PROM_TOKEN");
    }

    // Timed polls ask for (and stamp) their place on the schedule, exactly one interval apart,
    // not the moment the event loop ran them: a trigger's `for` must not need one poll more
    // because the last one ran a millisecond earlier in its slot than the first.
    void timedPollsLieExactlyOneIntervalApart()
    {
        test::FakeHttpServer server(
            [](const QByteArray&, const QByteArray& path, const QByteArray&) -> Reply {
                const QByteArray t = QUrlQuery(QUrl(QString::fromLatin1(path)).query())
                                         .queryItemValue(QStringLiteral("time"))
                                         .toLatin1();
                return json(
                    R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[)" +
                    t + R"(,"0.002"]}]}})");
            });
        const Plan plan = test::loadPlan(planFor(server.url()));
        SystemClock clock;
        TimeSeriesStore store;
        MetricPoller poller(plan, store, clock);
        poller.start();
        QTRY_VERIFY_WITH_TIMEOUT(server.requests() >= 4, 8000);
        poller.stop();
        QList<qint64> times;
        for (const QByteArray& p : server.paths())
            times.append(qint64(std::llround(QUrlQuery(QUrl(QString::fromLatin1(p)).query())
                                                 .queryItemValue(QStringLiteral("time"))
                                                 .toDouble() *
                                             1000.0)));
        for (qsizetype i = 1; i < times.size(); ++i)
            QCOMPARE(times[i] - times[i - 1], qint64(1000));
        QVERIFY(times.last() <= clock.nowMs()); // never a time still to come
        QTRY_VERIFY(poller.idle());
        QCOMPARE(store.latest(QStringLiteral("error_rate"), Series::Canary)->tMs, times.last());
    }

    // A Retry-After holds back the whole source, not just the metric whose poll was answered
    // with it: another metric of the same Prometheus waits too.
    void retryAfterHoldsTheWholeSource()
    {
        int calls = 0;
        test::FakeHttpServer server(
            [&calls](const QByteArray&, const QByteArray&, const QByteArray&) -> Reply {
                if (calls++ == 0) {
                    Reply r = json(R"({"status":"error","errorType":"unavailable","error":"too busy"})", 503);
                    r.headers = {{"Retry-After", "30"}};
                    return r;
                }
                const QByteArray t =
                    QByteArray::number(double(QDateTime::currentMSecsSinceEpoch()) / 1000.0, 'f', 3);
                return json(
                    R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[)" +
                    t + R"(,"0.002"]}]}})");
            });
        QByteArray yaml = planFor(server.url());
        yaml.replace("metrics:\n", "metrics:\n  latency: {source: prom, query: \"histogram_quantile(0.95, "
                                   "x)\", unit: s, interval: 1s}\n");
        const Plan plan = test::loadPlan(yaml);
        SystemClock clock;
        TimeSeriesStore store;
        MetricPoller poller(plan, store, clock);
        poller.pollAll();
        QTRY_VERIFY(poller.idle());
        QCOMPARE(server.requests(), 2);
        QVERIFY(poller.sourceNotBeforeMs(QStringLiteral("prom")) >= clock.nowMs() + 25000);
        poller.pollAll(); // the metric that was answered fine waits as well
        QVERIFY(poller.idle());
        QCOMPARE(server.requests(), 2);
    }

    void backoffGrowsAndIsCapped()
    {
        QCOMPARE(MetricPoller::backoffMs(1000, 0), qint64(1000));
        QCOMPARE(MetricPoller::backoffMs(1000, 1), qint64(2000));
        QCOMPARE(MetricPoller::backoffMs(1000, 3), qint64(8000));
        QCOMPARE(MetricPoller::backoffMs(1000, 50), qint64(300000));
    }
};

QTEST_GUILESS_MAIN(TestMetricPoller)
#include "tst_metricpoller.moc"
