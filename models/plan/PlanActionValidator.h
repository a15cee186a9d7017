#pragma once

#include "plan/Plan.h"
#include "plan/YamlCursor.h"

#include <QStringList>

namespace rollout {

// The checks for action lists, per-flag cohorts and per-environment flag sets that span sections
// of a plan: a step's backend, operation and webhook; a flag's own cohort naming a flag of the
// plan on a service that can limit it; an environment's flags on a service that has environments.
// Errors go through the cursor at the node; warnings (a plan that narrows a flag's cohort while
// its share stays the same, most likely by accident) are for `rolloutctl validate`.
class PlanActionValidator
{
public:
    static void validate(const Plan& plan, const YAML::Node& root, YamlCursor& cursor);
    static QStringList warnings(const Plan& plan);
};

} // namespace rollout
