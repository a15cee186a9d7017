// Windows, totals and history (WindowJudge): each computed from the samples and counts a store
// holds, and each inconclusive, never healthy, where they do not reach: a window not covered yet,
// stale or NaN samples, zero trials, a history shorter than its trailing span.
#include "PlanFixture.h"
#include "judge/EvidenceJudge.h"
#include "judge/WindowJudge.h"
#include "metrics/TimeSeriesStore.h"

#include <QTest>
#include <cmath>
#include <limits>

using namespace rollout;

namespace {

const QByteArray kPlan = R"(
rollout: windows
sources: {prom: {type: prometheus, url: http://127.0.0.1:9}}
backends: {f: {type: flagd_file, path: flags.json}}
flags: [{key: k, backend: f}]
metrics:
  availability: {source: prom, query: a, unit: ratio, bad: low, interval: 30s}
  error_rate: {source: prom, query: e, events: errors, trials: requests, unit: ratio, interval: 30s, canary: {cohort: canary}}
  complaints: {source: prom, query: c, unit: per_hour, interval: 5m}
  flows: {source: prom, query: f, unit: count, interval: 30s}
  cost: {source: prom, query: cost, unit: usd, interval: 1m}
budgets:
  compute: {metric: cost, amount: $80}
triggers:
  - {name: availability, when: availability < 99% over 15m, kind: hard}
  - {name: errors 48h, when: error_rate > 1% over 48h, kind: hard}
  - {name: complaint spike, when: complaints > 3x median over 7d, kind: soft}
  - {name: flows, when: flows total since phase >= 5, kind: soft}
  - {name: flows in an hour, when: flows total over 1h < 2, kind: soft}
  - {name: over budget, when: cost exceeds budget by > 20%, kind: soft}
phases: [{name: one, traffic: 10%}]
)";

constexpr qint64 kMin = 60'000;
constexpr qint64 kHour = 60 * kMin;
constexpr qint64 kT0 = 1'000'000'000;

struct Fixture
{
    Plan plan = test::loadPlan(kPlan);
    TimeSeriesStore store;
    EvidenceJudge evidence{plan};
    WindowJudge windows{plan, evidence};

    const TriggerSpec& trigger(int i) const { return plan.triggers[std::size_t(i)]; }
    Judgement judge(int i, qint64 now, WindowJudge::Scope scope = {}, bool criterion = false) const
    {
        const Condition& c = trigger(i).when;
        return windows.judge(c, *plan.metric(c.metric), store, now, scope, 0.95, criterion);
    }
    // Samples every `step` from `from` to `to` (inclusive) of value f(t).
    template <typename F> void fill(const QString& metric, qint64 from, qint64 to, qint64 step, F f)
    {
        for (qint64 t = from; t <= to; t += step)
            store.append(metric, {}, Sample{t, f(t)});
    }
};

} // namespace

class TestWindowJudge final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parsedIntoTheirForms()
    {
        Fixture f;
        QCOMPARE(int(f.trigger(0).when.aggregate), int(Aggregate::Window));
        QCOMPARE(f.trigger(0).when.windowMs, 15 * kMin);
        QCOMPARE(int(f.trigger(2).when.kind), int(ConditionKind::RatioToHistory));
        QCOMPARE(f.trigger(2).when.historyMs, 7 * 24 * kHour);
        QCOMPARE(int(f.trigger(3).when.aggregate), int(Aggregate::Total));
        QCOMPARE(int(f.trigger(3).when.scope), int(TotalScope::Phase));
        QCOMPARE(int(f.trigger(4).when.scope), int(TotalScope::Window));
        // A budget becomes an absolute threshold: 1.2 × $80.
        QCOMPARE(int(f.trigger(5).when.kind), int(ConditionKind::Absolute));
        QVERIFY(qFuzzyCompare(f.trigger(5).when.threshold, 96.0));
        QCOMPARE(f.trigger(5).when.budget, QStringLiteral("compute"));
    }

