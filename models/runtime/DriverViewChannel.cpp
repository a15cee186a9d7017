#include "runtime/DriverViewChannel.h"

namespace rollout {

DriverViewChannel::DriverViewChannel(SharedStoreWorker& worker, const RolloutSession& session,
                                     DriveLease& lease, const Clock& clock, QObject* parent)
    : QObject(parent), m_worker(worker), m_session(session), m_lease(lease), m_clock(clock)
{
    m_keepAlive.setInterval(KeepAliveMs);
    connect(&m_keepAlive, &QTimer::timeout, this, &DriverViewChannel::publish);
    connect(&m_worker, &SharedStoreWorker::viewPublished, this,
            [this](const QString& rollout, bool ok, const QString& error) {
                if (rollout != m_session.plan().rollout) return;
                m_writing = false;
                if (ok) {
                    ++m_published;
                    m_error.clear();
                } else if (error != m_error) {
                    m_error = error;
                    qWarning("driver view of %s: %s", qPrintable(rollout), qPrintable(error));
                }
                if (!ok) m_last.reset(); // written again at the next change or keep-alive
                if (m_dirty) publish();
            });
    connect(&m_worker, &SharedStoreWorker::viewsRead, this,
            [this](const QList<StoredView>& views, const QString& error) {
                const QString rollout = m_session.plan().rollout;
                bool mine = false;
                for (const StoredView& stored : views) {
                    if (stored.rollout != rollout) continue;
                    mine = true;
                    QString problem;
                    std::optional<DriverView> v = DriverView::fromJson(stored.view, &problem);
                    if (!v) {
                        m_error = QStringLiteral("the store's driver view of %1: %2").arg(rollout, problem);
                        qWarning("%s", qPrintable(m_error));
                        continue;
                    }
                    v->ageMs = stored.ageMs;
                    v->driverLive = stored.driverLive;
                    m_seen = v;
                    m_seenAtMs = m_clock.nowMs();
                }
                if (!mine && !error.isEmpty()) m_error = error;
                if (!m_reading) return; // an answer to someone else's question (the home)
                m_reading = false;
                if (mine && !m_lease.driving()) Q_EMIT changed();
                if (m_readAgain) {
                    m_readAgain = false;
                    refresh();
                }
            });
    connect(&m_lease, &DriveLease::stateChanged, this, [this](DriveLease::State state) {
        if (state == DriveLease::State::Following) {
            m_keepAlive.stop();
            m_last.reset();
            refresh();
        } else if (state == DriveLease::State::Driving) {
            m_seen.reset();
            Q_EMIT changed();
            m_keepAlive.start();
            publish();
        } else {
            m_keepAlive.stop();
        }
    });
}

void DriverViewChannel::publish()
{
    if (m_lease.state() != DriveLease::State::Driving) return;
    if (m_writing) {
        m_dirty = true;
        return;
    }
    m_dirty = false;
    const qint64 now = m_clock.nowMs();
    DriverView v = DriverView::of(m_session, m_flags, m_lease.me(), now);
    if (m_last && m_last->sameAs(v) && now - m_lastWrittenMs < KeepAliveMs) return;
    m_last = v;
    m_lastWrittenMs = now;
    m_writing = true;
    m_worker.publishView(v.rollout, m_lease.me().token, v.toJson());
}

void DriverViewChannel::refresh()
{
    if (m_lease.driving()) return;
    if (m_reading) {
        m_readAgain = true;
        return;
    }
    m_reading = true;
    m_worker.readViews({m_session.plan().rollout});
}

qint64 DriverViewChannel::seenAgeMs() const
{
    return m_seen ? m_seen->ageMs + std::max<qint64>(0, m_clock.nowMs() - m_seenAtMs) : 0;
}

} // namespace rollout
