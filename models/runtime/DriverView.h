#pragma once

#include "engine/GateStatus.h"
#include "engine/RolloutSession.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <optional>

namespace rollout {

class FlagSync;
struct LeaseHolder;

// What the process driving a rollout sees (docs/ledger-format.md, "The driver's view"): its last
// evaluation of the gate and of each trigger, with the evidence in words, the flags as it last
// read them back, and drift. The driver publishes it to the shared store on change
// (DriverViewPublisher); followers, the home and `rolloutctl status` show it with its age, so that
// everyone sees the verdicts the decisions are taken on, not a second guess of their own.
struct DriverView
{
    struct Trigger
    {
        QString name;
        QString kind;    // "hard", "soft"
        QString state;   // TriggerState: ok, pending, fired, inconclusive, guarded
        QString verdict; // "pass", "fail", "inconclusive (no data)"
        QString now;     // "17.6% [1.61%, 90.1%] · 3/17", or "no data"
        qint64 holdingSinceMs = 0;
    };
    struct Flag
    {
        QString flag;
        QString backend;
        QString state; // FlagState::describe(), or "unknown" when it could not be read
        QString error;
    };

    QString rollout;
    QString driverKind; // "watch", "console"
    QString driverPerson;
    QString driverHost;
    qint64 driverPid = 0;
    qint64 evaluatedMs = 0; // the driver's last evaluation, by its clock
    QString state;          // toString(RolloutState)
    int phase = -1;         // the session's current phase (0-based; -1 off)
    bool complete = false;
    int phases = 0;    // how many the plan has
    QString phaseName; // the current phase's name ("" when off)
    GateStatus gate;
    QList<Trigger> triggers;
    bool flagsRead = false; // the driver has read its flags at least once
    bool flagsReadOk = false;
    QString flagsSummary;
    QList<Flag> flags;
    bool drifting = false;
    QString drift;

    // Set by the reader from the store, not published.
    qint64 ageMs = 0;        // how long ago the driver wrote it (store clock)
    bool driverLive = false; // its writer still holds the lease

    // The view of `session` (and `flags`' last read, may be null) as `me` drives it at `nowMs`.
    static DriverView of(const RolloutSession& session, const FlagSync* flags, const LeaseHolder& me,
                         qint64 nowMs);
    QByteArray toJson() const;
    // The same, as an object (what status --output json embeds).
    QJsonObject toObject() const;
    // nullopt with `error` naming the field when `json` is not a driver view.
    static std::optional<DriverView> fromJson(const QByteArray& json, QString* error);
    // Everything but the evaluation time (and the reader's fields) is the same: nothing to publish.
    bool sameAs(const DriverView& other) const;

    // "watch (automation) on build-7, pid 4242".
    QString driver() const;
    // "gate to phase 2: error_rate < 1% waiting for evidence, 340 of about 1004 canary requests;
    // 2 of 3 approvals" — one line for `watch --verbose` and the status bar.
    QString gateLine(const Plan& plan) const
    {
        return complete ? QStringLiteral("complete") : gateLine(gate, plan);
    }
    static QString gateLine(const GateStatus& gate, const Plan& plan);
    // What changes the gate's verdict (each check's state, the approvals): a new key, a new line.
    static QString verdictKey(const GateStatus& gate);
    // "3.2 s ago" (+ " — its driver is gone" when the lease lapsed).
    QString ageText() const;

    // The Triggers tab's "Now" and "Verdict" words for a trigger: one home for the console's own
    // table and the view it publishes.
    static QString triggerNow(const TriggerView& t, const Plan& plan);
    static QString triggerVerdict(const TriggerView& t);
};

} // namespace rollout
