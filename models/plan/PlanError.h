#pragma once

#include <QList>
#include <QString>

namespace rollout {

// One thing wrong with a plan: where (file:line:column), which field (a path such as
// phases[2].traffic) and what was expected.
struct PlanError
{
    QString file;
    int line = 0;   // 1-based; 0 when the error is about the file as a whole
    int column = 0; // 1-based
    QString path;
    QString message;

    QString toString() const;
};

using PlanErrors = QList<PlanError>;

} // namespace rollout
