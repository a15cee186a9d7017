#pragma once

#include "metrics/PrometheusResponse.h"
#include "net/HttpClient.h"
#include "plan/Plan.h"

namespace rollout {

// The outcome of one query: the parsed answer, or why there is none (transport, HTTP status,
// Prometheus' own error verbatim), said in one line that names the server.
struct PromOutcome
{
    HttpResponse http;
    PromResponse response;
    QString problem; // empty when response.ok()

    bool ok() const { return problem.isEmpty(); }
};

// Instant (/api/v1/query) and range (/api/v1/query_range) queries against one Prometheus,
// with the source's credentials, deadline and TLS setting.
class PrometheusClient final : public QObject
{
    Q_OBJECT
public:
    explicit PrometheusClient(SourceSpec source, QObject* parent = nullptr);

    // Evaluated at `atMs` (the caller's clock), so that sample ages never depend on clock skew.
    void instant(const QString& query, qint64 atMs, QObject* context,
                 std::function<void(const PromOutcome&)> done);
    void range(const QString& query, qint64 startMs, qint64 endMs, qint64 stepMs, QObject* context,
               std::function<void(const PromOutcome&)> done);

    const SourceSpec& source() const { return m_source; }
    void setMaxBytes(qint64 bytes) { m_maxBytes = bytes; }

private:
    void run(const QString& path, const QList<std::pair<QString, QString>>& params, QObject* context,
             std::function<void(const PromOutcome&)> done);

    SourceSpec m_source;
    HttpClient m_http;
    qint64 m_maxBytes = 8 * 1024 * 1024;
};

} // namespace rollout
