#pragma once

#include "net/HttpClient.h"

#include <QByteArray>
#include <QObject>
#include <QTimer>
#include <QUrl>

namespace rollout {

// Closes the simulator's loop: polls one flag on Unleash's client API (GET
// BASE/api/client/features/KEY) and reports the canary share it reads (UnleashShare). A flag that
// does not exist (404) is a share of 0. Anything else that gives no share — no answer, 401, a body
// that makes no sense — keeps the last share; it is reported once per outage, and the recovery too.
class UnleashSharePoller final : public QObject
{
    Q_OBJECT
public:
    UnleashSharePoller(const QUrl& baseUrl, const QString& flag, QByteArray authorization,
                       QObject* parent = nullptr);
    void start(int intervalMs = 500); // polls at once, then every intervalMs (never two at a time)
    QUrl url() const { return m_url; }

Q_SIGNALS:
    void shareRead(double percent);      // on every successful read
    void readFailed(const QString& why); // the first failure of an outage
    void readRecovered();                // the first success after a failure

private:
    void poll();
    void onAnswer(const HttpResponse& r);

    QUrl m_url;
    QByteArray m_authorization;
    HttpClient m_http;
    QTimer m_timer;
    bool m_inFlight = false;
    bool m_failing = false;
};

} // namespace rollout
