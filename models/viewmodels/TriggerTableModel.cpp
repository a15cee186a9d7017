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
        if (const DriverView::Trigger* d = driverTrigger(t.spec.name);
            d && (index.column() == Verdict || index.column() == State || index.column() == Now)) {
            if (index.column() == Verdict)
                return int(d->verdict.startsWith(QLatin1String("fail"))    ? Severity::Bad
                           : d->verdict.startsWith(QLatin1String("pass"))  ? Severity::Good
                           : d->verdict.contains(QLatin1String("no data")) ? Severity::Warning
                                                                           : Severity::Muted);
            return int(d->state == QLatin1String("fired")     ? Severity::Bad
                       : d->state == QLatin1String("ok")      ? Severity::Good
                       : d->state == QLatin1String("guarded") ? Severity::Muted
                                                              : Severity::Warning);
        }
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
    if (const DriverView::Trigger* d = driverTrigger(t.spec.name)) {
        switch (index.column()) {
        case Now:
            return d->now;
        case Verdict:
            return d->verdict;
        case Held:
            return d->holdingSinceMs > 0 ? Duration::format(m_clock.nowMs() - d->holdingSinceMs)
                                         : QStringLiteral("—");
        case State:
            return d->state;
        default:
            break;
        }
    }
    switch (index.column()) {
    case Name:
        return t.spec.name;
    case Kind: // the action is in the tooltip
        return t.spec.kind == TriggerKind::Hard ? tr("hard") : tr("soft");
    case Condition:
        return QStringLiteral("%1 for %2").arg(t.spec.when.text, Duration::format(t.spec.forMs));
    case Now:
        return DriverView::triggerNow(t, m_session.plan());
    case Verdict:
        return DriverView::triggerVerdict(t);
    case Held:
        return t.holdingSinceMs > 0 ? Duration::format(m_clock.nowMs() - t.holdingSinceMs)
                                    : QStringLiteral("—");
    case State:
        return toString(t.state);
    }
    return {};
}

const DriverView::Trigger* TriggerTableModel::driverTrigger(const QString& name) const
{
    if (!m_driver) return nullptr;
    for (const DriverView::Trigger& t : m_driver->triggers)
        if (t.name == name) return &t;
    return nullptr;
}

void TriggerTableModel::setDriverView(const std::optional<DriverView>& view)
{
    m_driver = view;
    if (!m_rows.isEmpty()) Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
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
