// The evidence pack's charts, drawn with QPainter (no widget): a flat or empty series gets a sane
// value axis (never one in units of 10⁻⁹), a canary with no traffic says so, the phase-change
// labels never overlap, and the pack is written with one readable PNG per metric.
#include "ChartRenderer.h"
#include "ChartScale.h"
#include "EvidencePackWriter.h"
#include "PlanFixture.h"

#include <QGuiApplication>
#include <QImage>
#include <QTemporaryDir>
#include <QTest>

using namespace rollout;

namespace {

constexpr qint64 kNow = 1'767'225'600'000; // 2026-01-01T00:00:00Z

Plan demoPlan()
{
    return test::loadPlan(test::sourceFile(QStringLiteral("resources/demo/demo-plan.yaml")));
}

// 15 minutes of the demo's metrics at 1 Hz; the canary has traffic from `canaryFromMs` on.
void feed(TimeSeriesStore& store, qint64 canaryFromMs)
{
    double canaryTrials = 0, baselineTrials = 0;
    for (qint64 t = kNow - 15 * 60 * 1000; t <= kNow; t += 1000) {
        const bool canary = t >= canaryFromMs;
        store.append(QStringLiteral("requests"), QStringLiteral("canary"), {t, canary ? 2.0 : 0.0});
        baselineTrials += 200;
        canaryTrials += canary ? 2 : 0;
        store.appendCounts(QStringLiteral("error_rate"), QStringLiteral("canary"), t, canaryTrials * 0.002,
                           canaryTrials);
        store.appendCounts(QStringLiteral("error_rate"), QStringLiteral("baseline"), t,
                           baselineTrials * 0.002, baselineTrials);
        if (canary) store.append(QStringLiteral("error_rate"), QStringLiteral("canary"), {t, 0.002});
        store.append(QStringLiteral("error_rate"), QStringLiteral("baseline"), {t, 0.002});
    }
}

} // namespace

