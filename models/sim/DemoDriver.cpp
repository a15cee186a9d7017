#include "sim/DemoDriver.h"

#include "runtime/RolloutRuntime.h"

namespace rollout {

DemoDriver::DemoDriver(RolloutRuntime& runtime, quint64 seed)
    : m_runtime(runtime), m_service(seed, runtime.clock().nowMs()),
      m_feeder(runtime.plan(), m_service, runtime.store(), runtime.clock())
{
}

void DemoDriver::preroll(qint64 spanMs)
{
    const qint64 now = m_runtime.clock().nowMs();
    ManualClock past(now - spanMs);
    SimulatedService history(7, now - spanMs);
    SimulationFeeder feeder(m_runtime.plan(), history, m_runtime.store(), past);
    history.setCanaryShare(0.0);
    while (past.nowMs() < now - 1000) {
        past.advanceMs(1000);
        history.advanceTo(past.nowMs());
        feeder.tick();
    }
}

void DemoDriver::tick()
{
    m_service.setCanaryShare(canaryShareFor(m_runtime.session()));
    m_service.advanceTo(m_runtime.clock().nowMs());
    m_feeder.tick();
}

void DemoDriver::inject(FaultKind kind, qint64 durationMs)
{
    Fault f;
    f.kind = kind;
    f.startMs = m_runtime.clock().nowMs();
    f.durationMs = kind == FaultKind::BriefSpike && durationMs == 0 ? 60'000 : durationMs;
    // At the demo's 1% of 200 requests/s the canary sees two requests a second: a 30% error spike is
    // shown as harm within about a minute, where 8% would take the judge many minutes to establish.
    if (kind == FaultKind::CanaryErrorSpike) f.magnitude = 0.30;
    m_service.addFault(f);
}

double DemoDriver::canaryShareFor(const RolloutSession& session)
{
    if (session.currentPhase() < 0 && !session.isComplete()) return 0.0;
    const double traffic = session.currentTraffic();
    return traffic > 0.0 ? traffic : kShadowMirrorPercent;
}

QStringList DemoDriver::signOffNextGate(RolloutSession& session)
{
    QStringList done;
    const Plan& plan = session.plan();
    const int next = session.currentPhase() + 1;
    // Ticks and acknowledgements are signed records: made by a person of the plan, not by "simulation".
    const Actor someone = plan.people.empty()
                              ? Actor{QStringLiteral("simulation"), QStringLiteral("simulation")}
                              : Actor{plan.people.front().id, plan.people.front().roles.value(0)};
    for (const QString& item : session.gateItems(next))
        if (!session.tickedItems(next).contains(item) &&
            session.setChecklistItem(next, item, true, someone).ok)
            done.append(item);
    if (next < int(plan.phases.size()))
        for (const ApprovalRequirement& req : plan.phases[std::size_t(next)].approvals) {
            int given = 0;
            for (const Person& p : plan.people) {
                if (given >= req.count || !p.roles.contains(req.role)) continue;
                bool already = false;
                for (const ApprovalEntry& a : session.approvals(next))
                    already = already || (a.actor == p.id && a.role == req.role);
                if (!already && session
                                    .recordApproval(next, Actor{p.id, req.role}, true,
                                                    QStringLiteral("simulated sign-off"))
                                    .ok)
                    done.append(QStringLiteral("%1 approved as %2").arg(p.id, req.role));
                ++given;
            }
        }
    for (const Alert& a : session.alerts())
        if (!a.acknowledged && session.acknowledgeAlert(a.id, someone, QStringLiteral("simulation")).ok)
            done.append(QStringLiteral("alert #%1 acknowledged").arg(a.id));
    return done;
}

} // namespace rollout
