#pragma once

#include <Qt>

namespace rollout {

// What a cell means, not how it looks: item models in models/ say a cell is good, a warning or
// bad; the widgets in ui/ pick the colours (models/ does not link QtGui).
enum class Severity
{
    Normal,
    Good,
    Warning,
    Bad,
    Muted
};

constexpr int SeverityRole = Qt::UserRole + 100;

} // namespace rollout
