// Parsing Prometheus HTTP API answers: captured payloads in, samples or a typed error out.
#include "PlanFixture.h"
#include "metrics/PrometheusFetcher.h"
#include "metrics/PrometheusResponse.h"

#include <QTest>
#include <cmath>

using namespace rollout;
using F = PromResponse::Failure;

namespace {
// Captured answers live in tests/data/prometheus/, one file each.
QByteArray payload(const QString& name)
{
    return test::sourceFile(QStringLiteral("tests/data/prometheus/") + name);
}
} // namespace

class TestPrometheusResponse final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parse_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("failure");
        QTest::addColumn<int>("series");
        QTest::addColumn<double>("firstValue");
        QTest::addColumn<QString>("message");

        // Captured from Prometheus 2.42 on this machine.
        QTest::newRow("vector two cohorts")
            << payload(QStringLiteral("vector-two-cohorts.json")) << int(F::None) << 2 << 0.0011 << QString();
        QTest::newRow("scalar") << payload(QStringLiteral("scalar.json")) << int(F::None) << 1 << 42.0
                                << QString();
        QTest::newRow("matrix") << payload(QStringLiteral("matrix.json")) << int(F::None) << 1 << 1.0
                                << QString();
        QTest::newRow("empty vector")
            << payload(QStringLiteral("empty-vector.json")) << int(F::None) << 0 << 0.0 << QString();
        QTest::newRow("bad_data verbatim")
            << payload(QStringLiteral("bad-data-verbatim.json")) << int(F::PrometheusError) << 0 << 0.0
            << QStringLiteral("bad_data: invalid parameter \"query\": 1:6: parse error: unexpected \")\"");
        QTest::newRow("truncated") << payload(QStringLiteral("truncated.json")) << int(F::NotJson) << 0 << 0.0
                                   << QStringLiteral("not JSON");
        QTest::newRow("html error page") << payload(QStringLiteral("html-error-page.json")) << int(F::NotJson)
                                         << 0 << 0.0 << QStringLiteral("not JSON");
        QTest::newRow("array top level") << payload(QStringLiteral("array-top-level.json"))
                                         << int(F::WrongShape) << 0 << 0.0 << QStringLiteral("not an object");
        QTest::newRow("no status") << payload(QStringLiteral("no-status.json")) << int(F::WrongShape) << 0
                                   << 0.0 << QStringLiteral("status");
        QTest::newRow("string result") << payload(QStringLiteral("string-result.json")) << int(F::WrongShape)
                                       << 0 << 0.0 << QStringLiteral("resultType \"string\"");
        QTest::newRow("value not a pair")
            << payload(QStringLiteral("value-not-a-pair.json")) << int(F::WrongShape) << 0 << 0.0
            << QStringLiteral("vector sample");
        QTest::newRow("value not a number")
            << payload(QStringLiteral("value-not-a-number.json")) << int(F::WrongShape) << 0 << 0.0
            << QStringLiteral("vector sample");
        QTest::newRow("result not a list") << payload(QStringLiteral("result-not-a-list.json"))
                                           << int(F::WrongShape) << 0 << 0.0 << QStringLiteral("not a list");
    }

    void parse()
    {
        QFETCH(QByteArray, body);
        QFETCH(int, failure);
        QFETCH(int, series);
        QFETCH(double, firstValue);
        QFETCH(QString, message);
        const PromResponse r = PrometheusResponseParser::parse(body);
        QCOMPARE(int(r.failure), failure);
        QCOMPARE(r.series.size(), series);
        if (series > 0) QCOMPARE(r.series.first().samples.first().value, firstValue);
        if (!message.isEmpty()) QVERIFY2(r.describe().contains(message), qPrintable(r.describe()));
    }

    void nanAndInfinityComeThroughAsSuch()
    {
        const PromResponse r =
            PrometheusResponseParser::parse(payload(QStringLiteral("nan-and-infinity.json")));
        QVERIFY(r.ok());
        QVERIFY(std::isnan(r.series[0].samples[0].value));
        QVERIFY(std::isinf(r.series[1].samples[0].value) && r.series[1].samples[0].value > 0);
        QVERIFY(std::isinf(r.series[2].samples[0].value) && r.series[2].samples[0].value < 0);
        QCOMPARE(r.series[0].samples[0].tMs, qint64(1500));
    }

    void splitsCanaryAndBaseline()
    {
        const Plan plan =
            test::loadPlan(test::sourceFile(QStringLiteral("tests/data/plans/prometheus-split.yaml")));
        const PromResponse two = PrometheusResponseParser::parse(payload(QStringLiteral("two-cohorts.json")));
        auto s = PrometheusFetcher::split(*plan.metric(QStringLiteral("split")), two);
        QVERIFY(s.problem.isEmpty());
        QCOMPARE(s.series.size(), 2);
        QCOMPARE(s.series[0].first, QStringLiteral("canary"));
        QCOMPARE(s.series[0].second.samples[0].value, 0.08);
        QCOMPARE(s.series[1].first, QStringLiteral("baseline"));
        // Unsplit metric, two series: ambiguous, said so.
        s = PrometheusFetcher::split(*plan.metric(QStringLiteral("single")), two);
        QVERIFY(s.problem.contains(QStringLiteral("2 series")));
        // Canary labels absent.
        const PromResponse other =
            PrometheusResponseParser::parse(payload(QStringLiteral("other-cohort.json")));
        s = PrometheusFetcher::split(*plan.metric(QStringLiteral("split")), other);
        QVERIFY(s.problem.contains(QStringLiteral("no series has the canary labels {cohort=\"canary\"}")));
        const PromResponse empty =
            PrometheusResponseParser::parse(payload(QStringLiteral("empty-vector-2.json")));
        s = PrometheusFetcher::split(*plan.metric(QStringLiteral("split")), empty);
        QVERIFY(s.problem.contains(QStringLiteral("empty result")));
    }
};

QTEST_GUILESS_MAIN(TestPrometheusResponse)
#include "tst_prometheusresponse.moc"
