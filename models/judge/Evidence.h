#pragma once

#include <QString>

namespace rollout {

// What one decision saw: the canary's (and baseline's) estimate with its always-valid confidence
// interval and the counts or samples behind it, and the decision quantity
// (canary − k·baseline − threshold) with its interval. All values in the metric's unit.
struct Evidence
{
    bool present = false; // false: the condition was judged on a single number (threshold)
    QString method;       // "sequential proportion test", "sequential mean test", "Mann-Whitney"
    double level = 0.0;   // confidence level of the intervals, e.g. 0.95
    double canaryEstimate = 0.0, canaryLower = 0.0, canaryUpper = 0.0;
    double canaryEvents = 0.0, canaryTrials = 0.0; // rates: what was counted
    int canarySamples = 0;                         // values: how many samples
    bool hasBaseline = false;
    double baselineEstimate = 0.0, baselineLower = 0.0, baselineUpper = 0.0;
    double baselineEvents = 0.0, baselineTrials = 0.0;
    int baselineSamples = 0;
    double difference = 0.0, differenceLower = 0.0, differenceUpper = 0.0;
    double moreNeeded = 0.0;  // inconclusive: about how many more canary trials (or samples) would settle it
    bool approximate = false; // trials estimated from a request rate (metric key `per`)
    qint64 fromMs = 0, toMs = 0; // the span the evidence covers
    QString window;              // "since phase start", "last 15s", …

    // "0.52% [0.31%, 0.80%] on 3 of 612 requests" (formatted by the caller's unit formatter)
    bool isRate() const { return canaryTrials > 0.0 || method.contains(QLatin1String("proportion")); }
};

} // namespace rollout
