#pragma once

#include "judge/Evidence.h"
#include "metrics/MetricReader.h"
#include "plan/Plan.h"

#include <optional>

namespace rollout {

enum class Truth
{
    True,
    False,
    Unknown
};

// The outcome of judging one condition now: true, false, or unknown (no sample, stale, NaN,
// an error, a missing baseline), with the numbers behind it and, when unknown, why.
struct Judgement
{
    Truth truth = Truth::Unknown;
    double observed = 0.0; // the metric's value (canary)
    double compared = 0.0; // what was compared: the value, the ratio, the change or the rate
    std::optional<double> baseline;
    qint64 sampleMs = 0;    // when the deciding sample was taken
    QString reason;         // for Unknown: why; otherwise a short explanation
    bool warmingUp = false; // Unknown only because not enough history exists yet (rate of change)
    bool missingData =
        false;         // Unknown because data is missing, stale or erroring (not merely too little evidence)
    Evidence evidence; // the estimate, interval and counts behind the verdict, when judged with evidence
};

// A verdict as a person reads it: a success criterion passes on evidence of health; a trigger
// "fails" on evidence of harm (its condition holds); anything else is inconclusive.
enum class Verdict
{
    Pass,
    Fail,
    Inconclusive
};
Verdict criterionVerdict(const Judgement& j);
Verdict triggerVerdict(const Judgement& j);
QString toString(Verdict v);

// One interface for judging a criterion, so that a statistical judge (canary vs baseline with
// sample sizes) can stand beside plain thresholds without touching the engine.
class ConditionJudge
{
public:
    virtual ~ConditionJudge() = default;
    virtual Judgement judge(const Condition& condition, const MetricSpec& metric, const MetricReader& reader,
                            qint64 nowMs, std::optional<double> capturedBaseline) const = 0;
};

// Compares the newest canary sample with the condition's threshold. A sample older than two
// polling intervals is stale; stale, missing, NaN or erroring data is Unknown, never healthy.
class ThresholdJudge final : public ConditionJudge
{
public:
    Judgement judge(const Condition& condition, const MetricSpec& metric, const MetricReader& reader,
                    qint64 nowMs, std::optional<double> capturedBaseline) const override;

    static constexpr qint64 kMinRateHistoryMs = 10 * 60 * 1000; // rate of change needs this much history
};

} // namespace rollout
