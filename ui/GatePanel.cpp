#include "GatePanel.h"

#include "Palette.h"
#include "viewmodels/ChecklistModel.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QTreeView>
#include <QVBoxLayout>

namespace rollout {

GatePanel::GatePanel(RolloutSession& session, QWidget* parent) : QWidget(parent), m_session(session)
{
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel(tr("<b>Gate</b>"), this));
    m_sourceNote = new QLabel(this);
    m_sourceNote->setObjectName(QStringLiteral("gateSource"));
    m_sourceNote->setWordWrap(true);
    m_sourceNote->hide();
    layout->addWidget(m_sourceNote);
    m_checks = new QListWidget(this);
    m_checks->setObjectName(QStringLiteral("gateChecks"));
    m_checks->setAccessibleName(tr("Gate checks"));
    m_checks->setMaximumHeight(190);
    m_checks->setWordWrap(true); // a verdict with its interval and counts is a sentence
    m_checks->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    layout->addWidget(m_checks);
    layout->addWidget(new QLabel(tr("<b>Go / no-go checklist</b>"), this));
    m_checklist = new ChecklistModel(session, this);
    m_tree = new QTreeView(this);
    m_tree->setObjectName(QStringLiteral("checklistView"));
    m_tree->setAccessibleName(tr("Go/no-go checklist"));
    m_tree->setModel(m_checklist);
    m_tree->setUniformRowHeights(true);
    m_tree->header()->setStretchLastSection(false);
    m_tree->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_tree->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    // Keeps about six rows when a banner takes the window's height (it shrank to two and a half).
    m_tree->setMinimumHeight(m_tree->fontMetrics().height() * 6 + m_tree->header()->sizeHint().height());
    layout->addWidget(m_tree, 1);
    connect(m_checklist, &QAbstractItemModel::modelReset, m_tree, &QTreeView::expandAll);
    connect(m_checklist, &ChecklistModel::actionRefused, this,
            [this](const QString& m) { Q_EMIT actionFinished(m, false); });
    m_tree->expandAll();

    m_signAs = new QLabel(this);
    layout->addWidget(m_signAs);
    auto* row = new QHBoxLayout;
    m_note = new QLineEdit(this);
    m_note->setObjectName(QStringLiteral("approvalNote"));
    m_note->setPlaceholderText(tr("Note for the sign-off (optional for approve, expected for reject)"));
    m_approve = new QPushButton(tr("&Approve"), this);
    m_approve->setObjectName(QStringLiteral("approveButton"));
    m_reject = new QPushButton(tr("Re&ject"), this);
    m_reject->setObjectName(QStringLiteral("rejectButton"));
    row->addWidget(m_note, 1);
    row->addWidget(m_approve);
    row->addWidget(m_reject);
    layout->addLayout(row);
    connect(m_approve, &QPushButton::clicked, this, [this] { decide(true); });
    connect(m_reject, &QPushButton::clicked, this, [this] { decide(false); });
}

void GatePanel::setActor(const Actor& actor)
{
    m_actor = actor;
    m_checklist->setActor(actor);
    refresh();
}

void GatePanel::decide(bool approve)
{
    const int phase = m_session.currentPhase() + 1;
    const ActionResult r = m_session.recordApproval(phase, m_actor, approve, m_note->text());
    if (r.ok) m_note->clear();
    Q_EMIT actionFinished(r.ok ? tr("%1 recorded for phase %2 as %3 (%4)")
                                     .arg(approve ? tr("Approval") : tr("Rejection"))
                                     .arg(phase + 1)
                                     .arg(m_actor.id, m_actor.role)
                               : r.message,
                          r.ok);
}

void GatePanel::setSourceNote(const QString& note)
{
    m_sourceNote->setText(note);
    m_sourceNote->setVisible(!note.isEmpty());
}

void GatePanel::refresh()
{
    const GateStatus g = m_source ? m_source() : m_session.gate();
    m_checks->clear();
    for (const GateCheck& c : g.checks) {
        const QString mark = c.state == CheckState::Met      ? QStringLiteral("✓")
                             : c.state == CheckState::NotMet ? QStringLiteral("✗")
                                                             : QStringLiteral("?");
        auto* item = new QListWidgetItem(
            QStringLiteral("%1  %2%3")
                .arg(mark, c.label, c.detail.isEmpty() ? QString() : QStringLiteral(" — ") + c.detail),
            m_checks);
        item->setForeground(c.state == CheckState::Met      ? Palette::good()
                            : c.state == CheckState::NotMet ? Palette::bad()
                                                            : Palette::warning());
        item->setToolTip(c.detail);
    }
    m_checklist->refresh();
    const Plan& plan = m_session.plan();
    const int phase = g.toPhase;
    bool canSign = false;
    if (phase < int(plan.phases.size()))
        for (const ApprovalRequirement& a : plan.phases[std::size_t(phase)].approvals)
            canSign = canSign || a.role == m_actor.role;
    m_approve->setEnabled(canSign);
    m_reject->setEnabled(canSign);
    m_signAs->setText(canSign ? tr("Sign the gate to phase %1 as <b>%2</b> (%3):")
                                    .arg(phase + 1)
                                    .arg(m_actor.id.toHtmlEscaped(), m_actor.role.toHtmlEscaped())
                              : tr("Acting as %1 (%2): this gate needs no %2 sign-off.")
                                    .arg(m_actor.id.toHtmlEscaped(), m_actor.role.toHtmlEscaped()));
}

} // namespace rollout
