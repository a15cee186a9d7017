#pragma once

#include "core/Clock.h"
#include "viewmodels/RolloutSummary.h"

#include <QSet>
#include <QStringList>

namespace rollout {

// The rollouts a console knows without having them open: each plan file (recently opened, or an
// example) rebuilt from the ledger, and every other rollout the ledger holds records of (shared
// through the store by other consoles and `watch`). Read-only: nothing is polled, signed or set.
// Each plan is a bare session replayed from its verified records (no runtime: no poller, no flag
// service, no timer); the ledger is read once for all of them.
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

    // The same, answered from the last read while no plan file, the ledger (or its write-ahead
    // log), the person or the open rollouts changed, and for at most `maxAgeMs` (the summaries'
    // times in phase and waits move with the clock). The home calls this every few seconds.
    QList<RolloutSummary> readCached(const QList<Source>& plans, const QString& ledgerPath,
                                     const QString& personId, const QSet<QString>& skip, const Clock& clock,
                                     qint64 maxAgeMs = 30000);
    int reads() const { return m_reads; } // how many times the ledger was actually read (tests)

private:
    QString m_stamp;
    qint64 m_readAtMs = 0;
    QList<RolloutSummary> m_last;
    int m_reads = 0;
};

} // namespace rollout
