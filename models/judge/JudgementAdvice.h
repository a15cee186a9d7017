#pragma once

#include "plan/Plan.h"

#include <QStringList>

namespace rollout {

// What `rolloutctl validate` warns about a plan's judgement: metrics whose criteria and triggers
// will be judged on a single number because they give no counts, each as
// "file:line:column: metrics.NAME: …" with what to add.
class JudgementAdvice
{
public:
    static QStringList warnings(const Plan& plan);
    // "evidence (counts)", "evidence (samples)", "threshold": which judge a condition gets.
    static QString judgeOf(const Plan& plan, const Condition& c, bool criterion);
};

} // namespace rollout
