#pragma once

#include "engine/RolloutSession.h"

#include <QAbstractItemModel>

namespace rollout {

// The go/no-go checklist that guards the next phase, by section (technical, operational, …),
// with who ticked each item. Ticking through setData goes to the session, as the set actor.
class ChecklistModel final : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Column
    {
        Item,
        TickedBy,
        ColumnCount
    };

    explicit ChecklistModel(RolloutSession& session, QObject* parent = nullptr);
    void setActor(const Actor& actor) { m_actor = actor; }

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    int targetPhase() const { return m_phase; }
    void refresh();

Q_SIGNALS:
    void actionRefused(const QString& message);

private:
    struct Section
    {
        QString name;
        QStringList items; // full ids "Section/Item"
    };
    RolloutSession& m_session;
    Actor m_actor;
    int m_phase = 0;
    QList<Section> m_sections;
    QMap<QString, QString> m_ticks;
};

} // namespace rollout
