#pragma once

#include "engine/RolloutSession.h"
#include "ledger/LedgerVerifier.h"

namespace rollout {

// Rebuilds a rollout's state from its ledger when a console or `watch` starts: every record of
// the rollout is verified against the plan now loaded, and the verified decisions are replayed
// into the session in the order they were taken. A record that does not verify is never
// replayed: it is reported, with each failed check, and the gate does not count it.
class LedgerReplay final
{
public:
    struct Outcome
    {
        int restored = 0;
        QList<RecordVerdict> verdicts;     // every record, in order
        QStringList skipped;               // "record <id> (approval_recorded by rita): signature: …"
    };
    static Outcome rebuild(RolloutSession& session, const QList<LedgerRecord>& records);
};

} // namespace rollout
