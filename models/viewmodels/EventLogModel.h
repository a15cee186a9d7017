#pragma once

#include "engine/RolloutEvent.h"

#include <QAbstractListModel>

namespace rollout {

// Everything the rollout decided or was told, newest last, as readable lines with their time.
class EventLogModel final : public QAbstractListModel
{
    Q_OBJECT
public:
    enum Roles
    {
        TypeRole = Qt::UserRole + 1,
        AutomaticRole
    };
    using QAbstractListModel::QAbstractListModel;

    int rowCount(const QModelIndex& parent = {}) const override
    {
        return parent.isValid() ? 0 : int(m_events.size());
    }
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    void append(const RolloutEvent& e);
    const RolloutEvent& at(int row) const { return m_events.at(row); }

private:
    QList<RolloutEvent> m_events;
};

} // namespace rollout
