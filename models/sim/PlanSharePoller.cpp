#include "sim/PlanSharePoller.h"

namespace rollout {

PlanSharePoller::PlanSharePoller(FlagBackendSet flags, QString flag, QObject* parent)
    : QObject(parent), m_flags(std::move(flags)), m_flag(std::move(flag))
{
    connect(&m_timer, &QTimer::timeout, this, &PlanSharePoller::poll);
}

QString PlanSharePoller::describe() const
{
    const FlagBackend* b = m_flags.backendFor(m_flag);
    return m_flag + QStringLiteral(" on ") + (b ? b->describe() : QStringLiteral("(no backend)"));
}

void PlanSharePoller::setShadow(const QString& shadowFlag, double mirrorPercent)
{
    m_shadowFlag = shadowFlag;
    m_mirrorPercent = mirrorPercent;
}

void PlanSharePoller::start(int intervalMs)
{
    m_timer.start(intervalMs);
    poll();
}

void PlanSharePoller::poll()
{
    if (m_inFlight) return; // a slow service gets no second read on top of the first
    FlagBackend* backend = m_flags.backendFor(m_flag);
    if (!backend) {
        onRead(FlagResult::failure(m_flag, {}, QStringLiteral("read"),
                                   QStringLiteral("the plan has no flag %1").arg(m_flag)));
        return;
    }
    m_inFlight = true;
    backend->read(m_flag, this, [this](const FlagResult& r) {
        m_inFlight = false;
        onRead(r);
    });
}

void PlanSharePoller::fail(const FlagResult& r)
{
    if (!m_failing) Q_EMIT readFailed(r.describe());
    m_failing = true;
}

void PlanSharePoller::onRead(const FlagResult& r)
{
    if (!r.verified) return fail(r);
    const bool limited = !r.after.audience.isEmpty();
    const double share =
        r.after.exists && r.after.enabled ? r.after.percent * (limited ? m_audienceShare / 100.0 : 1.0) : 0.0;
    FlagBackend* shadow = m_shadowFlag.isEmpty() ? nullptr : m_flags.backendFor(m_shadowFlag);
    if (share > 0.0 || !shadow) {
        if (m_failing) Q_EMIT readRecovered();
        m_failing = false;
        Q_EMIT shareRead(share);
        return;
    }
    m_inFlight = true;
    shadow->read(m_shadowFlag, this, [this](const FlagResult& s) {
        m_inFlight = false;
        onShadowRead(s);
    });
}

void PlanSharePoller::onShadowRead(const FlagResult& r)
{
    if (!r.verified) return fail(r);
    if (m_failing) Q_EMIT readRecovered();
    m_failing = false;
    Q_EMIT shareRead(r.after.exists && r.after.enabled ? m_mirrorPercent : 0.0);
}

} // namespace rollout
