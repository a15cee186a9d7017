#pragma once

#include "ledger/SharedStoreWorker.h"

#include <QObject>
#include <QTimer>

namespace rollout {

// Who drives a rollout (docs/ledger-format.md, "Driving and following"): at most one process
// (a `watch`, or a console nobody else drives for) holds the rollout's lease in the shared store,
// renews it every heartbeatMs, and loses it ttlMs after its last heartbeat. Every other process
// that opens the rollout follows.
//
// - start(): asks for the lease. Driving when granted; Following when another live process holds
//   it; a holder on this host whose process is gone (a watch killed and restarted) is taken over
//   at once. Alone when the store cannot be reached: nobody can say who drives.
// - Driving: heartbeats. A heartbeat answered with another holder (this process could not renew
//   in time and someone took over) is `lost`. A store that stops answering does not stop the
//   driver (a hard trigger must still roll back): it keeps driving and renews when it can.
// - Following: checks the lease when the holder's lease would lapse, and when the store says the
//   lease changed hands or was given back (NOTIFY). A lapsed lease is taken over at once when
//   autoTakeOver (the default), else `lapsed` is emitted and takeOver() takes it.
// - stop(): gives the lease back (waits up to 3 s), so a follower takes over without waiting.
class DriveLease final : public QObject
{
    Q_OBJECT
public:
    enum class State
    {
        Pending,   // asked, no answer yet
        Driving,   // this process holds the lease
        Following, // another live process holds it
        Alone      // the store did not answer: driving without a lease
    };
    struct Options
    {
        int heartbeatMs = 2000;
        int ttlMs = 6000;
        bool autoTakeOver = true;
    };

    // `sync` (may be null) carries the store's lease notifications; `worker` is the connection.
    DriveLease(SharedStoreWorker& worker, LeaseHolder me, Options options, QObject* parent = nullptr);

    // This process as a lease holder: a fresh token, this host and pid.
    static LeaseHolder identity(const QString& rollout, const QString& device, const QString& person,
                                const QString& kind);
    static bool processAlive(qint64 pid);

    void start();
    void stop();
    // Takes the lease now if it lapsed (or its holder on this host is gone); Following otherwise.
    void takeOver();
    // The store said the lease changed (LedgerSync::leaseNotified): look now.
    void check();

    State state() const { return m_state; }
    bool driving() const { return m_state == State::Driving || m_state == State::Alone; }
    // The other driver while following (its last known heartbeat); this process while driving.
    const LeaseHolder& holder() const { return m_holder; }
    const LeaseHolder& me() const { return m_me; }
    // Driving after following: true, and the driver this process took over from (its last known
    // heartbeat). False at a first start.
    bool tookOver() const { return m_tookOver; }
    const LeaseHolder& previousHolder() const { return m_previous; }
    const Options& options() const { return m_options; }
    QString lastError() const { return m_error; }

Q_SIGNALS:
    void stateChanged(rollout::DriveLease::State state);
    // Was driving; `holder` took the lease (this process's lapsed while it could not renew).
    void lost(const rollout::LeaseHolder& holder);
    // Following, and the driver's lease lapsed (only when autoTakeOver is off).
    void lapsed(const rollout::LeaseHolder& holder);

private:
    void ask(bool acquire, const QString& stealToken = {});
    void onAnswer(const LeaseOutcome& outcome);
    void setState(State state);
    void schedule(int ms);

    SharedStoreWorker& m_worker;
    LeaseHolder m_me;
    Options m_options;
    State m_state = State::Pending;
    LeaseHolder m_holder;
    LeaseHolder m_previous;
    bool m_tookOver = false;
    QString m_error;
    bool m_running = false;
    bool m_waiting = false;
    bool m_acquireAgain = false;
    bool m_explicit = false; // takeOver() asked: take a lapsed lease even without autoTakeOver
    QTimer m_timer;
};

} // namespace rollout
