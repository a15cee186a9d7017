#include "viewmodels/TriggerTableModel.h"

#include "judge/EvidenceText.h"
#include "plan/Duration.h"
#include "viewmodels/Severity.h"

namespace rollout {

TriggerTableModel::TriggerTableModel(const RolloutSession& session, const Clock& clock, QObject* parent)
    : QAbstractTableModel(parent), m_session(session), m_clock(clock)
{
    m_rows = m_session.triggers();
}

int TriggerTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}
int TriggerTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TriggerTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    static const char* names[] = {"Trigger", "Kind", "Condition", "Now", "Verdict", "Held", "State"};
    return tr(names[section]);
}

QVariant TriggerTableModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size()) return {};
    const TriggerView& t = m_rows[index.row()];
    const MetricSpec* m = m_session.plan().metric(t.spec.when.metric);
    if (role == StateRole) return int(t.state);
    if (role == Qt::ToolTipRole) {
        QString tip = t.spec.description.isEmpty() ? t.spec.when.text : t.spec.description;
        tip += t.spec.kind == TriggerKind::Hard ? tr("\nHard: %1 when it fires").arg(toString(t.spec.action))
                                                : tr("\nSoft: raises an alert; a person decides");
        if (t.last.truth == Truth::Unknown && !t.last.reason.isEmpty())
            tip += QStringLiteral("\nNo verdict: ") + t.last.reason;
        if (t.last.evidence.present)
            tip += QStringLiteral("\n%1 at %2% confidence: %3")
                       .arg(t.last.evidence.method)
                       .arg(t.last.evidence.level * 100.0, 0, 'g', 4)
                       .arg(EvidenceText::summary(t.last, m ? m->unit : Unit::None));
        if (t.spec.dryRun) tip += QStringLiteral("\nDry run: judged and recorded, never acted on");
        if (t.spec.unless) tip += QStringLiteral("\nCannot fire while: ") + t.spec.unless->text;
        return tip;
    }
    if (role == SeverityRole) {
        if (index.column() == Verdict) {
            if (t.last.missingData) return int(Severity::Warning);
            const rollout::Verdict v = triggerVerdict(t.last);
            return int(v == rollout::Verdict::Fail   ? Severity::Bad
                       : v == rollout::Verdict::Pass ? Severity::Good
                                                     : Severity::Muted);
        }
        if (index.column() != State && index.column() != Now) return int(Severity::Normal);
        switch (t.state) {
        case TriggerState::Fired:
            return int(Severity::Bad);
        case TriggerState::Pending:
        case TriggerState::Inconclusive:
            return int(Severity::Warning);
        case TriggerState::Guarded:
            return int(Severity::Muted);
        case TriggerState::Ok:
            return int(Severity::Good);
        }
    }
    if (role != Qt::DisplayRole) return {};
    switch (index.column()) {
    case Name:
        return t.spec.name;
    case Kind: // the action is in the tooltip
        return t.spec.kind == TriggerKind::Hard ? tr("hard") : tr("soft");
    case Condition:
        return QStringLiteral("%1 for %2").arg(t.spec.when.text, Duration::format(t.spec.forMs));
    case Now:
        if (t.last.missingData || (t.last.truth == Truth::Unknown && !t.last.evidence.present))
            return tr("no data");
        return EvidenceText::compact(t.last, m ? m->unit : Unit::None);
    case Verdict: {
        if (t.last.missingData) return tr("inconclusive (no data)");
        const QString v = toString(triggerVerdict(t.last));
        return t.spec.dryRun ? tr("%1 (dry run)").arg(v) : v;
    }
    case Held:
        return t.holdingSinceMs > 0 ? Duration::format(m_clock.nowMs() - t.holdingSinceMs)
                                    : QStringLiteral("—");
    case State:
        return toString(t.state);
    }
    return {};
}

void TriggerTableModel::refresh()
{
    const QList<TriggerView> fresh = m_session.triggers();
    if (fresh.size() != m_rows.size()) {
        beginResetModel();
        m_rows = fresh;
        endResetModel();
        return;
    }
    m_rows = fresh;
    if (!m_rows.isEmpty()) Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
}

} // namespace rollout
