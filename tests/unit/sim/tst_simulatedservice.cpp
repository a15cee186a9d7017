// The deterministic simulated service: same seed, same numbers; the canary follows the flag;
// faults change the right cohort in the right window; no traffic is no data.
#include "PlanFixture.h"
#include "sim/Fault.h"
#include "sim/PrometheusExposition.h"
#include "sim/SimulatedService.h"
#include "sim/SimulationFeeder.h"

#include <QRegularExpression>
#include <QTest>
#include <cmath>

using namespace rollout;

namespace {

SimulationHint hint(const char* signal, double q = 0.95)
{
    SimulationHint h;
    h.signal = QLatin1String(signal);
    h.quantile = q;
    return h;
}

} // namespace

class TestSimulatedService final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void sameSeedSameNumbers()
    {
        SimulatedService a(7, 0), b(7, 0), c(8, 0);
        for (SimulatedService* s : {&a, &b, &c}) {
            s->setCanaryShare(10);
            s->advanceTo(600'000);
        }
        QCOMPARE(PrometheusExposition::render(a), PrometheusExposition::render(b));
        QVERIFY(PrometheusExposition::render(a) != PrometheusExposition::render(c));
    }

    void canaryShareFollowsTheFlag()
    {
        SimulatedService s(1, 0, 200);
        s.setCanaryShare(25);
        s.advanceTo(600'000);
        const double canary = *s.value(hint("request_rate"), QStringLiteral("canary"), 600'000);
        const double baseline = *s.value(hint("request_rate"), QStringLiteral("baseline"), 600'000);
        // Poisson over 600 s: the mean is within 2% with overwhelming probability.
        QVERIFY2(std::fabs(canary - 50.0) < 1.0, qPrintable(QString::number(canary)));
        QVERIFY2(std::fabs(baseline - 150.0) < 2.0, qPrintable(QString::number(baseline)));
    }

    void noCanaryTrafficIsNoDataNotZero()
    {
        SimulatedService s(1, 0);
        s.setCanaryShare(0);
        s.advanceTo(120'000);
        QVERIFY(!s.value(hint("error_ratio"), QStringLiteral("canary")).has_value());
        QVERIFY(!s.value(hint("latency_quantile"), QStringLiteral("canary")).has_value());
        QVERIFY(s.value(hint("error_ratio"), QStringLiteral("baseline")).has_value());
    }

    void faultsHitTheRightCohortInTheirWindow()
    {
        SimulatedService s(3, 0);
        s.setCanaryShare(50);
        QString why;
        s.addFault(*Fault::parse(QStringLiteral("canary-error-spike@5m+5m"), 0, &why));
        s.addFault(*Fault::parse(QStringLiteral("canary-latency-regression@20m+5m"), 0, &why));
        s.advanceTo(4 * 60'000);
        QVERIFY(*s.value(hint("error_ratio"), QStringLiteral("canary")) < 0.01);
        s.advanceTo(9 * 60'000);
        QVERIFY(*s.value(hint("error_ratio"), QStringLiteral("canary")) > 0.06);
        QVERIFY(*s.value(hint("error_ratio"), QStringLiteral("baseline")) < 0.01);
        s.advanceTo(15 * 60'000);
        QVERIFY(*s.value(hint("error_ratio"), QStringLiteral("canary")) < 0.01); // over
        s.advanceTo(24 * 60'000);
        const double canaryP95 = *s.value(hint("latency_quantile"), QStringLiteral("canary"));
        const double baselineP95 = *s.value(hint("latency_quantile"), QStringLiteral("baseline"));
        QVERIFY2(canaryP95 > 2.4 * baselineP95,
                 qPrintable(QStringLiteral("%1 vs %2").arg(canaryP95).arg(baselineP95)));
    }

    void globalIncidentHitsBoth()
    {
        SimulatedService s(3, 0);
        s.setCanaryShare(50);
        QString why;
        s.addFault(*Fault::parse(QStringLiteral("global-incident@0s"), 0, &why));
        s.advanceTo(120'000);
        QVERIFY(*s.value(hint("error_ratio"), QStringLiteral("canary")) > 0.07);
        QVERIFY(*s.value(hint("error_ratio"), QStringLiteral("baseline")) > 0.07);
    }

    void memoryLeakCompounds()
    {
        SimulatedService s(3, 0);
        s.setCanaryShare(50);
        QString why;
        s.addFault(*Fault::parse(QStringLiteral("memory-leak@0s"), 0, &why));
        s.advanceTo(2 * 3600'000);
        const double m = *s.value(hint("memory"), QStringLiteral("canary"));
        QVERIFY2(m > 30 * 1.15 * 1.15 * 0.95 && m < 30 * 1.15 * 1.15 * 1.05, qPrintable(QString::number(m)));
        QVERIFY(std::fabs(*s.value(hint("memory"), QStringLiteral("baseline")) - 30.0) < 2.0);
    }

    void latencyQuantilesLookLikeThePlan()
    {
        SimulatedService s(5, 0);
        s.setCanaryShare(50);
        s.advanceTo(600'000);
        const double p95 = *s.value(hint("latency_quantile", 0.95), QStringLiteral("baseline"), 600'000);
        const double p50 = *s.value(hint("latency_quantile", 0.5), QStringLiteral("baseline"), 600'000);
        QVERIFY2(std::fabs(p95 - 0.25) < 0.025, qPrintable(QString::number(p95)));
        QVERIFY2(std::fabs(p50 - 0.12) < 0.015, qPrintable(QString::number(p50)));
    }

    void expositionIsWellFormed()
    {
        SimulatedService s(1, 0);
        s.setCanaryShare(10);
        s.advanceTo(10'000);
        const QList<QByteArray> lines = PrometheusExposition::render(s).split('\n');
        static const QRegularExpression sample(
            QStringLiteral("^[a-z_]+(\\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*\\})? [-+0-9.eInf]+$"));
        int samples = 0;
        for (const QByteArray& l : lines) {
            if (l.isEmpty() || l.startsWith("# HELP ") || l.startsWith("# TYPE ")) continue;
            QVERIFY2(sample.match(QString::fromUtf8(l)).hasMatch(), l.constData());
            ++samples;
        }
        QVERIFY(samples > 40);
        QVERIFY(PrometheusExposition::render(s, QStringLiteral("x"))
                    .contains("x_duration_seconds_bucket{cohort=\"canary\",le=\"+Inf\"}"));
    }

    void faultText_data()
    {
        QTest::addColumn<QString>("spec");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<qint64>("start");
        QTest::addColumn<qint64>("duration");
        QTest::newRow("start only") << QStringLiteral("canary-error-spike@2h") << true << qint64(7'200'000)
                                    << qint64(0);
        QTest::newRow("with duration")
            << QStringLiteral("global-incident@30m+10m") << true << qint64(1'800'000) << qint64(600'000);
        QTest::newRow("brief spike defaults to 60 s")
            << QStringLiteral("brief-spike@1m") << true << qint64(60'000) << qint64(60'000);
        QTest::newRow("no start is now") << QStringLiteral("memory-leak") << true << qint64(0) << qint64(0);
        QTest::newRow("magnitude") << QStringLiteral("canary-error-spike@0s*0.2") << true << qint64(0)
                                   << qint64(0);
        QTest::newRow("unknown kind") << QStringLiteral("meteor@1h") << false << qint64(0) << qint64(0);
        QTest::newRow("bad start") << QStringLiteral("brief-spike@soon") << false << qint64(0) << qint64(0);
        QTest::newRow("zero duration")
            << QStringLiteral("brief-spike@1m+0s") << false << qint64(0) << qint64(0);
        QTest::newRow("garbage") << QStringLiteral("@@") << false << qint64(0) << qint64(0);
    }

    void faultText()
    {
        QFETCH(QString, spec);
        QFETCH(bool, ok);
        QFETCH(qint64, start);
        QFETCH(qint64, duration);
        QString why;
        const auto f = Fault::parse(spec, 0, &why);
        QCOMPARE(f.has_value(), ok);
        if (!ok) {
            QVERIFY(!why.isEmpty());
            return;
        }
        QCOMPARE(f->startMs, start);
        QCOMPARE(f->durationMs, duration);
    }

    void feederSamplesAtEachInterval()
    {
        const Plan plan = test::loadPlan(test::sourceFile(QStringLiteral("resources/demo/demo-plan.yaml")));
        ManualClock clock(0);
        SimulatedService s(1, 0);
        TimeSeriesStore store;
        SimulationFeeder feeder(plan, s, store, clock);
        s.setCanaryShare(0);
        for (int i = 0; i < 10; ++i) {
            clock.advanceMs(1000);
            s.advanceTo(clock.nowMs());
            feeder.tick();
        }
        // At 0% the canary has no errors to count: nothing appended, so it goes stale.
        QVERIFY(!store.latest(QStringLiteral("error_rate"), Series::Canary));
        QCOMPARE(
            store.window(QStringLiteral("error_rate"), QStringLiteral("baseline"), 0, clock.nowMs()).size(),
            10);
        s.setCanaryShare(50);
        clock.advanceMs(1000);
        s.advanceTo(clock.nowMs());
        feeder.tick();
        QVERIFY(store.latest(QStringLiteral("error_rate"), Series::Canary));
    }
};

QTEST_GUILESS_MAIN(TestSimulatedService)
#include "tst_simulatedservice.moc"
