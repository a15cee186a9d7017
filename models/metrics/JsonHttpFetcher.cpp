#include "metrics/JsonHttpFetcher.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace rollout {

JsonHttpFetcher::JsonHttpFetcher(SourceSpec source, QObject* parent)
    : QObject(parent), m_source(std::move(source)), m_http(this)
{
}

std::optional<double> JsonHttpFetcher::extract(const QByteArray& body, const QString& pointer,
                                               QString* problem)
{
    const nlohmann::json doc =
        nlohmann::json::parse(body.constData(), body.constData() + body.size(), nullptr, false);
    if (doc.is_discarded()) {
        *problem = QStringLiteral("response is not JSON");
        return std::nullopt;
    }
    try {
        const nlohmann::json::json_pointer p(pointer.toStdString());
        if (!doc.contains(p)) {
            *problem = QStringLiteral("no value at %1").arg(pointer);
            return std::nullopt;
        }
        const nlohmann::json& v = doc.at(p);
        if (v.is_number()) return v.get<double>();
        if (v.is_string()) { // some dashboards quote numbers
            bool ok = false;
            const double d = QString::fromStdString(v.get<std::string>()).toDouble(&ok);
            if (ok) return d;
        }
        if (v.is_null()) return std::numeric_limits<double>::quiet_NaN(); // no data, never zero
        *problem = QStringLiteral("the value at %1 is not a number").arg(pointer);
    } catch (const nlohmann::json::exception& e) {
        *problem = QStringLiteral("bad JSON pointer %1: %2").arg(pointer, QString::fromUtf8(e.what()));
    }
    return std::nullopt;
}

void JsonHttpFetcher::fetch(const MetricSpec& metric, qint64 nowMs, QObject* context,
                            std::function<void(const FetchResult&)> done)
{
    HttpRequest req;
    req.url = QUrl(m_source.url);
    req.timeoutMs = m_source.timeoutMs;
    req.verifyTls = m_source.tlsVerify;
    req.maxBytes = 4 * 1024 * 1024;
    const Credentials creds =
        Credentials::fromEnvironment(m_source.tokenEnv, m_source.usernameEnv, m_source.passwordEnv);
    if (!creds.problem.isEmpty()) {
        FetchResult r;
        r.problem = QStringLiteral("%1 (source %2): %3").arg(m_source.url, m_source.name, creds.problem);
        QMetaObject::invokeMethod(
            context, [r, done] { done(r); }, Qt::QueuedConnection);
        return;
    }
    if (!creds.authorization.isEmpty())
        req.headers.append({QByteArrayLiteral("Authorization"), creds.authorization});
    const QUrl url = req.url;
    m_http.send(req, context, [metric, nowMs, url, done](const HttpResponse& http) {
        FetchResult r;
        r.retryAfterMs = http.retryAfterMs;
        if (!http.success()) {
            r.problem = http.describe(url);
            done(r);
            return;
        }
        QString problem;
        const QString key =
            metric.baseline.kind == BaselineSpec::Kind::Query ? QStringLiteral("canary") : QString();
        if (const auto v = extract(http.body, metric.query, &problem))
            r.samples.append({key, Sample{nowMs, *v}});
        else
            r.problem = QStringLiteral("%1: %2").arg(url.toString(QUrl::RemoveQuery), problem);
        if (metric.baseline.kind == BaselineSpec::Kind::Query) {
            QString baseProblem;
            if (const auto b = extract(http.body, metric.baseline.query, &baseProblem))
                r.samples.append({QStringLiteral("baseline"), Sample{nowMs, *b}});
            else if (r.problem.isEmpty())
                r.problem = QStringLiteral("baseline: %1").arg(baseProblem);
        }
        done(r);
    });
}

} // namespace rollout
