#include "judge/JudgementAdvice.h"

#include "judge/EvidenceJudge.h"
#include "plan/Duration.h"

namespace rollout {

namespace {

bool used(const Plan& plan, const QString& metric)
{
    for (const TriggerSpec& t : plan.triggers)
        if (t.when.metric == metric) return true;
    for (const PhaseSpec& ph : plan.phases) {
        for (const Condition& c : ph.success)
            if (c.metric == metric) return true;
        for (const TriggerSpec& t : ph.triggers)
            if (t.when.metric == metric) return true;
    }
    return false;
}

QString judgeOfLatest(const Plan& plan, const Condition& c, bool criterion)
{
    const MetricSpec* m = plan.metric(c.metric);
    if (!m || m->thresholdOnly || c.comparison == Comparison::Between ||
        c.kind == ConditionKind::RateOfChange)
        return QStringLiteral("threshold");
    const EvidenceJudge judge(plan);
    if (m->kind == MetricKind::Rate)
        return judge.expectsCounts(*m) ? QStringLiteral("evidence (counts)") : QStringLiteral("threshold");
    return criterion ? QStringLiteral("evidence (samples)") : QStringLiteral("threshold");
}

} // namespace

QStringList JudgementAdvice::warnings(const Plan& plan)
{
    QStringList out;
    const EvidenceJudge judge(plan);
    for (const MetricSpec& m : plan.metrics) {
        if (!used(plan, m.name) || m.thresholdOnly) continue;
        const QString where = QStringLiteral("%1:%2:%3: metrics.%4: ")
                                  .arg(plan.fileName)
                                  .arg(m.where.line)
                                  .arg(m.where.column)
                                  .arg(m.name);
        if (m.kind == MetricKind::Rate && !judge.expectsCounts(m)) {
            out.append(
                where +
                QStringLiteral(
                    "judged without evidence: this rate gives no counts, so a verdict may rest on a handful "
                    "of "
                    "requests (add `events:` and `trials:` counters, or `per:` a request-rate metric)"));
        } else if (m.kind == MetricKind::Value && m.unit == Unit::Ratio) {
            out.append(
                where +
                QStringLiteral(
                    "judged without counts: if this is a share of requests, declare `kind: rate` with "
                    "`events:` "
                    "and `trials:` counters so that its verdicts weigh how many requests stand behind them"));
        }
    }
    return out;
}

QString JudgementAdvice::judgeOf(const Plan& plan, const Condition& c, bool criterion)
{
    QString how = judgeOfLatest(plan, c, criterion);
    const MetricSpec* m = plan.metric(c.metric);
    if (c.kind == ConditionKind::RatioToHistory)
        how =
            QStringLiteral("history (%1 over %2)")
                .arg(c.historyStat == HistoryStat::Median ? QStringLiteral("median") : QStringLiteral("mean"),
                     Duration::format(c.historyMs));
    else if (c.aggregate == Aggregate::Total)
        how = QStringLiteral("total (counter)");
    else if (c.aggregate == Aggregate::Window)
        how = m && m->kind == MetricKind::Rate && how.startsWith(QLatin1String("evidence"))
                  ? QStringLiteral("evidence (counts over %1)").arg(Duration::format(c.windowMs))
              : criterion && how.startsWith(QLatin1String("evidence"))
                  ? QStringLiteral("evidence (samples over %1)").arg(Duration::format(c.windowMs))
                  : QStringLiteral("mean over %1").arg(Duration::format(c.windowMs));
    if (c.measurement)
        how += QStringLiteral("; measured every %1, failure_limit %2%3")
                   .arg(c.measurement->intervalMs > 0 ? Duration::format(c.measurement->intervalMs)
                                                      : QStringLiteral("poll"))
                   .arg(c.measurement->failureLimit)
                   .arg(c.measurement->count ? QStringLiteral(", count %1").arg(*c.measurement->count)
                                             : QString());
    return how;
}

} // namespace rollout
