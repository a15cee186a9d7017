#pragma once

#include "ledger/LedgerVerifier.h"
#include "metrics/TimeSeriesStore.h"
#include "plan/Plan.h"

#include <QString>

namespace rollout {

// Writes a rollout's evidence pack into a folder: index.md (EvidenceReport), one chart per
// metric over the rollout as PNG (ChartRenderer: QPainter into an image, no widget, with phase
// changes and rollbacks marked), and ledger.jsonl (the signed records, verifiable
// anywhere). Used by the console (Rollout → Write evidence pack) and `rolloutctl report`.
class EvidencePackWriter final
{
public:
    // Returns the page's path, or nullopt with `problem` set (nothing half-written is left
    // looking complete: the page is written last).
    static std::optional<QString> write(const QString& folder, const Plan& plan,
                                        const QList<RecordVerdict>& verdicts, const TimeSeriesStore& store,
                                        qint64 nowMs, QString* problem);
};

} // namespace rollout
