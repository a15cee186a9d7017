// rolloutctl watch: the rollout engine headless, with the plan's real metric sources and flag
// services, signing its decisions with an automation key into the ledger (and the shared store
// when one is named). Rolls back on hard triggers; raises soft alerts; never advances a phase
// unless the plan says auto_promote for it. Resumes from the ledger when restarted.
#include "CommandLine.h"
#include "Commands.h"
#include "Signals.h"
#include "core/Clock.h"
#include "ledger/KeyStore.h"
#include "ledger/PassphraseSource.h"
#include "notify/WebhookNotifier.h"
#include "plan/PlanLoader.h"
#include "runtime/RolloutRuntime.h"

#include <QCoreApplication>
#include <QTimer>
#include <sodium.h>
#include <spdlog/spdlog.h>

namespace rolloutctl {

using namespace rollout;

namespace {

// How a watch ended, as its exit code: scripts and systemd tell the endings apart.
enum WatchExit
{
    Completed = 0,
    WatchFailed = 1,
    RolledBackExit = 3,
    Stopped = 4
};

QTextStream& err()
{
    static QTextStream s(stderr);
    return s;
}

} // namespace

int watch(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Run a rollout's engine headless against the plan's real sources and flag services. Decisions are "
        "signed with an "
        "automation key (a person of the plan with the role \"automation\") into the ledger, and shared "
        "through PostgreSQL "
        "when ROLLOUT_PG_HOST is set. When ROLLOUT_ENV_FILE names the file the environment (and the "
        "passphrase) came "
        "from, as the systemd unit does, watch refuses to start unless that file is owned by root or by this "
        "user and "
        "no one else may read or change it (mode 0600). Exit codes: 0 completed, 3 rolled back, 4 stopped "
        "(SIGTERM/SIGINT), 1 failed (including a rollback whose flags did not read back: escalate), 2 usage "
        "(or a loose "
        "ROLLOUT_ENV_FILE)."));
    parser.addPositionalArgument(QStringLiteral("plan"), QStringLiteral("The plan file."),
                                 QStringLiteral("PLAN"));
    parser.addOption({QStringLiteral("key"),
                      QStringLiteral("The automation key's name in the key store (default: automation)."),
                      QStringLiteral("NAME"), QStringLiteral("automation")});
    parser.addOption(
        {QStringLiteral("keys-dir"),
         QStringLiteral("The key store directory (default: %1).").arg(KeyStore::defaultDirectory()),
         QStringLiteral("DIR")});
    parser.addOption({QStringLiteral("passphrase-env"),
                      QStringLiteral("Read the key's passphrase from this environment variable "
                                     "(else it is asked on the terminal)."),
                      QStringLiteral("VAR")});
    parser.addOption({QStringLiteral("db"),
                      QStringLiteral("The ledger database (default: %1).").arg(LocalLedger::defaultPath()),
                      QStringLiteral("FILE")});
    parser.addOption({QStringLiteral("tick"),
                      QStringLiteral("Evaluate the engine every MS milliseconds (default 1000)."),
                      QStringLiteral("MS"), QStringLiteral("1000")});
    parser.addOption({QStringLiteral("keep-going"),
                      QStringLiteral("After a rollback, keep watching instead of exiting 3.")});
    if (auto exit = parseArguments(parser, QStringLiteral("watch"), args)) return *exit;
    if (parser.positionalArguments().size() != 1) {
        err() << "rolloutctl watch: name exactly one plan file\n";
        return Usage;
    }
    // The env file systemd read the passphrase from (EnvironmentFile=): checked before anything
    // is read from it, since systemd itself never looks at its permissions.
    if (const QString envFile = qEnvironmentVariable("ROLLOUT_ENV_FILE"); !envFile.isEmpty()) {
        QString why;
        if (!PassphraseSource::checkEnvironmentFile(envFile, &why)) {
            err() << "rolloutctl watch: " << why << "\n";
            return Usage; // a restart cannot mend it (the unit does not restart on 2)
        }
    }
    const PlanLoadResult loaded = PlanLoader::loadFile(parser.positionalArguments().first());
    if (!loaded.plan) {
        for (const PlanError& e : loaded.errors)
            err() << e.toString() << "\n";
        return WatchFailed;
    }
    const Plan& plan = *loaded.plan;
    if (!Ed25519::initialize()) {
        err() << "rolloutctl watch: libsodium cannot start\n";
        return WatchFailed;
    }

    // The automation key, and a check that the plan will believe its signatures.
    const QString keyName = parser.value(QStringLiteral("key"));
    KeyStore keys(parser.isSet(QStringLiteral("keys-dir")) ? parser.value(QStringLiteral("keys-dir"))
                                                           : KeyStore::defaultDirectory());
    QString problem;
    std::optional<QByteArray> passphrase =
        PassphraseSource::obtain(parser.value(QStringLiteral("passphrase-env")),
                                 QStringLiteral("Passphrase of the key %1: ").arg(keyName), false, &problem);
    if (!passphrase) {
        err() << "rolloutctl watch: " << problem << "\n";
        return WatchFailed;
    }
    std::optional<KeyStore::UnlockedKey> key = keys.unlock(keyName, *passphrase, &problem);
    sodium_memzero(passphrase->data(), std::size_t(passphrase->size()));
    if (!key) {
        err() << "rolloutctl watch: " << problem << "\n";
        return WatchFailed;
    }
    const QString publicKey = Ed25519::encodePublicKey(key->publicKey);
    const auto person = std::find_if(plan.people.begin(), plan.people.end(), [&](const Person& p) {
        return p.id == Actor::automation().id && p.roles.contains(Actor::automation().role) &&
               p.publicKey == publicKey;
    });
    if (person == plan.people.end()) {
        err() << "rolloutctl watch: the key " << keyName << " (" << publicKey
              << ") is not the plan's automation person: add\n"
              << "  - {id: automation, roles: [automation], key: \"" << publicKey
              << "\"}\nto the plan's people, or its records would not verify\n";
        return WatchFailed;
    }

    SystemClock clock;
    const QString dbPath =
        parser.isSet(QStringLiteral("db")) ? parser.value(QStringLiteral("db")) : LocalLedger::defaultPath();
    std::unique_ptr<LocalLedger> ledger = LocalLedger::open(dbPath, clock, &problem);
    if (!ledger) {
        err() << "rolloutctl watch: " << problem << "\n";
        return WatchFailed;
    }
    std::optional<FlagBackendSet> backends = FlagBackendSet::fromPlan(plan, &problem);
    if (!backends) {
        err() << "rolloutctl watch: " << problem << "\n";
        return WatchFailed;
    }

    RolloutRuntime runtime(plan, clock);
    runtime.attachFlags(std::move(*backends));
    runtime.attachLedger(std::move(ledger));
    runtime.recorder()->addKey(Actor::automation().id, Ed25519::KeyPair{key->publicKey, key->secretKey});
    const RolloutSession& session = runtime.session();
    spdlog::info("watch: {} resumed from {} record(s) ({} not replayed): {}, phase {}",
                 plan.rollout.toStdString(), runtime.replay().verdicts.size(),
                 runtime.replay().skipped.size(), toString(session.state()).toStdString(),
                 session.currentPhase() + 1);
    for (const QString& s : runtime.replay().skipped)
        spdlog::warn("watch: not replayed: {}", s.toStdString());
    if (const StoreSettings store = StoreSettings::fromEnvironment(); store.isSet()) {
        runtime.attachStore(store);
        QObject::connect(runtime.sync(), &LedgerSync::storeHealth, runtime.sync(),
                         [](bool ok, const QString& why) {
                             if (ok)
                                 spdlog::info("watch: shared store: {}", why.toStdString());
                             else
                                 spdlog::warn("watch: shared store: {}", why.toStdString());
                         });
    }
    WebhookNotifier notifier(plan, runtime.session(), WebhookNotifier::Options{});

    int exitCode = Stopped;
    bool stopAfterFlags = false;
    const bool keepGoing = parser.isSet(QStringLiteral("keep-going"));
    QObject::connect(&runtime, &RolloutRuntime::eventAppended, &runtime, [&](const RolloutEvent& e) {
        if (e.type == EventType::TriggerPending || e.type == EventType::TriggerCleared)
            spdlog::info("watch: {}", e.describe().toStdString());
        else
            spdlog::warn("watch: {}", e.describe().toStdString());
        QTextStream(stdout) << QDateTime::fromMSecsSinceEpoch(e.atMs, Qt::UTC).toString(Qt::ISODate) << "  "
                            << e.describe() << Qt::endl;
        if (e.type == EventType::RolledBack && !keepGoing) {
            exitCode = RolledBackExit;
            stopAfterFlags = true; // the flags' read-back decides how it ended
        }
        if (e.type == EventType::Completed) exitCode = Completed;
        if ((e.type == EventType::FlagsVerified || e.type == EventType::FlagsNotVerified) && stopAfterFlags) {
            if (e.type == EventType::FlagsNotVerified) exitCode = WatchFailed;
            // Give the webhook a moment to carry the incident out; it never held up the rollback.
            QTimer::singleShot(3000, QCoreApplication::instance(), &QCoreApplication::quit);
        }
        if (e.type == EventType::FlagsVerified && exitCode == Completed)
            QTimer::singleShot(3000, QCoreApplication::instance(), &QCoreApplication::quit);
    });
    QObject::connect(
        runtime.recorder(), &LedgerRecorder::notRecorded, &runtime,
        [](const RolloutEvent&, const QString& why) { spdlog::error("watch: {}", why.toStdString()); });
    if (session.isComplete()) {
        QTextStream(stdout) << "rollout " << plan.rollout << " is already complete\n";
        return Completed;
    }

    quitOnSignals();
    bool ok = false;
    const int tick = parser.value(QStringLiteral("tick")).toInt(&ok);
    runtime.start(ok && tick > 0 ? tick : 1000);
    QTextStream(stdout) << "watching " << plan.rollout << " (" << toString(session.state()) << ", phase "
                        << session.currentPhase() + 1 << "), ledger " << dbPath << Qt::endl;
    QCoreApplication::exec();
    runtime.stop();
    if (lastSignal() != 0) exitCode = Stopped;
    const char* how = exitCode == Completed        ? "completed"
                      : exitCode == RolledBackExit ? "rolled back"
                      : exitCode == Stopped        ? "stopped"
                                                   : "failed";
    QTextStream(stdout) << "watch ended: " << how << Qt::endl;
    return exitCode;
}

} // namespace rolloutctl
