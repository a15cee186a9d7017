#pragma once

#include "core/Clock.h"

#include <QHostAddress>
#include <QObject>
#include <memory>

class QHttpServer;

namespace rollout {

class SimulatedService;

// Serves the simulated service over HTTP for a real Prometheus to scrape, and lets tests steer
// it: GET /metrics, GET /-/truth (windowed values per cohort, the canary share and where it comes
// from, JSON), POST /-/share?percent=N,
// POST /-/fault?spec=KIND@START[+DURATION] (start relative to now), POST /-/clear.
class SimulatorHttpServer final : public QObject
{
    Q_OBJECT
public:
    SimulatorHttpServer(SimulatedService& service, const Clock& clock, QString prefix = QStringLiteral("sim"),
                        QObject* parent = nullptr);
    ~SimulatorHttpServer() override;
    // The port bound (port 0 picks a free one), or 0 when listening failed.
    int listen(const QHostAddress& address, quint16 port);
    // What sets the canary share, for /-/truth: "fixed" (--share, POST /-/share) unless told.
    void setShareSource(const QString& source) { m_shareSource = source; }

private:
    SimulatedService& m_service;
    const Clock& m_clock;
    QString m_prefix;
    QString m_shareSource = QStringLiteral("fixed");
    std::unique_ptr<QHttpServer> m_server;
};

} // namespace rollout
