// Judge benchmark (prints figures; not a test): a seeded Monte Carlo of canary phases, the old
// threshold judge and the evidence judge side by side on the same simulated traffic, each phase
// judged every second by the real engine (RolloutSession) on a fake clock.
//
// Traffic per second and cohort: requests ~ Poisson(rps·share), errors ~ Binomial(requests, p),
// as the built-in simulator draws them. The evidence judge reads the counts; the threshold judge
// reads what a query over the last minute would answer (errors/requests over 60 s), as before.
//
// Usage: bench_judge [--phases N] [--hours H] [--case NAME] [--threads T] [--seed S]
#include "core/Clock.h"
#include "engine/RolloutSession.h"
#include "metrics/TimeSeriesStore.h"
#include "plan/PlanLoader.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QThread>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <memory>
#include <random>
#include <thread>
#include <vector>

using namespace rollout;

namespace {

// One plan; `judge: threshold` makes the old judge.
QByteArray planYaml(bool threshold, double traffic, const QByteArray& triggers, const QByteArray& success,
                    const QByteArray& extra = {})
{
    return QByteArray(R"(
rollout: bench-judge
sources: {sim: {type: simulator}}
backends: {f: {type: flagd_file, path: flags.json}}
flags: [{key: feature, backend: f}]
metrics:
  error_rate: {source: sim, unit: ratio, interval: 1s, canary: {cohort: canary}, baseline: {series: {cohort: baseline}},
               simulate: {signal: error_ratio}, judge: )") +
           (threshold ? "threshold" : "evidence") + R"(}
triggers: )" +
           triggers + R"(
phases:
  - {name: canary, traffic: )" +
           QByteArray::number(traffic) + R"(%, min_duration: 10m, success: )" + success +
           R"(, auto_promote: true}
  - {name: all, traffic: 100%, min_duration: 10m}
people: [{id: rm, roles: [rm]}]
inconclusive_limit: 15m
)" + extra;
}

struct Case
{
    const char* name;
    const char* goal;
    double traffic; // percent
    double rps;     // in total
    double canaryP, baselineP;
    QByteArray triggers, success;
    qint64 seconds;        // each phase runs this long unless it ends
    qint64 changeAtS = -1; // when the canary's error rate changes (a spike, a regression), -1: never
    double canaryPAfter = 0, baselinePAfter = 0;
    qint64 changeForS = 0; // 0: for good
};

struct Outcome
{
    bool rolledBack = false;
    bool promoted = false;
    bool paused = false;
    bool bothCohortsAlert = false;
    qint64 firstActionS = -1; // seconds from the change (or start) to a rollback
    qint64 caughtS = -1;      // seconds from the change to a rollback or a failing criterion
    double trialsAtPromotion = -1;
};

