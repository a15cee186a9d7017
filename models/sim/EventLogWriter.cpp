#include "sim/EventLogWriter.h"

#include <cmath>

namespace rollout {

EventLogWriter::EventLogWriter(QString path, QString label) : m_file(std::move(path)), m_label(std::move(label))
{
}

bool EventLogWriter::open(QString* problem)
{
    if (m_file.open(QIODevice::WriteOnly | QIODevice::Append)) return true;
    if (problem) *problem = QStringLiteral("cannot write %1: %2").arg(m_file.fileName(), m_file.errorString());
    return false;
}

void EventLogWriter::write(const SimulatedService& service)
{
    if (!m_file.isOpen()) return;
    const QStringList types = SimulatedService::eventTypes();
    const QByteArray timestamp = QByteArray::number(double(service.nowMs()) / 1000.0, 'f', 3);
    QByteArray out;
    for (int c = 0; c < SimulatedService::kCohorts; ++c) {
        const QByteArray tail = "\", \"" + m_label.toUtf8() + "\": \"" + (c == 0 ? "true" : "false") + "\"}\n";
        for (int e = 0; e < types.size(); ++e) {
            const double total = service.counters(c).events[std::size_t(e)];
            double& seen = m_seen[std::size_t(c)][std::size_t(e)];
            const auto n = qint64(std::floor(total - seen));
            const QByteArray line =
                "{\"timestamp\": " + timestamp + ", \"event_type\": \"" + types[e].toUtf8() + tail;
            for (qint64 i = 0; i < n; ++i)
                out += line;
            seen += double(n);
            m_lines += n;
        }
    }
    if (out.isEmpty()) return;
    m_file.write(out);
    m_file.flush();
}

} // namespace rollout
