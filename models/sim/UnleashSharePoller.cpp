#include "sim/UnleashSharePoller.h"

#include "sim/UnleashShare.h"

namespace rollout {

UnleashSharePoller::UnleashSharePoller(const QUrl& baseUrl, const QString& flag, QByteArray authorization,
                                       QObject* parent)
    : QObject(parent), m_authorization(std::move(authorization)), m_http(this)
{
    m_url = baseUrl;
    QString path = m_url.path();
    if (!path.endsWith(QLatin1Char('/'))) path += QLatin1Char('/');
    m_url.setPath(path + QStringLiteral("api/client/features/") + flag);
    connect(&m_timer, &QTimer::timeout, this, &UnleashSharePoller::poll);
}

void UnleashSharePoller::start(int intervalMs)
{
    m_timer.start(intervalMs);
    poll();
}

void UnleashSharePoller::poll()
{
    if (m_inFlight) return; // a slow Unleash gets no second request on top of the first
    m_inFlight = true;
    HttpRequest req;
    req.url = m_url;
    req.timeoutMs = 2000;
    req.maxBytes = 1024 * 1024;
    if (!m_authorization.isEmpty()) req.headers.append({QByteArrayLiteral("Authorization"), m_authorization});
    req.headers.append({QByteArrayLiteral("Accept"), QByteArrayLiteral("application/json")});
    m_http.send(req, this, [this](const HttpResponse& r) { onAnswer(r); });
}

void UnleashSharePoller::onAnswer(const HttpResponse& r)
{
    m_inFlight = false;
    QString why;
    double percent = 0;
    if (r.answered() && r.status == 404) {
        percent = 0; // no such flag: nobody is in the canary
    } else if (!r.answered()) {
        why = r.describe(m_url);
    } else {
        const UnleashShareResult parsed = UnleashShare::parse(r.body);
        if (r.success() && parsed.ok())
            percent = parsed.percent;
        else if (r.success())
            why = QStringLiteral("%1: %2").arg(r.describe(m_url), parsed.describe());
        else
            why = r.describe(m_url) + (parsed.failure == UnleashShareResult::Failure::UnleashError
                                           ? QStringLiteral(": ") + parsed.error
                                           : QString());
    }
    if (!why.isEmpty()) {
        if (!m_failing) Q_EMIT readFailed(why);
        m_failing = true;
        return;
    }
    if (m_failing) Q_EMIT readRecovered();
    m_failing = false;
    Q_EMIT shareRead(percent);
}

} // namespace rollout
