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
    exportButton->setToolTip(tr("Save the records shown as JSON Lines, verifiable with `rolloutctl ledger verify --from-export`"));
    top->addWidget(m_filterEdit, 1);
    top->addWidget(exportButton);
    layout->addLayout(top);

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
    view->setColumnHidden(LedgerTableModel::Device, true);   // in each row's tooltip; room for the summary
    layout->addWidget(view, 1);
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("ledgerSummary"));
    layout->addWidget(m_summary);

    connect(m_filterEdit, &QLineEdit::textChanged, m_filter, &QSortFilterProxyModel::setFilterFixedString);
    connect(&model, &QAbstractItemModel::modelReset, this, &LedgerPanel::updateSummary);
    connect(&model, &QAbstractItemModel::rowsInserted, this, &LedgerPanel::updateSummary);
    connect(&model, &QAbstractItemModel::rowsInserted, view, &QTableView::scrollToBottom);
    connect(exportButton, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export the ledger"), QStringLiteral("ledger.jsonl"), tr("JSON Lines (*.jsonl)"));
        if (path.isEmpty()) return;
        QString problem;
        const bool ok = exportTo(path, &problem);
        Q_EMIT actionFinished(ok ? tr("Exported %1 record(s) to %2").arg(m_filter->rowCount()).arg(path) : problem, ok);
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

void LedgerPanel::updateSummary()
{
    const int bad = m_model.failures();
    m_summary->setText(bad == 0 ? tr("%1 record(s), every one verified (signature, chain, signer, rollout, plan)").arg(m_model.rowCount())
                                : tr("<span style='color:%1'><b>%2 of %3 record(s) do not verify</b></span> — they do not count; hover ✗ for why")
                                      .arg(Palette::bad().name())
                                      .arg(bad)
                                      .arg(m_model.rowCount()));
}

} // namespace rollout
