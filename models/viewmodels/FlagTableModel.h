#pragma once

#include "runtime/DriverView.h"
#include "runtime/FlagSync.h"

#include <QAbstractTableModel>

namespace rollout {

// The rollout's flags as the flag services last reported them: Flag | Target | Read back |
// Result | Service (its name; where it is, on hover). It follows FlagSync: a change in flight shows
// "writing…" per flag until that flag's read-back arrives; a flag that did not move says why, in the words of
// its service.
class FlagTableModel final : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        Flag,
        Target,
        ReadBack,
        Result,
        Service,
        ColumnCount
    };

    explicit FlagTableModel(FlagSync& sync, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // One line for the banner and the status bar: "rolling back: 1 of 3 verified…",
    // "3 of 3 verified off", or "ESCALATE: …".
    QString summary() const { return m_summary; }
    bool failed() const { return m_failed; }
    // Following: each flag as the driver last read it back (its view), in place of this process's
    // own reads, which judge nothing.
    void showDriverRead(const DriverView& view);

Q_SIGNALS:
    void summaryChanged(const QString& summary, bool failed);

private:
    struct Row
    {
        QString flag, service, serviceDetail, target, readBack, result;
        int severity = 0;
    };
    int rowOf(const QString& flag) const;
    void setSummary(const QString& s, bool failed);

    QList<Row> m_rows;
    QString m_operation;
    QString m_summary;
    bool m_failed = false;
};

} // namespace rollout
