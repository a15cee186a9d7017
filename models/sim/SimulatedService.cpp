#include "sim/SimulatedService.h"

#include <QStringList>
#include <cmath>

namespace rollout {

namespace {

constexpr double kMedianLatency = 0.120;                // seconds
const double kSigma = std::log(0.250 / 0.120) / 1.6449; // p95 ≈ 250 ms
constexpr double kBaseErrorRatio = 0.0002;              // a healthy service: 0.02% errors
constexpr std::size_t kKeepSeconds = 3600;

double normalCdf(double x)
{
    return 0.5 * std::erfc(-x / std::sqrt(2.0));
}

} // namespace

const std::vector<double>& SimulatedService::bucketBounds()
{
    static const std::vector<double> b = {0.005,
                                          0.01,
                                          0.025,
                                          0.05,
                                          0.075,
                                          0.1,
                                          0.15,
                                          0.2,
                                          0.25,
                                          0.3,
                                          0.4,
                                          0.5,
                                          0.75,
                                          1.0,
                                          1.5,
                                          2.5,
                                          5.0,
                                          10.0,
                                          std::numeric_limits<double>::infinity()};
    return b;
}

QStringList SimulatedService::eventTypes()
{
    return {QStringLiteral("success"), QStringLiteral("failure"), QStringLiteral("fallback"),
            QStringLiteral("mismatch")};
}

SimulatedService::SimulatedService(quint64 seed, qint64 startMs, double totalRps)
    : m_rng(seed), m_seed(seed), m_startMs(startMs), m_nowMs(startMs), m_totalRps(totalRps),
      m_baseErrorRatio(kBaseErrorRatio)
{
    for (Counters& c : m_total)
        c.buckets.assign(bucketBounds().size(), 0.0);
}

void SimulatedService::setCanaryShare(double percent)
{
    m_share = std::clamp(percent, 0.0, 100.0);
}

double SimulatedService::errorRatio(int cohort, qint64 t) const
{
    double p = m_baseErrorRatio;
    for (const Fault& f : m_faults) {
        if (!f.activeAt(t)) continue;
        const double m = f.magnitude;
        switch (f.kind) {
        case FaultKind::CanaryErrorSpike:
        case FaultKind::BriefSpike:
            if (cohort == 0) p = std::max(p, m > 0 ? m : 0.08);
            break;
        case FaultKind::GlobalIncident:
            p = std::max(p, m > 0 ? m : 0.10);
            break;
        default:
            break;
        }
    }
    return p;
}

double SimulatedService::latencyFactor(int cohort, qint64 t) const
{
    double factor = 1.0;
    for (const Fault& f : m_faults) {
        if (!f.activeAt(t)) continue;
        if (f.kind == FaultKind::CanaryLatencyRegression && cohort == 0)
            factor = std::max(factor, f.magnitude > 0 ? f.magnitude : 3.0);
        if (f.kind == FaultKind::GlobalIncident) factor = std::max(factor, 2.0);
    }
    return factor;
}

void SimulatedService::advanceTo(qint64 nowMs)
{
    while (m_nowMs + 1000 <= nowMs) {
        m_nowMs += 1000;
        step();
    }
}

void SimulatedService::step()
{
    const qint64 t = m_nowMs;
    const auto& bounds = bucketBounds();
    std::normal_distribution<double> noise(0.0, 1.0);
    for (int c = 0; c < kCohorts; ++c) {
        Counters d;
        d.buckets.assign(bounds.size(), 0.0);
        const double share = c == 0 ? m_share / 100.0 : 1.0 - m_share / 100.0;
        const double rate = m_totalRps * share;
        const std::int64_t n = rate > 0 ? std::poisson_distribution<std::int64_t>(rate)(m_rng) : 0;
        const double p = errorRatio(c, t);
        const std::int64_t errors =
            n > 0 && p > 0 ? std::binomial_distribution<std::int64_t>(n, p)(m_rng) : 0;
        // Latency: a lognormal whose median moves with the faults, spread into buckets by a
        // binomial chain (a multinomial draw) — a handful of draws per second, not one per request.
        const double mu = std::log(kMedianLatency * latencyFactor(c, t));
        std::int64_t remaining = n;
        double remainingProb = 1.0, previousCdf = 0.0;
        for (std::size_t b = 0; b < bounds.size() && remaining > 0; ++b) {
            const double cdf = std::isinf(bounds[b]) ? 1.0 : normalCdf((std::log(bounds[b]) - mu) / kSigma);
            const double pb = cdf - previousCdf;
            previousCdf = cdf;
            const double conditional = remainingProb > 1e-12 ? std::clamp(pb / remainingProb, 0.0, 1.0) : 1.0;
            const std::int64_t k =
                std::isinf(bounds[b])
                    ? remaining
                    : std::binomial_distribution<std::int64_t>(remaining, conditional)(m_rng);
            d.buckets[b] = double(k);
            remaining -= k;
            remainingProb -= pb;
        }
        d.requests = double(n);
        d.errors = double(errors);
        d.durationSum = double(n) * std::exp(mu + kSigma * kSigma / 2.0);
        d.costUsd = double(n) * (c == 0 ? 0.00006 : 0.0001); // the new path is cheaper
        d.events = {double(n - errors), double(errors), std::floor(double(errors) * 0.3),
                    // dual-run mismatches: none while healthy, some while a fault makes the new path wrong
                    double(n > 0 && p > m_baseErrorRatio
                               ? std::poisson_distribution<std::int64_t>(double(n) * 0.01)(m_rng)
                               : 0)};
        // Gauges: memory is stable unless a leak compounds on the canary; cpu follows latency.
        double memory = 30.0 + 0.3 * noise(m_rng);
        for (const Fault& f : m_faults)
            if (f.kind == FaultKind::MemoryLeak && c == 0 && t >= f.startMs)
                memory *=
                    std::pow(1.0 + (f.magnitude > 0 ? f.magnitude : 0.15), double(t - f.startMs) / 3.6e6);
        d.memoryMb = memory;
        d.cpuPercent = std::clamp(35.0 * latencyFactor(c, t) + 0.5 * noise(m_rng), 0.0, 100.0);
        d.cpuSeconds = d.cpuPercent / 100.0; // one simulated second

        Counters& total = m_total[std::size_t(c)];
        total.requests += d.requests;
        total.errors += d.errors;
        total.durationSum += d.durationSum;
        total.costUsd += d.costUsd;
        for (std::size_t b = 0; b < bounds.size(); ++b)
            total.buckets[b] += d.buckets[b];
        for (std::size_t e = 0; e < d.events.size(); ++e)
            total.events[e] += d.events[e];
        total.memoryMb = d.memoryMb;
        total.cpuPercent = d.cpuPercent;
        total.cpuSeconds += d.cpuSeconds;
        auto& history = m_perSecond[std::size_t(c)];
        history.push_back(std::move(d));
        if (history.size() > kKeepSeconds) history.pop_front();
    }
}

std::optional<SimulatedService::Counters> SimulatedService::windowSum(int cohort, qint64 windowMs) const
{
    const auto& history = m_perSecond[std::size_t(cohort)];
    if (history.empty()) return std::nullopt;
    const std::size_t n =
        std::min<std::size_t>(history.size(), std::size_t(std::max<qint64>(1, windowMs / 1000)));
    Counters sum;
    sum.buckets.assign(bucketBounds().size(), 0.0);
    for (std::size_t i = history.size() - n; i < history.size(); ++i) {
        const Counters& d = history[i];
        sum.requests += d.requests;
        sum.errors += d.errors;
        sum.durationSum += d.durationSum;
        sum.costUsd += d.costUsd;
        for (std::size_t b = 0; b < sum.buckets.size(); ++b)
            sum.buckets[b] += d.buckets[b];
        for (std::size_t e = 0; e < sum.events.size(); ++e)
            sum.events[e] += d.events[e];
    }
    sum.memoryMb = history.back().memoryMb;
    sum.cpuPercent = history.back().cpuPercent;
    return sum;
}

// Like Prometheus' histogram_quantile: find the bucket holding the rank, interpolate linearly.
double SimulatedService::quantile(const Counters& c, double q) const
{
    const auto& bounds = bucketBounds();
    double total = 0;
    for (double b : c.buckets)
        total += b;
    if (total <= 0) return std::nan("");
    const double rank = q * total;
    double cumulative = 0, lower = 0;
    for (std::size_t b = 0; b < bounds.size(); ++b) {
        const double before = cumulative;
        cumulative += c.buckets[b];
        if (cumulative >= rank) {
            if (std::isinf(bounds[b])) return bounds[b - 1];
            const double inBucket = c.buckets[b];
            return inBucket > 0 ? lower + (bounds[b] - lower) * (rank - before) / inBucket : bounds[b];
        }
        lower = bounds[b];
    }
    return bounds[bounds.size() - 2];
}

double SimulatedService::healthyQuantile(double q)
{
    // The lognormal's quantile: bisect the normal CDF for z, then exp(mu + sigma z).
    double lo = -8, hi = 8;
    for (int i = 0; i < 60; ++i) {
        const double mid = (lo + hi) / 2;
        (normalCdf(mid) < q ? lo : hi) = mid;
    }
    return std::exp(std::log(kMedianLatency) + kSigma * lo);
}

std::optional<double> SimulatedService::value(const SimulationHint& hint, const QString& cohort,
                                              qint64 windowMs) const
{
    if (hint.signal == QLatin1String("event_counter")) { // a raw counter of one event type since the start
        const int i = int(eventTypes().indexOf(hint.event));
        if (i < 0) return std::nullopt;
        const auto at = [&](int c) { return m_total[std::size_t(c)].events[std::size_t(i)]; };
        return cohort == QLatin1String("canary")     ? at(0)
               : cohort == QLatin1String("baseline") ? at(1)
                                                     : at(0) + at(1);
    }
    std::optional<Counters> w;
    if (cohort == QLatin1String("canary"))
        w = windowSum(0, windowMs);
    else if (cohort == QLatin1String("baseline"))
        w = windowSum(1, windowMs);
    else {
        auto a = windowSum(0, windowMs), b = windowSum(1, windowMs);
        if (!a || !b) return std::nullopt;
        w = *a;
        w->requests += b->requests;
        w->errors += b->errors;
        w->durationSum += b->durationSum;
        w->costUsd += b->costUsd;
        for (std::size_t i = 0; i < w->buckets.size(); ++i)
            w->buckets[i] += b->buckets[i];
        for (std::size_t e = 0; e < w->events.size(); ++e)
            w->events[e] += b->events[e];
        const double share = m_share / 100.0;
        w->memoryMb = share * a->memoryMb + (1 - share) * b->memoryMb;
        w->cpuPercent = share * a->cpuPercent + (1 - share) * b->cpuPercent;
    }
    if (!w) return std::nullopt;
    const double seconds = double(std::min<qint64>(windowMs, qint64(m_perSecond[0].size()) * 1000)) / 1000.0;
    const QString& s = hint.signal;
    if (s == QLatin1String("request_rate")) return w->requests / std::max(1.0, seconds);
    if (s == QLatin1String("error_ratio"))
        return w->requests > 0 ? std::optional<double>(w->errors / w->requests) : std::nullopt;
    if (s == QLatin1String("latency_quantile")) {
        const double v = quantile(*w, hint.quantile);
        return std::isnan(v) ? std::nullopt : std::optional<double>(v);
    }
    if (s == QLatin1String("memory")) return w->memoryMb;
    if (s == QLatin1String("cpu")) return w->cpuPercent;
    if (s == QLatin1String("cost")) return w->costUsd / std::max(1.0, seconds) * 3600.0;
    if (s == QLatin1String("events")) {
        const int i = int(eventTypes().indexOf(hint.event));
        return i < 0 ? std::nullopt : std::optional<double>(w->events[std::size_t(i)]);
    }
    if (s == QLatin1String("gauge")) {
        // Deterministic per second and seed, independent of the traffic draws.
        std::mt19937_64 g(m_seed ^ quint64(m_nowMs / 1000) ^ quint64(qHash(hint.signal + cohort)));
        return hint.mean + hint.noise * std::normal_distribution<double>(0.0, 1.0)(g);
    }
    return std::nullopt;
}

} // namespace rollout
