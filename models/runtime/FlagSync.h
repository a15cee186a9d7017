#pragma once

#include "engine/RolloutSession.h"
#include "flags/FlagChangeRunner.h"

#include <QObject>
#include <functional>
#include <map>
#include <memory>
#include <optional>

namespace rollout {

// Keeps the flag services in step with the engine: when the session advances, completes, rolls
// back, is overridden or holds a segment off, every flag is set and read back; the outcome goes
// back into the session as FlagsVerified / FlagsNotVerified. One operation runs at a time, so two
// writes to the same flag never interleave; a newer phase target waiting behind a running
// operation replaces any older waiting one (the newest decision wins).
//
// Recorded means applied: every read of the flags (readAll, at start and every health interval)
// is compared with what the rollout says. A decision whose flags were never read back as asked
// (this process or another died in the middle, another process made it) is finished here:
// applied again until verified, or escalated (FlagsNotVerified) each time it is not. A flag that
// differs after the change was applied was changed behind the rollout's back: that is drift,
// confirmed by a second read, recorded and alerted, never adopted.
class FlagSync final : public QObject
{
    Q_OBJECT
public:
    FlagSync(RolloutSession& session, FlagBackendSet backends, QObject* parent = nullptr);
    // A recorded decision: DecisionPath calls this once it is durable; alone, FlagSync follows the
    // session itself. While the rollout is held (RolloutSession::held) only a person's rollback
    // moves a flag.
    void onDecision(const RolloutEvent& e);
    // Asked before a read finishes a decision whose flags were never read back: false while a
    // decision is still on its way to the ledger (DecisionPath::settled), whose own write follows.
    void setMayFinish(std::function<bool()> mayFinish) { m_mayFinish = std::move(mayFinish); }

    const FlagBackendSet& backends() const { return m_backends; }
    bool busy() const { return m_running; }
    // Nothing running and nothing waiting: what was decided has been applied (or failed).
    bool idle() const { return !m_running && m_queue.isEmpty(); }
    bool reading() const { return m_reading; } // a read (and its confirmation) in flight
    // The last finished operation (empty before the first).
    const FlagChangeReport& lastReport() const { return m_last; }
    // The newest read-back of every flag: a read, or an operation's read-back (each operation
    // sets and reads back every flag). Empty before the first.
    const FlagChangeReport& lastRead() const { return m_lastRead; }
    void setDeadlineMs(qint64 ms) { m_options.deadlineMs = ms; }
    // Following a rollout another process drives: no flag is ever set from here (not for a
    // decision this process records, nor to finish one), and a read is not judged for drift.
    // Reads still run (the flags view, connection health).
    void setPassive(bool on) { m_passive = on; }
    bool passive() const { return m_passive; }
    // Called before a read is compared with the rollout, so that decisions another process has
    // just recorded are known first (the runtime follows the ledger here).
    void setBeforeReconcile(std::function<void()> hook) { m_beforeReconcile = std::move(hook); }

    // Apply the session's current flag settings again (the console's "retry" after a failure).
    void applyCurrent(const QString& why);
    // Reads every flag once; readFinished carries the states (connection health, the flags view),
    // then the states are compared with the rollout (see above).
    void readAll();
    // "checkout is 10% in unleash; the rollout says off", one clause per flag that differs from
    // what the rollout says now.
    QStringList differences(const FlagChangeReport& read) const;

    // The flag services of another environment (seed 002's development and staging sets): the
    // plan's fixed settings there are applied when the rollout starts, and read back. The
    // runtime builds them with FlagBackendSet::forEnvironment; tests give fakes.
    void addEnvironment(const QString& environment, FlagBackendSet backends);
    QStringList environments() const;
    // Applies every other environment's fixed settings now; each outcome is recorded
    // (ActionStepDone "environment staging", escalated when a flag does not read back).
    void applyEnvironments(const QString& why);

Q_SIGNALS:
    void operationStarted(const QString& why, const QList<rollout::FlagChange>& changes);
    void flagFinished(const rollout::FlagResult& result);
    void operationFinished(const QString& why, const rollout::FlagChangeReport& report);
    void readFinished(const rollout::FlagChangeReport& report);
    void environmentFinished(const QString& environment, const rollout::FlagChangeReport& report);

private:
    struct Operation
    {
        QString why;
        QString segment; // empty: the phase's settings
        bool hold = false;
    };
    void enqueue(const Operation& op);
    void startNext();
    void reconcile(const FlagChangeReport& read, bool confirming);

    RolloutSession& m_session;
    FlagBackendSet m_backends;
    FlagChangeRunner m_runner;
    FlagChangeRunner::Options m_options;
    bool m_running = false;
    bool m_passive = false;
    QString m_runningWhy;
    bool m_reading = false;
    QList<Operation> m_queue;
    FlagChangeReport m_last;
    FlagChangeReport m_lastRead;
    std::function<void()> m_beforeReconcile;
    std::function<bool()> m_mayFinish;
    quint64 m_generation = 0; // counts flag-moving decisions: a read that straddles one is not judged
    struct Environment
    {
        explicit Environment(FlagBackendSet b) : backends(std::move(b)), runner(backends) {}
        FlagBackendSet backends;
        FlagChangeRunner runner;
        bool running = false;
    };
    std::map<QString, std::unique_ptr<Environment>> m_environments;
};

} // namespace rollout
