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
    qint64 timeoutMs = 10000;           // the whole exchange, not just silence
    qint64 maxBytes = 16 * 1024 * 1024; // a bigger answer is refused, not buffered
    bool verifyTls = true;
};

struct HttpResponse
{
    static constexpr qint64 MaxRetryAfterMs = 5 * 60 * 1000; // a longer Retry-After is capped

    int status = 0;    // 0 when no HTTP answer arrived
    QByteArray reason; // the status line's reason phrase ("Service Unavailable"), if any
    QByteArray body;
    QString transportError; // connection refused, TLS, … (empty when an answer arrived)
    bool timedOut = false;
    bool tooLarge = false;
    std::optional<qint64> retryAfterMs; // from Retry-After on an error status, at most MaxRetryAfterMs
    qint64 elapsedMs = 0;

    bool answered() const { return status > 0 && !timedOut && !tooLarge && transportError.isEmpty(); }
    bool success() const { return answered() && status >= 200 && status < 300; }
    // "http://127.0.0.1:9090/api/v1/query: HTTP 503 Service Unavailable (Retry-After 7 s)",
    // "…: no answer within the deadline (10 s)", "…: Connection refused" …
    QString describe(const QUrl& url) const;

    // Retry-After (RFC 9110 10.2.3): delta-seconds, or an HTTP-date (IMF-fixdate, and the
    // obsolete RFC 850 and asctime forms) taken relative to `nowMs` — the answer's own Date
    // when it has one, so that the two clocks' skew does not count. A date already past is 0;
    // anything longer than MaxRetryAfterMs is capped; a value that is neither is nullopt.
    static std::optional<qint64> parseRetryAfter(const QByteArray& value, qint64 nowMs);
    static std::optional<qint64> parseHttpDate(const QByteArray& value); // ms since the epoch, UTC
};

// Credentials taken from the environment variables a plan names. The values never reach a log,
// a message or a screenshot; only the variable names do.
struct Credentials
{
    QByteArray authorization; // the header value, or empty
    QString problem;          // "PROM_TOKEN is not set" when a named variable is missing

    static Credentials fromEnvironment(const QString& tokenEnv, const QString& usernameEnv,
                                       const QString& passwordEnv, bool bearer = true);
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
