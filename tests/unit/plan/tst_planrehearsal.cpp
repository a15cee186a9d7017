// PlanRehearsal: seed 002's plan, written in weeks, rehearsed 10,000× faster — every duration the
// engine keeps shrinks, polling stays at one second or more, and what is about the service
// (thresholds, PromQL, rates per hour) does not move.
#include "PlanFixture.h"
#include "plan/PlanRehearsal.h"

#include <QTest>

using namespace rollout;

namespace {

const TriggerSpec& trigger(const std::vector<TriggerSpec>& ts, const QString& name)
{
    for (const TriggerSpec& t : ts)
        if (t.name == name) return t;
    qFatal("no trigger %s", qPrintable(name));
}

} // namespace

class TestPlanRehearsal final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void everyDurationOfTheEngineShrinks()
    {
        const Plan plan =
            test::loadPlan(test::sourceFile(QStringLiteral("resources/plans/protocol-agnostic-chat.yaml")));
        const Plan fast = PlanRehearsal::compress(plan, 10000);
        QCOMPARE(fast.phases.size(), plan.phases.size());
        QCOMPARE(plan.phases[0].minDurationMs, 7LL * 24 * 3600 * 1000);
        QCOMPARE(fast.phases[0].minDurationMs, 60480LL); // 7d / 10,000
        QCOMPARE(*fast.phases[0].maxDurationMs, 120960LL);
        // `error_rate < 0.1% over 48h` (phase 3a): a 17.28 s window.
        QCOMPARE(plan.phases[2].success[0].windowMs, 48LL * 3600 * 1000);
        QCOMPARE(fast.phases[2].success[0].windowMs, 17280LL);
        QCOMPARE(fast.phases[2].success[0].threshold, plan.phases[2].success[0].threshold);
        // `complaints > 3x median over 7d` for 1h: the history and the hold shrink alike.
        const TriggerSpec& spike = trigger(fast.triggers, QStringLiteral("complaint spike"));
        QCOMPARE(spike.when.historyMs, 60480LL);
        QCOMPARE(spike.forMs, 360LL);
        QCOMPARE(spike.when.threshold, 3.0);
        // A phase's own trigger too (5m → 30 ms); `for: 0s` stays 0.
        QCOMPARE(fast.phases[2].triggers[0].forMs, 30LL);
        // Polling: 30 s would be 3 ms; it stays at the floor, and the queries are untouched.
        for (std::size_t i = 0; i < plan.metrics.size(); ++i) {
            QCOMPARE(fast.metrics[i].intervalMs, 1000LL);
            QCOMPARE(fast.metrics[i].query, plan.metrics[i].query);
        }
        // Missing data still gets 10 polls before it counts as failing (15m / 10,000 would be 90 ms).
        QCOMPARE(fast.inconclusiveLimitMs, 10000LL);
        QCOMPARE(fast.criteriaGraceMs, 3000LL);
        QVERIFY(PlanRehearsal::describe(plan, 10000).contains(QStringLiteral("10000× faster")));
    }

    void argoMeasurementsKeepTheirCountAndLimit()
    {
        const Plan plan =
            test::loadPlan(test::sourceFile(QStringLiteral("resources/plans/argo-style-canary.yaml")));
        const Plan fast = PlanRehearsal::compress(plan, 100, 500);
        const Condition& c = fast.phases[0].success[0];
        QVERIFY(c.measurement);
        QCOMPARE(c.measurement->intervalMs, 3000LL); // 5m / 100
        QCOMPARE(c.measurement->count, plan.phases[0].success[0].measurement->count);
        QCOMPARE(c.measurement->failureLimit, 1);
        QCOMPARE(fast.metrics[0].intervalMs, 600LL); // 1m / 100, above the 500 ms floor
        QCOMPARE(fast.phases[1].minDurationMs, 6000LL);
    }

    void aFactorOfOneOrLessChangesNothing()
    {
        const Plan plan =
            test::loadPlan(test::sourceFile(QStringLiteral("resources/plans/ux-agent-canary.yaml")));
        for (double factor : {1.0, 0.5, 0.0, -3.0}) {
            const Plan same = PlanRehearsal::compress(plan, factor);
            QCOMPARE(same.phases[0].minDurationMs, plan.phases[0].minDurationMs);
            QCOMPARE(same.metrics[0].intervalMs, plan.metrics[0].intervalMs);
        }
    }
};

QTEST_GUILESS_MAIN(TestPlanRehearsal)
#include "tst_planrehearsal.moc"
