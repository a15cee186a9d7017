#pragma once

#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>
#include <memory>

class QHttpServer;

namespace rollout::test {

// A local stand-in for PagerDuty's Events API v2 (POST /v2/enqueue) that checks every request
// against the documented schema and answers as the API does: 202 {"status": "success",
// "message": "Event processed", "dedup_key": …} for a valid event, 400 {"status": "invalid
// event", "message": "Event object is invalid", "errors": [...]} for an invalid one, and 429
// while `tooManyRequests` > 0 (counting down, with Retry-After when `retryAfter` is set). The
// schema: routing_key a 32-character string; event_action trigger, acknowledge or resolve;
// dedup_key at most 255 characters, required to acknowledge or resolve; a trigger's payload with
// summary (1..1024 characters), source, severity (critical, error, warning, info), an ISO 8601
// timestamp, optional component / group / class strings and custom_details object; no other keys.
class PagerDutyReceiver final : public QObject
{
    Q_OBJECT
public:
    explicit PagerDutyReceiver(QObject* parent = nullptr);
    ~PagerDutyReceiver() override;

    QString url() const; // http://127.0.0.1:PORT/v2/enqueue

    int tooManyRequests = 0;
    QByteArray retryAfter;      // e.g. "1": sent with each 429
    QString requiredRoutingKey; // when set, any other key is refused with 400 like a wrong key

    QList<QJsonObject> accepted; // valid events, in the order they arrived
    QStringList rejected;        // the errors of each 400, joined with "; "
    int requests = 0;
    int throttled = 0;

    // Pure: what is wrong with `body` under the documented schema (empty when it is valid).
    static QStringList schemaErrors(const QByteArray& body);

private:
    std::unique_ptr<QHttpServer> m_server;
    quint16 m_port = 0;
};

} // namespace rollout::test
