#pragma once

#include "core/Clock.h"
#include "runtime/RolloutAssembly.h"

#include <QCommandLineParser>
#include <memory>
#include <optional>

namespace rolloutctl {

// Who acts from the command line, and the rollout they act on, put together once for `watch`
// and every decision command (start, advance, approve, rollback…): the plan, the person's
// signing key (checked against the plan's people), the shared ledger file with the rollout
// rebuilt from it, the plan's flag services, and the shared store when ROLLOUT_PG_HOST names one.
// Every write then goes through the same engine, recorder and claims as in the console.
class Operator final
{
public:
    // The options every such command takes: --as, --role, --key, --keys-dir, --passphrase-env, --db.
    static void addOptions(QCommandLineParser& parser, const QString& defaultPerson = {});
    // nullptr after printing why (to stderr); `exit` is the code to return then.
    static std::unique_ptr<Operator> open(const QCommandLineParser& parser, const QString& command,
                                          int* exit);
    // Reading only (status): no person, no key; nothing can be signed, so nothing is written.
    static std::unique_ptr<Operator> openReadOnly(const QCommandLineParser& parser, const QString& command,
                                                  int* exit);

    const rollout::Plan& plan() const { return m_assembly->runtime().plan(); }
    rollout::RolloutRuntime& runtime() { return m_assembly->runtime(); }
    rollout::RolloutSession& session() { return runtime().session(); }
    // The plan's webhooks (watch only), else null.
    rollout::WebhookNotifier* notifier() { return m_assembly->notifier(); }
    const rollout::Actor& actor() const { return m_actor; }
    QString ledgerPath() const { return m_ledgerPath; }
    // The person acting in `role` (one of their roles in the plan), or nullopt after saying why.
    std::optional<rollout::Actor> actingAs(const QString& role) const;
    // The person's roles in the plan.
    QStringList roles() const;

    // With a shared store: one round (push what is waiting, pull what other consoles decided)
    // before deciding, so that the decision is taken on the rollout as it stands. False (after
    // a warning) when the store did not answer within `timeoutMs`.
    bool syncFirst(int timeoutMs = 15000);
    // After a decision: its record pushed to the shared store, so that others see it at once.
    bool pushRecorded(int timeoutMs = 15000);
    // Waits until the flag services read back what the rollout says (or a change is escalated):
    // true when applied. Runs the event loop meanwhile.
    bool waitFlagsApplied(int timeoutMs);
    // Runs the event loop until `done()` or `timeoutMs` passed; true when done() held.
    static bool waitUntil(const std::function<bool()>& done, int timeoutMs);

private:
    Operator() = default;
    rollout::SystemClock m_clock;
    std::unique_ptr<rollout::RolloutAssembly> m_assembly;
    rollout::Actor m_actor;
    QString m_ledgerPath;
};

} // namespace rolloutctl
