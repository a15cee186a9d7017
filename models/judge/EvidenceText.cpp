#include "judge/EvidenceText.h"

#include <QLocale>
#include <cmath>

namespace rollout {

QString EvidenceText::count(double n)
{
    return QLocale::c().toString(qlonglong(std::llround(n)));
}

QString EvidenceText::interval(double estimate, double lower, double upper, Unit unit)
{
    if (!std::isfinite(lower) || !std::isfinite(upper)) return ConditionParser::formatValue(estimate, unit);
    return QStringLiteral("%1 [%2, %3]")
        .arg(ConditionParser::formatValue(estimate, unit), ConditionParser::formatValue(lower, unit),
             ConditionParser::formatValue(upper, unit));
}

QString EvidenceText::summary(const Judgement& j, Unit unit)
{
    const Evidence& e = j.evidence;
    if (!e.present) return ConditionParser::formatValue(j.observed, unit);
    const QString approx = e.approximate ? QStringLiteral("about ") : QString();
    if (e.method == QLatin1String("Mann-Whitney"))
        return QStringLiteral("canary %1 vs baseline %2 over %3/%4 samples; %5")
            .arg(ConditionParser::formatValue(e.canaryEstimate, unit),
                 ConditionParser::formatValue(e.baselineEstimate, unit))
            .arg(e.canarySamples)
            .arg(e.baselineSamples)
            .arg(j.reason);
    QString out = interval(e.canaryEstimate, e.canaryLower, e.canaryUpper, unit);
    if (e.isRate())
        out += QStringLiteral(" on %1%2 of %3").arg(approx, count(e.canaryEvents), count(e.canaryTrials));
    else
        out += QStringLiteral(" over %1 samples").arg(e.canarySamples);
    if (e.hasBaseline && e.isRate())
        out += QStringLiteral("; baseline %1 on %2%3 of %4")
                   .arg(interval(e.baselineEstimate, e.baselineLower, e.baselineUpper, unit), approx,
                        count(e.baselineEvents), count(e.baselineTrials));
    if (!e.window.isEmpty()) out += QStringLiteral(" (%1)").arg(e.window);
    return out;
}

QString EvidenceText::compact(const Judgement& j, Unit unit)
{
    const Evidence& e = j.evidence;
    if (!e.present) return ConditionParser::formatValue(j.observed, unit);
    if (e.method == QLatin1String("Mann-Whitney"))
        return QStringLiteral("%1 vs %2")
            .arg(ConditionParser::formatValue(e.canaryEstimate, unit),
                 ConditionParser::formatValue(e.baselineEstimate, unit));
    const QString value = interval(e.canaryEstimate, e.canaryLower, e.canaryUpper, unit);
    return e.isRate() ? QStringLiteral("%1 · %2/%3").arg(value, count(e.canaryEvents), count(e.canaryTrials))
                      : QStringLiteral("%1 · n=%2").arg(value).arg(e.canarySamples);
}

QString EvidenceText::waiting(const Judgement& j, Unit unit)
{
    const Evidence& e = j.evidence;
    const QString what = e.isRate() ? QStringLiteral("canary requests") : QStringLiteral("samples");
    const double have = e.isRate() ? e.canaryTrials : double(e.canarySamples);
    QString out;
    if (e.moreNeeded > 0)
        out = QStringLiteral("waiting for evidence: %1 of about %2 %3")
                  .arg(count(have), count(have + e.moreNeeded), what);
    else
        out =
            QStringLiteral("waiting for evidence: %1 %2 so far, no trend either way").arg(count(have), what);
    return out + QStringLiteral(" (%1)").arg(summary(j, unit));
}

} // namespace rollout
