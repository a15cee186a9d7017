#pragma once

#include "engine/RolloutSession.h"

#include <QObject>
#include <deque>
#include <functional>
#include <vector>

namespace rollout {

class ActionRunner;
class FlagSync;
class LedgerRecorder;

// The one path every decision takes, from the console, every rolloutctl command and watch:
//   decide (the engine, no I/O) → record (signed, durable) → apply (flags written, read back) →
//   notify (action lists, webhooks, pager) → show (views, logs).
// It is the session's only listener (RolloutSession::eventRecorded): the parts it is given are
// called by it, in that order, whatever order they were built in, and never see a decision
// before it is durable. Decisions go through one at a time, in the order they were taken: one
// that waits for its record holds the ones behind it.
//
// A decision that cannot be recorded is not applied: the rollout is held for a person
// (RolloutSession::holdForDamage, a P1 alert). The one exception is a rollback, which can only
// reduce exposure: it is applied all the same and escalated as unrecorded (P0).
class DecisionPath final : public QObject
{
    Q_OBJECT
public:
    explicit DecisionPath(RolloutSession& session, QObject* parent = nullptr);

    // Each part stops listening to the session itself and is called from here instead.
    void setRecorder(LedgerRecorder* recorder);
    void setFlags(FlagSync* flags);
    void setActions(ActionRunner* actions);
    // A notifier (webhooks, pager): `handle` is called with each decision once it is recorded and
    // its flag change has started. `part` stops listening to the session.
    void addNotifier(QObject* part, std::function<void(const RolloutEvent&)> handle);

    // Nothing is waiting to be recorded: every decision taken so far has been through the path.
    bool settled() const { return m_queue.empty(); }

Q_SIGNALS:
    // The last step: the decision is recorded, its flags are on their way, the others are told.
    void shown(const rollout::RolloutEvent& event);
    // A decision that could not be recorded (and what was done about it).
    void unrecorded(const rollout::RolloutEvent& event, const QString& why);

private:
    struct Entry
    {
        enum class Kind
        {
            Decision,
            Actions
        } kind = Kind::Decision;
        RolloutEvent event;
        // Actions: a trigger's list, run once the decisions before it are through.
        QString trigger, severity, reason;
        std::vector<ActionStep> steps;
        enum class Stage
        {
            New,
            Recording,
            Recorded,
            Failed
        } stage = Stage::New;
        QString problem;
    };
    void onDecided(const RolloutEvent& e);
    void onActionsDue(const QString& trigger, const QString& severity, const QString& reason,
                      const std::vector<ActionStep>& steps);
    void pump();
    void finish(Entry& entry);
    void detach(QObject* part);

    RolloutSession& m_session;
    LedgerRecorder* m_recorder = nullptr;
    FlagSync* m_flags = nullptr;
    ActionRunner* m_actions = nullptr;
    std::vector<std::function<void(const RolloutEvent&)>> m_notifiers;
    std::deque<Entry> m_queue;
    bool m_pumping = false;
};

} // namespace rollout
