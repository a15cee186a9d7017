#include "metrics/PrometheusFetcher.h"

#include <memory>

namespace rollout {

namespace {

bool matches(const Labels& labels, const QMap<QString, QString>& matchers)
{
    for (auto it = matchers.begin(); it != matchers.end(); ++it)
        if (labels.value(it.key()) != it.value()) return false;
    return true;
}

QString matcherText(const QMap<QString, QString>& m)
{
    return PrometheusResponseParser::labelsKey(m);
}

} // namespace

PrometheusFetcher::PrometheusFetcher(const SourceSpec& source, QObject* parent) : QObject(parent), m_client(source, this) {}

PrometheusFetcher::Split PrometheusFetcher::split(const MetricSpec& metric, const PromResponse& response, bool baselineQuery)
{
    Split out;
    const auto& all = response.series;
    if (all.isEmpty()) {
        out.problem = QStringLiteral("empty result: the query matched no series");
        return out;
    }
    if (baselineQuery) {
        if (all.size() != 1) out.problem = QStringLiteral("the baseline query returned %1 series; it must return one").arg(all.size());
        else out.series.append({QStringLiteral("baseline"), all.first()});
        return out;
    }
    if (metric.canary.isEmpty()) {
        if (all.size() != 1) {
            out.problem = QStringLiteral("the query returned %1 series (%2, …); aggregate it, or name the canary's labels in the plan")
                              .arg(all.size()).arg(PrometheusResponseParser::labelsKey(all.first().labels));
            return out;
        }
        out.series.append({QString(), all.first()});
        return out;
    }
    const PromSeries* canary = nullptr;
    const PromSeries* baseline = nullptr;
    for (const PromSeries& s : all) {
        if (matches(s.labels, metric.canary)) {
            if (canary) {
                out.problem = QStringLiteral("several series match the canary labels %1").arg(matcherText(metric.canary));
                return out;
            }
            canary = &s;
        } else if (metric.baseline.kind == BaselineSpec::Kind::Series && matches(s.labels, metric.baseline.series)) {
            baseline = &s;
        }
    }
    if (!canary) {
        out.problem = QStringLiteral("no series has the canary labels %1 (got %2)").arg(matcherText(metric.canary), PrometheusResponseParser::labelsKey(all.first().labels));
        return out;
    }
    out.series.append({QStringLiteral("canary"), *canary});
    if (baseline) out.series.append({QStringLiteral("baseline"), *baseline});
    return out;
}

void PrometheusFetcher::fetch(const MetricSpec& metric, qint64 nowMs, QObject* context, std::function<void(const FetchResult&)> done)
{
    const bool twoQueries = metric.baseline.kind == BaselineSpec::Kind::Query;
    // Both answers are gathered before reporting once.
    auto pending = std::make_shared<int>(twoQueries ? 2 : 1);
    auto result = std::make_shared<FetchResult>();
    auto finish = [pending, result, done](const PromOutcome& o, bool baseline, const MetricSpec& m) {
        if (!o.ok()) {
            if (!baseline || result->problem.isEmpty()) result->problem = (baseline ? QStringLiteral("baseline: ") : QString()) + o.problem;
            result->retryAfterMs = o.http.retryAfterMs;
        } else {
            const Split s = split(m, o.response, baseline);
            if (!s.problem.isEmpty() && result->problem.isEmpty()) result->problem = (baseline ? QStringLiteral("baseline: ") : QString()) + s.problem;
            for (const auto& [key, series] : s.series)
                if (!series.samples.isEmpty()) result->samples.append({key, series.samples.last()});
        }
        if (--*pending == 0) done(*result);
    };
    m_client.instant(metric.query, nowMs, context, [finish, metric](const PromOutcome& o) { finish(o, false, metric); });
    if (twoQueries)
        m_client.instant(metric.baseline.query, nowMs, context, [finish, metric](const PromOutcome& o) { finish(o, true, metric); });
}

void PrometheusFetcher::backfill(const MetricSpec& metric, qint64 fromMs, qint64 toMs, QObject* context,
                                 std::function<void(const BackfillResult&)> done)
{
    // Prometheus refuses more than 11,000 points per series: widen the step for long spans.
    const qint64 step = std::max(metric.intervalMs, (toMs - fromMs) / 10'000 + 1);
    m_client.range(metric.query, fromMs, toMs, step, context, [metric, done](const PromOutcome& o) {
        BackfillResult r;
        if (!o.ok()) {
            r.problem = o.problem;
        } else {
            const Split s = split(metric, o.response);
            r.problem = s.problem;
            for (const auto& [key, series] : s.series) r.series.append({key, series.samples});
        }
        done(r);
    });
}

} // namespace rollout
