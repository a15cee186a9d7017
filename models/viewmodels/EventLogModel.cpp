#include "viewmodels/EventLogModel.h"

#include "viewmodels/Severity.h"

#include <QDateTime>

namespace rollout {

void EventLogModel::append(const RolloutEvent& e)
{
    const int row = int(m_events.size());
    beginInsertRows({}, row, row);
    m_events.append(e);
    endInsertRows();
}

QVariant EventLogModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= m_events.size()) return {};
    const RolloutEvent& e = m_events[index.row()];
    switch (role) {
    case Qt::DisplayRole:
        return QStringLiteral("%1  %2").arg(
            QDateTime::fromMSecsSinceEpoch(e.atMs).toString(QStringLiteral("HH:mm:ss")), e.describe());
    case Qt::ToolTipRole:
        return e.reason;
    case TypeRole:
        return int(e.type);
    case AutomaticRole:
        return e.automatic;
    case SeverityRole:
        if (e.type == EventType::RolledBack || e.type == EventType::TriggerFired ||
            e.type == EventType::FlagsNotVerified || e.type == EventType::PhaseOverridden ||
            (e.type == EventType::FlagDrift && e.held))
            return int(Severity::Bad);
        if (e.type == EventType::AlertRaised || e.type == EventType::TriggerPending)
            return int(Severity::Warning);
        if (e.type == EventType::PhaseAdvanced || e.type == EventType::Completed ||
            e.type == EventType::GateOpened)
            return int(Severity::Good);
        return int(Severity::Normal);
    default:
        return {};
    }
}

} // namespace rollout
