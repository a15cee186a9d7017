#pragma once

#include "engine/RolloutSession.h"
#include "net/HttpClient.h"

#include <QObject>
#include <QPointer>
#include <QTimer>
#include <deque>
#include <functional>

namespace rollout {

class FlagSync;

// Runs action lists (a trigger's `actions`, the plan's `rollback_actions`) one step at a time,
// in order: a rollback or segment step (decided by the engine already) is verified by waiting
// for the flag services' read-back; a call goes to its http_admin backend's operation (and its
// check, when the plan gives one); a notification goes to one of the plan's webhooks; an
// escalation is recorded. Each step's outcome is recorded (ActionStepDone: verified, done or
// failed); a failed step is escalated (Escalated) and the list goes on unless the step says
// `on_failure: stop`, whose remaining steps are recorded as not run. One list at a time; a
// trigger's own list runs before the plan's rollback_actions its rollback started. The
// rollback_actions run after the rollback: their first step waits until the flag services have
// finished the rollback's write and its read-back (seed 003's emergency-rollback.sh disables the
// flag first, then stops the A/B test); they run even when the read-back failed (that failure is
// escalated on its own) or did not finish within verifyDeadlineMs.
class ActionRunner final : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        qint64 verifyDeadlineMs = 40000; // a rollback step waits this long for the flags' read-back
        qint64 requestTimeoutMs = 10000; // a notification's deadline
    };
    struct StepResult
    {
        QString list;    // the trigger's name, or "rollback"
        QString step;    // "2 of 4: call admin.emergency-stop"
        QString outcome; // verified, done, failed, not run
        QString detail;
    };

    ActionRunner(RolloutSession& session, QObject* parent = nullptr);
    void setFlags(FlagSync* flags) { m_flags = flags; }
    void setOptions(const Options& o) { m_options = o; }
    bool busy() const { return m_running || !m_waiting.empty(); }
    // The steps of the list running now or last run, as far as they got (the banner shows them).
    const QList<StepResult>& current() const { return m_results; }
    // A recorded decision (DecisionPath calls this; alone, the runner follows the session itself):
    // a rollback queues the plan's rollback_actions.
    void onDecision(const RolloutEvent& e);
    // A trigger's action list, decided by the engine (RolloutSession::actionsDue).
    void runList(const QString& trigger, const QString& severity, const QString& reason,
                 const std::vector<ActionStep>& steps);

Q_SIGNALS:
    void stepFinished(const rollout::ActionRunner::StepResult& result);
    void listFinished(const QString& list, const QList<rollout::ActionRunner::StepResult>& results);

private:
    struct List
    {
        QString trigger;
        QString severity;
        QString reason;
        std::vector<ActionStep> steps;
        std::size_t next = 0;
        bool stopped = false;
        bool afterRollback = false; // the plan's rollback_actions: start once the flags settled
    };
    void enqueue(List list, bool first);
    void startNext();
    void runStep();
    void finishStep(const QString& outcome, const QString& detail);
    void waitForFlags(qint64 deadline);
    void whenFlagsSettle(qint64 deadlineMs, std::function<void()> then);
    void call(const ActionStep& s);
    void notify(const ActionStep& s);
    QString listName() const
    {
        return m_list.trigger.isEmpty() ? QStringLiteral("rollback") : m_list.trigger;
    }

    RolloutSession& m_session;
    QPointer<FlagSync> m_flags;
    Options m_options;
    HttpClient m_http;
    std::deque<List> m_waiting;
    List m_list;
    bool m_running = false;
    bool m_scheduled = false;
    QList<StepResult> m_results;
    QTimer m_poll;
    quint64 m_stepToken = 0; // a late answer for a step that already finished is dropped
};

} // namespace rollout

Q_DECLARE_METATYPE(rollout::ActionRunner::StepResult)
