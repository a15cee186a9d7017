#include "HomeView.h"

#include "Palette.h"
#include "viewmodels/RolloutListModel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace rollout {

HomeView::HomeView(RolloutListModel& model, QWidget* parent) : QWidget(parent), m_model(model)
{
    setObjectName(QStringLiteral("homeView"));
    auto* layout = new QVBoxLayout(this);
    auto* bar = new QHBoxLayout;
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("homeSummary"));
    QFont big = m_summary->font();
    big.setPointSizeF(big.pointSizeF() * 1.25);
    big.setBold(true);
    m_summary->setFont(big);
    bar->addWidget(m_summary, 1);
    bar->addWidget(new QLabel(tr("You are:"), this));
    m_identity = new QComboBox(this);
    m_identity->setObjectName(QStringLiteral("identity"));
    m_identity->setAccessibleName(tr("You are"));
    m_identity->setToolTip(
        tr("Your person id in the plans: what waits for one of your roles is counted as waiting on you"));
    m_identity->setMinimumContentsLength(14);
    bar->addWidget(m_identity);
    m_waitingOnly = new QCheckBox(tr("&Waiting on me"), this);
    m_waitingOnly->setObjectName(QStringLiteral("waitingOnMe"));
    bar->addWidget(m_waitingOnly);
    layout->addLayout(bar);

    auto* proxy = new SeverityColorProxy(this);
    proxy->setSourceModel(&m_model);
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("rolloutList"));
    m_table->setModel(proxy);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideRight);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(RolloutListModel::Blocked, QHeaderView::Stretch);
    layout->addWidget(m_table, 1);
    auto* hint = new QLabel(
        tr("Double-click a rollout to open it. File → Open (Ctrl+O) opens a plan; so does dropping "
           "its file here. Rollouts open in tabs, each with its own state, rebuilt from the ledger."),
        this);
    hint->setWordWrap(true);
    hint->setEnabled(false);
    layout->addWidget(hint);

    connect(m_table, &QTableView::activated, this, &HomeView::activate);
    connect(m_waitingOnly, &QCheckBox::toggled, &m_model, &RolloutListModel::setWaitingOnly);
    connect(&m_model, &QAbstractItemModel::modelReset, this, &HomeView::updateSummary);
    connect(&m_model, &QAbstractItemModel::rowsInserted, this, &HomeView::updateSummary);
    connect(&m_model, &QAbstractItemModel::rowsRemoved, this, &HomeView::updateSummary);
    connect(m_identity, &QComboBox::currentTextChanged, this, [this](const QString& id) {
        if (!id.isEmpty()) Q_EMIT identityChanged(id);
    });
    updateSummary();
}

QString HomeView::identity() const
{
    return m_identity->currentText();
}

void HomeView::setPeople(const QStringList& ids, const QString& current)
{
    QStringList all = ids;
    if (!current.isEmpty() && !all.contains(current)) all.prepend(current);
    QStringList now;
    for (int i = 0; i < m_identity->count(); ++i)
        now.append(m_identity->itemText(i));
    if (now == all && m_identity->currentText() == current) return;
    const QSignalBlocker block(m_identity);
    m_identity->clear();
    m_identity->addItems(all);
    m_identity->setCurrentText(current);
}

void HomeView::activate(const QModelIndex& index)
{
    const QModelIndex first = index.siblingAtColumn(0);
    Q_EMIT openRequested(first.data(RolloutListModel::RolloutRole).toString(),
                         first.data(RolloutListModel::PlanPathRole).toString());
}

void HomeView::updateSummary()
{
    const int all = int(m_model.all().size());
    const int shown = m_model.rowCount();
    const int waiting = m_model.waitingCount();
    // What the table shows, then what waits: "1 of 7 rollouts shown (waiting on me), 1 waiting on you".
    const QString inView = shown == all
                               ? tr("%n rollout(s)", nullptr, all)
                               : tr("%1 of %n rollout(s) shown (waiting on me)", nullptr, all).arg(shown);
    m_summary->setText(waiting > 0 ? inView + QStringLiteral(", ") + tr("%n waiting on you", nullptr, waiting)
                                   : inView + tr(", none waiting on you"));
}

} // namespace rollout
