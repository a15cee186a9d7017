#pragma once

#include "engine/RolloutSession.h"

#include <QAbstractTableModel>
#include <QHash>

namespace rollout {

// Seed 001's approval sign-off table, for every phase: Phase | Approver | Role | Decision | Date
// | Notes | Signature. Required approvals not yet given show as "awaiting"; mandatory ones are
// marked. The signature column shows what the ledger says about each record, once one is
// attached (setSignatureStatus); until then it says the decision is not signed.
class SignOffModel final : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        Phase,
        Approver,
        Role,
        Decision,
        Date,
        Notes,
        Signature,
        ColumnCount
    };
    enum Roles
    {
        MandatoryRole = Qt::UserRole + 1,
        SignatureOkRole
    };

    explicit SignOffModel(const RolloutSession& session, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // Verification result for the approval of `actor` on `phase`: ok, or why not.
    void setSignatureStatus(int phase, const QString& actor, bool ok, const QString& reason);
    // Approval records that did not verify (tampered, wrong key, another plan version…): shown
    // with ✗ and the reason, never counted (the session does not have them).
    struct Unverified
    {
        int phase = 0;
        QString actor, role, note, reason;
        bool approve = false;
        qint64 atMs = 0;
    };
    void setUnverified(const QList<Unverified>& rows);
    void refresh();

private:
    struct Row
    {
        int phase = 0;
        QString approver, role, decision, notes;
        qint64 atMs = 0;
        bool mandatory = false;
        bool given = false;
        QString unverified;      // non-empty: a record that did not verify, and why
        bool superseded = false; // a rollback below its phase made it void
    };
    QList<Row> build() const;

    const RolloutSession& m_session;
    QList<Row> m_rows;
    QHash<QString, std::pair<bool, QString>> m_signatures; // "phase/actor" → (ok, reason)
    QList<Unverified> m_unverified;
};

} // namespace rollout
