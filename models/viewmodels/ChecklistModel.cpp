#include "viewmodels/ChecklistModel.h"

namespace rollout {

namespace {
constexpr quintptr kSectionId = quintptr(-1);
}

ChecklistModel::ChecklistModel(RolloutSession& session, QObject* parent)
    : QAbstractItemModel(parent), m_session(session)
{
    refresh();
}

void ChecklistModel::refresh()
{
    const int phase = m_session.currentPhase() + 1;
    QList<Section> sections;
    for (const QString& id : m_session.gateItems(phase)) {
        const QString name = id.section(QLatin1Char('/'), 0, 0);
        if (sections.isEmpty() || sections.last().name != name) sections.append({name, {}});
        sections.last().items.append(id);
    }
    const QMap<QString, QString> ticks = m_session.tickedItems(phase);
    bool sameShape = phase == m_phase && sections.size() == m_sections.size();
    for (int i = 0; sameShape && i < sections.size(); ++i)
        sameShape = sections[i].items == m_sections[i].items;
    if (!sameShape) {
        beginResetModel();
        m_phase = phase;
        m_sections = sections;
        m_ticks = ticks;
        endResetModel();
        return;
    }
    if (ticks == m_ticks) return;
    m_ticks = ticks;
    for (int s = 0; s < m_sections.size(); ++s) {
        const QModelIndex parentIndex = index(s, 0);
        Q_EMIT dataChanged(parentIndex, index(s, ColumnCount - 1));
        if (!m_sections[s].items.isEmpty())
            Q_EMIT dataChanged(index(0, 0, parentIndex),
                               index(int(m_sections[s].items.size()) - 1, ColumnCount - 1, parentIndex));
    }
}

QModelIndex ChecklistModel::index(int row, int column, const QModelIndex& parent) const
{
    if (column < 0 || column >= ColumnCount || row < 0) return {};
    if (!parent.isValid())
        return row < m_sections.size() ? createIndex(row, column, kSectionId) : QModelIndex();
    if (parent.internalId() != kSectionId) return {};
    return row < m_sections[parent.row()].items.size() ? createIndex(row, column, quintptr(parent.row()))
                                                       : QModelIndex();
}

QModelIndex ChecklistModel::parent(const QModelIndex& child) const
{
    if (!child.isValid() || child.internalId() == kSectionId) return {};
    return createIndex(int(child.internalId()), 0, kSectionId);
}

int ChecklistModel::rowCount(const QModelIndex& parent) const
{
    if (!parent.isValid()) return int(m_sections.size());
    if (parent.internalId() == kSectionId && parent.column() == 0)
        return int(m_sections[parent.row()].items.size());
    return 0;
}

int ChecklistModel::columnCount(const QModelIndex&) const
{
    return ColumnCount;
}

QVariant ChecklistModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    return section == Item ? tr("Before phase %1").arg(m_phase + 1) : tr("Ticked by");
}

QVariant ChecklistModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid()) return {};
    if (index.internalId() == kSectionId) {
        const Section& s = m_sections[index.row()];
        int done = 0;
        for (const QString& i : s.items)
            done += m_ticks.contains(i);
        if (role == Qt::DisplayRole && index.column() == Item)
            return QStringLiteral("%1  (%2/%3)")
                .arg(s.name == QLatin1String("Attest") ? tr("Confirm (phase criteria)") : s.name)
                .arg(done)
                .arg(s.items.size());
        return {};
    }
    const QString& id = m_sections[int(index.internalId())].items[index.row()];
    if (index.column() == Item) {
        if (role == Qt::DisplayRole || role == Qt::AccessibleTextRole) return id.section(QLatin1Char('/'), 1);
        if (role == Qt::CheckStateRole) return m_ticks.contains(id) ? Qt::Checked : Qt::Unchecked;
        if (role == Qt::UserRole) return id;
    } else if (role == Qt::DisplayRole) {
        return m_ticks.value(id);
    }
    return {};
}

Qt::ItemFlags ChecklistModel::flags(const QModelIndex& index) const
{
    if (!index.isValid()) return Qt::NoItemFlags;
    if (index.internalId() == kSectionId) return Qt::ItemIsEnabled;
    Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    if (index.column() == Item) f |= Qt::ItemIsUserCheckable;
    return f;
}

bool ChecklistModel::setData(const QModelIndex& index, const QVariant& value, int role)
{
    if (role != Qt::CheckStateRole || !index.isValid() || index.internalId() == kSectionId ||
        index.column() != Item)
        return false;
    const QString id = m_sections[int(index.internalId())].items[index.row()];
    const bool ticked = value.toInt() == Qt::Checked;
    const ActionResult r = m_session.setChecklistItem(m_phase, id, ticked, m_actor);
    if (!r.ok) {
        Q_EMIT actionRefused(r.message);
        return false;
    }
    refresh();
    return true;
}

} // namespace rollout
