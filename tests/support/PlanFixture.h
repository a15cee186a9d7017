#pragma once

#include "plan/PlanLoader.h"

#include <QByteArray>

namespace rollout::test {

// Loads an inline YAML plan for a test; aborts the test binary with every error when it is
// invalid, since a fixture that does not load would make every later assertion meaningless.
Plan loadPlan(const QByteArray& yaml);

// Reads a file below the source tree (ROLLOUT_SOURCE_DIR), e.g. "resources/plans/x.yaml".
QByteArray sourceFile(const QString& relativePath);

} // namespace rollout::test
