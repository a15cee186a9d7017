#pragma once

#include "core/Clock.h"
#include "runtime/DriveLease.h"
#include "runtime/DriverView.h"

#include <QObject>
#include <QTimer>
#include <optional>

namespace rollout {

// Carries the driver's view through the shared store (docs/ledger-format.md, "The driver's
// view"). Driving: publish() after each evaluation and flag read writes the view when it changed,
// and at least every keepAliveMs so that its age says the driver still evaluates; one write at a
// time, the newest view wins. Following: refresh() (on the store's "view" notification, and when
// following begins) reads the driver's latest view; `changed` tells the views.
class DriverViewChannel final : public QObject
{
    Q_OBJECT
public:
    static constexpr int KeepAliveMs = 5000;

    DriverViewChannel(SharedStoreWorker& worker, const RolloutSession& session, DriveLease& lease,
                      const Clock& clock, QObject* parent = nullptr);
    // The flags whose last read the view carries (null: none).
    void setFlags(const FlagSync* flags) { m_flags = flags; }

    void publish();
    void refresh();
    // The driver's view as last read while following (nullopt when none was published, or while
    // this process drives).
    const std::optional<DriverView>& seen() const { return m_seen; }
    // How old the seen view is now: its age when read plus the time since.
    qint64 seenAgeMs() const;
    QString lastError() const { return m_error; }
    int published() const { return m_published; } // writes the store confirmed

Q_SIGNALS:
    void changed();

private:
    SharedStoreWorker& m_worker;
    const RolloutSession& m_session;
    DriveLease& m_lease;
    const Clock& m_clock;
    const FlagSync* m_flags = nullptr;
    std::optional<DriverView> m_last; // the last view written (or being written)
    qint64 m_lastWrittenMs = 0;
    bool m_writing = false;
    bool m_dirty = false;
    bool m_reading = false;
    bool m_readAgain = false;
    std::optional<DriverView> m_seen;
    qint64 m_seenAtMs = 0;
    QString m_error;
    int m_published = 0;
    QTimer m_keepAlive;
};

} // namespace rollout
