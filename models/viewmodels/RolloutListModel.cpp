#include "RolloutListModel.h"

#include "plan/Duration.h"

namespace rollout {

RolloutListModel::RolloutListModel(QObject* parent) : QAbstractTableModel(parent) {}

int RolloutListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int RolloutListModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RolloutListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case Rollout:
        return tr("Rollout");
    case Environment:
        return tr("Environment");
    case Phase:
        return tr("Phase");
    case Traffic:
        return tr("Traffic");
    case Status:
        return tr("Status");
    case Health:
        return tr("Health");
    case InPhase:
        return tr("In phase");
    case Blocked:
        return tr("Gate waits for");
    case Waiting:
        return tr("Waiting on you");
    }
    return {};
}

QVariant RolloutListModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size()) return {};
    const RolloutSummary& r = m_rows[index.row()];
    if (role == PlanPathRole) return r.planPath;
    if (role == RolloutRole) return r.rollout;
    if (role == WaitingRole) return !r.waiting.isEmpty();
    if (role == SeverityRole) {
        if (index.column() == Health) return int(r.health);
        if (index.column() == Waiting && !r.waiting.isEmpty()) return int(Severity::Warning);
        if (index.column() == Status && r.state == RolloutState::RolledBack) return int(Severity::Bad);
        if (!r.live && index.column() != Rollout) return int(Severity::Normal);
        return {};
    }
    if (role == Qt::ToolTipRole) {
        switch (index.column()) {
        case Rollout:
            return r.planPath.isEmpty() ? r.note
                                        : tr("%1\nfrom %2 (%3)").arg(r.rollout, r.planPath, r.source);
        case Blocked:
            return r.blockers;
        case Health:
            return r.healthText;
        case Waiting:
            return r.waiting.join(QLatin1Char('\n'));
        default:
            return {};
        }
    }
    if (role != Qt::DisplayRole) return {};
    switch (index.column()) {
    case Rollout:
        return r.open ? tr("%1  (open)").arg(r.rollout) : r.rollout;
    case Environment:
        return r.environment;
    case Phase:
        return r.planPath.isEmpty() && r.phaseCount == 0 ? r.note : r.phaseText();
    case Traffic:
        return r.phaseCount == 0 ? QString() : QStringLiteral("%1%").arg(r.traffic);
    case Status:
        return r.driver.isEmpty() ? toString(r.state)
                                  : tr("%1 · driven by %2").arg(toString(r.state), r.driver);
    case Health:
        return r.healthText;
    case InPhase:
        return r.phaseStartedMs > 0 && m_nowMs >= r.phaseStartedMs
                   ? Duration::format(m_nowMs - r.phaseStartedMs)
                   : QString();
    case Blocked:
        return r.blockers;
    case Waiting:
        return r.waiting.join(QStringLiteral(", "));
    }
    return {};
}

void RolloutListModel::setSummaries(const QList<RolloutSummary>& summaries, qint64 nowMs)
{
    m_all = summaries;
    m_nowMs = nowMs;
    rebuild();
}

void RolloutListModel::setWaitingOnly(bool on)
{
    if (m_waitingOnly == on) return;
    m_waitingOnly = on;
    rebuild();
}

int RolloutListModel::waitingCount() const
{
    return int(std::count_if(m_all.begin(), m_all.end(),
                             [](const RolloutSummary& r) { return !r.waiting.isEmpty(); }));
}

const RolloutSummary* RolloutListModel::summaryAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? &m_rows[row] : nullptr;
}

void RolloutListModel::rebuild()
{
    beginResetModel();
    m_rows.clear();
    for (const RolloutSummary& r : std::as_const(m_all))
        if (!m_waitingOnly || !r.waiting.isEmpty()) m_rows.append(r);
    endResetModel();
    const int waiting = waitingCount();
    if (waiting != m_lastWaiting) {
        m_lastWaiting = waiting;
        Q_EMIT waitingCountChanged(waiting);
    }
}

} // namespace rollout
