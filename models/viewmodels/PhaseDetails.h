#pragma once

#include "plan/Plan.h"

#include <QString>

namespace rollout {

// What a phase of the plan asks, as a short HTML page: traffic and cohort, what it takes to
// enter it and to leave it, and the triggers in force. The timeline shows it on a click.
class PhaseDetails
{
public:
    // Empty for a phase the plan does not have.
    static QString html(const Plan& plan, int phase);
};

} // namespace rollout
