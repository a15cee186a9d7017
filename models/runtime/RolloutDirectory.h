#pragma once

#include "core/Clock.h"
#include "viewmodels/RolloutSummary.h"

#include <QSet>
#include <QStringList>

namespace rollout {

// The rollouts a console knows without having them open: each plan file (recently opened, or an
// example) rebuilt from the ledger, and every other rollout the ledger holds records of (shared
// through the store by other consoles and `watch`). Read-only: nothing is polled, signed or set.
class RolloutDirectory
{
public:
    struct Source
    {
        QString planPath;
        QString kind; // "recent plan", "example"
    };
    // Rollouts named in `skip` (open in a tab: their live summary is better) are left out.
    static QList<RolloutSummary> read(const QList<Source>& plans, const QString& ledgerPath,
                                      const QString& personId, const QSet<QString>& skip, const Clock& clock);
};

} // namespace rollout
