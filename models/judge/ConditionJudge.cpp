#include "judge/ConditionJudge.h"

#include "plan/Duration.h"

#include <cmath>

namespace rollout {

namespace {

Judgement unknown(const QString& why, bool missing = true)
{
    Judgement j;
    j.truth = Truth::Unknown;
    j.reason = why;
    j.missingData = missing;
    return j;
}

// The newest usable sample, or why there is none.
std::optional<Sample> fresh(const MetricReader& reader, const MetricSpec& metric, Series series, qint64 nowMs,
                            QString* why)
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

Verdict criterionVerdict(const Judgement& j)
{
    return j.truth == Truth::True    ? Verdict::Pass
           : j.truth == Truth::False ? Verdict::Fail
                                     : Verdict::Inconclusive;
}

Verdict triggerVerdict(const Judgement& j)
{
    return j.truth == Truth::True    ? Verdict::Fail
           : j.truth == Truth::False ? Verdict::Pass
                                     : Verdict::Inconclusive;
}

QString toString(Verdict v)
{
    switch (v) {
    case Verdict::Pass:
        return QStringLiteral("pass");
    case Verdict::Fail:
        return QStringLiteral("fail");
    case Verdict::Inconclusive:
        return QStringLiteral("inconclusive");
    }
    return {};
}

Judgement ThresholdJudge::judge(const Condition& c, const MetricSpec& metric, const MetricReader& reader,
                                qint64 nowMs, std::optional<double> capturedBaseline) const
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
        case BaselineSpec::Kind::Fixed:
            base = metric.baseline.value;
            break;
        case BaselineSpec::Kind::Captured:
            if (!capturedBaseline)
                return unknown(
                    QStringLiteral("no baseline captured yet (it is taken when the rollout starts)"));
            base = capturedBaseline;
            break;
        case BaselineSpec::Kind::Query:
        case BaselineSpec::Kind::Series: {
            const auto b = fresh(reader, metric, Series::Baseline, nowMs, &why);
            if (!b) return unknown(why);
            base = b->value;
            break;
        }
        case BaselineSpec::Kind::None:
            return unknown(QStringLiteral("the metric has no baseline"));
        }
        if (!std::isfinite(*base)) return unknown(QStringLiteral("baseline is %1").arg(*base));
        j.baseline = base;
        // Compared by difference, so that a baseline of 0 is an ordinary case: "v > 2x b" is
        // "v − 2·b > 0", and a clean service (0 and 0) does not satisfy it.
        const double k = c.kind == ConditionKind::RatioToBaseline
                             ? c.threshold
                             : (c.decrease ? 1.0 - c.threshold : 1.0 + c.threshold);
        const double difference = sample->value - k * *base;
        j.compared = *base != 0.0 ? (c.kind == ConditionKind::RatioToBaseline ? sample->value / *base
                                     : c.decrease ? (*base - sample->value) / *base
                                                  : (sample->value - *base) / *base)
                                  : 0.0;
        Condition byDifference = c;
        byDifference.kind = ConditionKind::Absolute;
        byDifference.threshold = 0.0;
        if (c.kind == ConditionKind::ChangeFromBaseline && c.decrease) { // (b − v)/b ⊙ t  ⇔  v − (1−t)·b ⊙' 0
            switch (c.comparison) {
            case Comparison::Less:
                byDifference.comparison = Comparison::Greater;
                break;
            case Comparison::LessEqual:
                byDifference.comparison = Comparison::GreaterEqual;
                break;
            case Comparison::Greater:
                byDifference.comparison = Comparison::Less;
                break;
            case Comparison::GreaterEqual:
                byDifference.comparison = Comparison::LessEqual;
                break;
            case Comparison::Between:
                break;
            }
        }
        if (c.comparison != Comparison::Between) {
            j.truth = byDifference.compare(difference) ? Truth::True : Truth::False;
            return j;
        }
        if (*base == 0.0)
            return unknown(QStringLiteral("baseline is 0; \"between\" needs a non-zero baseline"));
    } else if (c.kind == ConditionKind::RateOfChange) {
        const qint64 hour = 3600 * 1000;
        auto past = reader.at(metric.name, Series::Canary, sample->tMs - hour);
        if (!past) past = reader.oldest(metric.name, Series::Canary);
        if (!past || sample->tMs - past->tMs < kMinRateHistoryMs || !std::isfinite(past->value)) {
            Judgement w = unknown(QStringLiteral("warming up: a rate of change needs %1 of history")
                                      .arg(Duration::format(kMinRateHistoryMs)));
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
