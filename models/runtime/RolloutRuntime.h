#pragma once

#include "core/Clock.h"
#include "engine/RolloutSession.h"
#include "metrics/MetricPoller.h"
#include "metrics/TimeSeriesStore.h"
#include "runtime/FlagSync.h"
#include "plan/Plan.h"

#include <QObject>
#include <QTimer>

#include <functional>
#include <memory>

namespace rollout {

// Runs one plan live, for the console and `rolloutctl watch`: owns the sample store, the metric
// poller and the engine, evaluates the engine once a second, and keeps the event log. What
// happens to the ledger is wired on top of its signals by the caller; flags follow the engine
// once attachFlags() gave it the plan's flag services.
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
    // From now on every advance, completion and rollback sets the flags and reads them back; the
    // flags are also read every `healthEveryMs` for the console's connection health.
    void attachFlags(FlagBackendSet backends, qint64 healthEveryMs = 30000);

    // Called each tick before the engine evaluates (the demo advances its simulator here).
    void setBeforeEvaluate(std::function<void()> hook) { m_beforeEvaluate = std::move(hook); }
    void start(int tickMs = 1000);
    void stop();
    void tick();

Q_SIGNALS:
    void ticked();
    void eventAppended(const rollout::RolloutEvent& event);

private:
    const Clock& m_clock;
    TimeSeriesStore m_store;
    std::unique_ptr<RolloutSession> m_session;
    std::unique_ptr<MetricPoller> m_poller;
    QTimer m_timer;
    QList<RolloutEvent> m_events;
    std::function<void()> m_beforeEvaluate;
    std::unique_ptr<FlagSync> m_flags;
    QTimer m_flagHealth;
};

} // namespace rollout
