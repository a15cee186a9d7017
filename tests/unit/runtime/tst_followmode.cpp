// Follow mode in the runtime, without a store: a following runtime sends no metric query while
// its rollout is off screen, and on screen only its own (history by a range query, then the live
// tail); it never evaluates the engine and never sets a flag, also for a decision taken in it.
#include "FakeFlagBackend.h"
#include "PlanFixture.h"
#include "core/Clock.h"
#include "runtime/RolloutRuntime.h"

#include <QSignalSpy>
#include <QTest>

using namespace rollout;

namespace {

// Answers every poll with a breaching error rate (8%), and counts the queries per metric.
class CountingFetcher final : public MetricFetcher
{
public:
    void fetch(const MetricSpec& metric, qint64 nowMs, QObject*,
               std::function<void(const FetchResult&)> done) override
    {
        ++polls[metric.name];
        FetchResult r;
        r.samples.append({QStringLiteral("canary"), Sample{nowMs, 0.08}});
        r.samples.append({QStringLiteral("baseline"), Sample{nowMs, 0.001}});
        done(r);
    }
    void backfill(const MetricSpec& metric, qint64 fromMs, qint64 toMs, QObject*,
                  std::function<void(const BackfillResult&)> done) override
    {
        ++ranges[metric.name];
        lastSpanMs = toMs - fromMs;
        done(BackfillResult{});
    }
    int pollsOf(const QString& prefix) const
    {
        int n = 0;
        for (auto it = polls.begin(); it != polls.end(); ++it)
            if (it.key().startsWith(prefix)) n += it.value();
        return n;
    }
    QMap<QString, int> polls;
    QMap<QString, int> ranges;
    qint64 lastSpanMs = 0;
};

Plan planNamed(const QString& name)
{
    // Plain literals: moc's tokenizer trips over a raw string holding a URL.
    return test::loadPlan(
        QStringLiteral(
            "rollout: %1\n"
            "sources: {prom: {type: prometheus, url: 'http://127.0.0.1:9', timeout: 1s}}\n"
            "backends: {f: {type: flagd_file, path: f.json}}\n"
            "flags: [{key: k, backend: f}]\n"
            "metrics:\n"
            "  %1_errors: {source: prom, query: errors, unit: ratio, interval: 1s, canary: {cohort: canary},"
            " baseline: {series: {cohort: baseline}}}\n"
            "  %1_latency: {source: prom, query: latency, unit: ms, interval: 1s}\n"
            "triggers:\n"
            "  - {name: errors, when: %1_errors > 5%, for: 0s, kind: hard, action: rollback}\n"
            "phases:\n"
            "  - {name: one, traffic: 10%}\n"
            "  - {name: two, traffic: 50%}\n")
            .arg(name)
            .toUtf8());
}

} // namespace

