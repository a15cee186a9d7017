#include "runtime/DriveLease.h"

#include <QCoreApplication>
#include <QSysInfo>
#include <QUuid>
#include <cerrno>
#include <csignal>

namespace rollout {

DriveLease::DriveLease(SharedStoreWorker& worker, LeaseHolder me, Options options, QObject* parent)
    : QObject(parent), m_worker(worker), m_me(std::move(me)), m_options(options)
{
    m_options.heartbeatMs = qMax(50, m_options.heartbeatMs);
    m_options.ttlMs = qMax(m_options.heartbeatMs * 2, m_options.ttlMs);
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] {
        if (!m_running) return;
        ask(m_state != State::Following || m_options.autoTakeOver || m_explicit);
    });
    connect(&m_worker, &SharedStoreWorker::leaseAnswered, this, [this](const LeaseOutcome& o) {
        if (o.holder.rollout.isEmpty() || o.holder.rollout == m_me.rollout || !o.ok()) onAnswer(o);
    });
}

LeaseHolder DriveLease::identity(const QString& rollout, const QString& device, const QString& person,
                                 const QString& kind)
{
    LeaseHolder h;
    h.rollout = rollout;
    h.token = QUuid::createUuid().toString(QUuid::WithoutBraces);
    h.device = device;
    h.person = person;
    h.kind = kind;
    h.host = QSysInfo::machineHostName();
    h.pid = QCoreApplication::applicationPid();
    return h;
}

bool DriveLease::processAlive(qint64 pid)
{
    if (pid <= 0) return false;
    return ::kill(pid_t(pid), 0) == 0 || errno == EPERM;
}

void DriveLease::start()
{
    m_running = true;
    ask(true);
}

void DriveLease::stop()
{
    m_running = false;
    m_timer.stop();
    if (m_state == State::Driving) m_worker.releaseLeaseAndWait(m_me.rollout, m_me.token);
}

void DriveLease::takeOver()
{
    m_explicit = true;
    m_running = true;
    ask(true);
}

void DriveLease::check()
{
    if (m_running) ask(m_state != State::Following || m_options.autoTakeOver || m_explicit);
}

void DriveLease::ask(bool acquire, const QString& stealToken)
{
    if (m_waiting) { // one request at a time; the newest wish is asked right after
        m_acquireAgain = m_acquireAgain || acquire;
        return;
    }
    m_timer.stop();
    m_waiting = true;
    if (acquire)
        m_worker.acquireLease(m_me, m_options.ttlMs, stealToken);
    else
        m_worker.readLease(m_me.rollout);
}

void DriveLease::schedule(int ms)
{
    if (!m_running) return;
    if (m_acquireAgain) {
        m_acquireAgain = false;
        ask(true);
        return;
    }
    m_timer.start(qMax(0, ms));
}

void DriveLease::onAnswer(const LeaseOutcome& o)
{
    if (!m_waiting) return; // another object's request on a shared worker
    m_waiting = false;
    if (!m_running) return;
    if (!o.ok()) {
        // Nobody can say who drives: a process that drove goes on (a hard trigger must still
        // roll back), one that followed goes on following, one that just started drives alone.
        m_error = o.error;
        if (m_state == State::Pending) setState(State::Alone);
        schedule(m_options.heartbeatMs);
        return;
    }
    m_error.clear();
    if (o.won) {
        m_tookOver = m_state == State::Following;
        if (m_tookOver) m_previous = m_holder;
        m_holder = o.holder;
        m_explicit = false;
        setState(State::Driving);
        schedule(m_options.heartbeatMs);
        return;
    }
    const LeaseHolder& h = o.holder;
    if (!h.live()) { // free, or its holder stopped renewing
        if (m_options.autoTakeOver || m_explicit || m_state != State::Following) {
            ask(true);
            return;
        }
        m_holder = h;
        Q_EMIT lapsed(h);
        schedule(m_options.heartbeatMs);
        return;
    }
    // A live lease of a process of this host that is gone (killed, then restarted here): it
    // will never renew; take it now instead of waiting for it to lapse.
    if (h.token != m_me.token && h.host == m_me.host && h.pid != m_me.pid && !processAlive(h.pid)) {
        if (m_waiting) return;
        m_waiting = true;
        m_worker.acquireLease(m_me, m_options.ttlMs, h.token);
        return;
    }
    const bool wasDriving = driving();
    m_holder = h;
    if (wasDriving) Q_EMIT lost(h); // first: the loss says more than "another drives"
    setState(State::Following);
    // Look again when this lease would lapse, unless a heartbeat renewed it meanwhile.
    schedule(int(qBound(qint64(50), h.expiresInMs + 100, qint64(m_options.ttlMs + m_options.heartbeatMs))));
}

void DriveLease::setState(State state)
{
    if (state == m_state) return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

} // namespace rollout