class Sim
{
public:
    Sim(const Case& c, bool threshold, quint64 seed)
        : m_case(c), m_rng(seed), m_clock(1'000'000'000), m_session(loadPlan(threshold, c), m_store, m_clock)
    {
        QObject::connect(&m_session, &RolloutSession::eventRecorded, &m_session,
                         [this](const RolloutEvent& e) { onEvent(e); });
        feed();
        m_session.advance(Actor{QStringLiteral("rm"), QStringLiteral("rm")});
    }

    Outcome run()
    {
        for (qint64 s = 1; s <= m_case.seconds && !m_done; ++s) {
            m_clock.advanceMs(1000);
            m_now = s;
            feed();
            m_session.evaluate();
            if (m_case.changeAtS >= 0 && s >= m_case.changeAtS && m_out.caughtS < 0)
                for (const CriterionView& c : m_session.criteria())
                    if (c.truth == Truth::False && !c.last.missingData) m_out.caughtS = s - m_case.changeAtS;
        }
        m_out.paused = m_session.isPaused();
        return m_out;
    }

private:
    static Plan loadPlan(bool threshold, const Case& c)
    {
        const PlanLoadResult r = PlanLoader::loadBytes(planYaml(threshold, c.traffic, c.triggers, c.success),
                                                       QStringLiteral("bench.yaml"));
        if (!r.plan) {
            for (const auto& e : r.errors)
                std::fprintf(stderr, "%s\n", qPrintable(e.toString()));
            std::abort();
        }
        return *r.plan;
    }

    void onEvent(const RolloutEvent& e)
    {
        const qint64 from = m_case.changeAtS >= 0 ? m_case.changeAtS : 0;
        if (e.type == EventType::RolledBack) {
            if (qEnvironmentVariableIsSet("BENCH_JUDGE_VERBOSE")) // why each rollback happened
                std::fprintf(stderr, "rollback at %llds: %s\n", static_cast<long long>(m_now),
                             qPrintable(e.reason));
            m_out.rolledBack = true;
            m_out.firstActionS = m_now - from;
            if (m_out.caughtS < 0) m_out.caughtS = m_now - from;
            m_done = true;
        } else if (e.type == EventType::PhaseAdvanced && e.fromPhase == 0) {
            m_out.promoted = true;
            m_out.trialsAtPromotion = m_lastCanaryTrials;
            m_done = true;
        } else if (e.type == EventType::AlertRaised && e.reason.contains(QLatin1String("both cohorts"))) {
            m_out.bothCohortsAlert = true;
        }
    }

    void feed()
    {
        const double share =
            m_session.currentPhase() >= 0 ? m_session.currentTraffic() / 100.0 : m_case.traffic / 100.0;
        const bool changed = m_case.changeAtS >= 0 && m_now >= m_case.changeAtS &&
                             (m_case.changeForS == 0 || m_now < m_case.changeAtS + m_case.changeForS);
        const double ps[2] = {changed ? m_case.canaryPAfter : m_case.canaryP,
                              changed ? m_case.baselinePAfter : m_case.baselineP};
        const double rates[2] = {m_case.rps * share, m_case.rps * (1.0 - share)};
        double window[2][2] = {{0, 0}, {0, 0}};
        for (int c = 0; c < 2; ++c) {
            const long n = rates[c] > 0 ? std::poisson_distribution<long>(rates[c])(m_rng) : 0;
            const long e = n > 0 && ps[c] > 0 ? std::binomial_distribution<long>(n, ps[c])(m_rng) : 0;
            m_cum[c][0] += double(e);
            m_cum[c][1] += double(n);
            m_store.appendCounts(QStringLiteral("error_rate"),
                                 c == 0 ? QStringLiteral("canary") : QStringLiteral("baseline"),
                                 m_clock.nowMs(), m_cum[c][0], m_cum[c][1]);
            m_last[c].push_back({double(e), double(n)});
            if (m_last[c].size() > 60) m_last[c].pop_front();
            for (const auto& [es, ns] : m_last[c]) {
                window[c][0] += es;
                window[c][1] += ns;
            }
            // The old judge's input: what rate(errors[1m]) / rate(requests[1m]) would answer; no
            // sample when there were no requests (never 0%).
            if (window[c][1] > 0)
                m_store.append(QStringLiteral("error_rate"),
                               c == 0 ? QStringLiteral("canary") : QStringLiteral("baseline"),
                               Sample{m_clock.nowMs(), window[c][0] / window[c][1]});
        }
        if (const auto counts =
                m_store.counts(QStringLiteral("error_rate"), Series::Canary, m_phaseStartMs()))
            m_lastCanaryTrials = counts->trials;
    }
    qint64 m_phaseStartMs() const { return m_session.phaseStartedMs(); }

    const Case& m_case;
    std::mt19937_64 m_rng;
    ManualClock m_clock;
    TimeSeriesStore m_store{
        std::size_t(m_case.seconds + 10)}; // the whole phase: triggers look back to its start
    RolloutSession m_session;
    double m_cum[2][2] = {{0, 0}, {0, 0}};
    std::deque<std::pair<double, double>> m_last[2];
    Outcome m_out;
    qint64 m_now = 0;
    bool m_done = false;
    double m_lastCanaryTrials = 0;
};

struct Summary
{
    int phases = 0, rolledBack = 0, promoted = 0, paused = 0, bothCohorts = 0;
    std::vector<qint64> actionS, caughtS;
    std::vector<double> trialsAtPromotion;
};

double median(std::vector<qint64> v)
{
    if (v.empty()) return -1;
    std::sort(v.begin(), v.end());
    return double(v[v.size() / 2]);
}

Summary runCase(const Case& c, bool threshold, int phases, int threads, quint64 seed)
{
    std::vector<Outcome> outcomes(static_cast<std::size_t>(phases));
    std::atomic<int> next{0};
    auto worker = [&] {
        for (int i = next++; i < phases; i = next++)
            outcomes[std::size_t(i)] = Sim(c, threshold, seed + quint64(i) * 7919).run();
    };
    std::vector<std::unique_ptr<QThread>> pool; // QThreads: the engine's objects may start timers
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back(QThread::create(worker));
        pool.back()->start();
    }
    for (auto& t : pool)
        t->wait();
    Summary s;
    s.phases = phases;
    for (const Outcome& o : outcomes) {
        s.rolledBack += o.rolledBack;
        s.promoted += o.promoted;
        s.paused += o.paused;
        s.bothCohorts += o.bothCohortsAlert;
        if (o.firstActionS >= 0) s.actionS.push_back(o.firstActionS);
        if (o.caughtS >= 0) s.caughtS.push_back(o.caughtS);
        if (o.trialsAtPromotion >= 0) s.trialsAtPromotion.push_back(o.trialsAtPromotion);
    }
    return s;
}

