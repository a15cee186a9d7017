#pragma once

#include "ledger/LedgerVerifier.h"
#include "plan/Plan.h"

#include <QMap>
#include <QString>

namespace rollout {

// The evidence pack's page (Markdown), for a change ticket or a post-rollout review (seed 000):
// the rollout and plan version, the phases with their start and end, every gate's approvals and
// checklist ticks with their signature status, every trigger, rollback and flag read-back with
// its values, a chart per metric, and how to verify the attached ledger. Pure: it reads the
// verified records and the chart file names it is given; it writes nothing.
class EvidenceReport final
{
public:
    struct Input
    {
        const Plan* plan = nullptr;
        QList<RecordVerdict> verdicts; // the rollout's records, verified against the plan
        QMap<QString, QString> charts; // metric → PNG file name, relative to the page
        QString ledgerFile;            // the JSONL export beside the page
        qint64 generatedAtMs = 0;
    };
    static QString markdown(const Input& in);
};

} // namespace rollout
