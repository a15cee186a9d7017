#include "sim/PrometheusExposition.h"

#include "sim/SimulatedService.h"

#include <cmath>

namespace rollout {

namespace {

QByteArray number(double v)
{
    if (std::isinf(v)) return v > 0 ? QByteArrayLiteral("+Inf") : QByteArrayLiteral("-Inf");
    return QByteArray::number(v, 'g', 15);
}

const char* cohortName(int c)
{
    return c == 0 ? "canary" : "baseline";
}

} // namespace

QByteArray PrometheusExposition::render(const SimulatedService& s, const QString& prefix)
{
    const QByteArray p = prefix.toUtf8();
    QByteArray out;
    out.reserve(8192);
    auto header = [&](const char* name, const char* type, const char* help) {
        out += "# HELP " + p + '_' + name + ' ' + help + "\n# TYPE " + p + '_' + name + ' ' + type + '\n';
    };
    auto line = [&](const char* name, int cohort, const QByteArray& extra, double v) {
        out += p + '_' + name + "{cohort=\"" + cohortName(cohort) + '"' + extra + "} " + number(v) + '\n';
    };
    header("requests_total", "counter", "Requests served, by cohort.");
    for (int c = 0; c < SimulatedService::kCohorts; ++c)
        line("requests_total", c, {}, s.counters(c).requests);
    header("errors_total", "counter", "Requests that failed, by cohort.");
    for (int c = 0; c < SimulatedService::kCohorts; ++c)
        line("errors_total", c, {}, s.counters(c).errors);
    header("duration_seconds", "histogram", "Request latency, by cohort.");
    const auto& bounds = SimulatedService::bucketBounds();
    for (int c = 0; c < SimulatedService::kCohorts; ++c) {
        const auto& k = s.counters(c);
        double cumulative = 0;
        for (std::size_t b = 0; b < bounds.size(); ++b) {
            cumulative += k.buckets[b];
            line("duration_seconds_bucket", c, ",le=\"" + number(bounds[b]) + '"', cumulative);
        }
        line("duration_seconds_sum", c, {}, k.durationSum);
        line("duration_seconds_count", c, {}, k.requests);
    }
    header("memory_bytes", "gauge", "Resident memory, by cohort.");
    for (int c = 0; c < SimulatedService::kCohorts; ++c)
        line("memory_bytes", c, {}, s.counters(c).memoryMb * 1e6);
    header("cpu_percent", "gauge", "CPU use, by cohort.");
    for (int c = 0; c < SimulatedService::kCohorts; ++c)
        line("cpu_percent", c, {}, s.counters(c).cpuPercent);
    header("cpu_seconds_total", "counter", "CPU time spent, by cohort (rate × 100 = cpu_percent).");
    for (int c = 0; c < SimulatedService::kCohorts; ++c)
        line("cpu_seconds_total", c, {}, s.counters(c).cpuSeconds);
    header("cost_usd_total", "counter", "Money spent serving requests, by cohort.");
    for (int c = 0; c < SimulatedService::kCohorts; ++c)
        line("cost_usd_total", c, {}, s.counters(c).costUsd);
    header("events_total", "counter", "Migration events (success, failure, fallback, mismatch), by cohort.");
    const QStringList types = SimulatedService::eventTypes();
    for (int c = 0; c < SimulatedService::kCohorts; ++c)
        for (int e = 0; e < types.size(); ++e)
            line("events_total", c, ",type=\"" + types[e].toUtf8() + '"',
                 s.counters(c).events[std::size_t(e)]);
    header("canary_share_percent", "gauge", "The canary's share of traffic, as the flag says.");
    out += p + "_canary_share_percent " + number(s.canaryShare()) + '\n';
    return out;
}

} // namespace rollout
