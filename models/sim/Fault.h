#pragma once

#include <QString>
#include <optional>

namespace rollout {

enum class FaultKind
{
    CanaryErrorSpike,
    CanaryLatencyRegression,
    GlobalIncident,
    MemoryLeak,
    BriefSpike
};

// A fault injected into the simulated service: what, from when, for how long (0 = until
// cleared), how strong (0 = the kind's default).
struct Fault
{
    FaultKind kind = FaultKind::CanaryErrorSpike;
    qint64 startMs = 0;
    qint64 durationMs = 0;
    double magnitude = 0.0;

    bool activeAt(qint64 tMs) const
    {
        return tMs >= startMs && (durationMs == 0 || tMs < startMs + durationMs);
    }
    QString describe() const;

    static QString name(FaultKind k);
    static QStringList kindNames();
    // "canary-error-spike@2h", "global-incident@30m+10m", "memory-leak@0s*0.3": the start is an
    // offset from `baseMs`; "+D" a duration; "*M" a magnitude. nullopt with *error when bad.
    static std::optional<Fault> parse(const QString& spec, qint64 baseMs, QString* error);
};

} // namespace rollout
