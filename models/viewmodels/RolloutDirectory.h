#pragma once

#include "core/Clock.h"
#include "plan/Plan.h"
#include "viewmodels/RolloutSummary.h"

#include <QHash>
#include <QSet>
#include <QStringList>
#include <memory>
#include <optional>

namespace rollout {

class LocalLedger;

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
    RolloutDirectory();
    ~RolloutDirectory();
    RolloutDirectory(const RolloutDirectory&) = delete;
    RolloutDirectory& operator=(const RolloutDirectory&) = delete;

    // Rollouts named in `skip` (open in a tab: their live summary is better) are left out.
    static QList<RolloutSummary> read(const QList<Source>& plans, const QString& ledgerPath,
                                      const QString& personId, const QSet<QString>& skip, const Clock& clock);

    // The same, each rollout re-read (and its records verified again) only when its plan file, its
    // records in the ledger or the person changed, and at least every `maxAgeMs` (the summaries'
    // times in phase and waits move with the clock); the ledger's other rollouts only when the
    // ledger file changed. The home calls this every few seconds.
    QList<RolloutSummary> readCached(const QList<Source>& plans, const QString& ledgerPath,
                                     const QString& personId, const QSet<QString>& skip, const Clock& clock,
                                     qint64 maxAgeMs = 30000);
    int reads() const { return m_reads; } // how many rollouts were re-read and verified (tests)

private:
    struct Entry
    {
        QString planStamp;                // the plan file when it was last parsed
        std::optional<Plan> plan;         // as parsed then (nullopt: it did not load)
        QList<RolloutSummary> unloadable; // what it said then, when it did not load
        QString stamp;
        qint64 atMs = 0;
        RolloutSummary summary;
    };
    QHash<QString, Entry> m_entries; // plan path → its last summary
    std::unique_ptr<LocalLedger> m_ledger;
    QString m_othersStamp;
    QList<RolloutSummary> m_others; // the ledger's rollouts without a plan here
    int m_reads = 0;
};

} // namespace rollout
