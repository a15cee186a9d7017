#pragma once

#include "engine/RolloutSession.h"
#include "net/HttpClient.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>
#include <optional>

namespace rollout {

// Posts the plan's notifications (`notify:`) to Slack-compatible incoming webhooks: phase
// advanced, completed, paused, soft alert, rollback, rollback failed (flags not verified). Fully
// asynchronous: a dead or slow webhook is retried with backoff on its own and never delays a
// decision. A rollback's message waits (briefly) for the flags' read-back so that it can say what
// the flag services confirmed. Ledger tampering (LedgerSync::tampering) goes to every webhook,
// whatever its `on:` list: the findings of one sync round in one message. Webhook URLs carry
// secrets: only the variable's name is ever shown.
class WebhookNotifier final : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        int attempts = 5;
        qint64 firstBackoffMs = 1000;
        qint64 requestTimeoutMs = 5000;
        qint64 flagWaitMs = 35000; // a rollback message waits this long for the flag read-back
        bool waitForFlags = true;  // false when no flag services are attached
    };

    WebhookNotifier(const Plan& plan, RolloutSession& session, Options options, QObject* parent = nullptr);
    // A recorded decision: DecisionPath calls this in order; alone, it follows the session itself.
    void onDecision(const RolloutEvent& e);

    // Webhooks that cannot be used ("ROLLOUT_WEBHOOK_URL is not set"), for the console's health.
    QStringList problems() const { return m_problems; }

public Q_SLOTS:
    // Tampering found in the ledger (connect LedgerSync::tampering here). The findings reported
    // in one pass of the event loop go out as one "ledger tampering detected" message.
    void ledgerTampering(const QString& id, const QString& why);

Q_SIGNALS:
    void delivered(const QString& kind, const QString& webhookEnv, int attempts, qint64 elapsedMs);
    void failed(const QString& kind, const QString& webhookEnv, const QString& why);

private:
    struct Target
    {
        QString env;
        QUrl url;
        QStringList on;
    };
    void send(const QString& kind, const QString& text);
    void post(const Target& target, const QString& kind, const QByteArray& body, int attempt,
              qint64 startedMs);
    void flushRollback(const QString& flags);
    void flushTampering();

    const Plan& m_plan;
    Options m_options;
    HttpClient m_http;
    QList<Target> m_targets;
    QStringList m_problems;
    std::optional<RolloutEvent> m_pendingRollback;
    QTimer m_flagWait;
    QStringList m_tampering;
    QTimer m_tamperingFlush;
    QElapsedTimer m_clock;
};

} // namespace rollout
