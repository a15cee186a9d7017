// Argo-style measurements (interval, count, failure_limit): the run fails once more than
// failure_limit measurements failed (cumulative), succeeds once `count` are decided within the
// limit, measures at most once per interval, and retakes inconclusive measurements.
#include "engine/MeasurementRun.h"

#include <QTest>

using namespace rollout;

namespace {

MeasurementSpec spec(int failureLimit, std::optional<int> count)
{
    MeasurementSpec s;
    s.failureLimit = failureLimit;
    s.count = count;
    return s;
}

// 'F' failed, 'P' passed, 'I' inconclusive, one measurement a minute.
MeasurementRun play(const char* script, const MeasurementSpec& s)
{
    MeasurementRun run;
    qint64 t = 0;
    for (const char* c = script; *c; ++c, t += 60'000)
        run.update(*c == 'F', *c == 'P', t, 60'000, s);
    return run;
}

} // namespace

class TestMeasurementRun final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void failsOnlyPastTheLimit()
    {
        const MeasurementSpec s = spec(2, std::nullopt);
        QCOMPARE(int(play("FF", s).outcome()), int(MeasurementRun::Outcome::Running));
        QCOMPARE(int(play("FPFPP", s).outcome()),
                 int(MeasurementRun::Outcome::Running)); // not consecutive, still 2
        QCOMPARE(int(play("FPFPF", s).outcome()),
                 int(MeasurementRun::Outcome::Failed)); // cumulative: the third fails it
        // failure_limit 0 (Argo's default): the first failed measurement fails the run.
        QCOMPARE(int(play("PPF", spec(0, std::nullopt)).outcome()), int(MeasurementRun::Outcome::Failed));
    }

    void limitReachedExactlyAtCount()
    {
        const MeasurementSpec s = spec(2, 5);
        // Two failures (the limit, not past it) at the fifth measurement: the run succeeds.
        MeasurementRun run = play("PPPFF", s);
        QCOMPARE(int(run.outcome()), int(MeasurementRun::Outcome::Succeeded));
        QCOMPARE(run.failures(), 2);
        QCOMPARE(run.describe(s), QStringLiteral("5 of 5 measurements, 2 failed (failure_limit 2)"));
        // The fifth one failing one too many: failure is checked first, the run fails.
        QCOMPARE(int(play("PPFFF", s).outcome()), int(MeasurementRun::Outcome::Failed));
        // Past the limit before the count: failed at once, no more measurements.
        run = play("FFFPPPP", s);
        QCOMPARE(int(run.outcome()), int(MeasurementRun::Outcome::Failed));
        QCOMPARE(run.decided(), 3);
    }

    void inconclusiveIsRetakenAndCountsTowardNeither()
    {
        const MeasurementSpec s = spec(1, 3);
        MeasurementRun run = play("IIPIIPI", s);
        QCOMPARE(int(run.outcome()), int(MeasurementRun::Outcome::Running)); // only 2 decided
        QCOMPARE(run.inconclusive(), 5);
        run = play("IIIIIIIIII", s); // missing data never completes a run
        QCOMPARE(int(run.outcome()), int(MeasurementRun::Outcome::Running));
        QCOMPARE(run.decided(), 0);
    }

    void oneMeasurementPerInterval()
    {
        const MeasurementSpec s = spec(0, 3);
        MeasurementRun run;
        QVERIFY(run.update(false, true, 0, 60'000, s));
        QVERIFY(!run.update(true, false, 59'999, 60'000, s)); // too early: not a measurement
        QCOMPARE(run.failures(), 0);
        QVERIFY(run.update(false, true, 60'000, 60'000, s));
        QVERIFY(run.update(false, true, 120'000, 60'000, s));
        QCOMPARE(int(run.outcome()), int(MeasurementRun::Outcome::Succeeded));
        QVERIFY(!run.update(true, false, 999'000, 60'000, s)); // a finished run measures no more
        QCOMPARE(int(run.outcome()), int(MeasurementRun::Outcome::Succeeded));
    }
};

QTEST_GUILESS_MAIN(TestMeasurementRun)
#include "tst_measurementrun.moc"
