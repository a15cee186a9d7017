#pragma once

#include "plan/Plan.h"

namespace rollout {

// A plan rehearsed at speed: every duration of the engine's divided by `factor` — phase minimum
// and maximum durations, a trigger's `for`, windows (`over 48h`), history (`median over 7d`),
// Argo-style measurement intervals, polling intervals, the retry delay, the inconclusive limit and
// the criteria grace — so that a plan written in days runs through its phases in minutes against
// real services (the seeds' end-to-end tests). Polling intervals
// and measurement intervals never go below `floorMs` (a Prometheus scrapes once a second), the
// windows and history below 3 polls, the inconclusive limit below 10, the criteria grace below 3. What the
// plan's queries say (PromQL's own `[5m]`) and its thresholds are not touched, nor are rates per
// hour (`grows 10%/h`): they are about the service, not about the rollout's calendar.
class PlanRehearsal
{
public:
    static Plan compress(Plan plan, double factor, qint64 floorMs = 1000);
    // "rehearsed 1000× faster: 7d phases last 10m 4s" — for a banner or a log line.
    static QString describe(const Plan& original, double factor);
};

} // namespace rollout