    void gaugeWindowIsTheMeanOverIt()
    {
        Fixture f;
        const qint64 now = kT0 + kHour;
        // 99.5% for the first half of the last 15 minutes, 98% for the second: mean 98.75% < 99%.
        f.fill(QStringLiteral("availability"), kT0, now, 30'000,
               [&](qint64 t) { return t < now - 7 * kMin ? 0.995 : 0.98; });
        const Judgement j = f.judge(0, now);
        QCOMPARE(int(j.truth), int(Truth::True));
        QVERIFY(j.observed < 0.99 && j.observed > 0.985);
        // The newest sample alone (98%) says the same; a window of healthy samples does not.
        Fixture g;
        g.fill(QStringLiteral("availability"), kT0, now, 30'000, [](qint64) { return 0.995; });
        QCOMPARE(int(g.judge(0, now).truth), int(Truth::False));
    }

    void windowNotCoveredIsInconclusiveAndSaysHowMuch()
    {
        Fixture f;
        const qint64 now = kT0 + 6 * kMin;
        f.fill(QStringLiteral("availability"), kT0, now, 30'000,
               [](qint64) { return 0.5; }); // terrible, but only 6 of 15 minutes
        const Judgement j = f.judge(0, now);
        QCOMPARE(int(j.truth), int(Truth::Unknown));
        QVERIFY(!j.missingData); // warming up: no missing-data clock, never healthy either
        QVERIFY(j.warmingUp);
        QVERIFY2(j.reason.contains(QStringLiteral("cover 6m of it")), qPrintable(j.reason));
        QVERIFY2(j.reason.contains(QStringLiteral("15m window")), qPrintable(j.reason));
    }

    void aGapInTheWindowIsNotCovered()
    {
        Fixture f;
        const qint64 now = kT0 + kHour;
        f.fill(QStringLiteral("availability"), kT0, now - 10 * kMin, 30'000, [](qint64) { return 0.995; });
        f.fill(QStringLiteral("availability"), now - 2 * kMin, now, 30'000, [](qint64) { return 0.995; });
        const Judgement j = f.judge(0, now);
        QCOMPARE(int(j.truth), int(Truth::Unknown));
        QVERIFY2(j.reason.contains(QStringLiteral("not covered")), qPrintable(j.reason));
    }

    void staleSamplesAreMissingData()
    {
        Fixture f;
        const qint64 now = kT0 + kHour;
        f.fill(QStringLiteral("availability"), kT0, now - 5 * kMin, 30'000, [](qint64) { return 0.999; });
        const Judgement j = f.judge(0, now);
        QCOMPARE(int(j.truth), int(Truth::Unknown));
        QVERIFY(j.missingData);
        QVERIFY2(j.reason.startsWith(QStringLiteral("stale")), qPrintable(j.reason));
    }

    void nanSamplesDoNotCount()
    {
        Fixture f;
        const qint64 now = kT0 + kHour;
        const double nan = std::numeric_limits<double>::quiet_NaN();
        f.fill(QStringLiteral("availability"), kT0, now, 30'000,
               [](qint64) { return std::numeric_limits<double>::quiet_NaN(); });
        Judgement j = f.judge(0, now);
        QCOMPARE(int(j.truth), int(Truth::Unknown));
        QVERIFY(j.missingData);
        QVERIFY2(j.reason.contains(QStringLiteral("NaN")), qPrintable(j.reason));
        // Half the window NaN: not covered, although the other half is fine.
        Fixture g;
        g.fill(QStringLiteral("availability"), kT0, now, 30'000,
               [&](qint64 t) { return t < now - 7 * kMin ? nan : 0.999; });
        j = g.judge(0, now);
        QCOMPARE(int(j.truth), int(Truth::Unknown));
        QVERIFY2(j.reason.contains(QStringLiteral("not covered")), qPrintable(j.reason));
    }

    void rateWindowSumsEventsAndTrials()
    {
        Fixture f;
        const qint64 now = kT0 + 50 * kHour;
        // 2% errors for the whole 48 h at 100 requests a poll: clearly over 1%.
        double events = 0, trials = 0;
        for (qint64 t = kT0; t <= now; t += 30'000) {
            f.store.appendCounts(QStringLiteral("error_rate"), QStringLiteral("canary"), t, events, trials);
            events += 2;
            trials += 100;
        }
        Judgement j = f.judge(1, now);
        QCOMPARE(int(j.truth), int(Truth::True));
        QVERIFY(j.evidence.present);
        QVERIFY(j.evidence.canaryTrials > 500'000);
        QCOMPARE(j.evidence.window, QStringLiteral("last 48h"));
        QVERIFY(std::fabs(j.evidence.canaryEstimate - 0.02) < 1e-9);
    }

    void rateWindowNotCoveredAndZeroTrials()
    {
        Fixture f;
        const qint64 now = kT0 + 3 * kHour;
        double trials = 0;
        for (qint64 t = kT0; t <= now; t += 30'000)
            f.store.appendCounts(QStringLiteral("error_rate"), QStringLiteral("canary"), t, 0, trials += 100);
        Judgement j = f.judge(1, now); // 3 h of a 48 h window
        QCOMPARE(int(j.truth), int(Truth::Unknown));
        QVERIFY2(j.reason.contains(QStringLiteral("the counts cover 3h of it")), qPrintable(j.reason));
        // Zero denominators: counts that never moved are no evidence at all.
        Fixture g;
        const qint64 later = kT0 + 50 * kHour;
        for (qint64 t = kT0; t <= later; t += 30'000)
            g.store.appendCounts(QStringLiteral("error_rate"), QStringLiteral("canary"), t, 0, 0);
        j = g.judge(1, later);
        QCOMPARE(int(j.truth), int(Truth::Unknown));
        QVERIFY2(j.reason.contains(QStringLiteral("no canary trials")), qPrintable(j.reason));
    }

    void historyMedianAndItsEdges()
    {
        Fixture f;
        const qint64 now = kT0 + 8 * 24 * kHour;
        f.fill(QStringLiteral("complaints"), kT0, now - 5 * kMin, 5 * kMin,
               [](qint64 t) { return double((t / (5 * kMin)) % 3 + 3); }); // 3, 4, 5: median 4
        f.store.append(QStringLiteral("complaints"), {}, Sample{now, 13}); // 13 > 3 × 4
        Judgement j = f.judge(2, now);
        QCOMPARE(int(j.truth), int(Truth::True));
        QCOMPARE(*j.baseline, 4.0);
        f.store.append(QStringLiteral("complaints"), {}, Sample{now + 5 * kMin, 11}); // 11 < 12
        QCOMPARE(int(f.judge(2, now + 5 * kMin).truth), int(Truth::False));

        // History shorter than the trailing 7 days: inconclusive, says how much there is.
        Fixture g;
        const qint64 soon = kT0 + 2 * 24 * kHour;
        g.fill(QStringLiteral("complaints"), kT0, soon, 5 * kMin, [](qint64) { return 50.0; });
        j = g.judge(2, soon);
        QCOMPARE(int(j.truth), int(Truth::Unknown));
        QVERIFY(j.warmingUp);
        QVERIFY2(j.reason.contains(QStringLiteral("cover 48h of it")), qPrintable(j.reason));

        // A history of zeros is ordinary: any complaint is above 3× nothing.
        Fixture z;
        z.fill(QStringLiteral("complaints"), kT0, now - 5 * kMin, 5 * kMin, [](qint64) { return 0.0; });
        z.store.append(QStringLiteral("complaints"), {}, Sample{now, 1});
        QCOMPARE(int(z.judge(2, now).truth), int(Truth::True));
    }

    void totalCountsACounterWithResets()
    {
        Fixture f;
        const qint64 start = kT0 + kHour;
        const qint64 now = start + 10 * kMin;
        // The counter: 100 before the phase, +1 every minute, restarted (to 0) halfway.
        for (qint64 t = kT0; t <= now; t += 30'000) {
            const double v = t < start              ? 100
                             : t < start + 5 * kMin ? 100 + double(t - start) / kMin
                                                    : double(t - start - 5 * kMin) / kMin;
            f.store.append(QStringLiteral("flows"), {}, Sample{t, v});
        }
        WindowJudge::Scope scope;
        scope.phaseStartMs = start;
        const Judgement j = f.judge(3, now, scope);
        QCOMPARE(int(j.truth), int(Truth::True));
        QVERIFY2(std::fabs(j.observed - 9.5) < 1e-9,
                 qPrintable(QString::number(j.observed))); // 4.5 before the reset + 0 + 5 after
        // Not five yet at the third minute: for a trigger the condition does not hold; for a
        // criterion the goal is not reached yet, so the phase waits (never a failing criterion).
        QCOMPARE(int(f.judge(3, start + 3 * kMin, scope).truth), int(Truth::False));
        const Judgement waiting = f.judge(3, start + 3 * kMin, scope, true);
        QCOMPARE(int(waiting.truth), int(Truth::Unknown));
        QVERIFY(!waiting.missingData);
        QVERIFY2(waiting.reason.startsWith(QStringLiteral("3 of 5 counted since the phase started")),
                 qPrintable(waiting.reason));
    }

    void aPartialTotalIsALowerBound()
    {
        Fixture f;
        const qint64 start = kT0;
        // The first reading comes 20 minutes after the phase started: counted in part.
        for (qint64 t = start + 20 * kMin; t <= start + 30 * kMin; t += 30'000)
            f.store.append(QStringLiteral("flows"), {}, Sample{t, double(t - start) / kMin});
        WindowJudge::Scope scope;
        scope.phaseStartMs = start;
        Judgement j = f.judge(3, start + 22 * kMin, scope); // 2 counted: cannot say >= 5 yet
        QCOMPARE(int(j.truth), int(Truth::Unknown));
        QVERIFY2(j.reason.contains(QStringLiteral("at least 2")), qPrintable(j.reason));
        j = f.judge(3, start + 30 * kMin, scope); // 10 counted: at least 10 >= 5
        QCOMPARE(int(j.truth), int(Truth::True));
        // A stale total with enough counted still holds; a limit it cannot show stays unknown.
        j = f.judge(3, start + 60 * kMin, scope);
        QCOMPARE(int(j.truth), int(Truth::True));
        Fixture g;
        g.fill(QStringLiteral("flows"), kT0, kT0 + 30 * kMin, 30'000, [](qint64) { return 7.0; });
        j = g.judge(4, kT0 + 90 * kMin); // "total over 1h < 2", newest reading an hour old
        QCOMPARE(int(j.truth), int(Truth::Unknown));
        QVERIFY(j.missingData);
    }

    void noReadingIsMissing()
    {
        Fixture f;
        const Judgement j = f.judge(3, kT0);
        QCOMPARE(int(j.truth), int(Truth::Unknown));
        QVERIFY(j.missingData);
    }

    void coverageCountsGapsAndNaN()
    {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        QList<Sample> s;
        for (qint64 t = 0; t <= 600'000; t += 30'000)
            s.append({t, t >= 300'000 && t < 420'000 ? nan : 1.0});
        // 10 minutes; the NaN stretch leaves a 150 s gap, of which 60 s (two intervals) count.
        QCOMPARE(WindowJudge::coverage(s, 0, 600'000, 30'000), qint64(600'000 - 90'000));
        QCOMPARE(WindowJudge::coverage({}, 0, 600'000, 30'000), qint64(0));
    }
};

QTEST_GUILESS_MAIN(TestWindowJudge)
#include "tst_windowjudge.moc"
