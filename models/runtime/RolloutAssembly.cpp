#include "RolloutAssembly.h"

#include "flags/FlagBackendSet.h"
#include "ledger/DeviceKey.h"
#include "ledger/Ed25519.h"
#include "ledger/LocalLedger.h"
#include "notify/PagerDutyNotifier.h"
#include "notify/WebhookNotifier.h"

#include <QCryptographicHash>
#include <QFileInfo>
#include <QPointer>
#include <spdlog/spdlog.h>

namespace rollout {

RolloutAssembly::~RolloutAssembly()
{
    // The notifiers listen to the session: they go first.
    m_pager.reset();
    m_notifier.reset();
    m_runtime.reset();
}

std::unique_ptr<RolloutAssembly> RolloutAssembly::build(Plan plan, const Clock& clock, Options options,
                                                        QString* problem)
{
    QString why;
    std::optional<FlagBackendSet> backends =
        options.flags ? std::move(options.flags) : FlagBackendSet::fromPlan(plan, &why);
    if (!backends) {
        *problem = QStringLiteral("the plan's flag services cannot be set up: %1").arg(why);
        return nullptr;
    }
    if (!Ed25519::initialize()) {
        *problem = QStringLiteral("libsodium cannot start: nothing can be signed");
        return nullptr;
    }
    std::unique_ptr<LocalLedger> ledger = LocalLedger::open(options.ledgerPath, clock, &why);
    if (!ledger) {
        *problem = QStringLiteral("the ledger cannot be opened: %1").arg(why);
        return nullptr;
    }
    std::unique_ptr<RolloutAssembly> a(new RolloutAssembly);
    a->m_ledgerPath = options.ledgerPath;
    a->m_runtime = std::make_unique<RolloutRuntime>(std::move(plan), clock);
    RolloutRuntime& runtime = *a->m_runtime;
    if (!options.autoStart) runtime.setAutoStart(false);
    runtime.attachFlags(std::move(*backends), options.flagHealthEveryMs);
    runtime.attachLedger(std::move(ledger));
    if (options.backgroundWriter && !runtime.writeLedgerInBackground(&why)) {
        *problem = QStringLiteral("the ledger cannot be written: %1").arg(why);
        return nullptr;
    }
    if (options.addKeys) options.addKeys(*runtime.recorder());
    if (!options.deviceKeyDirectory.isEmpty() && !options.readOnly) {
        if (auto device = DeviceKey::loadOrCreate(options.deviceKeyDirectory, &why))
            runtime.recorder()->setDeviceKey(*device);
        else
            spdlog::error("device key: {} (a rollback by a person whose key is locked cannot be recorded)",
                          why.toStdString());
    }
    if (options.store.isSet()) {
        runtime.attachStore(options.store);
        if (!options.driverKind.isEmpty())
            runtime.attachDriveLease(options.driverPerson, options.driverKind, options.lease);
    }
    if (options.notify) {
        a->m_notifier =
            std::make_unique<WebhookNotifier>(runtime.plan(), runtime.session(), WebhookNotifier::Options{});
        WebhookNotifier* notifier = a->m_notifier.get();
        for (const QString& t : runtime.replay().tampering)
            notifier->ledgerTampering({}, t);
        if (LedgerSync* sync = runtime.sync())
            QObject::connect(sync, &LedgerSync::tampering, notifier, &WebhookNotifier::ledgerTampering);
        // Escalation (the plan's `pager:`): pages on an unverified rollback and on P0/P1 triggers.
        // Its open incidents are kept beside the ledger, per rollout: a restarted driver resolves
        // what it opened.
        PagerDutyNotifier::Options pagerOptions;
        if (!options.readOnly)
            pagerOptions.statePath =
                QFileInfo(options.ledgerPath).absolutePath() +
                QStringLiteral("/pager-%1.json")
                    .arg(QString::fromLatin1(
                        QCryptographicHash::hash(runtime.plan().rollout.toUtf8(), QCryptographicHash::Sha256)
                            .toHex()
                            .left(16)));
        auto pager = std::make_unique<PagerDutyNotifier>(runtime.plan(), runtime.session(), pagerOptions);
        // Told once a decision is recorded and its flags are on their way (DecisionPath).
        runtime.decisions().addNotifier(notifier,
                                        [n = QPointer<WebhookNotifier>(notifier)](const RolloutEvent& e) {
                                            if (n) n->onDecision(e);
                                        });
        if (pager->configured()) {
            a->m_pager = std::move(pager);
            PagerDutyNotifier* p = a->m_pager.get();
            runtime.decisions().addNotifier(p, [n = QPointer<PagerDutyNotifier>(p)](const RolloutEvent& e) {
                if (n) n->onDecision(e);
            });
        }
    }
    if (!options.readOnly) runtime.holdForReplayedDamage();
    return a;
}

} // namespace rollout
