#include "LedgerPanel.h"

#include "Palette.h"
#include "ledger/LedgerExport.h"
#include "viewmodels/LedgerTableModel.h"

#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSaveFile>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace rollout {

LedgerPanel::LedgerPanel(LedgerTableModel& model, QWidget* parent) : QWidget(parent), m_model(model)
{
    auto* layout = new QVBoxLayout(this);
    auto* top = new QHBoxLayout;
    m_filterEdit = new QLineEdit(this);
    m_filterEdit->setObjectName(QStringLiteral("ledgerFilter"));
    m_filterEdit->setPlaceholderText(tr("Filter: actor, record type, phase, ✗ …"));
    m_filterEdit->setClearButtonEnabled(true);
    m_filterEdit->setAccessibleName(tr("Filter the ledger"));
    auto* exportButton = new QPushButton(tr("E&xport…"), this);
    exportButton->setObjectName(QStringLiteral("ledgerExport"));
    exportButton->setToolTip(
        tr("Save the records shown as JSON Lines, verifiable with `rolloutctl ledger verify --from-export`"));
    top->addWidget(m_filterEdit, 1);
    top->addWidget(exportButton);
    layout->addLayout(top);
    m_tampering = new QLabel(this);
    m_tampering->setObjectName(QStringLiteral("ledgerTampering"));
    m_tampering->setTextFormat(Qt::RichText);
    m_tampering->setWordWrap(true);
    m_tampering->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_tampering->hide();
    layout->addWidget(m_tampering);

    m_filter = new QSortFilterProxyModel(this);
    m_filter->setSourceModel(&model);
    m_filter->setFilterKeyColumn(-1);
    m_filter->setFilterCaseSensitivity(Qt::CaseInsensitive);
    auto* colors = new SeverityColorProxy(this);
    colors->setSourceModel(m_filter);
    auto* view = new QTableView(this);
    view->setObjectName(QStringLiteral("ledgerTable"));
    view->setModel(colors);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->verticalHeader()->hide();
    view->setWordWrap(false);
    view->setTextElideMode(Qt::ElideRight);
    view->setAlternatingRowColors(true);
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    view->horizontalHeader()->setSectionResizeMode(LedgerTableModel::Summary, QHeaderView::Stretch);
    view->setColumnHidden(LedgerTableModel::Device, true); // in each row's tooltip; room for the summary
    layout->addWidget(view, 1);
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("ledgerSummary"));
    layout->addWidget(m_summary);

    connect(m_filterEdit, &QLineEdit::textChanged, m_filter, &QSortFilterProxyModel::setFilterFixedString);
    connect(&model, &QAbstractItemModel::modelReset, this, &LedgerPanel::updateSummary);
    connect(&model, &QAbstractItemModel::rowsInserted, this, &LedgerPanel::updateSummary);
    connect(&model, &QAbstractItemModel::rowsInserted, view, &QTableView::scrollToBottom);
    connect(exportButton, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Export the ledger"), QStringLiteral("ledger.jsonl"), tr("JSON Lines (*.jsonl)"));
        if (path.isEmpty()) return;
        QString problem;
        const bool ok = exportTo(path, &problem);
        Q_EMIT actionFinished(
            ok ? tr("Exported %1 record(s) to %2").arg(m_filter->rowCount()).arg(path) : problem, ok);
    });
    updateSummary();
}

bool LedgerPanel::exportTo(const QString& path, QString* problem) const
{
    QList<LedgerRecord> records;
    for (int row = 0; row < m_filter->rowCount(); ++row) {
        const RecordVerdict& v = m_model.verdicts().at(m_filter->mapToSource(m_filter->index(row, 0)).row());
        if (v.record) records.append(*v.record);
    }
    const QByteArray bytes = LedgerExport::jsonl(records);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        *problem = tr("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

void LedgerPanel::addTampering(const QString& finding)
{
    if (m_findings.contains(finding)) return;
    m_findings.append(finding);
    QStringList items;
    for (const QString& f : std::as_const(m_findings))
        items.append(QStringLiteral("<li>%1</li>").arg(f.toHtmlEscaped()));
    m_tampering->setText(
        tr("<span style='color:%1'><b>Ledger tampering: %2 finding(s)</b></span><ul style='margin:0'>%3</ul>")
            .arg(Palette::bad().name())
            .arg(m_findings.size())
            .arg(items.join(QString())));
    m_tampering->show();
}

void LedgerPanel::updateSummary()
{
    const int bad = m_model.failures();
    const int tampered = m_model.tampered();
    QString text = bad == 0 && tampered == 0
                       ? tr("%1 record(s), every one verified (signature, chain, signer, rollout, plan)")
                             .arg(m_model.rowCount())
                   : bad == 0
                       ? tr("%1 record(s), every one verified on its own (signature, signer, rollout, plan)")
                             .arg(m_model.rowCount())
                       : tr("<span style='color:%1'><b>%2 of %3 record(s) do not verify</b></span> — they do "
                            "not count; hover ✗ for why")
                             .arg(Palette::bad().name())
                             .arg(bad)
                             .arg(m_model.rowCount());
    if (tampered)
        text += tr(" · <span style='color:%1'><b>ledger tampering at %2 record(s)</b></span> (the authentic "
                   "ones still count)")
                    .arg(Palette::bad().name())
                    .arg(tampered);
    m_summary->setText(text);
}

} // namespace rollout
