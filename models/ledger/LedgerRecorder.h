#pragma once

#include "engine/RolloutSession.h"
#include "ledger/Ed25519.h"
#include "ledger/LedgerWriter.h"
#include "ledger/LocalLedger.h"

#include <QHash>
#include <QMap>
#include <QObject>
#include <functional>
#include <optional>

namespace rollout {

// Turns the engine's decisions into signed records in the device's ledger, as they happen: a
// checklist tick, an approval, an advance, a pause, a rollback with its trigger and values, a
// flag change and what was read back. Each is signed with the key of the person who acted (or
// the automation key for the engine's own decisions); a decision whose actor has no key here is
// reported (notRecorded) rather than signed by someone else.
class LedgerRecorder final : public QObject
{
    Q_OBJECT
public:
    LedgerRecorder(RolloutSession& session, LocalLedger& ledger, QObject* parent = nullptr);
    ~LedgerRecorder() override;

    // The key `actorId` signs with from now on (a person's id from the plan, or "automation").
    void addKey(const QString& actorId, const Ed25519::KeyPair& key);
    // This installation's key (DeviceKey): it signs a rollback whose actor has no unlocked key here
    // ("signature pending" until that person countersigns) and observations nobody else can sign.
    void setDeviceKey(const Ed25519::KeyPair& key) { m_deviceKey = key; }
    bool hasDeviceKey() const { return m_deviceKey.has_value(); }

    // Signs `e` and makes it durable; `done` runs once it is (with the record), or once it cannot
    // be (nullopt and why). A decision that is not recorded (commentary) is done at once with
    // nullopt and no problem. With a writer, `done` runs later, on this thread, in order.
    using Done = std::function<void(const std::optional<LedgerRecord>& record, const QString& problem)>;
    void record(const RolloutEvent& e, Done done);
    bool canSign(const QString& actorId) const { return m_keys.contains(actorId); }
    // Locks `actorId`'s key again: it is wiped from memory; their decisions are refused until it
    // is unlocked (a rollback is signed with the device key).
    void removeKey(const QString& actorId);
    // Who signs the engine's observations (a flag read-back, drift) when this process holds no
    // automation key (a person's rolloutctl): the record names them, marked "observed_by".
    // Automation's decisions (a trigger firing, an automatic rollback) are never signed this way.
    void setObserver(const Actor& observer) { m_observer = observer; }
    // The next advance (or completion) is the one the shared store granted to claim `claimId`: its
    // record names the claim, so that every console knows which claim the next one follows.
    void setNextAdvanceClaim(const QString& claimId) { m_nextClaim = claimId; }
    LocalLedger& ledger() { return m_ledger; }
    // From now on records are written by `writer`, off this thread (the console's UI thread):
    // recorded() comes once each is durable, in order; until then it is pending.
    void setWriter(std::unique_ptr<LedgerWriter> writer);
    bool isDurable() const { return m_pending.isEmpty(); }
    int pendingWrites() const { return int(m_pending.size()); }

Q_SIGNALS:
    void recorded(const rollout::LedgerRecord& record);
    void notRecorded(const rollout::RolloutEvent& event, const QString& why);
    // With a writer: a record named `id` is on its way to disk (followers know it is ours).
    void queued(const QString& id);
    // With a writer: every decision asked for so far is on disk.
    void durable();

private:
    void onEvent(const RolloutEvent& e);
    void finish(const QString& id, const std::optional<LedgerRecord>& record, const QString& problem);

    const Plan& m_plan;
    LocalLedger& m_ledger;
    QMap<QString, Ed25519::KeyPair> m_keys;
    QString m_nextClaim;
    std::optional<Actor> m_observer;
    std::unique_ptr<LedgerWriter> m_writer;
    std::optional<Ed25519::KeyPair> m_deviceKey;
    struct Pending
    {
        RolloutEvent event;
        Done done;
    };
    QHash<QString, Pending> m_pending; // id → decision, asked and not yet durable
};

} // namespace rollout
