#pragma once

#include "metrics/MetricReader.h"
#include "plan/Plan.h"

#include <QList>
#include <QObject>
#include <functional>
#include <optional>

namespace rollout {

// One poll's answer for one metric: samples per series key ("canary", "baseline", ""), or why
// there are none, in one line that names the server and what it said.
// One reading of a rate's raw counters for one cohort ("canary", "baseline").
struct CountReading
{
    QString cohort;
    qint64 tMs = 0;
    double events = 0.0;
    double trials = 0.0;
};

struct FetchResult
{
    QList<std::pair<QString, Sample>> samples;
    QList<CountReading> counts;
    QString problem;
    std::optional<qint64> retryAfterMs;
};

struct BackfillResult
{
    QList<std::pair<QString, QList<Sample>>> series;
    QString problem;
};

// Reads one kind of metric source (Prometheus, JSON over HTTP, JSON Lines).
class MetricFetcher
{
public:
    virtual ~MetricFetcher() = default;
    virtual void fetch(const MetricSpec& metric, qint64 nowMs, QObject* context,
                       std::function<void(const FetchResult&)> done) = 0;
    // History for charts when a plan is opened; sources without history answer with nothing.
    virtual void backfill(const MetricSpec& metric, qint64 fromMs, qint64 toMs, QObject* context,
                          std::function<void(const BackfillResult&)> done)
    {
        Q_UNUSED(metric)
        Q_UNUSED(fromMs)
        Q_UNUSED(toMs)
        Q_UNUSED(context)
        done(BackfillResult{});
    }
};

} // namespace rollout
