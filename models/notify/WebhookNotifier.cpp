#include "notify/WebhookNotifier.h"

#include "core/Backoff.h"
#include "notify/IncidentMessage.h"

#include <QDateTime>
#include <spdlog/spdlog.h>

namespace rollout {

WebhookNotifier::WebhookNotifier(const Plan& plan, RolloutSession& session, Options options, QObject* parent)
    : QObject(parent), m_plan(plan), m_options(options)
{
    for (const Notification& n : plan.notify) {
        const QString url = qEnvironmentVariable(n.webhookEnv.toLocal8Bit().constData());
        const QUrl parsed(url);
        if (url.isEmpty())
            m_problems.append(QStringLiteral("%1 is not set: its notifications are off").arg(n.webhookEnv));
        else if (!parsed.isValid() ||
                 (parsed.scheme() != QLatin1String("https") && parsed.scheme() != QLatin1String("http")))
            m_problems.append(QStringLiteral("%1 does not hold an http(s) URL: its notifications are off")
                                  .arg(n.webhookEnv));
        else
            m_targets.append(Target{n.webhookEnv, parsed, n.on});
    }
    for (const QString& p : std::as_const(m_problems))
        spdlog::warn("notify: {}", p.toStdString());
    m_flagWait.setSingleShot(true);
    connect(&m_flagWait, &QTimer::timeout, this, [this] { flushRollback({}); });
    connect(&session, &RolloutSession::eventRecorded, this, &WebhookNotifier::onDecision);
    m_tamperingFlush.setSingleShot(true);
    m_tamperingFlush.setInterval(0);
    connect(&m_tamperingFlush, &QTimer::timeout, this, &WebhookNotifier::flushTampering);
    m_clock.start();
}

void WebhookNotifier::onDecision(const RolloutEvent& e)
{
    if (e.type == EventType::RolledBack) {
        if (m_pendingRollback) flushRollback({}); // a second rollback before the first's read-back
        m_pendingRollback = e;
        if (!m_options.waitForFlags) return flushRollback({});
        m_flagWait.start(int(m_options.flagWaitMs));
        return;
    }
    if ((e.type == EventType::FlagsVerified || e.type == EventType::FlagsNotVerified) && m_pendingRollback)
        flushRollback(e.reason);
    const QString kind = IncidentMessage::kindOf(e);
    if (!kind.isEmpty()) send(kind, IncidentMessage::text(m_plan, e));
}

void WebhookNotifier::flushRollback(const QString& flags)
{
    m_flagWait.stop();
    if (!m_pendingRollback) return;
    const RolloutEvent e = *m_pendingRollback;
    m_pendingRollback.reset();
    send(QStringLiteral("rolled_back"), IncidentMessage::text(m_plan, e, flags));
}

void WebhookNotifier::ledgerTampering(const QString& id, const QString& why)
{
    m_tampering.append(why.contains(id) ? why : QStringLiteral("%1 (record %2)").arg(why, id));
    m_tamperingFlush.start();
}

void WebhookNotifier::flushTampering()
{
    if (m_tampering.isEmpty()) return;
    const QString text = IncidentMessage::tampering(m_plan, m_tampering, QDateTime::currentMSecsSinceEpoch());
    m_tampering.clear();
    send(QStringLiteral("tampering"), text);
}

void WebhookNotifier::send(const QString& kind, const QString& text)
{
    const QByteArray body = IncidentMessage::slackBody(text);
    // Tampering is never filtered out: a plan's `on:` list may predate it.
    for (const Target& t : std::as_const(m_targets))
        // An override, drift and tampering reach every webhook, whatever it asked for: nobody may
        // learn of them only afterwards (and a plan's `on:` list may predate them).
        if (t.on.isEmpty() || t.on.contains(kind) || kind == QLatin1String("override") ||
            kind == QLatin1String("drift") || kind == QLatin1String("tampering"))
            post(t, kind, body, 1, m_clock.elapsed());
}

void WebhookNotifier::post(const Target& target, const QString& kind, const QByteArray& body, int attempt,
                           qint64 startedMs)
{
    HttpRequest req;
    req.method = "POST";
    req.url = target.url;
    req.body = body;
    req.timeoutMs = m_options.requestTimeoutMs;
    req.maxBytes = 64 * 1024;
    req.headers.append({QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")});
    m_http.send(req, this, [this, target, kind, body, attempt, startedMs](const HttpResponse& r) {
        if (r.success()) {
            Q_EMIT delivered(kind, target.env, attempt, m_clock.elapsed() - startedMs);
            return;
        }
        // Say which webhook by its variable, never by its URL (the URL is the secret).
        const QString why =
            r.answered()
                ? QStringLiteral("HTTP %1").arg(r.status)
                : (r.timedOut ? QStringLiteral("no answer within %1 ms").arg(m_options.requestTimeoutMs)
                              : r.transportError);
        const bool permanent = r.answered() && r.status >= 400 && r.status < 500 && r.status != 429;
        if (permanent || attempt >= m_options.attempts) {
            spdlog::warn("notify: {} via {} failed after {} attempt(s): {}", kind.toStdString(),
                         target.env.toStdString(), attempt, why.toStdString());
            Q_EMIT failed(kind, target.env, QStringLiteral("%1 after %2 attempt(s)").arg(why).arg(attempt));
            return;
        }
        const qint64 backoff = Backoff::delayMs(m_options.firstBackoffMs, attempt, 30000);
        QTimer::singleShot(int(backoff), this, [this, target, kind, body, attempt, startedMs] {
            post(target, kind, body, attempt + 1, startedMs);
        });
    });
}

} // namespace rollout
