#pragma once

#include "engine/RolloutSession.h"
#include "net/HttpClient.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QObject>
#include <QSet>
#include <deque>

namespace rollout {

// Escalates to a pager through the PagerDuty Events API v2 (the plan's `pager:`, seeds 002, 004).
// Pages (event_action trigger) on a rollback whose flags were not verified and on a trigger of
// a paging severity (P0/P1 unless the plan says otherwise); acknowledges when a person
// acknowledges that trigger's alert; resolves when the rollout recovers: an unverified rollback
// once its flags read back as asked, every open incident once the rollout advances again or
// completes. One dedup_key per rollout and trigger ("rollout-console/ROLLOUT/trigger/NAME", and
// ".../rollback"). Events go out one at a time, in order; a 429, a 5xx or no answer is retried
// with backoff (bounded), a 400 is reported with the API's own errors. Fully asynchronous: it
// never delays a decision. The routing key is read from its variable for each event and never
// reaches a message, a log or the evidence.
class PagerDutyNotifier final : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        int attempts = 6;
        qint64 firstBackoffMs = 1000;
        qint64 maxBackoffMs = 60000;
        qint64 requestTimeoutMs = 10000;
        int maxQueued = 100; // older events are dropped (and said so) past this
        // Where the open incidents (dedup keys) and whether the last flag move was a rollback are
        // kept, so that a restarted driver resolves what it opened. Empty: memory only.
        QString statePath;
    };

    // One Events API v2 event, before the routing key is added.
    struct Event
    {
        QString action; // trigger, acknowledge, resolve
        QString dedupKey;
        QString summary;  // trigger only
        QString severity; // trigger only: critical, error, warning, info
        QString source;   // trigger only
        qint64 atMs = 0;
        QJsonObject details; // trigger only: custom_details
    };

    // A plan without `pager:` makes a notifier that does nothing.
    PagerDutyNotifier(const Plan& plan, RolloutSession& session, Options options, QObject* parent = nullptr);
    // A recorded decision: DecisionPath calls this in order; alone, it follows the session itself.
    void onDecision(const RolloutEvent& e);

    bool configured() const { return m_configured; }
    // Why paging cannot work ("PD_ROUTING_KEY is not set: nobody will be paged"), for the console's health.
    QString problem() const { return m_problem; }
    QStringList openIncidents() const; // dedup keys triggered and not yet resolved

    // Pure: the request body of `e` (routing_key, event_action, dedup_key and, for a trigger, the
    // payload: summary ≤ 1024 characters, source, severity, timestamp, custom_details).
    static QByteArray body(const QString& routingKey, const Event& e);
    // Pure: P0 → critical, P1 → error, P2 → warning, P3 → info.
    static QString severityFor(const QString& priority);
    static QString dedupKey(const Plan& plan, const QString& what); // what: "trigger/NAME", "rollback"

Q_SIGNALS:
    void delivered(const QString& action, const QString& dedupKey, int attempts);
    void failed(const QString& action, const QString& dedupKey, const QString& why);

private:
    void page(const RolloutEvent& e, const QString& what, const QString& severity, const QString& summary);
    void resolve(const QString& key);
    void enqueue(const Event& e);
    void pump();
    void post(int attempt);
    QString routingKey() const;
    QString redacted(QString text) const;
    void load();
    void save() const;

    const Plan& m_plan;
    Options m_options;
    bool m_configured = false;
    QString m_problem;
    HttpClient m_http;
    std::deque<Event> m_queue;
    bool m_sending = false;
    QSet<QString> m_open;
    bool m_afterRollback = false; // the last decision that moved the flags was a rollback
};

} // namespace rollout
