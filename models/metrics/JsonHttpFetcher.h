#pragma once

#include "metrics/MetricFetcher.h"
#include "net/HttpClient.h"

#include <optional>

namespace rollout {

// A JSON-over-HTTP metrics endpoint (seed 003's admin dashboard, `GET …/metrics?window=5m`):
// the source URL is fetched and the metric's query is a JSON pointer (RFC 6901) to its value;
// a baseline given as `query` is a second pointer into the same answer.
class JsonHttpFetcher final : public QObject, public MetricFetcher
{
    Q_OBJECT
public:
    explicit JsonHttpFetcher(SourceSpec source, QObject* parent = nullptr);
    void fetch(const MetricSpec& metric, qint64 nowMs, QObject* context,
               std::function<void(const FetchResult&)> done) override;

    // Pure: the number at `pointer` in `body`, or why not (not JSON, no such path, not a number).
    static std::optional<double> extract(const QByteArray& body, const QString& pointer, QString* problem);

private:
    SourceSpec m_source;
    HttpClient m_http;
};

} // namespace rollout
