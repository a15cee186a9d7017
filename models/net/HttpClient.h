#pragma once

#include <QByteArray>
#include <QList>
#include <QNetworkAccessManager>
#include <QObject>
#include <QUrl>

#include <functional>
#include <optional>

namespace rollout {

struct HttpRequest
{
    QByteArray method = QByteArrayLiteral("GET");
    QUrl url;
    QByteArray body;
    QList<std::pair<QByteArray, QByteArray>> headers;
    qint64 timeoutMs = 10000;            // the whole exchange, not just silence
    qint64 maxBytes = 16 * 1024 * 1024;  // a bigger answer is refused, not buffered
    bool verifyTls = true;
};

struct HttpResponse
{
    int status = 0;                      // 0 when no HTTP answer arrived
    QByteArray body;
    QString transportError;              // connection refused, TLS, … (empty when an answer arrived)
    bool timedOut = false;
    bool tooLarge = false;
    std::optional<qint64> retryAfterMs;  // from Retry-After on 429/503
    qint64 elapsedMs = 0;

    bool answered() const { return status > 0 && !timedOut && !tooLarge && transportError.isEmpty(); }
    bool success() const { return answered() && status >= 200 && status < 300; }
    // "HTTP 503 from http://127.0.0.1:9090", "timed out after 10s", "connection refused" …
    QString describe(const QUrl& url) const;
};

// Credentials taken from the environment variables a plan names. The values never reach a log,
// a message or a screenshot; only the variable names do.
struct Credentials
{
    QByteArray authorization;   // the header value, or empty
    QString problem;            // "PROM_TOKEN is not set" when a named variable is missing

    static Credentials fromEnvironment(const QString& tokenEnv, const QString& usernameEnv, const QString& passwordEnv,
                                       bool bearer = true);
};

// One QNetworkAccessManager per client, fully asynchronous; every request has a deadline and a
// size cap, and its result arrives through a callback run in `context`'s thread (dropped if
// `context` is gone).
class HttpClient final : public QObject
{
    Q_OBJECT
public:
    explicit HttpClient(QObject* parent = nullptr);
    void send(const HttpRequest& request, QObject* context, std::function<void(const HttpResponse&)> done);

private:
    QNetworkAccessManager m_nam;
};

} // namespace rollout
