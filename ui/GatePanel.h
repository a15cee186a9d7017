#pragma once

#include "engine/RolloutSession.h"

#include <QWidget>
#include <functional>

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
    // Where the gate's verdicts come from (default: the session's own): the console gives the
    // runtime's gateShown(), the driver's verdicts while following; `note` says whose they are.
    void setGateSource(std::function<GateStatus()> source) { m_source = std::move(source); }
    void setSourceNote(const QString& note);
    ChecklistModel* checklist() const { return m_checklist; }

Q_SIGNALS:
    void actionFinished(const QString& message, bool ok);

private:
    void decide(bool approve);

    RolloutSession& m_session;
    std::function<GateStatus()> m_source;
    QLabel* m_sourceNote = nullptr;
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
