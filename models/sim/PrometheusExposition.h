#pragma once

#include <QByteArray>
#include <QString>

namespace rollout {

class SimulatedService;

// Renders the simulated service's counters in the Prometheus text exposition format 0.0.4.
class PrometheusExposition
{
public:
    static QByteArray render(const SimulatedService& service, const QString& prefix = QStringLiteral("sim"));
};

} // namespace rollout
