#pragma once

#include "core/Clock.h"
#include "engine/RolloutSession.h"
#include "sim/SimulatedService.h"
#include "sim/SimulationFeeder.h"

#include <memory>

namespace rollout {

class RolloutRuntime;

// Drives the embedded demo: a simulated service whose canary share follows the running
// rollout, fed into the runtime's store on every tick, with some history already recorded so
// that the charts are not empty when the console opens.
class DemoDriver final
{
public:
    DemoDriver(RolloutRuntime& runtime, quint64 seed = 42);
    // Simulate the last `spanMs` at 0% canary (before the rollout), timestamps in the past.
    void preroll(qint64 spanMs);
    void tick();
    void inject(FaultKind kind, qint64 durationMs = 0);
    void clearFaults() { m_service.clearFaults(); }
    SimulatedService& service() { return m_service; }

    // What people would do in a simulation: tick every item guarding the next phase, approve as
    // the first person holding each required role, acknowledge open alerts. Returns what it did.
    static QStringList signOffNextGate(RolloutSession& session);
    // The simulated canary's share: the phase's traffic, or in a 0% (shadow) phase a mirrored
    // copy of some traffic, as shadow processing does; nothing before the start.
    static double canaryShareFor(const RolloutSession& session);
    static constexpr double kShadowMirrorPercent = 10.0;

private:
    RolloutRuntime& m_runtime;
    SimulatedService m_service;
    SimulationFeeder m_feeder;
};

} // namespace rollout
