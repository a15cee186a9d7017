#pragma once

#include "ledger/LedgerVerifier.h"

#include <QAbstractTableModel>

namespace rollout {

// Every record of the rollout's ledger with its verification: Time | Actor | Role | Record |
// Summary | Device | Verified (✓, or ✗ with each failed check). Fed with verdicts (at start-up,
// after a pull) and with records as this console signs them.
class LedgerTableModel final : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        Time,
        Actor,
        Role,
        Type,
        Summary,
        Device,
        Verified,
        ColumnCount
    };

    explicit LedgerTableModel(QObject* parent = nullptr);

    void setVerdicts(const QList<RecordVerdict>& verdicts);
    // A record this console just signed and stored (verified by construction: its own key).
    void appendOwn(const LedgerRecord& record);
    const QList<RecordVerdict>& verdicts() const { return m_rows; }
    // Rows that do not count (they fail their own checks).
    int failures() const;
    // Rows that show tampering (a failure of any kind: changed, copied, deleted, reordered, foreign key).
    int tampered() const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    // What a record says in words, worked out once when it arrives (data() runs on every paint).
    static QString summaryOf(const RecordVerdict& v);

    QList<RecordVerdict> m_rows;
    QStringList m_summaries; // one per row
};

} // namespace rollout
