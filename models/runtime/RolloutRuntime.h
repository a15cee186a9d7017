#pragma once

#include "core/Clock.h"
#include "engine/RolloutSession.h"
#include "ledger/AdvanceClaimer.h"
#include "ledger/LedgerRecorder.h"
#include "ledger/LedgerReplay.h"
#include "ledger/LedgerSync.h"
#include "metrics/MetricPoller.h"
#include "metrics/TimeSeriesStore.h"
#include "plan/Plan.h"
#include "runtime/ActionRunner.h"
#include "runtime/DecisionPath.h"
#include "runtime/DriveLease.h"
#include "runtime/DriverViewChannel.h"
#include "runtime/FlagSync.h"
#include "runtime/LedgerFollower.h"

#include <QObject>
#include <QTimer>
#include <functional>
#include <memory>

namespace rollout {

// Runs one plan live, for the console and `rolloutctl watch`: owns the sample store, the metric
// poller and the engine, evaluates the engine every tick and as each poll's answer arrives, and
// keeps the event log. What happens to the ledger is wired on top of its signals by the caller;
// flags follow the engine once attachFlags() gave it the plan's flag services.
class RolloutRuntime final : public QObject
{
    Q_OBJECT
public:
    RolloutRuntime(Plan plan, const Clock& clock, QObject* parent = nullptr);

    const Plan& plan() const { return m_session->plan(); }
    RolloutSession& session() { return *m_session; }
    const RolloutSession& session() const { return *m_session; }
    TimeSeriesStore& store() { return m_store; }
    MetricPoller& poller() { return *m_poller; }
    const Clock& clock() const { return m_clock; }
    const QList<RolloutEvent>& events() const { return m_events; }
    // The flag services the engine's decisions are applied to; null until attachFlags().
    FlagSync* flags() { return m_flags.get(); }
    // Runs the plan's action lists (trigger actions, rollback_actions) as the engine decides them.
    ActionRunner& actions() { return *m_actions; }
    // The one path every decision takes: record → apply → notify → show (eventAppended).
    DecisionPath& decisions() { return *m_path; }
    // From now on every advance, completion and rollback sets the flags and reads them back; the
    // flags are also read every `healthEveryMs` and compared with the rollout (recorded means
    // applied; drift), and for the console's connection health.
    void attachFlags(FlagBackendSet backends, qint64 healthEveryMs = 5000);
    // From now on every decision is signed into `ledger`; first the rollout's state is rebuilt
    // from the verified records already there (replay()), and a person's decision is refused
    // while their key is locked (a manual rollback never is).
    void attachLedger(std::unique_ptr<LocalLedger> ledger);
    LedgerRecorder* recorder() { return m_recorder.get(); }
    // From now on the ledger is written on a thread of its own (after attachLedger): the thread
    // that runs this runtime (the console's UI thread) never waits for an fsync. False with
    // `problem` when the writer cannot open the file.
    bool writeLedgerInBackground(QString* problem);
    // Decisions other processes record in the same ledger file reach the session through this.
    LedgerFollower* follower() { return m_follower.get(); }
    // Shares the ledger through a PostgreSQL store (after attachLedger): this device's records are
    // pushed as they are signed, other consoles' are pulled, verified and applied — as soon as the
    // store notifies that one was stored (LISTEN/NOTIFY), and every 30 s in case one was missed.
    void attachStore(const StoreSettings& settings);

