#include "viewmodels/FlagTableModel.h"

#include "viewmodels/Severity.h"

namespace rollout {

FlagTableModel::FlagTableModel(FlagSync& sync, QObject* parent) : QAbstractTableModel(parent)
{
    for (const QString& flag : sync.backends().flags()) {
        const FlagBackend* b = sync.backends().backendFor(flag);
        m_rows.append(Row{flag,
                          b ? b->name() : tr("none"),
                          b ? b->describe() : tr("no backend for this flag"),
                          QStringLiteral("-"),
                          tr("not read yet"),
                          {},
                          int(Severity::Muted)});
    }
    connect(&sync, &FlagSync::operationStarted, this,
            [this](const QString& why, const QList<FlagChange>& changes) {
                m_operation = why;
                for (const FlagChange& c : changes) {
                    const int r = rowOf(c.flag);
                    if (r < 0) continue;
                    m_rows[r].target = c.setting.describe();
                    m_rows[r].result = tr("writing…");
                    m_rows[r].severity = int(Severity::Warning);
                }
                Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
                setSummary(tr("%1: writing %2 flag(s)…").arg(why).arg(changes.size()), false);
            });
    connect(&sync, &FlagSync::flagFinished, this, [this](const FlagResult& res) {
        const int r = rowOf(res.flag);
        if (r < 0) return;
        m_rows[r].readBack = res.after.exists ? res.after.describe() : tr("unknown");
        m_rows[r].result = res.verified ? tr("✓ verified (%1 ms)").arg(res.elapsedMs)
                                        : tr("✗ %1: %2").arg(res.step, res.message);
        m_rows[r].severity = int(res.verified ? Severity::Good : Severity::Bad);
        Q_EMIT dataChanged(index(r, 0), index(r, ColumnCount - 1));
    });
    connect(&sync, &FlagSync::operationFinished, this,
            [this](const QString& why, const FlagChangeReport& report) {
                setSummary(QStringLiteral("%1: %2").arg(why, report.summary()), !report.allVerified());
            });
    connect(&sync, &FlagSync::readFinished, this, [this](const FlagChangeReport& report) {
        for (const FlagResult& res : report.results) {
            const int r = rowOf(res.flag);
            if (r < 0) continue;
            m_rows[r].readBack = res.verified ? res.after.describe() : tr("unknown");
            if (!res.verified) {
                m_rows[r].result = tr("✗ cannot read: %1").arg(res.message);
                m_rows[r].severity = int(Severity::Bad);
            } else if (m_rows[r].result.isEmpty() ||
                       m_rows[r].result.startsWith(QStringLiteral("✗ cannot read"))) {
                m_rows[r].result = res.after.detail;
                m_rows[r].severity = int(Severity::Normal);
            }
        }
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
    });
}

int FlagTableModel::rowOf(const QString& flag) const
{
    for (int i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].flag == flag) return i;
    return -1;
}

void FlagTableModel::setSummary(const QString& s, bool failed)
{
    m_summary = s;
    m_failed = failed;
    Q_EMIT summaryChanged(s, failed);
}

int FlagTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}
int FlagTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant FlagTableModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size()) return {};
    const Row& r = m_rows[index.row()];
    if (role == SeverityRole)
        return index.column() == Result || index.column() == ReadBack ? r.severity : int(Severity::Normal);
    if (role == Qt::ToolTipRole && index.column() == Service) return r.serviceDetail;
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole) return {};
    switch (index.column()) {
    case Flag:
        return r.flag;
    case Service:
        return r.service;
    case Target:
        return r.target;
    case ReadBack:
        return r.readBack;
    case Result:
        return r.result;
    default:
        return {};
    }
}

QVariant FlagTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case Flag:
        return tr("Flag");
    case Service:
        return tr("Service");
    case Target:
        return tr("Target");
    case ReadBack:
        return tr("Read back");
    case Result:
        return tr("Result");
    default:
        return {};
    }
}

void FlagTableModel::showDriverRead(const DriverView& view)
{
    if (!view.flagsRead) return;
    const QString who = QStringLiteral("%1 (%2)").arg(view.driverKind, view.driverPerson);
    for (const DriverView::Flag& f : view.flags) {
        const int r = rowOf(f.flag);
        if (r < 0) continue;
        m_rows[r].readBack = f.state;
        if (f.error.isEmpty()) {
            m_rows[r].result = view.drifting ? tr("DRIFT, as read by %1: %2").arg(who, view.drift)
                                             : tr("read back by %1").arg(who);
            m_rows[r].severity = int(view.drifting ? Severity::Bad : Severity::Good);
        } else {
            m_rows[r].result = tr("✗ %1 cannot read it: %2").arg(who, f.error);
            m_rows[r].severity = int(Severity::Bad);
        }
    }
    Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
    setSummary(tr("as %1 read them %2: %3").arg(who, view.ageText(), view.flagsSummary),
               !view.flagsReadOk || view.drifting);
}

} // namespace rollout
