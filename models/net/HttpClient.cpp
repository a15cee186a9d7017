#include "net/HttpClient.h"

#include "plan/Duration.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QLocale>
#include <QNetworkReply>
#include <QPointer>
#include <QSslConfiguration>
#include <QTimer>
#include <algorithm>
#include <memory>

namespace rollout {

QString HttpResponse::describe(const QUrl& url) const
{
    const QString where = url.adjusted(QUrl::RemoveQuery | QUrl::RemoveUserInfo).toString();
    if (timedOut)
        return QStringLiteral("%1: no answer within the deadline (%2)")
            .arg(where, Duration::format(elapsedMs));
    if (tooLarge) return QStringLiteral("%1: answer larger than the size cap, refused").arg(where);
    if (!transportError.isEmpty() && status > 0)
        return QStringLiteral("%1: HTTP %2, then the answer was cut off: %3")
            .arg(where)
            .arg(status)
            .arg(transportError);
    if (!transportError.isEmpty()) return QStringLiteral("%1: %2").arg(where, transportError);
    QString text = QStringLiteral("%1: HTTP %2").arg(where).arg(status);
    if (!reason.isEmpty()) text += QLatin1Char(' ') + QString::fromLatin1(reason);
    if (retryAfterMs && !success())
        text += QStringLiteral(" (Retry-After %1)").arg(Duration::format(*retryAfterMs));
    return text;
}

std::optional<qint64> HttpResponse::parseHttpDate(const QByteArray& value)
{
    // IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" and
    // asctime "Sun Nov  6 08:49:37 1994". The weekday is dropped (it adds nothing, and Qt would
    // check it against a two-digit year's century); names are English whatever the locale.
    QString text = QString::fromLatin1(value).simplified();
    const qsizetype comma = text.indexOf(QLatin1Char(','));
    const qsizetype space = text.indexOf(QLatin1Char(' '));
    if (comma > 0 && comma < space)
        text = text.mid(comma + 2);
    else if (space > 0)
        text = text.mid(space + 1);
    const QLocale c = QLocale::c();
    for (const QString& format :
         {QStringLiteral("dd MMM yyyy HH:mm:ss 'GMT'"), QStringLiteral("dd-MMM-yy HH:mm:ss 'GMT'"),
          QStringLiteral("MMM d HH:mm:ss yyyy")}) {
        QDateTime at = c.toDateTime(text, format);
        if (!at.isValid()) continue;
        at = QDateTime(at.date(), at.time(), Qt::UTC);
        // RFC 850's two-digit year: the century that puts it no more than 50 years ahead.
        if (format.contains(QLatin1String("-yy ")))
            while (at.date().year() < QDate::currentDate().year() - 50)
                at = at.addYears(100);
        return at.toMSecsSinceEpoch();
    }
    return std::nullopt;
}

std::optional<qint64> HttpResponse::parseRetryAfter(const QByteArray& value, qint64 nowMs)
{
    const QByteArray v = value.trimmed();
    if (v.isEmpty()) return std::nullopt;
    bool digits = true;
    for (char ch : v)
        digits = digits && ch >= '0' && ch <= '9';
    if (digits) {
        bool ok = false;
        const qulonglong seconds = v.toULongLong(&ok); // fails (too big) only past 2^64: cap it too
        if (!ok || seconds > qulonglong(MaxRetryAfterMs / 1000)) return MaxRetryAfterMs;
        return qint64(seconds) * 1000;
    }
    const std::optional<qint64> at = parseHttpDate(v);
    if (!at) return std::nullopt;
    return std::clamp<qint64>(*at - nowMs, 0, MaxRetryAfterMs);
}

Credentials Credentials::fromEnvironment(const QString& tokenEnv, const QString& usernameEnv,
                                         const QString& passwordEnv, bool bearer)
{
    Credentials c;
    if (!tokenEnv.isEmpty()) {
        const QByteArray token = qgetenv(tokenEnv.toLocal8Bit().constData());
        if (token.isEmpty())
            c.problem = QStringLiteral("environment variable %1 (the token) is not set").arg(tokenEnv);
        else
            c.authorization = bearer ? QByteArrayLiteral("Bearer ") + token : token;
        return c;
    }
    if (!usernameEnv.isEmpty()) {
        const QByteArray user = qgetenv(usernameEnv.toLocal8Bit().constData());
        const QByteArray pass =
            passwordEnv.isEmpty() ? QByteArray() : qgetenv(passwordEnv.toLocal8Bit().constData());
        if (user.isEmpty())
            c.problem = QStringLiteral("environment variable %1 (the user name) is not set").arg(usernameEnv);
        else
            c.authorization = QByteArrayLiteral("Basic ") + (user + ':' + pass).toBase64();
    }
    return c;
}

HttpClient::HttpClient(QObject* parent) : QObject(parent)
{
    m_nam.setRedirectPolicy(QNetworkRequest::NoLessSafeRedirectPolicy);
}

void HttpClient::send(const HttpRequest& request, QObject* context,
                      std::function<void(const HttpResponse&)> done)
{
    QNetworkRequest req(request.url);
    for (const auto& [name, value] : request.headers)
        req.setRawHeader(name, value);
    if (!request.verifyTls && request.url.scheme() == QLatin1String("https")) {
        QSslConfiguration ssl = req.sslConfiguration();
        ssl.setPeerVerifyMode(QSslSocket::VerifyNone); // only when the plan says tls_verify: false
        req.setSslConfiguration(ssl);
    }
    QNetworkReply* reply = request.body.isEmpty() && request.method == "GET"
                               ? m_nam.get(req)
                               : m_nam.sendCustomRequest(req, request.method, request.body);
    auto state = std::make_shared<HttpResponse>();
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    const qint64 cap = request.maxBytes;

    auto* deadline = new QTimer(reply);
    deadline->setSingleShot(true);
    connect(deadline, &QTimer::timeout, reply, [reply, state] {
        state->timedOut = true;
        reply->abort();
    });
    deadline->start(int(std::min<qint64>(request.timeoutMs, std::numeric_limits<int>::max())));

    connect(reply, &QNetworkReply::metaDataChanged, reply, [reply, state, cap] {
        const QVariant length = reply->header(QNetworkRequest::ContentLengthHeader);
        if (length.isValid() && length.toLongLong() > cap) {
            state->tooLarge = true;
            reply->abort();
        }
    });
    connect(reply, &QNetworkReply::readyRead, reply, [reply, state, cap] {
        if (state->tooLarge) return;
        state->body += reply->readAll();
        if (state->body.size() > cap) {
            state->tooLarge = true;
            state->body.clear();
            state->body.squeeze();
            reply->abort();
        }
    });
    QPointer<QObject> guard(context);
    connect(reply, &QNetworkReply::finished, reply, [reply, state, clock, guard, done = std::move(done)] {
        reply->deleteLater();
        // An aborted reply (deadline, size cap) is closed: reading it would only print Qt's
        // "device not open" warning. A reply that failed on its own (a reset) may be closed too.
        if (!state->tooLarge && !state->timedOut && reply->isOpen()) state->body += reply->readAll();
        state->elapsedMs = clock->elapsed();
        state->status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        state->reason = reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toByteArray().trimmed();
        // A transport failure (refused, reset, closed before the whole body came, TLS, too many
        // redirects, …) is one even after a status line arrived: a 200 whose body was cut off is
        // no answer. On a 4xx/5xx Qt's error only restates the status, which is reported as such.
        const bool failed = reply->error() != QNetworkReply::NoError;
        if (!state->timedOut && !state->tooLarge && (state->status == 0 || (failed && state->status < 400)))
            state->transportError = reply->errorString();
        if (state->status > 0 && (state->status < 200 || state->status >= 300) &&
            reply->hasRawHeader(QByteArrayLiteral("Retry-After"))) {
            // A Retry-After date counts from the answer's own Date, when it sent one.
            const std::optional<qint64> serverNow =
                HttpResponse::parseHttpDate(reply->rawHeader(QByteArrayLiteral("Date")));
            state->retryAfterMs =
                HttpResponse::parseRetryAfter(reply->rawHeader(QByteArrayLiteral("Retry-After")),
                                              serverNow.value_or(QDateTime::currentMSecsSinceEpoch()));
        }
        if (state->timedOut || state->tooLarge) state->status = 0;
        if (guard) done(*state);
    });
}

} // namespace rollout
