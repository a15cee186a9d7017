#pragma once

#include "engine/RolloutSession.h"
#include "runtime/DriverView.h"

#include <QAbstractTableModel>

namespace rollout {

// The triggers in force for the current phase, one row each: condition, value now (with its
// interval and counts when judged with evidence), verdict, how long it has held, hard or soft, state.
// Refreshed from the session with one ranged dataChanged.
class TriggerTableModel final : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        Name,
        Kind,
        Condition,
        Now,
        Verdict,
        Held,
        State,
        ColumnCount
    };
    enum Roles
    {
        StateRole = Qt::UserRole + 1
    };

    TriggerTableModel(const RolloutSession& session, const Clock& clock, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void refresh();
    // Following: Now, Verdict, Held and State are the driver's (by trigger name), as it published
    // them; nullopt: this process's own session.
    void setDriverView(const std::optional<DriverView>& view);

private:
    const RolloutSession& m_session;
    const Clock& m_clock;
    QList<TriggerView> m_rows;
    std::optional<DriverView> m_driver;
    const DriverView::Trigger* driverTrigger(const QString& name) const;
};

} // namespace rollout
