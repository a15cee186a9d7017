#include "viewmodels/LedgerTableModel.h"

#include "ledger/DecisionChecks.h"
#include "ledger/EventCodec.h"
#include "viewmodels/Severity.h"

#include <QDateTime>

namespace rollout {

LedgerTableModel::LedgerTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void LedgerTableModel::setVerdicts(const QList<RecordVerdict>& verdicts)
{
    beginResetModel();
    m_rows = verdicts;
    m_summaries.clear();
    for (const RecordVerdict& v : m_rows)
        m_summaries.append(summaryOf(v));
    endResetModel();
}

void LedgerTableModel::appendOwn(const LedgerRecord& record)
{
    RecordVerdict v;
    v.id = record.id;
    v.record = record;
    v.ok = record.signatureValid();
    if (!v.ok) v.failures.append({QStringLiteral("signature"), QStringLiteral("does not verify")});
    beginInsertRows({}, int(m_rows.size()), int(m_rows.size()));
    m_rows.append(v);
    m_summaries.append(summaryOf(v));
    endInsertRows();
}

QString LedgerTableModel::summaryOf(const RecordVerdict& v)
{
    if (!v.record) return tr("(unreadable record %1)").arg(v.id);
    const LedgerRecord& r = *v.record;
    QString problem;
    const auto e = EventCodec::fromRecord(r.type, r.payload, r.actor, r.role, r.timestampMs, &problem);
    if (!e) return problem;
    // A promotion (or an override) says what it was taken on: the gate, as recorded.
    return e->gate.present ? QStringLiteral("%1 — gate: %2").arg(e->describe(), e->gate.describe())
                           : e->describe();
}

int LedgerTableModel::failures() const
{
    int n = 0;
    for (const RecordVerdict& v : m_rows)
        n += !countsForGate(v);
    return n;
}

int LedgerTableModel::tampered() const
{
    int n = 0;
    for (const RecordVerdict& v : m_rows)
        n += !v.tampering().isEmpty();
    return n;
}

int LedgerTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}
int LedgerTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant LedgerTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    static const char* names[] = {"Time", "Actor", "Role", "Record", "Summary", "Device", "Verified"};
    return tr(names[section]);
}

QVariant LedgerTableModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size()) return {};
    const RecordVerdict& v = m_rows[index.row()];
    QStringList why;
    for (const RecordVerdict::Failure& f : v.failures)
        why.append(f.tampering == Tampering::None
                       ? QStringLiteral("%1: %2").arg(f.check, f.why)
                       : QStringLiteral("TAMPERING (%1) %2: %3").arg(toString(f.tampering), f.check, f.why));
    // A record that counts although the chain around it was damaged: ✓ for the record, the damage named.
    const QString mark = v.ok               ? QStringLiteral("✓")
                         : countsForGate(v) ? QStringLiteral("✓ counts · ✗ ")
                                            : QStringLiteral("✗ ");
    if (role == SeverityRole)
        return index.column() == Verified ? int(v.ok ? Severity::Good : Severity::Bad)
                                          : int(Severity::Normal);
    if (role == Qt::ToolTipRole) {
        if (index.column() == Verified)
            return v.ok ? tr("signature, chain, signer, rollout and plan checks passed")
                        : why.join(QLatin1Char('\n'));
        if (v.record)
            return QStringLiteral("%1 · %2\ndevice %3 #%4 · key %5\n%6")
                .arg(QDateTime::fromMSecsSinceEpoch(v.record->timestampMs).toString(Qt::ISODate), v.id,
                     v.record->device)
                .arg(v.record->sequence)
                .arg(v.record->keyId, QString::fromUtf8(v.record->body.left(400)));
        return v.id;
    }
    if (role != Qt::DisplayRole) return {};
    if (!v.record) {
        if (index.column() == Verified) return mark + why.join(QStringLiteral("; "));
        if (index.column() == Summary) return m_summaries.value(index.row());
        return {};
    }
    const LedgerRecord& r = *v.record;
    switch (index.column()) {
    case Time:
        return QDateTime::fromMSecsSinceEpoch(r.timestampMs).toString(QStringLiteral("HH:mm:ss"));
    case Actor:
        return r.actor;
    case Role:
        return r.role;
    case Type:
        return r.type;
    case Summary:
        return m_summaries.value(index.row());
    case Device:
        return r.device.left(8);
    case Verified: {
        QString text = v.ok ? mark : mark + why.join(QStringLiteral("; "));
        // A record signed with a device key says so, and whose signature it still waits for.
        if (DecisionChecks::isDeviceSigned(r)) {
            QString status;
            for (const QString& n : v.notes)
                if (n.contains(QLatin1String("countersigned by")) ||
                    n.contains(QLatin1String("signature pending")))
                    status = n;
            const QString person = r.payload.value(QStringLiteral("signature_pending")).toString();
            if (status.isEmpty() && !person.isEmpty()) status = tr("%1's signature pending").arg(person);
            text += status.isEmpty() ? tr(" device key") : tr(" device key; %1").arg(status);
        }
        return text;
    }
    default:
        return {};
    }
}

} // namespace rollout
