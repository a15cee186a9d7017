#include "notify/IncidentMessage.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <algorithm>

namespace rollout {

namespace {

QString when(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODate);
}

QString phaseText(const Plan& plan, int phase)
{
    if (phase < 0) return QStringLiteral("zero (every flag off)");
    if (phase >= int(plan.phases.size())) return QStringLiteral("complete (100%)");
    const PhaseSpec& p = plan.phases[std::size_t(phase)];
    return QStringLiteral("phase %1 \"%2\" (%3% of traffic)").arg(phase + 1).arg(p.name).arg(p.traffic);
}

QString values(const RolloutEvent& e)
{
    QStringList out;
    for (auto it = e.values.begin(); it != e.values.end(); ++it)
        out.append(QStringLiteral("%1 = %2").arg(it.key()).arg(it.value(), 0, 'g', 4));
    return out.join(QStringLiteral(", "));
}

} // namespace

QString IncidentMessage::kindOf(const RolloutEvent& e)
{
    switch (e.type) {
    case EventType::PhaseAdvanced:
        return QStringLiteral("advanced");
    case EventType::Completed:
        return QStringLiteral("completed");
    case EventType::Paused:
        return QStringLiteral("paused");
    case EventType::AlertRaised:
        return QStringLiteral("alert");
    case EventType::RolledBack:
        return QStringLiteral("rolled_back");
    case EventType::FlagsNotVerified:
        return QStringLiteral("rollback_failed");
    case EventType::PhaseOverridden:
        return QStringLiteral("override");
    case EventType::FlagDrift:
        return e.held ? QStringLiteral("drift") : QString();
    case EventType::Escalated:
        return QStringLiteral("escalated");
    default:
        return {};
    }
}

QString IncidentMessage::text(const Plan& plan, const RolloutEvent& e, const QString& flags)
{
    const QString env = plan.environment;
    const QString by =
        e.automatic || e.actor == QLatin1String("automation") ? QStringLiteral("automation") : e.actor;
    QStringList lines;
    switch (e.type) {
    case EventType::RolledBack:
        lines << QStringLiteral("🚨 INCIDENT: %1 rollout — %2 rollback")
                     .arg(plan.rollout, e.automatic ? QStringLiteral("automatic") : QStringLiteral("manual"))
              << QStringLiteral("Time: %1").arg(when(e.atMs))
              << QStringLiteral("Issue: %1")
                     .arg(e.trigger.isEmpty()
                              ? e.reason
                              : QStringLiteral("trigger \"%1\" — %2").arg(e.trigger, e.reason))
              << QStringLiteral("Impact: %1 in %2 was exposed; values at the decision: %3")
                     .arg(phaseText(plan, e.fromPhase), env,
                          values(e).isEmpty() ? QStringLiteral("none recorded") : values(e))
              << QStringLiteral("Action Taken: rolled back to %1 by %2").arg(phaseText(plan, e.toPhase), by)
              << QStringLiteral("Status: %1")
                     .arg(flags.isEmpty() ? QStringLiteral("flag state not verified yet")
                                          : QStringLiteral("flags read back — %1").arg(flags));
        break;
    case EventType::FlagsNotVerified:
        lines << QStringLiteral("🔥 ESCALATE: %1 rollout — flags NOT verified, manual intervention required")
                     .arg(plan.rollout)
              << QStringLiteral("Time: %1").arg(when(e.atMs)) << QStringLiteral("Issue: %1").arg(e.reason)
              << QStringLiteral("Impact: users in %1 may still get the feature").arg(env)
              << QStringLiteral("Action Taken: retried until the deadline")
              << QStringLiteral("Status: ESCALATED");
        break;
    case EventType::AlertRaised:
        lines << QStringLiteral("⚠️ ALERT: %1 rollout — a person decides").arg(plan.rollout)
              << QStringLiteral("Time: %1").arg(when(e.atMs)) << QStringLiteral("Issue: %1").arg(e.reason)
              << QStringLiteral("Impact: %1 in %2").arg(phaseText(plan, e.toPhase), env)
              << QStringLiteral("Action Taken: none yet — acknowledge or roll back in the console")
              << QStringLiteral("Status: waiting for a decision");
        break;
    case EventType::PhaseOverridden:
        lines << QStringLiteral("🟥 OVERRIDE: %1 rollout set to %2 past its gate")
                     .arg(plan.rollout, phaseText(plan, e.toPhase))
              << QStringLiteral("Time: %1 · by %2 (%3) · %4").arg(when(e.atMs), e.actor, e.role, env)
              << QStringLiteral("Reason: %1").arg(e.reason)
              << QStringLiteral("From: %1").arg(phaseText(plan, e.fromPhase));
        break;
    case EventType::FlagDrift:
        lines << QStringLiteral(
                     "⚠️ FLAG DRIFT: %1 rollout — a flag was changed behind the rollout's back")
                     .arg(plan.rollout)
              << QStringLiteral("Time: %1 · %2").arg(when(e.atMs), env)
              << QStringLiteral("Issue: %1").arg(e.reason)
              << QStringLiteral("Action Taken: none — the rollout never adopts a change it did not make; set "
                                "the flag back, or "
                                "decide (roll back, override) through the console or rolloutctl");
        break;
    case EventType::PhaseAdvanced:
        lines << QStringLiteral("✅ %1 rollout advanced to %2").arg(plan.rollout, phaseText(plan, e.toPhase))
              << QStringLiteral("Time: %1 · by %2 · %3").arg(when(e.atMs), by, env);
        break;
    case EventType::Completed:
        lines << QStringLiteral("🎉 %1 rollout complete: 100% in %2").arg(plan.rollout, env)
              << QStringLiteral("Time: %1 · by %2").arg(when(e.atMs), by);
        break;
    case EventType::Paused:
        lines << QStringLiteral("⏸ %1 rollout paused at %2").arg(plan.rollout, phaseText(plan, e.toPhase))
              << QStringLiteral("Time: %1 · by %2 · %3").arg(when(e.atMs), by, e.reason);
        break;
    default:
        lines << e.describe();
        break;
    }
    return lines.join(QLatin1Char('\n'));
}

QString IncidentMessage::tampering(const Plan& plan, const QStringList& findings, qint64 atMs)
{
    constexpr int Shown = 5;
    QStringList lines;
    lines << QStringLiteral("🛑 ledger tampering detected in rollout %1: %2")
                 .arg(plan.rollout, findings.value(0))
          << QStringLiteral("Time: %1").arg(when(atMs));
    for (qsizetype i = 1; i < std::min<qsizetype>(findings.size(), Shown); ++i)
        lines << QStringLiteral("Also: %1").arg(findings[i]);
    if (findings.size() > Shown)
        lines << QStringLiteral(
                     "And %1 more finding(s): see the console's Ledger tab or `rolloutctl ledger verify`")
                     .arg(findings.size() - Shown);
    lines
        << QStringLiteral("Impact: the shared ledger of %1 in %2 was altered behind the consoles; authentic "
                          "decisions still count, altered "
                          "ones do not")
               .arg(plan.rollout, plan.environment)
        << QStringLiteral(
               "Action Taken: the rollout is held — nothing automatic, no flag write but a person's rollback "
               "— "
               "until a person acknowledges its alert; every copy is kept as evidence; find who can write to "
               "the shared store")
        << QStringLiteral("Status: investigate");
    return lines.join(QLatin1Char('\n'));
}

QByteArray IncidentMessage::slackBody(const QString& text)
{
    return QJsonDocument(QJsonObject{{QStringLiteral("text"), text}}).toJson(QJsonDocument::Compact);
}

} // namespace rollout
