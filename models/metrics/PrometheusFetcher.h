#pragma once

#include "metrics/MetricFetcher.h"
#include "metrics/PrometheusClient.h"

namespace rollout {

// Polls a metric's PromQL (and its baseline query, if it has one) and sorts the answer into
// canary / baseline / single series by the plan's label matchers.
class PrometheusFetcher final : public QObject, public MetricFetcher
{
    Q_OBJECT
public:
    explicit PrometheusFetcher(const SourceSpec& source, QObject* parent = nullptr);

    void fetch(const MetricSpec& metric, qint64 nowMs, QObject* context,
               std::function<void(const FetchResult&)> done) override;
    void backfill(const MetricSpec& metric, qint64 fromMs, qint64 toMs, QObject* context,
                  std::function<void(const BackfillResult&)> done) override;

    struct Split
    {
        QList<std::pair<QString, PromSeries>> series; // key → series
        QString problem;
    };
    // Pure: which series of an answer is the canary, which the baseline, or why none fits.
    static Split split(const MetricSpec& metric, const PromResponse& response, bool baselineQuery = false);

    PrometheusClient& client() { return m_client; }

private:
    PrometheusClient m_client;
};

} // namespace rollout