QString describe(const Case& c, const Summary& s)
{
    const QString name = QString::fromLatin1(c.name);
    if (name == QLatin1String("healthy") || name == QLatin1String("clean"))
        return QStringLiteral("%1 of %2 rolled back").arg(s.rolledBack).arg(s.phases);
    if (name == QLatin1String("regression-1pct"))
        return QStringLiteral("promoted in %1 of %2 (%3%)")
            .arg(s.promoted)
            .arg(s.phases)
            .arg(100.0 * s.promoted / s.phases, 0, 'f', 1);
    if (name == QLatin1String("regression-10pct"))
        return QStringLiteral("caught in %1 of %2, median %3 s (rollback: %4 of %2, median %5 s)")
            .arg(s.caughtS.size())
            .arg(s.phases)
            .arg(median(s.caughtS))
            .arg(s.rolledBack)
            .arg(median(s.actionS));
    if (name == QLatin1String("spike"))
        return QStringLiteral("fired in %1 of %2, median %3 s, max %4 s after the spike")
            .arg(s.rolledBack)
            .arg(s.phases)
            .arg(median(s.actionS))
            .arg(s.actionS.empty() ? -1 : *std::max_element(s.actionS.begin(), s.actionS.end()));
    if (name == QLatin1String("global"))
        return QStringLiteral("%1 of %2 rolled back; %3 paused with the \"both cohorts\" alert")
            .arg(s.rolledBack)
            .arg(s.phases)
            .arg(s.bothCohorts);
    if (name == QLatin1String("quiet")) {
        std::vector<double> t = s.trialsAtPromotion;
        std::sort(t.begin(), t.end());
        return QStringLiteral("promoted in %1 of %2; canary requests at promotion: min %3, median %4")
            .arg(s.promoted)
            .arg(s.phases)
            .arg(t.empty() ? -1 : t.front())
            .arg(t.empty() ? -1 : t[t.size() / 2]);
    }
    return {};
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    int phases = 1000;
    double hours = 24;
    int threads = int(std::max(1u, std::thread::hardware_concurrency()));
    quint64 seed = 20261201;
    QString only;
    const QStringList args = app.arguments();
    for (int i = 1; i + 1 < args.size(); ++i) {
        if (args[i] == QLatin1String("--phases"))
            phases = args[++i].toInt();
        else if (args[i] == QLatin1String("--hours"))
            hours = args[++i].toDouble();
        else if (args[i] == QLatin1String("--threads"))
            threads = args[++i].toInt();
        else if (args[i] == QLatin1String("--seed"))
            seed = args[++i].toULongLong();
        else if (args[i] == QLatin1String("--case"))
            only = args[++i];
    }
    const qint64 day = qint64(hours * 3600);
    // The plan's triggers: a critical absolute one and a relative one, as the demo and seeds have.
    const QByteArray triggers =
        "[{name: critical, when: error_rate > 5%, for: 15s, kind: hard, action: rollback},"
        " {name: regression, when: error_rate > 2x baseline, for: 5m, kind: hard, action: rollback}]";
    const QByteArray sensitive =
        "[{name: critical, when: error_rate > 5%, for: 15s, kind: hard, action: rollback},"
        " {name: regression, when: error_rate > 1x baseline, for: 1m, kind: hard, action: rollback}]";
    const std::vector<Case> cases = {
        {"healthy", "<= 5 of 1,000 rolled back", 1, 200, 0.005, 0.005, triggers, "[error_rate < 0.01%]", day},
        {"regression-1pct", "promoted in <= 5%", 1, 200, 0.01, 0.005, triggers,
         "[error_rate < 1.2x baseline]", day},
        {"regression-10pct", "caught in a median <= 120 s", 10, 200, 0.005, 0.005, sensitive,
         "[error_rate < 1.2x baseline]", 3600, 0, 0.01, 0.005},
        {"spike", "fires within for + 2 s (17 s)", 10, 200, 0.005, 0.005, triggers, "[error_rate < 0.01%]",
         1800, 600, 0.20, 0.005},
        {"global", "0 rollbacks; paused with the both-cohorts alert", 10, 200, 0.005, 0.005, triggers,
         "[error_rate < 0.01%]", 3600, 600, 0.10, 0.10},
        {"clean", "0 rolled back", 1, 200, 0.0, 0.0, triggers, "[error_rate < 0.01%]", day},
        {"quiet", "no promotion before the minimum evidence (~1,000 requests)", 1, 2, 0.005, 0.005, triggers,
         "[error_rate < 1%]", day},
    };
    std::printf(
        "bench_judge: %d phases per case (the spike, global and 10%% cases: %d), %d thread(s), seed %llu\n\n",
        phases, std::max(1, phases / 5), threads, static_cast<unsigned long long>(seed));
    std::printf("| case | goal (new judge) | old threshold judge | new evidence judge | time "
                "|\n|---|---|---|---|---|\n");
    for (const Case& c : cases) {
        if (!only.isEmpty() && only != QLatin1String(c.name)) continue;
        const int n = c.seconds < day ? std::max(1, phases / 5) : phases;
        QElapsedTimer t;
        t.start();
        const Summary old = runCase(c, true, n, threads, seed);
        const Summary now = runCase(c, false, n, threads, seed);
        std::printf("| %s | %s | %s | %s | %.0f s |\n", c.name, c.goal, qPrintable(describe(c, old)),
                    qPrintable(describe(c, now)), double(t.elapsed()) / 1000.0);
        std::fflush(stdout);
    }
    return 0;
}
