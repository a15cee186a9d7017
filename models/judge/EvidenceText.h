#pragma once

#include "judge/ConditionJudge.h"

namespace rollout {

// A verdict's evidence in words, for the gate panel, the Triggers tab, records and messages:
// "0.52% [0.31%, 0.80%] on 3 of 612 requests" or
// "waiting for evidence: 37 of about 300 canary requests (0.00% [0.00%, 8.10%])".
class EvidenceText
{
public:
    static QString summary(const Judgement& j, Unit unit);
    // For a table cell: "17.6% [1.61%, 90.1%] · 3/17".
    static QString compact(const Judgement& j, Unit unit);
    static QString waiting(const Judgement& j, Unit unit);
    static QString interval(double estimate, double lower, double upper, Unit unit);
    static QString count(double n); // 12,345
};

} // namespace rollout