class TestChartRenderer final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void valueRangeIsNeverDegenerate_data()
    {
        QTest::addColumn<bool>("hasData");
        QTest::addColumn<double>("lower");
        QTest::addColumn<double>("upper");
        QTest::addColumn<double>("axisLower");
        QTest::addColumn<double>("axisUpper");
        QTest::newRow("no data") << false << 0.0 << 0.0 << 0.0 << 1.0;
        QTest::newRow("all zero") << true << 0.0 << 0.0 << 0.0 << 1.0;
        QTest::newRow("1e-12") << true << 0.0 << 1e-12 << 0.0 << 1.0;
        QTest::newRow("ordinary") << true << 0.2 << 2.0 << 0.0 << 2.5;
        QTest::newRow("negative") << true << -3.0 << -1.0 << -3.0 << 0.0;
        QTest::newRow("constant 40") << true << 40.0 << 40.0 << 0.0 << 50.0;
    }

    void valueRangeIsNeverDegenerate()
    {
        QFETCH(bool, hasData);
        QFETCH(double, lower);
        QFETCH(double, upper);
        QFETCH(double, axisLower);
        QFETCH(double, axisUpper);
        const ChartScale::Range r =
            ChartScale::valueRange(hasData ? std::optional(ChartScale::Range{lower, upper}) : std::nullopt);
        QCOMPARE(r.lower, axisLower);
        QCOMPARE(r.upper, axisUpper);
    }

    void canaryTrafficByCountsAndBySamples()
    {
        const Plan plan = demoPlan();
        TimeSeriesStore store;
        feed(store, kNow - 5 * 60 * 1000);
        const MetricSpec* requests = plan.metric(QStringLiteral("requests"));
        const MetricSpec* errors = plan.metric(QStringLiteral("error_rate"));
        const MetricSpec* latency = plan.metric(QStringLiteral("latency_p95"));
        // Before the canary started: zero requests per second, zero trials counted, no latency at all.
        QVERIFY(!ChartScale::canaryHasTraffic(*requests, store, kNow - 15 * 60 * 1000, kNow - 6 * 60 * 1000));
        QVERIFY(!ChartScale::canaryHasTraffic(*errors, store, kNow - 15 * 60 * 1000, kNow - 6 * 60 * 1000));
        QVERIFY(!ChartScale::canaryHasTraffic(*latency, store, kNow - 15 * 60 * 1000, kNow));
        QVERIFY(ChartScale::canaryHasTraffic(*requests, store, kNow - 15 * 60 * 1000, kNow));
        QVERIFY(ChartScale::canaryHasTraffic(*errors, store, kNow - 15 * 60 * 1000, kNow));
    }

    void aCanaryWithoutTrafficSaysSoOnASaneAxis()
    {
        const Plan plan = demoPlan();
        TimeSeriesStore store;
        feed(store, kNow + 1); // no canary traffic at all
        ChartRenderer chart(*plan.metric(QStringLiteral("requests")), plan, store);
        chart.setWindow(kNow - 15 * 60 * 1000, kNow);
        const QImage image = chart.render(QSize(900, 320));
        QCOMPARE(image.size(), QSize(900, 320));
        QVERIFY(chart.saidNoCanaryTraffic());
        // Something is drawn in the middle of the plot: the message.
        const QRect middle = chart.plotArea().toRect().adjusted(300, 100, -300, -100);
        bool inked = false;
        for (int y = middle.top(); y < middle.bottom() && !inked; ++y)
            for (int x = middle.left(); x < middle.right() && !inked; ++x)
                inked = image.pixelColor(x, y).lightness() < 200;
        QVERIFY(inked);

        TimeSeriesStore live;
        feed(live, kNow - 10 * 60 * 1000);
        ChartRenderer withTraffic(*plan.metric(QStringLiteral("requests")), plan, live);
        withTraffic.setWindow(kNow - 15 * 60 * 1000, kNow);
        withTraffic.render(QSize(900, 320));
        QVERIFY(!withTraffic.saidNoCanaryTraffic());
    }

    void phaseLabelsNeverOverlap()
    {
        const Plan plan = demoPlan();
        TimeSeriesStore store;
        feed(store, kNow - 10 * 60 * 1000);
        ChartRenderer chart(*plan.metric(QStringLiteral("error_rate")), plan, store);
        chart.setWindow(kNow - 15 * 60 * 1000, kNow);
        chart.addMarker(kNow - 10 * 60 * 1000, QStringLiteral("→ 1%"), false);
        chart.addMarker(kNow - 10 * 60 * 1000 + 2000, QStringLiteral("→ 10%"), false);
        chart.addMarker(kNow - 10 * 60 * 1000 + 4000, QStringLiteral("rollback"), true);
        chart.addMarker(kNow - 60 * 1000, QStringLiteral("→ 10%"), false);
        chart.render(QSize(900, 320));
        const auto labels = chart.markerLabels();
        QVERIFY(labels.size() >= 3);
        for (int i = 0; i < labels.size(); ++i) {
            QVERIFY(chart.plotArea().contains(labels[i].rect));
            for (int j = i + 1; j < labels.size(); ++j)
                QVERIFY(!labels[i].rect.intersects(labels[j].rect));
        }
    }

    void thePackHasOneChartPerMetricWithData()
    {
        const Plan plan = demoPlan();
        TimeSeriesStore store;
        feed(store, kNow - 5 * 60 * 1000);
        QTemporaryDir dir;
        QString problem;
        const auto page = EvidencePackWriter::write(dir.path(), plan, {}, store, kNow, &problem);
        QVERIFY2(page, qPrintable(problem));
        QVERIFY(QFile::exists(*page));
        for (const QString& metric : {QStringLiteral("requests"), QStringLiteral("error_rate")}) {
            const QImage png(dir.filePath(QStringLiteral("charts/%1.png").arg(metric)));
            QCOMPARE(png.size(), QSize(900, 320));
        }
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("charts/memory.png"))));  // no data, no chart
        if (const QByteArray keep = qgetenv("ROLLOUT_KEEP_CHARTS"); !keep.isEmpty()) // to look at them
            for (const QString& metric : {QStringLiteral("requests"), QStringLiteral("error_rate")})
                QFile::copy(dir.filePath(QStringLiteral("charts/%1.png").arg(metric)),
                            QString::fromLocal8Bit(keep) + metric + QStringLiteral(".png"));
    }

    void anUnwritableFolderIsAClearProblem()
    {
        const Plan plan = demoPlan();
        TimeSeriesStore store;
        QString problem;
        QVERIFY(!EvidencePackWriter::write(QStringLiteral("/proc/no-such/pack"), plan, {}, store, kNow,
                                           &problem));
        QVERIFY2(problem.contains(QStringLiteral("/proc/no-such/pack")), qPrintable(problem));
    }
};

QTEST_MAIN(TestChartRenderer)
#include "tst_chartrenderer.moc"