class TestFollowMode final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void onlyTheRolloutOnScreenIsQueried()
    {
        SystemClock clock;
        auto fetcher = std::make_shared<CountingFetcher>();
        RolloutRuntime onScreen(planNamed(QStringLiteral("alpha")), clock);
        RolloutRuntime offScreen(planNamed(QStringLiteral("beta")), clock);
        for (RolloutRuntime* r : {&onScreen, &offScreen}) {
            r->poller().setFetcher(QStringLiteral("prom"), fetcher);
            QVERIFY(r->session().advance(Actor{QStringLiteral("rm"), QStringLiteral("rm")}).ok);
            r->setFollowing(true);
        }
        onScreen.setHistorySpanMs(24 * 3600 * 1000);
        offScreen.setOnScreen(false);
        onScreen.start(50);
        offScreen.start(50);
        // On screen: the history once per metric by a range query, then the live tail.
        QTRY_VERIFY_WITH_TIMEOUT(fetcher->pollsOf(QStringLiteral("alpha_")) >= 4, 5000);
        QCOMPARE(fetcher->ranges.value(QStringLiteral("alpha_errors")), 1);
        QCOMPARE(fetcher->ranges.value(QStringLiteral("alpha_latency")), 1);
        QCOMPARE(fetcher->lastSpanMs, qint64(24 * 3600 * 1000));
        // Off screen: not one query, live or range.
        QCOMPARE(fetcher->pollsOf(QStringLiteral("beta_")), 0);
        QCOMPARE(fetcher->ranges.value(QStringLiteral("beta_errors")), 0);
        // A follower judges nothing: the error rate breaches the hard trigger, nothing rolls back.
        QCOMPARE(onScreen.session().currentPhase(), 0);
        for (const RolloutEvent& e : onScreen.events()) // the test's own start, nothing the engine judged
            QVERIFY2(e.type == EventType::PhaseAdvanced, qPrintable(e.describe()));

        // The other one comes on screen: its history, then its tail; the first one goes quiet.
        onScreen.setOnScreen(false);
        const int alphaBefore = fetcher->pollsOf(QStringLiteral("alpha_"));
        offScreen.setOnScreen(true);
        QTRY_VERIFY_WITH_TIMEOUT(fetcher->pollsOf(QStringLiteral("beta_")) >= 4, 5000);
        QCOMPARE(fetcher->ranges.value(QStringLiteral("beta_errors")), 1);
        QCOMPARE(fetcher->pollsOf(QStringLiteral("alpha_")), alphaBefore);
        onScreen.stop();
        offScreen.stop();
    }

    void aDriverPollsOffScreenAndJudges()
    {
        SystemClock clock;
        auto fetcher = std::make_shared<CountingFetcher>();
        RolloutRuntime driver(planNamed(QStringLiteral("gamma")), clock);
        driver.poller().setFetcher(QStringLiteral("prom"), fetcher);
        QVERIFY(driver.session().advance(Actor{QStringLiteral("rm"), QStringLiteral("rm")}).ok);
        driver.setOnScreen(false);
        driver.start(50);
        QTRY_COMPARE_WITH_TIMEOUT(driver.session().currentPhase(), -1, 5000); // the hard trigger rolled back
        QVERIFY(fetcher->pollsOf(QStringLiteral("gamma_")) >= 1);
        QCOMPARE(fetcher->ranges.value(QStringLiteral("gamma_errors")), 0); // a driver needs no history
        driver.stop();
    }

    void aFollowerNeverSetsAFlagItsDriverDoes()
    {
        SystemClock clock;
        RolloutRuntime runtime(planNamed(QStringLiteral("delta")), clock);
        FlagBackendSet set;
        auto backend = std::make_unique<test::FakeFlagBackend>(QStringLiteral("f"));
        test::FakeFlagBackend* fake = backend.get();
        set.add(std::move(backend));
        set.assign(QStringLiteral("k"), QStringLiteral("f"));
        runtime.attachFlags(std::move(set), 100);
        runtime.setFollowing(true);
        runtime.setOnScreen(false);
        runtime.start(50);
        // A person's decision in a following console is recorded (and would be signed and
        // pushed); the flags are the driver's to set.
        QVERIFY(runtime.session().advance(Actor{QStringLiteral("rm"), QStringLiteral("rm")}).ok);
        QTest::qWait(400); // several flag-health intervals: a driver would have set and read them
        QVERIFY2(fake->writes().isEmpty(), qPrintable(fake->writes().join(QStringLiteral(", "))));
        QCOMPARE(fake->calls(QStringLiteral("k")), 0);
        QVERIFY(!runtime.session().flagsApplied());
        // Driving now (the driver's lease lapsed and this one took over): the recorded advance is
        // finished here, set and read back.
        QSignalSpy changed(&runtime, &RolloutRuntime::followingChanged);
        runtime.setFollowing(false);
        QCOMPARE(changed.size(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(runtime.session().flagsApplied(), 5000);
        QVERIFY(!fake->writes().isEmpty());
        QVERIFY(fake->state(QStringLiteral("k")).enabled);
        runtime.stop();
    }
};

QTEST_GUILESS_MAIN(TestFollowMode)
#include "tst_followmode.moc"
