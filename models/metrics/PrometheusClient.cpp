#include "metrics/PrometheusClient.h"

namespace rollout {

PrometheusClient::PrometheusClient(SourceSpec source, QObject* parent)
    : QObject(parent), m_source(std::move(source)), m_http(this)
{
}

void PrometheusClient::instant(const QString& query, qint64 atMs, QObject* context,
                               std::function<void(const PromOutcome&)> done)
{
    run(QStringLiteral("/api/v1/query"),
        {{QStringLiteral("query"), query},
         {QStringLiteral("time"), QString::number(double(atMs) / 1000.0, 'f', 3)}},
        context, std::move(done));
}

void PrometheusClient::range(const QString& query, qint64 startMs, qint64 endMs, qint64 stepMs,
                             QObject* context, std::function<void(const PromOutcome&)> done)
{
    run(QStringLiteral("/api/v1/query_range"),
        {{QStringLiteral("query"), query},
         {QStringLiteral("start"), QString::number(double(startMs) / 1000.0, 'f', 3)},
         {QStringLiteral("end"), QString::number(double(endMs) / 1000.0, 'f', 3)},
         {QStringLiteral("step"), QString::number(double(std::max<qint64>(stepMs, 1000)) / 1000.0, 'f', 3)}},
        context, std::move(done));
}

void PrometheusClient::run(const QString& path, const QList<std::pair<QString, QString>>& params,
                           QObject* context, std::function<void(const PromOutcome&)> done)
{
    HttpRequest req;
    QUrl url(m_source.url);
    url.setPath(url.path().chopped(url.path().endsWith(QLatin1Char('/')) ? 1 : 0) + path);
    // Encoded by hand: QUrlQuery leaves '+' alone, and a server reads it as a space.
    QByteArray query;
    for (const auto& [k, v] : params) {
        if (!query.isEmpty()) query += '&';
        query += k.toLatin1() + '=' + QUrl::toPercentEncoding(v);
    }
    url.setQuery(QString::fromLatin1(query), QUrl::StrictMode);
    req.url = url;
    req.timeoutMs = m_source.timeoutMs;
    req.maxBytes = m_maxBytes;
    req.verifyTls = m_source.tlsVerify;
    const Credentials creds =
        Credentials::fromEnvironment(m_source.tokenEnv, m_source.usernameEnv, m_source.passwordEnv);
    if (!creds.problem.isEmpty()) {
        PromOutcome o;
        o.problem = QStringLiteral("%1 (source %2): %3").arg(m_source.url, m_source.name, creds.problem);
        QMetaObject::invokeMethod(
            context, [o, done = std::move(done)] { done(o); }, Qt::QueuedConnection);
        return;
    }
    if (!creds.authorization.isEmpty())
        req.headers.append({QByteArrayLiteral("Authorization"), creds.authorization});
    const QUrl shown = url;
    m_http.send(req, context, [done = std::move(done), shown](const HttpResponse& http) {
        PromOutcome o;
        o.http = http;
        if (!http.answered()) {
            o.problem = http.describe(shown);
            done(o);
            return;
        }
        if (!http.success()) {
            // An error status is about the server, not the shape of an answer: say whose and
            // which, with Prometheus' own words (its {"status":"error"} envelope) when it sent them.
            o.response = PrometheusResponseParser::parse(http.body);
            if (o.response.ok()) o.response.failure = PromResponse::Failure::PrometheusError;
            const QString detail = PrometheusResponseParser::errorDetail(http.body);
            o.problem = detail.isEmpty() ? http.describe(shown)
                                         : QStringLiteral("%1: %2").arg(http.describe(shown), detail);
            done(o);
            return;
        }
        o.response = PrometheusResponseParser::parse(http.body);
        if (!o.response.ok())
            o.problem = QStringLiteral("%1: %2").arg(http.describe(shown), o.response.describe());
        done(o);
    });
}

} // namespace rollout
