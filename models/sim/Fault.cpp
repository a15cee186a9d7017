#include "sim/Fault.h"

#include "plan/Duration.h"

#include <QRegularExpression>
#include <QStringList>

namespace rollout {

QString Fault::name(FaultKind k)
{
    switch (k) {
    case FaultKind::CanaryErrorSpike:
        return QStringLiteral("canary-error-spike");
    case FaultKind::CanaryLatencyRegression:
        return QStringLiteral("canary-latency-regression");
    case FaultKind::GlobalIncident:
        return QStringLiteral("global-incident");
    case FaultKind::MemoryLeak:
        return QStringLiteral("memory-leak");
    case FaultKind::BriefSpike:
        return QStringLiteral("brief-spike");
    }
    return {};
}

QStringList Fault::kindNames()
{
    QStringList out;
    for (FaultKind k : {FaultKind::CanaryErrorSpike, FaultKind::CanaryLatencyRegression,
                        FaultKind::GlobalIncident, FaultKind::MemoryLeak, FaultKind::BriefSpike})
        out.append(name(k));
    return out;
}

QString Fault::describe() const
{
    QString s = QStringLiteral("%1 from %2").arg(name(kind), Duration::format(startMs));
    if (durationMs) s += QStringLiteral(" for %1").arg(Duration::format(durationMs));
    return s;
}

std::optional<Fault> Fault::parse(const QString& spec, qint64 baseMs, QString* error)
{
    static const QRegularExpression re(QStringLiteral(
        R"(^([a-z-]+)(?:@([0-9][0-9a-z.]*))?(?:\+([0-9][0-9a-z.]*))?(?:\*([0-9]+(?:\.[0-9]+)?))?$)"));
    const auto m = re.match(spec.trimmed());
    if (!m.hasMatch()) {
        *error = QStringLiteral("expected KIND@START[+DURATION][*MAGNITUDE], e.g. canary-error-spike@2h or "
                                "global-incident@30m+10m");
        return std::nullopt;
    }
    Fault f;
    const QString kind = m.captured(1);
    const int k = int(kindNames().indexOf(kind));
    if (k < 0) {
        *error = QStringLiteral("unknown fault \"%1\" (known: %2)")
                     .arg(kind, kindNames().join(QStringLiteral(", ")));
        return std::nullopt;
    }
    f.kind = FaultKind(k);
    QString why;
    if (!m.captured(2).isEmpty()) {
        const auto start = Duration::parseMs(m.captured(2), &why);
        if (!start) {
            *error = QStringLiteral("start: %1").arg(why);
            return std::nullopt;
        }
        f.startMs = baseMs + *start;
    } else {
        f.startMs = baseMs;
    }
    if (!m.captured(3).isEmpty()) {
        const auto d = Duration::parseMs(m.captured(3), &why);
        if (!d || *d == 0) {
            *error = QStringLiteral("duration: %1").arg(d ? QStringLiteral("must be longer than 0") : why);
            return std::nullopt;
        }
        f.durationMs = *d;
    }
    if (f.kind == FaultKind::BriefSpike && f.durationMs == 0) f.durationMs = 60'000;
    if (!m.captured(4).isEmpty()) f.magnitude = m.captured(4).toDouble();
    return f;
}

} // namespace rollout
