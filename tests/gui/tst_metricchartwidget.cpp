// The console's chart on a real QCustomPlot, offscreen: a canary without traffic says "no canary
// traffic yet" on a sane axis (it used to draw one in units of 10⁻⁹), and the phase-change labels
// along the top never overlap, when two advances are seconds apart, zoomed out or zoomed in.
#include "MetricChartWidget.h"
#include "PlanFixture.h"

#include <QApplication>
#include <QTest>

using namespace rollout;

namespace {

constexpr qint64 kNow = 1'767'225'600'000;

Plan demoPlan()
{
    return test::loadPlan(test::sourceFile(QStringLiteral("resources/demo/demo-plan.yaml")));
}

void feedRequests(TimeSeriesStore& store, qint64 canaryFromMs)
{
    for (qint64 t = kNow - 20 * 60 * 1000; t <= kNow; t += 1000)
        store.append(QStringLiteral("requests"), QStringLiteral("canary"),
                     {t, t >= canaryFromMs ? 2.0 : 0.0});
}

void verifyLabelsApart(const MetricChartWidget& chart, int atLeast)
{
    const QList<QRectF> rects = chart.markerLabelRects();
    QVERIFY2(rects.size() >= atLeast, qPrintable(chart.markerLabelTexts().join(QLatin1Char('|'))));
    const QRect axis = chart.plot()->axisRect()->rect();
    for (int i = 0; i < rects.size(); ++i) {
        QVERIFY2(rects[i].left() >= axis.left() && rects[i].right() <= axis.right() + 1,
                 qPrintable(chart.markerLabelTexts().value(i)));
        for (int j = i + 1; j < rects.size(); ++j)
            QVERIFY2(!rects[i].intersects(rects[j]), qPrintable(QStringLiteral("'%1' overlaps '%2'")
                                                                    .arg(chart.markerLabelTexts().value(i),
                                                                         chart.markerLabelTexts().value(j))));
    }
}

} // namespace

class TestMetricChartWidget final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void noCanaryTrafficIsSaidOnASaneAxis()
    {
        const Plan plan = demoPlan();
        TimeSeriesStore store;
        feedRequests(store, kNow + 1);
        MetricChartWidget chart(*plan.metric(QStringLiteral("requests")), plan, store);
        chart.resize(600, 300);
        chart.show();
        chart.refresh(kNow);
        QVERIFY(chart.showsNoCanaryTraffic());
        const QCPRange y = chart.plot()->yAxis->range();
        QVERIFY2(y.lower == 0.0 && y.upper >= 0.5,
                 qPrintable(QStringLiteral("%1 .. %2").arg(y.lower).arg(y.upper)));

        // Traffic arrives: the message goes, the line is shown.
        for (qint64 t = kNow + 1000; t <= kNow + 60000; t += 1000)
            store.append(QStringLiteral("requests"), QStringLiteral("canary"), {t, 2.0});
        chart.refresh(kNow + 60000);
        QVERIFY(!chart.showsNoCanaryTraffic());
        QVERIFY(chart.plot()->yAxis->range().upper >= 2.0);
    }

    void aRateWithCountsAndNoTrialsHasNoTraffic()
    {
        const Plan plan = demoPlan();
        TimeSeriesStore store;
        double baseline = 0;
        for (qint64 t = kNow - 10 * 60 * 1000; t <= kNow; t += 1000) {
            baseline += 200;
            store.appendCounts(QStringLiteral("error_rate"), QStringLiteral("canary"), t, 0, 0);
            store.appendCounts(QStringLiteral("error_rate"), QStringLiteral("baseline"), t, baseline * 0.002,
                               baseline);
            store.append(QStringLiteral("error_rate"), QStringLiteral("baseline"), {t, 0.002});
        }
        MetricChartWidget chart(*plan.metric(QStringLiteral("error_rate")), plan, store);
        chart.resize(600, 300);
        chart.show();
        chart.refresh(kNow);
        QVERIFY(chart.showsNoCanaryTraffic());
    }

    void phaseLabelsNeverOverlapAtAnyZoom()
    {
        const Plan plan = demoPlan();
        TimeSeriesStore store;
        feedRequests(store, kNow - 10 * 60 * 1000);
        MetricChartWidget chart(*plan.metric(QStringLiteral("requests")), plan, store);
        chart.resize(600, 300);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        // The demo's case: started at 1%, then 10% two seconds later; a rollback; a later advance.
        chart.addMarker(kNow - 10 * 60 * 1000, QStringLiteral("→ 1%"), false);
        chart.addMarker(kNow - 10 * 60 * 1000 + 2000, QStringLiteral("→ 10%"), false);
        chart.addMarker(kNow - 10 * 60 * 1000 + 5000, QStringLiteral("rollback"), true);
        chart.addMarker(kNow - 2 * 60 * 1000, QStringLiteral("→ 10%"), false);
        chart.refresh(kNow);
        chart.plot()->replot(QCustomPlot::rpImmediateRefresh);
        verifyLabelsApart(chart, 3);

        chart.setVisibleSpanMs(24LL * 3600 * 1000); // zoomed out: all four within a few pixels
        chart.refresh(kNow);
        chart.plot()->replot(QCustomPlot::rpImmediateRefresh);
        verifyLabelsApart(chart, 1);

        chart.plot()->xAxis->setRange(double(kNow - 10 * 60 * 1000 - 3000) / 1000.0,
                                      double(kNow - 10 * 60 * 1000 + 10000) / 1000.0);
        chart.plot()->replot(QCustomPlot::rpImmediateRefresh); // zoomed in: room for each, whole
        verifyLabelsApart(chart, 3);
        QVERIFY(chart.markerLabelTexts().contains(QStringLiteral("→ 1%")));
        QVERIFY(chart.markerLabelTexts().contains(QStringLiteral("rollback")));
    }
};

QTEST_MAIN(TestMetricChartWidget)
#include "tst_metricchartwidget.moc"
