#pragma once

#include "ledger/LedgerRecorder.h"
#include "ledger/SharedStoreWorker.h"

#include <QObject>
#include <functional>

namespace rollout {

// No double advance: before a console takes an open gate, it signs an "advance_claimed" record
// and asks the shared store to make it the one successor of the rollout's last granted claim
// (compare-and-set in one SQL transaction). Only the winner advances; the loser is told who
// advanced and when, and changes nothing (the winner's records reach it through LedgerSync).
// Rolling back never waits for this: it is always allowed and idempotent.
class AdvanceClaimer final : public QObject
{
    Q_OBJECT
public:
    AdvanceClaimer(RolloutSession& session, LedgerRecorder& recorder, const StoreSettings& settings,
                   QObject* parent = nullptr);

    // Claims, then advances as `actor`; `done` runs once, in this object's thread.
    void advance(const Actor& actor, std::function<void(const ActionResult&)> done);
    bool busy() const { return static_cast<bool>(m_done); }
    // True only while the advance the store granted is being taken (for the session's guard).
    bool granting() const { return m_granting; }
    // The claim the rollout's next advance must follow ("" before the first), from the ledger.
    QString lastGrantedClaim() const;
    // How long a granted claim may wait for its advance before the next claim goes past it
    // (a process that died between the grant and the advance); default 60 s.
    void setClaimLeaseMs(qint64 ms) { m_leaseMs = ms; }

Q_SIGNALS:
    // A granted claim was given back because its advance was refused (the gate closed after the grant).
    void claimReleased(const QString& claimId, const QString& why);

private:
    void onClaimed(const QString& recordId, const TransitionOutcome& outcome);

    RolloutSession& m_session;
    LedgerRecorder& m_recorder;
    SharedStoreWorker m_worker;
    QString m_claimId;
    QString m_predecessor;
    bool m_awaitingClaim = false; // the claim's record is on its way to disk
    Actor m_actor;
    std::function<void(const ActionResult&)> m_done;
    bool m_granting = false;
    qint64 m_leaseMs = 60000;
};

} // namespace rollout
