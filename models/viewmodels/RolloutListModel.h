#pragma once

#include "viewmodels/RolloutSummary.h"

#include <QAbstractTableModel>

namespace rollout {

// The console's home: every rollout it knows (open in a tab, in the local ledger, from recently
// opened plans), one row each, and how many wait for the person acting. With waitingOnly set it
// lists only those.
class RolloutListModel final : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        Rollout,
        Environment,
        Phase,
        Traffic,
        Status,
        Health,
        InPhase,
        Blocked,
        Waiting,
        ColumnCount
    };
    enum Roles
    {
        PlanPathRole = Qt::UserRole + 1,
        RolloutRole,
        WaitingRole
    };

    explicit RolloutListModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // Replaces the rows; `nowMs` is the time "in phase" is counted to.
    void setSummaries(const QList<RolloutSummary>& summaries, qint64 nowMs);
    void setWaitingOnly(bool on);
    bool waitingOnly() const { return m_waitingOnly; }
    // Rollouts with something waiting for the person acting, whatever the filter.
    int waitingCount() const;
    const QList<RolloutSummary>& all() const { return m_all; }
    const RolloutSummary* summaryAt(int row) const;

Q_SIGNALS:
    void waitingCountChanged(int count);

private:
    void rebuild();

    QList<RolloutSummary> m_all;
    QList<RolloutSummary> m_rows;
    qint64 m_nowMs = 0;
    bool m_waitingOnly = false;
    int m_lastWaiting = -1;
};

} // namespace rollout
