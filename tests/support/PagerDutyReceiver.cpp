#include "PagerDutyReceiver.h"

#include <QDateTime>
#include <QHostAddress>
#include <QHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponse>
#include <QJsonArray>
#include <QJsonDocument>

namespace rollout::test {

namespace {

QHttpServerResponse json(const QJsonObject& o, QHttpServerResponse::StatusCode code)
{
    return QHttpServerResponse(QByteArrayLiteral("application/json"),
                               QJsonDocument(o).toJson(QJsonDocument::Compact), code);
}

bool isString(const QJsonObject& o, const QString& key)
{
    return o.value(key).isString();
}

} // namespace

PagerDutyReceiver::PagerDutyReceiver(QObject* parent)
    : QObject(parent), m_server(std::make_unique<QHttpServer>())
{
    m_server->route(
        QStringLiteral("/v2/enqueue"), QHttpServerRequest::Method::Post, [this](const QHttpServerRequest& r) {
            ++requests;
            if (tooManyRequests > 0) {
                --tooManyRequests;
                ++throttled;
                QHttpServerResponse response(QByteArrayLiteral("text/plain"),
                                             QByteArrayLiteral("Too Many Requests"),
                                             QHttpServerResponse::StatusCode::TooManyRequests);
                if (!retryAfter.isEmpty()) response.setHeader(QByteArrayLiteral("Retry-After"), retryAfter);
                return response;
            }
            QStringList errors;
            if (!r.value(QByteArrayLiteral("Content-Type")).startsWith("application/json"))
                errors.append(QStringLiteral("Content-Type must be application/json"));
            errors += schemaErrors(r.body());
            const QJsonObject event = QJsonDocument::fromJson(r.body()).object();
            if (errors.isEmpty() && !requiredRoutingKey.isEmpty() &&
                event.value(QStringLiteral("routing_key")).toString() != requiredRoutingKey)
                errors.append(QStringLiteral("Invalid routing key"));
            if (!errors.isEmpty()) {
                rejected.append(errors.join(QStringLiteral("; ")));
                return json(
                    QJsonObject{{QStringLiteral("status"), QStringLiteral("invalid event")},
                                {QStringLiteral("message"), QStringLiteral("Event object is invalid")},
                                {QStringLiteral("errors"), QJsonArray::fromStringList(errors)}},
                    QHttpServerResponse::StatusCode::BadRequest);
            }
            accepted.append(event);
            return json(QJsonObject{{QStringLiteral("status"), QStringLiteral("success")},
                                    {QStringLiteral("message"), QStringLiteral("Event processed")},
                                    {QStringLiteral("dedup_key"),
                                     event.value(QStringLiteral("dedup_key")).toString()}},
                        QHttpServerResponse::StatusCode::Accepted);
        });
    m_port = m_server->listen(QHostAddress::LocalHost, 0);
}

PagerDutyReceiver::~PagerDutyReceiver() = default;

QString PagerDutyReceiver::url() const
{
    return QStringLiteral("http://127.0.0.1:%1/v2/enqueue").arg(m_port);
}

QStringList PagerDutyReceiver::schemaErrors(const QByteArray& body)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject())
        return {QStringLiteral("Event is not a JSON object")};
    const QJsonObject o = doc.object();
    QStringList errors;
    static const QStringList topLevel = {QStringLiteral("routing_key"), QStringLiteral("event_action"),
                                         QStringLiteral("dedup_key"),   QStringLiteral("payload"),
                                         QStringLiteral("images"),      QStringLiteral("links"),
                                         QStringLiteral("client"),      QStringLiteral("client_url")};
    for (const QString& k : o.keys())
        if (!topLevel.contains(k)) errors.append(QStringLiteral("Unknown field '%1'").arg(k));
    if (!isString(o, QStringLiteral("routing_key")) ||
        o.value(QStringLiteral("routing_key")).toString().size() != 32)
        errors.append(QStringLiteral("Length of 'routing_key' is incorrect (should be 32 characters)"));
    const QString action = o.value(QStringLiteral("event_action")).toString();
    if (!QStringList{QStringLiteral("trigger"), QStringLiteral("acknowledge"), QStringLiteral("resolve")}
             .contains(action))
        errors.append(
            QStringLiteral("'event_action' is invalid (must be one of trigger, acknowledge, resolve)"));
    if (o.contains(QStringLiteral("dedup_key")) &&
        (!isString(o, QStringLiteral("dedup_key")) ||
         o.value(QStringLiteral("dedup_key")).toString().size() > 255))
        errors.append(QStringLiteral("'dedup_key' must be a string of at most 255 characters"));
    if (action != QLatin1String("trigger")) {
        if (o.value(QStringLiteral("dedup_key")).toString().isEmpty())
            errors.append(QStringLiteral("'dedup_key' is required to %1").arg(action));
        return errors;
    }
    if (!o.value(QStringLiteral("payload")).isObject()) {
        errors.append(QStringLiteral("'payload' is missing or not an object"));
        return errors;
    }
    const QJsonObject p = o.value(QStringLiteral("payload")).toObject();
    static const QStringList payloadKeys = {QStringLiteral("summary"),   QStringLiteral("source"),
                                            QStringLiteral("severity"),  QStringLiteral("timestamp"),
                                            QStringLiteral("component"), QStringLiteral("group"),
                                            QStringLiteral("class"),     QStringLiteral("custom_details")};
    for (const QString& k : p.keys())
        if (!payloadKeys.contains(k)) errors.append(QStringLiteral("Unknown field 'payload.%1'").arg(k));
    const QString summary = p.value(QStringLiteral("summary")).toString();
    if (!isString(p, QStringLiteral("summary")) || summary.isEmpty() || summary.size() > 1024)
        errors.append(QStringLiteral("'payload.summary' must be a string of 1 to 1024 characters"));
    if (!isString(p, QStringLiteral("source")) || p.value(QStringLiteral("source")).toString().isEmpty())
        errors.append(QStringLiteral("'payload.source' is missing"));
    if (!QStringList{QStringLiteral("critical"), QStringLiteral("error"), QStringLiteral("warning"),
                     QStringLiteral("info")}
             .contains(p.value(QStringLiteral("severity")).toString()))
        errors.append(
            QStringLiteral("'payload.severity' is invalid (must be one of critical, error, warning, info)"));
    if (p.contains(QStringLiteral("timestamp")) &&
        !QDateTime::fromString(p.value(QStringLiteral("timestamp")).toString(), Qt::ISODateWithMs).isValid())
        errors.append(QStringLiteral("'payload.timestamp' is not an ISO 8601 date"));
    for (const char* k : {"component", "group", "class"})
        if (p.contains(QLatin1String(k)) && !p.value(QLatin1String(k)).isString())
            errors.append(QStringLiteral("'payload.%1' must be a string").arg(QLatin1String(k)));
    if (p.contains(QStringLiteral("custom_details")) && !p.value(QStringLiteral("custom_details")).isObject())
        errors.append(QStringLiteral("'payload.custom_details' must be an object"));
    return errors;
}

} // namespace rollout::test
