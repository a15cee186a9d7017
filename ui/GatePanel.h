#pragma once

#include "engine/RolloutSession.h"

#include <QWidget>

class QTreeView;
class QListWidget;
class QLineEdit;
class QPushButton;
class QLabel;

namespace rollout {

class ChecklistModel;

// Everything between the current phase and the next: the gate's checks (criteria ✓ / ✗ /
// inconclusive, time, checklist, approvals), the go/no-go checklist to tick, and sign-off as
// the acting person (approve / reject with a note).
class GatePanel final : public QWidget
{
    Q_OBJECT
public:
    GatePanel(RolloutSession& session, QWidget* parent = nullptr);
    void setActor(const Actor& actor);
    void refresh();
    ChecklistModel* checklist() const { return m_checklist; }

Q_SIGNALS:
    void actionFinished(const QString& message, bool ok);

private:
    void decide(bool approve);

    RolloutSession& m_session;
    Actor m_actor;
    QListWidget* m_checks;
    QTreeView* m_tree;
    ChecklistModel* m_checklist;
    QLineEdit* m_note;
    QPushButton* m_approve;
    QPushButton* m_reject;
    QLabel* m_signAs;
};

} // namespace rollout
