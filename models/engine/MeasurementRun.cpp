#include "engine/MeasurementRun.h"

namespace rollout {

bool MeasurementRun::update(bool failed, bool passed, qint64 nowMs, qint64 intervalMs,
                            const MeasurementSpec& spec)
{
    if (m_outcome != Outcome::Running) return false; // a finished run measures no more
    if (m_lastMs >= 0 && nowMs - m_lastMs < intervalMs) return false;
    m_lastMs = nowMs;
    if (failed) {
        ++m_failures;
        if (m_firstFailureMs == 0) m_firstFailureMs = nowMs;
    } else if (passed) {
        ++m_passes;
    } else {
        ++m_inconclusive;
        return true; // taken again at the next interval; the last decided one still stands
    }
    m_lastFailed = failed;
    if (m_failures > spec.failureLimit)
        m_outcome = Outcome::Failed;
    else if (spec.count && decided() >= *spec.count)
        m_outcome = Outcome::Succeeded;
    return true;
}

QString MeasurementRun::describe(const MeasurementSpec& spec) const
{
    const QString of = spec.count ? QStringLiteral("%1 of %2 measurements").arg(decided()).arg(*spec.count)
                                  : QStringLiteral("%1 measurement%2")
                                        .arg(decided())
                                        .arg(decided() == 1 ? QString() : QStringLiteral("s"));
    QString s =
        QStringLiteral("%1, %2 failed (failure_limit %3)").arg(of).arg(m_failures).arg(spec.failureLimit);
    if (m_inconclusive > 0) s += QStringLiteral(", %1 inconclusive").arg(m_inconclusive);
    return s;
}

} // namespace rollout
