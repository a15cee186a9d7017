#include "viewmodels/SignOffModel.h"

#include "viewmodels/Severity.h"

#include <QDateTime>

namespace rollout {

SignOffModel::SignOffModel(const RolloutSession& session, QObject* parent)
    : QAbstractTableModel(parent), m_session(session)
{
    m_rows = build();
}

QList<SignOffModel::Row> SignOffModel::build() const
{
    QList<Row> rows;
    const Plan& plan = m_session.plan();
    for (int p = 0; p < int(plan.phases.size()); ++p) {
        const PhaseSpec& ph = plan.phases[std::size_t(p)];
        const QList<ApprovalEntry> given = m_session.approvals(p);
        for (const ApprovalRequirement& req : ph.approvals) {
            int shown = 0;
            for (const ApprovalEntry& a : given) {
                if (a.role != req.role) continue;
                rows.append({p,
                             a.actor,
                             a.role,
                             a.approve ? tr("approve") : tr("REJECT"),
                             a.note,
                             a.atMs,
                             req.mandatory,
                             true,
                             {}});
                ++shown;
            }
            for (; shown < req.count; ++shown)
                rows.append({p, tr("awaiting"), req.role, QString(), QString(), 0, req.mandatory, false, {}});
        }
        // Approvals a rollback made void: kept, marked, never counted again.
        for (const ApprovalEntry& a : m_session.supersededApprovals(p)) {
            Row row{p,
                    a.actor,
                    a.role,
                    tr("%1 — superseded by the rollback at %2")
                        .arg(a.approve ? tr("approve") : tr("REJECT"),
                             QDateTime::fromMSecsSinceEpoch(a.supersededMs)
                                 .toString(QStringLiteral("MM-dd HH:mm"))),
                    a.note,
                    a.atMs,
                    false,
                    true,
                    {}};
            row.superseded = true;
            rows.append(row);
        }
        for (const Unverified& u : m_unverified)
            if (u.phase == p)
                rows.append({p, u.actor, u.role, u.approve ? tr("approve") : tr("REJECT"), u.note, u.atMs,
                             false, true, u.reason});
    }
    return rows;
}

void SignOffModel::refresh()
{
    const QList<Row> fresh = build();
    if (fresh.size() != m_rows.size()) {
        beginResetModel();
        m_rows = fresh;
        endResetModel();
        return;
    }
    m_rows = fresh;
    if (!m_rows.isEmpty()) Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
}

void SignOffModel::setUnverified(const QList<Unverified>& rows)
{
    m_unverified = rows;
    refresh();
}

void SignOffModel::setSignatureStatus(int phase, const QString& actor, bool ok, const QString& reason)
{
    m_signatures.insert(QStringLiteral("%1/%2").arg(phase).arg(actor), {ok, reason});
    refresh();
}

int SignOffModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}
int SignOffModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SignOffModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    static const char* names[] = {"Phase", "Approver", "Role", "Decision", "Date", "Notes", "Signature"};
    return tr(names[section]);
}

QVariant SignOffModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size()) return {};
    const Row& r = m_rows[index.row()];
    const auto sig = m_signatures.constFind(QStringLiteral("%1/%2").arg(r.phase).arg(r.approver));
    if (role == MandatoryRole) return r.mandatory;
    if (!r.unverified.isEmpty()) { // a record that did not verify: ✗ and why, in every role that matters
        if (role == SignatureOkRole) return false;
        if (role == SeverityRole)
            return int(index.column() == Signature || index.column() == Decision ? Severity::Bad
                                                                                 : Severity::Muted);
        if (role == Qt::ToolTipRole && index.column() == Signature) return r.unverified;
        if (role == Qt::DisplayRole && index.column() == Signature)
            return QStringLiteral("✗ ") + r.unverified;
        if (role == Qt::DisplayRole && index.column() == Decision)
            return tr("%1 (does not count)").arg(r.decision);
    }
    if (role == SignatureOkRole) return sig != m_signatures.constEnd() && sig->first;
    if (role == SeverityRole) {
        if (r.superseded) return int(Severity::Muted);
        if (index.column() == Decision && r.given && r.decision == tr("REJECT")) return int(Severity::Bad);
        if (index.column() == Signature && sig != m_signatures.constEnd())
            return int(sig->first ? Severity::Good : Severity::Bad);
        if (!r.given) return int(Severity::Muted);
        return int(Severity::Normal);
    }
    if (role == Qt::ToolTipRole && index.column() == Signature && sig != m_signatures.constEnd())
        return sig->second;
    if (role != Qt::DisplayRole) return {};
    const PhaseSpec& ph = m_session.plan().phases[std::size_t(r.phase)];
    switch (index.column()) {
    case Phase:
        return QStringLiteral("%1: %2%3")
            .arg(r.phase + 1)
            .arg(ph.name, ph.optional ? tr(" (optional)") : QString());
    case Approver:
        return r.approver;
    case Role:
        return r.mandatory ? tr("%1 — MANDATORY").arg(r.role) : r.role;
    case Decision:
        return r.decision;
    case Date:
        return r.atMs ? QDateTime::fromMSecsSinceEpoch(r.atMs).toString(QStringLiteral("MM-dd HH:mm"))
                      : QString();
    case Notes:
        return r.notes;
    case Signature:
        if (!r.given) return QString();
        if (sig == m_signatures.constEnd()) return tr("not signed");
        return sig->first ? QStringLiteral("✓ valid") : QStringLiteral("✗ ") + sig->second;
    }
    return {};
}

} // namespace rollout
