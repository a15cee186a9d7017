#pragma once

#include <QString>
#include <optional>

namespace rollout {

// A named admin operation of an http_admin backend that an action step may call (seed 003's
// `emergency-stop`, `memory/cleanup`, `ab-testing/start` with its body of thresholds). Path and
// body may use {flag} (the backend's first flag). When `checkPath` is set, the operation is
// verified by reading it back: a GET of checkPath whose JSON answer holds `checkEquals` (JSON
// text: true, "stopped", 10) at `checkPointer`; without it, a 2xx answer is all that is known.
struct HttpOperation
{
    QString name;
    QString method = QStringLiteral("POST");
    QString path;
    QString body;
    QString checkPath;
    QString checkPointer;
    QString checkEquals;
};

// One step of an ordered action list: a trigger's `actions` or the plan's `rollback_actions`
// (seeds 002, 003, 004). Steps run in order; a failed step is escalated and reported, and later
// steps still run unless the step says `on_failure: stop`.
struct ActionStep
{
    enum class Kind
    {
        Rollback,
        RollbackToZero,
        HoldSegment,
        Call,
        Notify,
        Escalate
    };
    Kind kind = Kind::Rollback;
    QString segment;             // HoldSegment: the segment held off on every flag
    QString backend;             // Call: the http_admin backend
    QString operation;           // Call: the backend's operation
    std::optional<QString> body; // Call: replaces the operation's body
    QString webhookEnv;          // Notify: the variable holding one of the plan's webhooks
    QString message;             // Notify, Escalate: what is said (the trigger's reason when empty)
    QString severity;            // Escalate: P0..P3 (the trigger's severity when empty)
    bool stopOnFailure = false;  // `on_failure: stop`: later steps do not run when this one fails
    int line = 0;                // where it is written, for messages

    // Steps the engine decides itself (the flags follow through the flag services).
    bool isRollout() const
    {
        return kind == Kind::Rollback || kind == Kind::RollbackToZero || kind == Kind::HoldSegment;
    }
    // "rollback", "rollback_to_zero", "hold_segment beta_users", "call admin.emergency-stop", …
    QString describe() const;
};

} // namespace rollout
