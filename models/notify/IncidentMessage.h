#pragma once

#include "engine/RolloutEvent.h"
#include "plan/Plan.h"

#include <QByteArray>
#include <QString>

namespace rollout {

// The words of a notification, in seed 003's incident template (Time / Issue / Impact / Action
// taken / Status), as a Slack-compatible incoming-webhook body {"text": "..."}. Pure: an event
// (and, for a rollback, what the flag services read back) in, text out.
class IncidentMessage final
{
public:
    // The plan's name for the kind of event (`notify: on:`), or empty when it is not notified.
    static QString kindOf(const RolloutEvent& e);
    // `flags` is the verified flag summary for a rollback ("1 of 1 flag(s) verified …: new-checkout off").
    static QString text(const Plan& plan, const RolloutEvent& e, const QString& flags = {});
    // Tampering found in the rollout's ledger ("tampering: record … was changed in the shared
    // store …", one finding each), at `atMs`: "🛑 ledger tampering detected in rollout X: …".
    static QString tampering(const Plan& plan, const QStringList& findings, qint64 atMs);
    static QByteArray slackBody(const QString& text);
};

} // namespace rollout
