#pragma once

#include "plan/ActionSpec.h"
#include "plan/Plan.h"
#include "plan/YamlCursor.h"

#include <QMap>
#include <vector>

namespace rollout {

// Reads the plan's action lists (a trigger's `actions`, the plan's `rollback_actions`) and an
// http_admin backend's named `operations`, reporting through the cursor like the rest of the
// plan. Their references (backends, operations, webhooks) are checked by PlanActionValidator.
class PlanActionReader
{
public:
    explicit PlanActionReader(YamlCursor& cursor) : c(cursor) {}

    std::vector<ActionStep> steps(const YAML::Node& list, const QString& path);
    QMap<QString, HttpOperation> operations(const YAML::Node& map, const QString& path);
    // A trigger's `actions` (node `n` is the trigger): read, checked against its kind, and its
    // `action` taken from the list's first rollback step (`actionGiven`: the trigger said both).
    void triggerActions(TriggerSpec& t, const YAML::Node& n, const QString& path, bool actionGiven);

private:
    std::optional<ActionStep> step(const YAML::Node& n, const QString& path);
    YamlCursor& c;
};

} // namespace rollout
