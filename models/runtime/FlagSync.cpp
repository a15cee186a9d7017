#include "runtime/FlagSync.h"

#include "core/FaultInjection.h"

namespace rollout {

FlagSync::FlagSync(RolloutSession& session, FlagBackendSet backends, QObject* parent)
    : QObject(parent), m_session(session), m_backends(std::move(backends)), m_runner(m_backends)
{
    connect(&m_session, &RolloutSession::eventRecorded, this, &FlagSync::onDecision);
    connect(&m_runner, &FlagChangeRunner::flagFinished, this, [this](const FlagResult& r) {
        if (!m_running) return;                   // progress of a change, not of a health read
        killIfAsked("flag-change", m_runningWhy); // crash tests: a flag moved, its outcome not recorded
        Q_EMIT flagFinished(r);
    });
}

void FlagSync::onDecision(const RolloutEvent& e)
{
    if (m_passive) return; // the driver sets the flags
    // Held (a damaged history): a person's rollback is the only decision that moves a flag.
    const bool personsRollback = (e.type == EventType::RolledBack || e.type == EventType::PhaseOverridden) &&
                                 e.toPhase < e.fromPhase && !e.automatic;
    if (m_session.held() && !personsRollback) return;
    switch (e.type) {
    case EventType::FlagsReapplied:
        applyCurrent(QStringLiteral("re-applying the recorded state (asked by %1)").arg(e.actor));
        break;
    case EventType::PhaseAdvanced:
        applyCurrent(QStringLiteral("advance to phase %1").arg(e.toPhase + 1));
        if (e.fromPhase < 0) applyEnvironments(QStringLiteral("the rollout starts"));
        break;
    case EventType::Completed:
        applyCurrent(QStringLiteral("rollout complete"));
        break;
    case EventType::RolledBack:
        applyCurrent(e.toPhase < 0 ? QStringLiteral("rollback to zero")
                                   : QStringLiteral("rollback to phase %1").arg(e.toPhase + 1));
        break;
    case EventType::PhaseOverridden:
        applyCurrent(e.toPhase < 0
                         ? QStringLiteral("override by %1: everything off").arg(e.actor)
                         : QStringLiteral("override by %1 to phase %2").arg(e.actor).arg(e.toPhase + 1));
        break;
    case EventType::SegmentHeld:
        ++m_generation;
        enqueue(Operation{e.held ? QStringLiteral("segment %1 held off").arg(e.segment)
                                 : QStringLiteral("segment %1 follows the rollout again").arg(e.segment),
                          e.segment, e.held});
        break;
    default:
        break;
    }
}

void FlagSync::applyCurrent(const QString& why)
{
    if (m_passive) return;
    ++m_generation;
    // A newer phase target replaces an older one still waiting; a segment held off is asserted
    // again after the phase's settings, whatever a backend does to segments when it sets a percentage.
    m_queue.erase(std::remove_if(m_queue.begin(), m_queue.end(),
                                 [](const Operation& o) { return o.segment.isEmpty() || o.hold; }),
                  m_queue.end());
    m_queue.append(Operation{why, {}, false});
    for (const QString& s : m_session.heldSegments())
        m_queue.append(Operation{QStringLiteral("segment %1 held off").arg(s), s, true});
    if (!m_running) startNext();
}

void FlagSync::enqueue(const Operation& op)
{
    if (m_passive) return;
    m_queue.append(op);
    if (!m_running) startNext();
}

void FlagSync::startNext()
{
    if (m_queue.isEmpty()) return;
    const Operation op = m_queue.takeFirst();
    m_running = true;
    m_runningWhy = op.why;
    // The target is the session's state when the operation starts, not when it was asked for.
    QList<FlagChange> changes;
    const QMap<QString, FlagSetting> settings = m_session.currentFlags();
    for (const QString& flag : m_backends.flags())
        changes.append(op.segment.isEmpty() ? FlagChange{flag, settings.value(flag), {}, true}
                                            : FlagChange{flag, {}, op.segment, !op.hold});
    Q_EMIT operationStarted(op.why, changes);
    m_runner.run(changes, m_options, this, [this, why = op.why](const FlagChangeReport& report) {
        m_running = false;
        m_last = report;
        m_lastRead = report;
        QMap<QString, double> percents;
        for (const FlagResult& r : report.results)
            if (r.verified) percents.insert(r.flag, r.after.setting().percent);
        m_session.recordFlagOutcome(report.allVerified(), QStringLiteral("%1: %2").arg(why, report.summary()),
                                    percents);
        Q_EMIT operationFinished(why, report);
        startNext();
    });
}

void FlagSync::addEnvironment(const QString& environment, FlagBackendSet backends)
{
    m_environments[environment] = std::make_unique<Environment>(std::move(backends));
}

QStringList FlagSync::environments() const
{
    QStringList out;
    for (const auto& [name, env] : m_environments)
        out.append(name);
    return out;
}

void FlagSync::applyEnvironments(const QString& why)
{
    for (auto& [name, env] : m_environments) {
        if (env->running) continue; // the same fixed settings are on their way already
        const QMap<QString, FlagSetting> settings = m_session.plan().environmentSettings(name);
        QList<FlagChange> changes;
        for (const QString& flag : env->backends.flags())
            if (settings.contains(flag)) changes.append(FlagChange{flag, settings.value(flag), {}, true});
        if (changes.isEmpty()) continue;
        env->running = true;
        env->runner.run(
            changes, m_options, this, [this, name, why, e = env.get()](const FlagChangeReport& report) {
                e->running = false;
                const QString step = QStringLiteral("environment %1 (%2)").arg(name, why);
                m_session.recordActionStep(
                    {}, step, report.allVerified() ? QStringLiteral("verified") : QStringLiteral("failed"),
                    report.summary());
                if (!report.allVerified())
                    m_session.recordEscalation(
                        {}, QStringLiteral("P2"),
                        QStringLiteral("%1: the fixed flag settings did not read back: %2")
                            .arg(step, report.summary()));
                Q_EMIT environmentFinished(name, report);
            });
    }
}

void FlagSync::readAll()
{
    if (m_reading) return;
    m_reading = true;
    const quint64 generation = m_generation;
    m_runner.readAll(this, [this, generation](const FlagChangeReport& report) {
        m_reading = false;
        m_lastRead = report;
        Q_EMIT readFinished(report);
        if (generation == m_generation) reconcile(report, false);
    });
}

QStringList FlagSync::differences(const FlagChangeReport& read) const
{
    QStringList out;
    const QMap<QString, FlagSetting> want = m_session.currentFlags();
    for (const FlagResult& r : read.results) {
        const FlagSetting w = want.value(r.flag);
        if (r.after.matches(w) || (!r.after.exists && !w.enabled)) continue; // a flag not created yet is off
        out.append(QStringLiteral("%1 is %2 in %3; the rollout says %4")
                       .arg(r.flag, r.after.exists ? r.after.describe() : QStringLiteral("missing"),
                            r.backend, w.describe()));
    }
    return out;
}

void FlagSync::reconcile(const FlagChangeReport& read, bool confirming)
{
    if (m_passive || m_running || !m_queue.isEmpty() || !read.allVerified())
        return; // following, a change in flight, or a read that failed: nothing to judge
    if (m_beforeReconcile) {
        const quint64 before = m_generation;
        m_beforeReconcile();
        if (m_generation != before) return; // a decision just arrived: its own change decides
    }
    QMap<QString, double> percents;
    for (const FlagResult& r : read.results)
        percents.insert(r.flag, r.after.setting().percent);
    const QStringList diff = differences(read);
    if (diff.isEmpty()) {
        if (!m_session.flagsApplied()) // another process, or this one before a restart, made the change
            m_session.recordFlagOutcome(
                true, QStringLiteral("read back: the flags are as recorded (%1)").arg(read.summary()),
                percents);
        if (m_session.drifting())
            m_session.recordDrift(false, QStringLiteral("every flag reads back as the rollout says"),
                                  percents);
        return;
    }
    if (!m_session.flagsApplied()) {
        // Held, or a decision still on its way to the ledger: nothing is finished from here.
        if (m_session.held() || (m_mayFinish && !m_mayFinish())) return;
        applyCurrent(QStringLiteral("finishing the recorded decision (%1): %2")
                         .arg(toString(m_session.state()), diff.join(QStringLiteral("; "))));
        return;
    }
    if (!confirming) { // one more read before calling it drift: a change may have been in flight
        const quint64 generation = m_generation;
        m_reading = true;
        m_runner.readAll(this, [this, generation](const FlagChangeReport& again) {
            m_reading = false;
            m_lastRead = again;
            Q_EMIT readFinished(again);
            if (generation == m_generation) reconcile(again, true);
        });
        return;
    }
    m_session.recordDrift(true, QStringLiteral("flag drift: %1").arg(diff.join(QStringLiteral("; "))),
                          percents);
}

} // namespace rollout
