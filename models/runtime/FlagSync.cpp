#include "runtime/FlagSync.h"

namespace rollout {

FlagSync::FlagSync(RolloutSession& session, FlagBackendSet backends, QObject* parent)
    : QObject(parent), m_session(session), m_backends(std::move(backends)), m_runner(m_backends)
{
    connect(&m_session, &RolloutSession::eventRecorded, this, &FlagSync::onEvent);
    connect(&m_runner, &FlagChangeRunner::flagFinished, this, [this](const FlagResult& r) {
        if (m_running) Q_EMIT flagFinished(r);   // progress of a change, not of a health read
    });
}

void FlagSync::onEvent(const RolloutEvent& e)
{
    switch (e.type) {
    case EventType::PhaseAdvanced: applyCurrent(QStringLiteral("advance to phase %1").arg(e.toPhase + 1)); break;
    case EventType::Completed: applyCurrent(QStringLiteral("rollout complete")); break;
    case EventType::RolledBack:
        applyCurrent(e.toPhase < 0 ? QStringLiteral("rollback to zero") : QStringLiteral("rollback to phase %1").arg(e.toPhase + 1));
        break;
    default: break;
    }
}

void FlagSync::applyCurrent(const QString& why)
{
    m_pending = why;
    if (!m_running) startNext();
}

void FlagSync::startNext()
{
    if (!m_pending) return;
    const QString why = *m_pending;
    m_pending.reset();
    m_running = true;
    // The target is the session's state when the operation starts, not when it was asked for.
    QList<FlagChange> changes;
    const QMap<QString, FlagSetting> settings = m_session.currentFlags();
    for (const QString& flag : m_backends.flags()) changes.append(FlagChange{flag, settings.value(flag), {}, true});
    Q_EMIT operationStarted(why, changes);
    m_runner.run(changes, m_options, this, [this, why](const FlagChangeReport& report) {
        m_running = false;
        m_last = report;
        QMap<QString, double> percents;
        for (const FlagResult& r : report.results)
            if (r.verified) percents.insert(r.flag, r.after.setting().percent);
        m_session.recordFlagOutcome(report.allVerified(), QStringLiteral("%1: %2").arg(why, report.summary()), percents);
        Q_EMIT operationFinished(why, report);
        startNext();
    });
}

void FlagSync::readAll()
{
    m_runner.readAll(this, [this](const FlagChangeReport& report) { Q_EMIT readFinished(report); });
}

} // namespace rollout
