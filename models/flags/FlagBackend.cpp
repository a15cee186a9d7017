#include "flags/FlagBackend.h"

#include <cmath>

namespace rollout {

bool FlagState::matches(const FlagSetting& wanted) const
{
    if (!exists) return false;
    if (!wanted.enabled) return !enabled;
    QStringList want = wanted.audience, got = audience;
    want.sort();
    got.sort();
    // The cohort is part of the state: a flag on for everyone is not a flag on for admins.
    const bool sameAudience = want == got && (want.isEmpty() || wanted.audienceContext == audienceContext);
    return enabled && std::abs(percent - wanted.percent) < 0.01 && sameAudience;
}

QString FlagState::describe() const
{
    if (!exists) return QStringLiteral("missing");
    QString out = setting().describe();
    if (enabled && percent < 100.0 && !stickiness.isEmpty() && stickiness != QLatin1String("default"))
        out += QStringLiteral(" sticky on %1").arg(stickiness);
    if (enabled && !disabledSegments.isEmpty())
        out += QStringLiteral(" (%1 held off)").arg(disabledSegments.join(QStringLiteral(", ")));
    return out;
}

FlagResult FlagResult::failure(const QString& flag, const QString& backend, const QString& step,
                               const QString& message, bool transient)
{
    FlagResult r;
    r.flag = flag;
    r.backend = backend;
    r.step = step;
    r.message = message;
    r.transient = transient;
    return r;
}

QString FlagResult::describe() const
{
    if (verified) return QStringLiteral("%1: verified %2").arg(flag, after.describe());
    QString out = QStringLiteral("%1: FAILED at %2: %3").arg(flag, step, message);
    if (attempts > 1) out += QStringLiteral(" (after %1 attempts)").arg(attempts);
    return out;
}

} // namespace rollout
