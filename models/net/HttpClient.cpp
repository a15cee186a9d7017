#include "net/HttpClient.h"

#include "plan/Duration.h"

#include <QElapsedTimer>
#include <QNetworkReply>
#include <QPointer>
#include <QSslConfiguration>
#include <QTimer>

#include <memory>

namespace rollout {

QString HttpResponse::describe(const QUrl& url) const
{
    const QString where = url.adjusted(QUrl::RemoveQuery | QUrl::RemoveUserInfo).toString();
    if (timedOut) return QStringLiteral("%1: no answer within the deadline (%2)").arg(where, Duration::format(elapsedMs));
    if (tooLarge) return QStringLiteral("%1: answer larger than the size cap, refused").arg(where);
    if (!transportError.isEmpty()) return QStringLiteral("%1: %2").arg(where, transportError);
    return QStringLiteral("%1: HTTP %2").arg(where).arg(status);
}

Credentials Credentials::fromEnvironment(const QString& tokenEnv, const QString& usernameEnv, const QString& passwordEnv, bool bearer)
{
    Credentials c;
    if (!tokenEnv.isEmpty()) {
        const QByteArray token = qgetenv(tokenEnv.toLocal8Bit().constData());
        if (token.isEmpty()) c.problem = QStringLiteral("environment variable %1 (the token) is not set").arg(tokenEnv);
        else c.authorization = bearer ? QByteArrayLiteral("Bearer ") + token : token;
        return c;
    }
    if (!usernameEnv.isEmpty()) {
        const QByteArray user = qgetenv(usernameEnv.toLocal8Bit().constData());
        const QByteArray pass = passwordEnv.isEmpty() ? QByteArray() : qgetenv(passwordEnv.toLocal8Bit().constData());
        if (user.isEmpty()) c.problem = QStringLiteral("environment variable %1 (the user name) is not set").arg(usernameEnv);
        else c.authorization = QByteArrayLiteral("Basic ") + (user + ':' + pass).toBase64();
    }
    return c;
}

HttpClient::HttpClient(QObject* parent) : QObject(parent)
{
    m_nam.setRedirectPolicy(QNetworkRequest::NoLessSafeRedirectPolicy);
}

void HttpClient::send(const HttpRequest& request, QObject* context, std::function<void(const HttpResponse&)> done)
{
    QNetworkRequest req(request.url);
    for (const auto& [name, value] : request.headers) req.setRawHeader(name, value);
    if (!request.verifyTls && request.url.scheme() == QLatin1String("https")) {
        QSslConfiguration ssl = req.sslConfiguration();
        ssl.setPeerVerifyMode(QSslSocket::VerifyNone);   // only when the plan says tls_verify: false
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
        if (!state->tooLarge) state->body += reply->readAll();
        state->elapsedMs = clock->elapsed();
        state->status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (!state->timedOut && !state->tooLarge && state->status == 0)
            state->transportError = reply->errorString();
        const QByteArray retry = reply->rawHeader(QByteArrayLiteral("Retry-After"));
        bool ok = false;
        const qint64 seconds = retry.trimmed().toLongLong(&ok);
        if (ok && seconds >= 0) state->retryAfterMs = seconds * 1000;
        if (state->timedOut || state->tooLarge) state->status = 0;
        if (guard) done(*state);
    });
}

} // namespace rollout
