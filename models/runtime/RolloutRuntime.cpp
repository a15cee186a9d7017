#include "runtime/RolloutRuntime.h"

namespace rollout {

RolloutRuntime::RolloutRuntime(Plan plan, const Clock& clock, QObject* parent) : QObject(parent), m_clock(clock)
{
    m_session = std::make_unique<RolloutSession>(std::move(plan), m_store, m_clock, nullptr, this);
    m_poller = std::make_unique<MetricPoller>(m_session->plan(), m_store, m_clock, this);
    connect(m_session.get(), &RolloutSession::eventRecorded, this, [this](const RolloutEvent& e) {
        m_events.append(e);
        Q_EMIT eventAppended(e);
    });
    connect(&m_timer, &QTimer::timeout, this, &RolloutRuntime::tick);
}

void RolloutRuntime::start(int tickMs)
{
    m_poller->start();
    m_timer.start(tickMs);
}

void RolloutRuntime::stop()
{
    m_timer.stop();
    m_poller->stop();
}

void RolloutRuntime::tick()
{
    if (m_beforeEvaluate) m_beforeEvaluate();
    m_session->evaluate();
    Q_EMIT ticked();
}

} // namespace rollout
