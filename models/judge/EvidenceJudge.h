#pragma once

#include "judge/ConditionJudge.h"
#include "plan/Plan.h"

namespace rollout {

// Judges a condition on the evidence behind it, with always-valid confidence sequences, so that a
// verdict stays sound although the engine looks every second (docs/judgement.md):
// - a rate with counts (errors over requests): a sequential test on the proportion, or on the
//   difference canary − k·baseline for a relative condition (a zero baseline is an ordinary case);
// - a value metric's samples in a success criterion: a sequential test on the mean against an
//   absolute threshold, a Mann-Whitney rank test against the baseline for a relative one.
// A condition holds (Truth::True) when the whole interval satisfies it, does not hold when the
// whole interval violates it, and is Unknown (inconclusive) in between, with roughly how much more
// traffic would settle it. Missing, stale or erroring data is Unknown with missingData set.
class EvidenceJudge
{
public:
    explicit EvidenceJudge(const Plan& plan) : m_plan(plan) {}

    // True when `c` is judged with evidence here: a rate metric that has (or is expected to have)
    // counts, or, for a success criterion, any non-rate metric's samples. Between and rate-of-change
    // conditions stay on the threshold judge.
    bool judges(const Condition& c, const MetricSpec& m, const MetricReader& reader, bool criterion) const;
    // Whether a rate metric's counts come from counters, the simulator or a request rate (`per`).
    bool expectsCounts(const MetricSpec& m) const;

    // A success criterion over [sinceMs, nowMs] (the phase so far), at confidence `level`.
    Judgement criterion(const Condition& c, const MetricSpec& m, const MetricReader& reader, qint64 nowMs,
                        qint64 sinceMs, double level) const;

    // The evidence over [fromMs, nowMs] alone (a window, `over 15m`), at confidence `level`: the
    // canary's counts summed over it (rates) or its samples (values). Whether the window is covered
    // is the caller's question (WindowJudge).
    Judgement over(const Condition& c, const MetricSpec& m, const MetricReader& reader, qint64 nowMs,
                   qint64 fromMs, double level) const;

    // A trigger: harm shown over any of the trailing windows max(for, 10 s, 2 intervals) × 4^k
    // (k = 0..5) or over everything since `sinceMs`, at confidence `level`: half of the error is
    // spent on the whole span, half evenly on the six windows. Truth::True is evidence of harm;
    // `building` is set when the shortest window's estimate is past the threshold but not yet shown.
    struct TriggerJudgement
    {
        Judgement judgement;
        bool building = false;
    };
    TriggerJudgement trigger(const Condition& c, const MetricSpec& m, const MetricReader& reader,
                             qint64 nowMs, qint64 sinceMs, qint64 forMs, double level) const;

    // A global incident: the baseline shows the same harm (the condition applied to the baseline
    // cohort: over the threshold, or over k× its own level before the window), while the canary is
    // not shown to be worse than the baseline. `reason` says so when it is one.
    struct GlobalIncident
    {
        bool baselineHarmed = false; // over some window, the baseline itself shows the harm
        bool canaryWorse = false;    // ... and the canary is shown worse than the baseline there
        QString reason;              // set when baselineHarmed && !canaryWorse
        // Over the shortest window the baseline's estimate is past the threshold too (not yet shown):
        // when the canary's harm is shown at that moment, the canary is not blamed for it.
        bool baselineLooksHarmed = false;
        QString looksReason;
    };
    GlobalIncident globalIncident(const Condition& c, const MetricSpec& m, const MetricReader& reader,
                                  qint64 nowMs, qint64 sinceMs, qint64 forMs, double level) const;

    static constexpr int kTriggerWindows =
        6; // the trailing windows a trigger looks over, plus the whole span
    static constexpr qint64 kShortestWindowMs = 10'000;

private:
    std::optional<Counts> countsOf(const MetricSpec& m, const MetricReader& reader, Series s, qint64 fromMs,
                                   qint64 nowMs, bool* approximate, QString* why) const;
    // `display`: also work out each cohort's own interval (for screens and records); a trigger's
    // scan over its windows decides without them.
    Judgement rate(const Condition& c, const MetricSpec& m, const MetricReader& reader, qint64 nowMs,
                   qint64 fromMs, double alpha, bool display) const;
    Judgement values(const Condition& c, const MetricSpec& m, const MetricReader& reader, qint64 nowMs,
                     qint64 fromMs, double level) const;

    const Plan& m_plan;
};

} // namespace rollout
