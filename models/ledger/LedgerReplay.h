#pragma once

#include "engine/RolloutSession.h"
#include "ledger/LedgerVerifier.h"

namespace rollout {

// Rebuilds a rollout's state from its ledger when a console or `watch` starts: every record of
// the rollout is verified against the plan now loaded, and the decisions that verify on their own
// (countsForGate: signature, signer, rollout, plan) are replayed into the session in the order
// they were taken. A record that does not is never replayed: it is reported, with each failed
// check, and the gate does not count it. Damage to the chain (a record deleted, a link broken) is
// reported as tampering, and the authentic records around it are still replayed.
class LedgerReplay final
{
public:
    struct Outcome
    {
        int restored = 0;
        QList<RecordVerdict> verdicts; // every record, in order
        QStringList skipped;           // "record <id> (approval_recorded by rita): signature: …"
        QStringList
            tampering; // "tampering: record seq 2 of device … is missing (deleted?): …" (tamperingSentence)
        QList<RolloutEvent> events; // the decisions applied, in the order they were taken (the history)
    };
    static Outcome rebuild(RolloutSession& session, const QList<LedgerRecord>& records);

    // What became of one record handed to applyAll.
    struct Step
    {
        const RecordVerdict* verdict = nullptr;
        bool applied = false;
        QString why;     // not applied: the failed checks, or why its decision does not follow
        QString bridged; // applied after following a lost rollback (tampering; says which record showed it)
        std::optional<RolloutEvent> event; // the decision applied (when applied)
    };
    // Applies records, in the order given (the order the decisions were taken), to the session:
    // those that count (countsForGate), each once. A lost rollback is followed: when the ledger is
    // damaged (`ledgerDamaged`) and an authentic phase change was taken at a lower phase than the
    // session stands at, a rollback between them was deleted, or altered and refused. The session
    // is rolled back to the phase that record was taken at — the safe direction — at the first
    // record after the damage (afterDamage) since the previous phase change, or else right before
    // that record; the decisions after that point stay. A missing advance is never made up.
    static QList<Step> applyAll(RolloutSession& session, const QList<const RecordVerdict*>& ordered,
                                bool ledgerDamaged);

    // tamperingSentence() of each failure of `verdict` that shows tampering.
    static QStringList tamperingOf(const RecordVerdict& verdict);
};

} // namespace rollout
