#pragma once

#include "sim/SimulatedService.h"

#include <QFile>
#include <QString>

namespace rollout {

// Writes the simulated service's migration events (success, failure, fallback, mismatch) as a
// JSON Lines event log, one line per event, the way seed 004's application logs them:
//   {"timestamp": 1767225600.0, "event_type": "failure", "feature_flag_enabled": "true"}
// The label says which code path served it: "true" for the canary, "false" for the baseline.
// Each write() appends what happened since the previous one, in one write, and flushes.
class EventLogWriter
{
public:
    EventLogWriter(QString path, QString label);
    bool open(QString* problem); // appends; creates the file when it does not exist
    void write(const SimulatedService& service);
    qint64 linesWritten() const { return m_lines; }

private:
    QFile m_file;
    QString m_label;
    std::array<std::array<double, 4>, SimulatedService::kCohorts> m_seen{};
    qint64 m_lines = 0;
};

} // namespace rollout
