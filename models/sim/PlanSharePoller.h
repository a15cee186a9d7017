#pragma once

#include "flags/FlagBackendSet.h"

#include <QObject>
#include <QTimer>

namespace rollout {

// Closes the simulator's loop through any flag service a plan names (Unleash, a flagd file, an
// HTTP admin API, a command): polls one flag with the plan's own backend read — the read the
// engine verifies its writes with — and reports the canary share it finds (the percentage while
// the flag is on, 0 while it is off or absent). A read that fails keeps the last share; it is
// reported once per outage, and the recovery too.
class PlanSharePoller final : public QObject
{
    Q_OBJECT
public:
    PlanSharePoller(FlagBackendSet flags, QString flag, QObject* parent = nullptr);
    // Shadow processing (seed 002's phase 1): while `flag` gives nobody the feature but
    // `shadowFlag` is on, the new path processes a mirrored `mirrorPercent` of the requests.
    void setShadow(const QString& shadowFlag, double mirrorPercent = 10.0);
    // A flag limited to an audience (roles, segments: seed 001's admins) reaches only that
    // audience's share of the traffic: the share read is scaled by `percent` / 100.
    void setAudienceShare(double percent) { m_audienceShare = percent; }
    void start(int intervalMs = 500); // polls at once, then every intervalMs (never two at a time)
    QString describe() const;         // "USE_SAFE_EVAL on command python3 …"

Q_SIGNALS:
    void shareRead(double percent);
    void readFailed(const QString& why);
    void readRecovered();

private:
    void poll();
    void onRead(const FlagResult& r);
    void onShadowRead(const FlagResult& r);
    void fail(const FlagResult& r);

    FlagBackendSet m_flags;
    QString m_flag;
    QString m_shadowFlag;
    double m_mirrorPercent = 10.0;
    double m_audienceShare = 100.0;
    QTimer m_timer;
    bool m_inFlight = false;
    bool m_failing = false;
};

} // namespace rollout
