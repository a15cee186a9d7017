#pragma once

#include <QWidget>

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;

namespace rollout {

class LedgerTableModel;

// The Ledger tab: every signed record of the rollout with its verification status (✓, or ✗ with
// the failed checks), a filter over every column, and an export of the records as JSON Lines
// that `rolloutctl ledger verify --from-export` (or any Ed25519 library) checks on another machine.
class LedgerPanel final : public QWidget
{
    Q_OBJECT
public:
    LedgerPanel(LedgerTableModel& model, QWidget* parent = nullptr);
    // Writes the records shown (the filter applies) to `path`; false and a message when it cannot.
    bool exportTo(const QString& path, QString* problem) const;
    // Tampering found in the shared store or the ledger (LedgerSync::tampering): a red line above
    // the table, every finding listed. Altered rows the ledger refused are not in the table.
    void addTampering(const QString& finding);
    QStringList tampering() const { return m_findings; }

Q_SIGNALS:
    void actionFinished(const QString& message, bool ok);

private:
    void updateSummary();

    LedgerTableModel& m_model;
    QSortFilterProxyModel* m_filter;
    QLineEdit* m_filterEdit;
    QLabel* m_summary;
    QLabel* m_tampering;
    QStringList m_findings;
};

} // namespace rollout
