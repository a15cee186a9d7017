// The seeds' other metric sources: a JSON-over-HTTP dashboard (seed 003) and a JSON Lines
// event log (seed 004).
#include "FakeHttpServer.h"
#include "PlanFixture.h"
#include "metrics/JsonHttpFetcher.h"
#include "metrics/JsonLinesFetcher.h"
#include "metrics/MetricPoller.h"

#include <QTemporaryDir>
#include <QTest>
#include <cmath>

using namespace rollout;

namespace {

const char* kDashboard =
    "{\"window\":\"5m\",\"metrics\":{\"errorRate\":0.004,\"p95\":\"0.21\",\"missing\":null,"
    "\"name\":\"x\",\"ab\":[{\"variant\":\"modern\",\"errors\":3},{\"variant\":\"legacy\",\"errors\":1}]}}";

QByteArray eventLine(const char* type, bool flag, qint64 tSeconds)
{
    return QStringLiteral("{\"component\":\"jax\",\"event_type\":\"%1\",\"timestamp\":%2,\"metadata\":{"
                          "\"feature_flag_enabled\":%3}}\n")
        .arg(QLatin1String(type))
        .arg(tSeconds)
        .arg(flag ? QStringLiteral("true") : QStringLiteral("false"))
        .toUtf8();
}

} // namespace

