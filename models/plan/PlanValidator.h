#pragma once

#include "plan/Plan.h"
#include "plan/YamlCursor.h"

#include <QSet>

namespace rollout {

// The checks that span sections of a plan: references between them (a metric's source, a
// flag's backend, a phase's checklist, an approval's role) and the shape of the rollout
// (phase names unique, traffic never going down). Reports through the cursor, at the node.
class PlanValidator
{
public:
    // `badSources`: sources whose type was already reported as wrong; their metrics are not checked again.
    static void validate(const Plan& plan, const YAML::Node& root, YamlCursor& cursor,
                         const QSet<QString>& badSources = {});
};

} // namespace rollout
