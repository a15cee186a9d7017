#pragma once

#include "plan/Plan.h"
#include "plan/PlanError.h"

#include <optional>

namespace rollout {

struct PlanLoadResult
{
    std::optional<Plan> plan; // set only when there are no errors
    PlanErrors errors;
};

// Reads a rollout plan (YAML, or JSON, which YAML reads too) and validates it completely.
// Either the whole plan loads, or `errors` lists every problem found and `plan` is empty.
class PlanLoader
{
public:
    static PlanLoadResult loadFile(const QString& path);
    static PlanLoadResult loadBytes(const QByteArray& bytes, const QString& fileName);
};

} // namespace rollout
