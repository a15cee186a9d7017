#pragma once

#include "core/Clock.h"
#include "flags/FlagBackendSet.h"
#include "ledger/StoreSettings.h"
#include "plan/Plan.h"
#include "runtime/RolloutRuntime.h"

#include <functional>
#include <memory>
#include <optional>

namespace rollout {

class PagerDutyNotifier;
class WebhookNotifier;

// Puts one rollout's parts together, the same way for the console (each of its tabs),
// `rolloutctl watch` and every decision command, and the tests: plan → flag services → runtime →
// signed ledger (the rollout rebuilt from it) → keys → shared store → webhooks and pager. Nothing is
// wired by hand anywhere else; what differs between callers is in Options.
class RolloutAssembly final
{
public:
    struct Options
    {
        QString ledgerPath;            // the ledger file (required)
        bool backgroundWriter = false; // the console: fsyncs off the UI thread
        StoreSettings store;           // shared store; not set = this ledger alone
        bool notify = true;            // the plan's webhooks and pager
        bool autoStart = true;         // may start the rollout itself (plan's auto_start)
        qint64 flagHealthEveryMs = 5000;
        // Adds the keys this process signs with (demo keys; the CLI person's), after the replay.
        std::function<void(LedgerRecorder&)> addKeys;
        // The folder of this installation's device key (DeviceKey: made there at first use). It
        // signs a rollback whose person's key is locked. Empty: no device key.
        QString deviceKeyDirectory;
        // A read-only view (`status`, the home's summaries): records nothing, not even a hold.
        bool readOnly = false;
        // The flag services to use instead of the plan's (tests: a fake one that can fail).
        std::optional<FlagBackendSet> flags;
        // Who drives (docs/ledger-format.md, "Driving and following"): with a store and a kind
        // ("console", "watch"), the runtime takes the rollout's driver lease at start() or follows
        // the process holding it. Empty kind: no lease (a one-shot decision command).
        QString driverKind;
        QString driverPerson; // who, in the others' "driven by watch (automation) on …"
        DriveLease::Options lease;
    };

    // nullptr with `problem` ("the plan's flag services cannot be set up: …") when a part cannot
    // be put together; nothing has been written then.
    static std::unique_ptr<RolloutAssembly> build(Plan plan, const Clock& clock, Options options,
                                                  QString* problem);
    ~RolloutAssembly();

    RolloutRuntime& runtime() { return *m_runtime; }
    const RolloutRuntime& runtime() const { return *m_runtime; }
    // The plan's webhooks, or null (Options::notify false). Ledger tampering found at replay and
    // on every pull is sent there too.
    WebhookNotifier* notifier() { return m_notifier.get(); }
    // The plan's pager (PagerDuty Events v2), or null when the plan has none or notify is off.
    PagerDutyNotifier* pager() { return m_pager.get(); }
    const QString& ledgerPath() const { return m_ledgerPath; }

private:
    RolloutAssembly() = default;
    std::unique_ptr<RolloutRuntime> m_runtime;
    std::unique_ptr<WebhookNotifier> m_notifier;
    std::unique_ptr<PagerDutyNotifier> m_pager;
    QString m_ledgerPath;
};

} // namespace rollout
