#pragma once

#include "engine/RolloutSession.h"
#include "flags/FlagChangeRunner.h"

#include <QObject>

#include <optional>

namespace rollout {

// Keeps the flag services in step with the engine: when the session advances, completes or rolls
// back, every flag is set to the new phase's values and read back; the outcome goes back into
// the session as FlagsVerified / FlagsNotVerified. One operation runs at a time, so two writes
// to the same flag never interleave; a newer target waiting behind a running one replaces any
// older waiting target (the newest decision wins, and nothing in between is written).
class FlagSync final : public QObject
{
    Q_OBJECT
public:
    FlagSync(RolloutSession& session, FlagBackendSet backends, QObject* parent = nullptr);

    const FlagBackendSet& backends() const { return m_backends; }
    bool busy() const { return m_running; }
    // The last finished operation (empty before the first).
    const FlagChangeReport& lastReport() const { return m_last; }
    void setDeadlineMs(qint64 ms) { m_options.deadlineMs = ms; }

    // Apply the session's current flag settings again (the console's "retry" after a failure).
    void applyCurrent(const QString& why);
    // Reads every flag once; readFinished carries the states (connection health, the flags view).
    void readAll();

Q_SIGNALS:
    void operationStarted(const QString& why, const QList<rollout::FlagChange>& changes);
    void flagFinished(const rollout::FlagResult& result);
    void operationFinished(const QString& why, const rollout::FlagChangeReport& report);
    void readFinished(const rollout::FlagChangeReport& report);

private:
    void onEvent(const RolloutEvent& e);
    void startNext();

    RolloutSession& m_session;
    FlagBackendSet m_backends;
    FlagChangeRunner m_runner;
    FlagChangeRunner::Options m_options;
    bool m_running = false;
    std::optional<QString> m_pending;    // why the next operation runs; its target is read when it starts
    FlagChangeReport m_last;
};

} // namespace rollout
