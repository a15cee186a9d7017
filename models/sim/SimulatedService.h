#pragma once

#include "plan/Plan.h"
#include "sim/Fault.h"

#include <QString>
#include <array>
#include <deque>
#include <optional>
#include <random>
#include <vector>

namespace rollout {

// A deterministic simulated web service (same seed, same numbers) with two cohorts: "canary"
// (the new code) and "baseline" (the old). The canary's share of traffic follows the flag's
// rollout percentage. Simulated in one-second steps: request and error counters, a latency
// histogram, memory, cpu, cost and migration events per cohort; faults change them. It answers
// what a query over a window would (windowed truth) and renders its counters for Prometheus.
class SimulatedService
{
public:
    static constexpr int kCohorts = 2;                // 0 canary, 1 baseline
    static const std::vector<double>& bucketBounds(); // histogram upper bounds in seconds (+Inf last)

    explicit SimulatedService(quint64 seed = 42, qint64 startMs = 0, double totalRps = 200.0);

    void setCanaryShare(double percent);
    // The healthy error ratio of both cohorts (default 0.02%); faults add to it.
    void setBaseErrorRatio(double ratio) { m_baseErrorRatio = std::clamp(ratio, 0.0, 1.0); }
    double canaryShare() const { return m_share; }
    void addFault(const Fault& f) { m_faults.push_back(f); }
    void clearFaults() { m_faults.clear(); }
    const std::vector<Fault>& faults() const { return m_faults; }

    // Simulates whole seconds up to nowMs.
    void advanceTo(qint64 nowMs);
    qint64 nowMs() const { return m_nowMs; }

    // What a query over the last `windowMs` would answer for cohort "canary", "baseline" or
    // "" (both together). nullopt when there is nothing to measure (no requests): never 0%.
    std::optional<double> value(const SimulationHint& hint, const QString& cohort,
                                qint64 windowMs = 60000) const;

    struct Counters
    {
        double requests = 0, errors = 0, durationSum = 0, costUsd = 0;
        std::vector<double> buckets;    // cumulative counts per bound (not yet "le"-cumulative)
        std::array<double, 4> events{}; // success, failure, fallback, mismatch
        double memoryMb = 0, cpuPercent = 0;
        double cpuSeconds = 0; // CPU time spent (a counter: its rate × 100 is cpuPercent)
    };
    const Counters& counters(int cohort) const { return m_total[std::size_t(cohort)]; }
    static QStringList eventTypes();
    // The q-quantile of a healthy cohort's latency, in seconds (p95 ≈ 0.25 s).
    static double healthyQuantile(double q);

private:
    void step();
    double errorRatio(int cohort, qint64 t) const;
    double latencyFactor(int cohort, qint64 t) const;
    std::optional<Counters> windowSum(int cohort, qint64 windowMs) const;
    double quantile(const Counters& c, double q) const;

    std::mt19937_64 m_rng;
    quint64 m_seed;
    qint64 m_startMs;
    qint64 m_nowMs;
    double m_totalRps;
    double m_share = 0.0;
    double m_baseErrorRatio;
    std::vector<Fault> m_faults;
    std::array<Counters, kCohorts> m_total;
    std::array<std::deque<Counters>, kCohorts> m_perSecond; // the last hour, one entry per second
};

} // namespace rollout
