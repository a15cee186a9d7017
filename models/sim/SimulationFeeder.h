#pragma once

#include "core/Clock.h"
#include "metrics/TimeSeriesStore.h"
#include "plan/Plan.h"

#include <QHash>

namespace rollout {

class SimulatedService;

// Feeds a plan's simulator-backed metrics from the simulated service into the store at each
// metric's interval: canary and baseline series for split metrics, one series otherwise (the
// whole service, which is what an unsplit query sees). When there is nothing to measure it
// appends nothing, so that the sample goes stale: no data is never reported as healthy.
class SimulationFeeder
{
public:
    SimulationFeeder(const Plan& plan, const SimulatedService& service, TimeSeriesStore& store,
                     const Clock& clock);
    // With allSources, every metric of the plan is fed (a Prometheus plan run headless).
    void setFeedAllSources(bool all) { m_all = all; }
    void tick();
    static qint64 windowOf(const MetricSpec& m);

private:
    const Plan& m_plan;
    const SimulatedService& m_service;
    TimeSeriesStore& m_store;
    const Clock& m_clock;
    QHash<QString, qint64> m_last;
    bool m_all = true;
};

} // namespace rollout
