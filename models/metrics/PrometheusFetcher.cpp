#include "metrics/PrometheusFetcher.h"

#include <QMap>
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

PrometheusFetcher::PrometheusFetcher(const SourceSpec& source, QObject* parent)
    : QObject(parent), m_client(source, this)
{
}

PrometheusFetcher::Split PrometheusFetcher::split(const MetricSpec& metric, const PromResponse& response,
                                                  bool baselineQuery)
{
    Split out;
    const auto& all = response.series;
    if (all.isEmpty()) {
        out.problem = QStringLiteral("empty result: the query matched no series");
        return out;
    }
    if (baselineQuery) {
        if (all.size() != 1)
            out.problem =
                QStringLiteral("the baseline query returned %1 series; it must return one").arg(all.size());
        else
            out.series.append({QStringLiteral("baseline"), all.first()});
        return out;
    }
    if (metric.canary.isEmpty()) {
        if (all.size() != 1) {
            out.problem = QStringLiteral("the query returned %1 series (%2, …); aggregate it, or name the "
                                         "canary's labels in the plan")
                              .arg(all.size())
                              .arg(PrometheusResponseParser::labelsKey(all.first().labels));
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
                out.problem = QStringLiteral("several series match the canary labels %1")
                                  .arg(matcherText(metric.canary));
                return out;
            }
            canary = &s;
        } else if (metric.baseline.kind == BaselineSpec::Kind::Series &&
                   matches(s.labels, metric.baseline.series)) {
            baseline = &s;
        }
    }
    if (!canary) {
        out.problem =
            QStringLiteral("no series has the canary labels %1 (got %2)")
                .arg(matcherText(metric.canary), PrometheusResponseParser::labelsKey(all.first().labels));
        return out;
    }
    out.series.append({QStringLiteral("canary"), *canary});
    if (baseline) out.series.append({QStringLiteral("baseline"), *baseline});
    return out;
}

void PrometheusFetcher::fetch(const MetricSpec& metric, qint64 nowMs, QObject* context,
                              std::function<void(const FetchResult&)> done)
{
    const bool twoQueries = metric.baseline.kind == BaselineSpec::Kind::Query;
    const bool counters = metric.hasCounterQueries();
    // Every answer is gathered before reporting once: the value, the baseline's, and a rate's two counters.
    struct Gathered
    {
        FetchResult result;
        QMap<QString, Sample> events, trials; // cohort → raw counter reading
        int pending = 0;
    };
    auto g = std::make_shared<Gathered>();
    g->pending = 1 + (twoQueries ? 1 : 0) + (counters ? 2 : 0);
    auto complete = [g, done]() {
        if (--g->pending > 0) return;
        for (auto it = g->events.begin(); it != g->events.end(); ++it)
            if (g->trials.contains(it.key()))
                g->result.counts.append({it.key(), it->tMs, it->value, g->trials.value(it.key()).value});
        done(g->result);
    };
    auto problem = [g](const QString& prefix, const QString& what, const PromOutcome& o) {
        if (g->result.problem.isEmpty()) g->result.problem = prefix + what;
        if (o.http.retryAfterMs) g->result.retryAfterMs = o.http.retryAfterMs;
    };
    auto finish = [g, complete, problem](const PromOutcome& o, bool baseline, const MetricSpec& m) {
        const QString prefix = baseline ? QStringLiteral("baseline: ") : QString();
        if (!o.ok()) {
            problem(prefix, o.problem, o);
        } else {
            const Split s = split(m, o.response, baseline);
            if (!s.problem.isEmpty()) problem(prefix, s.problem, o);
            for (const auto& [key, series] : s.series)
                if (!series.samples.isEmpty()) g->result.samples.append({key, series.samples.last()});
        }
        complete();
    };
    auto counted = [g, complete, problem](const PromOutcome& o, bool events, const MetricSpec& m) {
        const QString prefix =
            events ? QStringLiteral("events counter: ") : QStringLiteral("trials counter: ");
        if (!o.ok()) {
            problem(prefix, o.problem, o);
        } else {
            const Split s = split(m, o.response);
            if (!s.problem.isEmpty()) problem(prefix, s.problem, o);
            for (const auto& [key, series] : s.series) // an unsplit metric's only series is its canary
                if (!series.samples.isEmpty())
                    (events ? g->events : g->trials)
                        .insert(key.isEmpty() ? QStringLiteral("canary") : key, series.samples.last());
        }
        complete();
    };
    m_client.instant(metric.query, nowMs, context,
                     [finish, metric](const PromOutcome& o) { finish(o, false, metric); });
    if (twoQueries)
        m_client.instant(metric.baseline.query, nowMs, context,
                         [finish, metric](const PromOutcome& o) { finish(o, true, metric); });
    if (counters) {
        m_client.instant(metric.eventsQuery, nowMs, context,
                         [counted, metric](const PromOutcome& o) { counted(o, true, metric); });
        m_client.instant(metric.trialsQuery, nowMs, context,
                         [counted, metric](const PromOutcome& o) { counted(o, false, metric); });
    }
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
            for (const auto& [key, series] : s.series)
                r.series.append({key, series.samples});
        }
        done(r);
    });
}

} // namespace rollout