    // Follow mode (docs/ledger-format.md, "Driving and following"). After attachStore: who drives
    // is the holder of the rollout's lease in the store. This runtime asks for it at start(): it
    // drives when granted (or when the store cannot be reached: nobody could say), and follows
    // while another live process (a `watch`, another console) holds it; a lapsed lease is taken
    // over automatically unless options.autoTakeOver is off (then lease()->takeOver() does it).
    // `person` and `kind` ("console", "watch") say who drives, for the others' messages.
    void attachDriveLease(const QString& person, const QString& kind, DriveLease::Options options = {});
    DriveLease* lease() { return m_lease.get(); }
    // What the driver sees, through the store (after attachDriveLease): published while this
    // process drives, read while it follows. Null without a lease.
    DriverViewChannel* driverViews() { return m_views.get(); }
    // The gate as the views show it: the driver's verdicts while following (when it published a
    // view of the phase this process is in), else the session's own.
    GateStatus gateShown() const;
    // The driver's view while following, when it published one; null while driving (the session
    // itself is then what the driver sees).
    const DriverView* driverView() const
    {
        return m_views && m_following && m_views->seen() ? &*m_views->seen() : nullptr;
    }
    // Following: the engine is never evaluated here (its state is rebuilt from the records that
    // arrive), the flags are never set from here (FlagSync passive), the rollout is never started
    // or advanced by automation here, and metrics are polled only while the rollout is on screen.
    // A person's decision taken here (approve, tick, attest, roll back) is signed and pushed as
    // ever: the driver applies it. The lease sets this; by hand for tests and read-only views.
    void setFollowing(bool following);
    bool following() const { return m_following; }
    // Whether the rollout is on screen (default true). Following and on screen: its history is
    // loaded with range queries (historySpanMs), then its metrics are polled for the live tail;
    // following and off screen: no metric query at all. A driver polls either way (its engine
    // needs the samples).
    void setOnScreen(bool onScreen);
    bool onScreen() const { return m_onScreen; }
    void setHistorySpanMs(qint64 ms) { m_historySpanMs = ms; }
    LedgerSync* sync() { return m_sync.get(); }
    // Holds the rollout for a person when the history replayed at attachLedger() failed
    // verification (RolloutSession::holdForDamage): called once keys and notifiers are in place,
    // so that the alert is signed and sent.
    void holdForReplayedDamage();
    // With a shared store, an advance is claimed there first (no double advance); null otherwise.
    AdvanceClaimer* claimer() { return m_claimer.get(); }
    const LedgerReplay::Outcome& replay() const { return m_replay; }

    // Whether this runtime starts the rollout itself once the first gate is green (the plan's
    // auto_start; only the process driving the rollout should).
    void setAutoStart(bool on) { m_autoStart = on; }
    // Called each tick before the engine evaluates (the demo advances its simulator here).
    void setBeforeEvaluate(std::function<void()> hook) { m_beforeEvaluate = std::move(hook); }
    // The first advance (start) or the next one, as the engine's own when `actor` is automation:
    // claimed in the shared store first when there is one; `done` runs once.
    void advance(const Actor& actor, std::function<void(const ActionResult&)> done);
    void start(int tickMs = 1000);
    void stop();
    void tick();

Q_SIGNALS:
    void ticked();
    void eventAppended(const rollout::RolloutEvent& event);
    // Driving became following or back (lease()->holder() says who drives while following).
    void followingChanged(bool following);
    // This process drove, and `holder` took the lease over (this one could not renew it in time).
    void driveLost(const rollout::LeaseHolder& holder);
    // Following: the driver published a new view (driverView()).
    void driverViewChanged();

private:
    const Clock& m_clock;
    TimeSeriesStore m_store;
    std::unique_ptr<RolloutSession> m_session;
    std::unique_ptr<MetricPoller> m_poller;
    QTimer m_timer;
    QList<RolloutEvent> m_events;
    std::function<void()> m_beforeEvaluate;
    std::unique_ptr<FlagSync> m_flags;
    std::unique_ptr<ActionRunner> m_actions;
    std::unique_ptr<DecisionPath> m_path;
    std::unique_ptr<LocalLedger> m_ledger;
    std::unique_ptr<LedgerRecorder> m_recorder;
    std::unique_ptr<LedgerFollower> m_follower;
    LedgerReplay::Outcome m_replay;
    std::unique_ptr<LedgerSync> m_sync;
    std::unique_ptr<AdvanceClaimer> m_claimer;
    std::unique_ptr<DriveLease> m_lease;
    std::unique_ptr<DriverViewChannel> m_views;
    QString m_lastDriverNote;
    bool m_following = false;
    bool m_onScreen = true;
    bool m_started = false;
    bool m_polling = false;
    qint64 m_historySpanMs = 3600 * 1000;
    void applyMode();
    void appendEvent(const RolloutEvent& e);
    // Damage found in the history (at replay, on a pull): the session is held for a person.
    void holdForDamage(const QStringList& ids, const QStringList& sentences);
    qint64 m_nextAutoClaimMs = 0;
    bool m_autoStart = false;
    QTimer m_flagHealth;
    QTimer m_damageFlush; // damage found on a pull, held once the pull is through
    QStringList m_damageIds, m_damageFindings;
};

} // namespace rollout