class TestJsonSources final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void pointer_data()
    {
        QTest::addColumn<QString>("pointer");
        QTest::addColumn<double>("value");
        QTest::addColumn<QString>("problem");
        QTest::newRow("number") << QStringLiteral("/metrics/errorRate") << 0.004 << QString();
        QTest::newRow("quoted number") << QStringLiteral("/metrics/p95") << 0.21 << QString();
        QTest::newRow("array index") << QStringLiteral("/metrics/ab/1/errors") << 1.0 << QString();
        QTest::newRow("null is no data") << QStringLiteral("/metrics/missing") << std::nan("") << QString();
        QTest::newRow("absent") << QStringLiteral("/metrics/nope") << 0.0
                                << QStringLiteral("no value at /metrics/nope");
        QTest::newRow("text") << QStringLiteral("/metrics/name") << 0.0 << QStringLiteral("not a number");
        QTest::newRow("bad pointer") << QStringLiteral("metrics") << 0.0
                                     << QStringLiteral("bad JSON pointer");
    }

    void pointer()
    {
        QFETCH(QString, pointer);
        QFETCH(double, value);
        QFETCH(QString, problem);
        QString why;
        const auto v = JsonHttpFetcher::extract(QByteArray(kDashboard), pointer, &why);
        if (problem.isEmpty()) {
            QVERIFY2(v, qPrintable(why));
            if (std::isnan(value))
                QVERIFY(std::isnan(*v));
            else
                QCOMPARE(*v, value);
        } else {
            QVERIFY(!v);
            QVERIFY2(why.contains(problem), qPrintable(why));
        }
        QString notJson;
        QVERIFY(!JsonHttpFetcher::extract(QByteArrayLiteral("<html>"), pointer, &notJson));
        QCOMPARE(notJson, QStringLiteral("response is not JSON"));
    }

    void pollsADashboardOverHttp()
    {
        int status = 200;
        test::FakeHttpServer server([&](const QByteArray&, const QByteArray&, const QByteArray&) {
            return test::FakeHttpServer::Reply{status, QByteArray(kDashboard), {}, false, false, 0};
        });
        const Plan plan = test::loadPlan(
            QStringLiteral("rollout: t\nsources: {dash: {type: json_http, url: "
                           "\"%1/api/admin/dashboard/metrics?window=5m\"}}\n"
                           "backends: {f: {type: flagd_file, path: f.json}}\nflags: [{key: k, backend: f}]\n"
                           "metrics: {error_rate: {source: dash, query: /metrics/errorRate, unit: ratio, "
                           "interval: 1s}}\n"
                           "phases: [{name: a, traffic: 10%}]\n")
                .arg(server.url())
                .toUtf8());
        SystemClock clock;
        TimeSeriesStore store;
        MetricPoller poller(plan, store, clock);
        poller.pollAll();
        QTRY_VERIFY(poller.idle());
        QCOMPARE(store.latest(QStringLiteral("error_rate"), Series::Canary)->value, 0.004);
        QVERIFY(server.paths().first().endsWith("/api/admin/dashboard/metrics?window=5m"));
        status = 500;
        QTRY_VERIFY_WITH_TIMEOUT((poller.pollAll(), server.requests() == 2), 5000);
        QTRY_VERIFY(poller.idle());
        QVERIFY(store.lastError(QStringLiteral("error_rate")).contains(QStringLiteral("HTTP 500")));
    }

    void countsEventsByTypeAndCohort()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("migration.jsonl"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        const qint64 now = 1'700'000'000;
        for (int i = 0; i < 90; ++i)
            f.write(eventLine("success", true, now - 10));
        for (int i = 0; i < 10; ++i)
            f.write(eventLine("failure", true, now - 10));
        for (int i = 0; i < 99; ++i)
            f.write(eventLine("success", false, now - 10));
        f.write(eventLine("failure", false, now - 10));
        f.write("this is not json\n{\"no_type\":1}\n");
        f.write(eventLine("failure", true, now - 7200)); // outside every window
        f.write("{\"event_type\":\"mismatch\"");         // an unfinished line: read when completed
        f.close();
        const Plan plan = test::loadPlan(
            QStringLiteral(
                "rollout: t\nsources: {log: {type: json_lines, path: \"%1\"}}\n"
                "backends: {f: {type: flagd_file, path: f.json}}\nflags: [{key: k, backend: f}]\n"
                "metrics:\n"
                "  failure_ratio: {source: log, query: \"failure / success,failure\", unit: ratio, canary: "
                "{feature_flag_enabled: \"true\"}, baseline: {series: {feature_flag_enabled: \"false\"}}}\n"
                "  mismatches: {source: log, query: mismatch, unit: per_hour}\n"
                "phases: [{name: a, traffic: 10%}]\n")
                .arg(path)
                .toUtf8());
        JsonLinesFetcher fetcher(plan.sources[0]);
        FetchResult got;
        QObject ctx;
        fetcher.fetch(*plan.metric(QStringLiteral("failure_ratio")), now * 1000, &ctx,
                      [&](const FetchResult& r) { got = r; });
        QVERIFY2(got.problem.isEmpty(), qPrintable(got.problem));
        QCOMPARE(got.samples.size(), 2);
        QCOMPARE(got.samples[0].first, QStringLiteral("canary"));
        QCOMPARE(got.samples[0].second.value, 0.1);
        QCOMPARE(got.samples[1].first, QStringLiteral("baseline"));
        QCOMPARE(got.samples[1].second.value, 0.01);
        QCOMPARE(fetcher.malformedLines(), 2);
        fetcher.fetch(*plan.metric(QStringLiteral("mismatches")), now * 1000, &ctx,
                      [&](const FetchResult& r) { got = r; });
        QCOMPARE(got.samples[0].second.value, 0.0);
        // The unfinished line completes; then the file is rotated (truncated) and read anew.
        QVERIFY(f.open(QIODevice::Append));
        f.write(",\"timestamp\":1700000000}\n");
        f.close();
        fetcher.fetch(*plan.metric(QStringLiteral("mismatches")), now * 1000, &ctx,
                      [&](const FetchResult& r) { got = r; });
        QCOMPARE(got.samples[0].second.value, 1.0);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(eventLine("mismatch", true, now));
        f.close();
        fetcher.fetch(*plan.metric(QStringLiteral("mismatches")), now * 1000, &ctx,
                      [&](const FetchResult& r) { got = r; });
        QCOMPARE(got.samples[0].second.value, 2.0);
    }

    // A busy service logs thousands of events a second: alike ones (same second, type and labels)
    // are kept as one entry, and every one of them is still counted, once, by each metric.
    void aBusyLogIsKeptMergedAndCountedOnce()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("busy.jsonl"));
        const qint64 now = 1700000000;
        auto append = [&](const char* type, bool flag, int n) {
            QFile f(path);
            QVERIFY(f.open(QIODevice::Append));
            const QByteArray line = eventLine(type, flag, now - 1);
            for (int i = 0; i < n; ++i)
                f.write(line);
        };
        append("success", true, 3000);
        append("failure", true, 30);
        append("success", false, 1000);
        append("failure", false, 10);
        const Plan plan = test::loadPlan(
            QStringLiteral("rollout: t\nsources: {log: {type: json_lines, path: \"%1\"}}\n"
                           "backends: {f: {type: flagd_file, path: f.json}}\nflags: [{key: k, backend: f}]\n"
                           "metrics:\n"
                           "  failure_ratio: {source: log, query: \"failure / success,failure\", unit: "
                           "ratio, kind: rate, "
                           "canary: {feature_flag_enabled: \"true\"}, baseline: {series: "
                           "{feature_flag_enabled: \"false\"}}}\n"
                           "  failures: {source: log, query: failure, unit: per_hour}\n"
                           "phases: [{name: a, traffic: 10%}]\n")
                .arg(path)
                .toUtf8());
        JsonLinesFetcher fetcher(plan.sources[0]);
        FetchResult got;
        QObject ctx;
        const MetricSpec& ratio = *plan.metric(QStringLiteral("failure_ratio"));
        fetcher.fetch(ratio, now * 1000, &ctx, [&](const FetchResult& r) { got = r; });
        QCOMPARE(fetcher.entries(), std::size_t(4));
        QCOMPARE(got.samples[0].second.value, 30.0 / 3030.0);
        QCOMPARE(got.samples[1].second.value, 10.0 / 1010.0);
        auto countsOf = [&](const QString& cohort) {
            for (const CountReading& c : got.counts)
                if (c.cohort == cohort) return std::pair{c.events, c.trials};
            return std::pair{-1.0, -1.0};
        };
        QCOMPARE(countsOf(QStringLiteral("canary")), (std::pair{30.0, 3030.0}));
        // More of the same second, read in a later pass: new entries (the counted ones stay as they
        // were), each event counted once.
        append("failure", true, 70);
        append("success", true, 900);
        fetcher.fetch(ratio, now * 1000, &ctx, [&](const FetchResult& r) { got = r; });
        QCOMPARE(fetcher.entries(), std::size_t(6));
        QCOMPARE(got.samples[0].second.value, 100.0 / 4000.0);
        QCOMPARE(countsOf(QStringLiteral("canary")), (std::pair{100.0, 4000.0}));
        QCOMPARE(countsOf(QStringLiteral("baseline")), (std::pair{10.0, 1010.0}));
        fetcher.fetch(*plan.metric(QStringLiteral("failures")), now * 1000, &ctx,
                      [&](const FetchResult& r) { got = r; });
        QCOMPARE(got.samples[0].second.value, 110.0);
    }

    void noTrafficIsNoDataNotZero()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("empty.jsonl"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        const Plan plan = test::loadPlan(
            QStringLiteral(
                "rollout: t\nsources: {log: {type: json_lines, path: \"%1\"}}\n"
                "backends: {f: {type: flagd_file, path: f.json}}\nflags: [{key: k, backend: f}]\n"
                "metrics: {failure_ratio: {source: log, query: \"failure / success,failure\", unit: ratio}}\n"
                "phases: [{name: a, traffic: 10%}]\n")
                .arg(path)
                .toUtf8());
        JsonLinesFetcher fetcher(plan.sources[0]);
        FetchResult got;
        QObject ctx;
        fetcher.fetch(plan.metrics[0], 1000, &ctx, [&](const FetchResult& r) { got = r; });
        QVERIFY(got.samples.isEmpty());
        QVERIFY(got.problem.contains(QStringLiteral("no success,failure events")));
        QFile::remove(path);
        fetcher.fetch(plan.metrics[0], 1000, &ctx, [&](const FetchResult& r) { got = r; });
        QVERIFY(got.problem.contains(QStringLiteral("empty.jsonl")));
    }
};

QTEST_GUILESS_MAIN(TestJsonSources)
#include "tst_jsonsources.moc"
