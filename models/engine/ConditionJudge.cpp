#include "engine/ConditionJudge.h"

#include "plan/Duration.h"

#include <cmath>

namespace rollout {

namespace {

Judgement unknown(const QString& why)
{
    Judgement j;
    j.truth = Truth::Unknown;
    j.reason = why;
    return j;
}

// The newest usable sample, or why there is none.
std::optional<Sample> fresh(const MetricReader& reader, const MetricSpec& metric, Series series, qint64 nowMs, QString* why)
{
    const QString which = series == Series::Canary ? QString() : QStringLiteral(" (baseline)");
    const auto s = reader.latest(metric.name, series);
    const QString error = reader.lastError(metric.name);
    if (!s) {
        *why = error.isEmpty() ? QStringLiteral("no sample yet%1").arg(which) : error;
        return std::nullopt;
    }
    const qint64 age = nowMs - s->tMs;
    if (age > 2 * metric.intervalMs) {
        *why = QStringLiteral("stale%1: newest sample is %2 old (polled every %3)%4")
                   .arg(which, Duration::format(age), Duration::format(metric.intervalMs),
                        error.isEmpty() ? QString() : QStringLiteral("; ") + error);
        return std::nullopt;
    }
    if (!std::isfinite(s->value)) {
        *why = QStringLiteral("no data%1: the source returned %2").arg(which, QString::number(s->value));
        return std::nullopt;
    }
    return s;
}

} // namespace

Judgement ThresholdJudge::judge(const Condition& c, const MetricSpec& metric, const MetricReader& reader, qint64 nowMs,
                                std::optional<double> capturedBaseline) const
{
    QString why;
    const auto sample = fresh(reader, metric, Series::Canary, nowMs, &why);
    if (!sample) return unknown(why);

    Judgement j;
    j.observed = sample->value;
    j.sampleMs = sample->tMs;
    j.compared = sample->value;

    if (c.usesBaseline()) {
        std::optional<double> base;
        switch (metric.baseline.kind) {
        case BaselineSpec::Kind::Fixed: base = metric.baseline.value; break;
        case BaselineSpec::Kind::Captured:
            if (!capturedBaseline) return unknown(QStringLiteral("no baseline captured yet (it is taken when the rollout starts)"));
            base = capturedBaseline;
            break;
        case BaselineSpec::Kind::Query:
        case BaselineSpec::Kind::Series: {
            const auto b = fresh(reader, metric, Series::Baseline, nowMs, &why);
            if (!b) return unknown(why);
            base = b->value;
            break;
        }
        case BaselineSpec::Kind::None: return unknown(QStringLiteral("the metric has no baseline"));
        }
        if (!std::isfinite(*base) || *base == 0.0)
            return unknown(QStringLiteral("baseline is %1; a relative comparison needs a non-zero baseline").arg(*base));
        j.baseline = base;
        if (c.kind == ConditionKind::RatioToBaseline) j.compared = sample->value / *base;
        else j.compared = c.decrease ? (*base - sample->value) / *base : (sample->value - *base) / *base;
    } else if (c.kind == ConditionKind::RateOfChange) {
        const qint64 hour = 3600 * 1000;
        auto past = reader.at(metric.name, Series::Canary, sample->tMs - hour);
        if (!past) past = reader.oldest(metric.name, Series::Canary);
        if (!past || sample->tMs - past->tMs < kMinRateHistoryMs || !std::isfinite(past->value)) {
            Judgement w = unknown(QStringLiteral("warming up: a rate of change needs %1 of history").arg(Duration::format(kMinRateHistoryMs)));
            w.warmingUp = true;
            return w;
        }
        const double hours = double(sample->tMs - past->tMs) / double(hour);
        if (c.relativeRate) {
            if (past->value == 0.0) return unknown(QStringLiteral("cannot measure relative growth from 0"));
            j.compared = (sample->value - past->value) / std::fabs(past->value) / hours;
        } else {
            j.compared = (sample->value - past->value) / hours;
        }
    }
    j.truth = c.compare(j.compared) ? Truth::True : Truth::False;
    return j;
}

} // namespace rollout
