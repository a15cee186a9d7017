#pragma once

#include "engine/RolloutSession.h"
#include "ledger/LocalLedger.h"

#include <QObject>
#include <QSet>

namespace rollout {

// One way in, several processes: `rolloutctl approve` or `rollback` records its decision in the
// same ledger file a running `watch` or console drives the rollout from. This follows that file:
// a record of the rollout that this process did not write and has not applied is verified with
// the rollout's whole chain and, when it counts, applied to the session (restore), in the order
// the decisions were taken. What does not verify is reported and never applied. Only this
// device's records are followed here: other devices' arrive through the shared store (LedgerSync).
class LedgerFollower final : public QObject
{
    Q_OBJECT
public:
    // `known`: the records already in the session (replayed at start, or written by this process).
    LedgerFollower(LocalLedger& ledger, RolloutSession& session, QObject* parent = nullptr);

    // Every record of the rollout now in the ledger counts as known (after the start-up replay).
    void markAllKnown();
    void markKnown(const QString& id) { m_known.insert(id); }
    // Looks at the ledger once (cheap when nothing changed); applies what arrived.
    void poll();

Q_SIGNALS:
    void applied(const rollout::RolloutEvent& event);
    void rejected(const QString& id, const QString& why);

private:
    LocalLedger& m_ledger;
    RolloutSession& m_session;
    QString m_mark;
    QSet<QString> m_known;
};

} // namespace rollout
