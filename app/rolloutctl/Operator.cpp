#include "Operator.h"

#include "Commands.h"
#include "ledger/KeyStore.h"
#include "ledger/PassphraseSource.h"
#include "plan/PlanLoader.h"
#include "runtime/RolloutAssembly.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QEventLoop>
#include <QTextStream>
#include <QTimer>
#include <sodium.h>

namespace rolloutctl {

using namespace rollout;

namespace {

QTextStream& err()
{
    static QTextStream s(stderr);
    return s;
}

} // namespace

void Operator::addOptions(QCommandLineParser& parser, const QString& defaultPerson)
{
    parser.addOption({QStringLiteral("as"),
                      defaultPerson.isEmpty()
                          ? QStringLiteral("Who decides: a person's id from the plan's people (required).")
                          : QStringLiteral("Who decides: a person's id from the plan's people (default: %1).")
                                .arg(defaultPerson),
                      QStringLiteral("PERSON"), defaultPerson});
    parser.addOption(
        {QStringLiteral("role"),
         QStringLiteral("The role they act in (default: the one the decision needs, else their first)."),
         QStringLiteral("ROLE")});
    parser.addOption({QStringLiteral("key"),
                      QStringLiteral("The signing key's name in the key store (default: the person's id)."),
                      QStringLiteral("NAME")});
    parser.addOption(
        {QStringLiteral("keys-dir"),
         QStringLiteral("The key store directory (default: %1).").arg(KeyStore::defaultDirectory()),
         QStringLiteral("DIR")});
    parser.addOption(
        {QStringLiteral("passphrase-env"),
         QStringLiteral(
             "Read the key's passphrase from this environment variable (else it is asked on the terminal)."),
         QStringLiteral("VAR")});
    parser.addOption({QStringLiteral("db"),
                      QStringLiteral("The ledger database (default: %1).").arg(LocalLedger::defaultPath()),
                      QStringLiteral("FILE")});
}

std::unique_ptr<Operator> Operator::open(const QCommandLineParser& parser, const QString& command, int* exit)
{
    *exit = Failed;
    const QString name = QStringLiteral("rolloutctl ") + command;
    if (parser.positionalArguments().isEmpty()) {
        err() << name << ": name the plan file (see --help)\n";
        *exit = Usage;
        return nullptr;
    }
    const QString person = parser.value(QStringLiteral("as"));
    if (person.isEmpty()) {
        err() << name
              << ": say who decides with --as PERSON (a person of the plan): every decision is signed\n";
        *exit = Usage;
        return nullptr;
    }
    PlanLoadResult loaded = PlanLoader::loadFile(parser.positionalArguments().first());
    if (!loaded.plan) {
        for (const PlanError& e : loaded.errors)
            err() << e.toString() << "\n";
        return nullptr;
    }
    const Plan& plan = *loaded.plan;
    const auto who =
        std::find_if(plan.people.begin(), plan.people.end(), [&](const Person& p) { return p.id == person; });
    if (who == plan.people.end()) {
        QStringList ids;
        for (const Person& p : plan.people)
            ids.append(p.id);
        err() << name << ": " << person << " is not one of the plan's people ("
              << ids.join(QStringLiteral(", ")) << ")\n";
        return nullptr;
    }
    QString role = parser.value(QStringLiteral("role"));
    if (!role.isEmpty() && !who->roles.contains(role)) {
        err() << name << ": " << person << " does not hold the role " << role << " in the plan ("
              << who->roles.join(QStringLiteral(", ")) << ")\n";
        return nullptr;
    }
    if (role.isEmpty()) role = who->roles.value(0);
    if (who->publicKey.isEmpty()) {
        err() << name << ": the plan gives " << person
              << " no key, so their decisions could not be verified: add their key "
              << "(rolloutctl keys show " << person << ") to the plan's people\n";
        return nullptr;
    }
    if (!Ed25519::initialize()) {
        err() << name << ": libsodium cannot start\n";
        return nullptr;
    }

    // The key: unlocked here, checked against the plan, wiped when the recorder goes.
    const QString keyName =
        parser.isSet(QStringLiteral("key")) ? parser.value(QStringLiteral("key")) : person;
    KeyStore keys(parser.isSet(QStringLiteral("keys-dir")) ? parser.value(QStringLiteral("keys-dir"))
                                                           : KeyStore::defaultDirectory());
    QString problem;
    // A rollback is never held up by a locked key: without the person's key, this installation's
    // device key signs it ("signature pending" until they countersign).
    const bool rollback = command == QLatin1String("rollback");
    std::optional<KeyStore::UnlockedKey> key;
    std::optional<QByteArray> passphrase =
        PassphraseSource::obtain(parser.value(QStringLiteral("passphrase-env")),
                                 QStringLiteral("Passphrase of the key %1: ").arg(keyName), false, &problem);
    if (passphrase) {
        key = keys.unlock(keyName, *passphrase, &problem);
        sodium_memzero(passphrase->data(), std::size_t(passphrase->size()));
    }
    if (!key && !rollback) {
        err() << name << ": " << problem << "\n";
        return nullptr;
    }
    if (!key)
        err() << name << ": " << problem << "; the rollback goes ahead, signed with this device's key ("
              << person << "'s signature pending: countersign it with `rolloutctl countersign`)\n";
    const QString publicKey = key ? Ed25519::encodePublicKey(key->publicKey) : who->publicKey;
    if (publicKey != who->publicKey) {
        err() << name << ": the key " << keyName << " (" << publicKey << ") is not " << person
              << "'s key in the plan (" << who->publicKey << "): their records would not verify\n";
        return nullptr;
    }

    std::unique_ptr<Operator> op(new Operator);
    op->m_actor = Actor{person, role};
    op->m_ledgerPath =
        parser.isSet(QStringLiteral("db")) ? parser.value(QStringLiteral("db")) : LocalLedger::defaultPath();
    RolloutAssembly::Options options;
    options.ledgerPath = op->m_ledgerPath;
    options.store = StoreSettings::fromEnvironment();
    options.notify = command == QLatin1String("watch"); // a one-shot decision leaves webhooks to the driver
    if (command == QLatin1String("watch")) {            // one driver per rollout: watch drives or refuses
        options.driverKind = QStringLiteral("watch");
        options.driverPerson = person;
        options.lease.autoTakeOver = false; // watch never follows
    }
    options.deviceKeyDirectory = keys.directory();
    options.addKeys = [&](LedgerRecorder& recorder) {
        if (key) recorder.addKey(person, Ed25519::KeyPair{key->publicKey, key->secretKey});
        // What this process observes on its own (a flag read-back, drift) is signed by the person
        // running it when they are not the automation: an observation, never a decision in their name.
        if (person != Actor::automation().id) recorder.setObserver(Actor{person, role});
    };
    op->m_assembly =
        RolloutAssembly::build(std::move(*loaded.plan), op->m_clock, std::move(options), &problem);
    if (!op->m_assembly) {
        err() << name << ": " << problem << "\n";
        return nullptr;
    }
    for (const QString& s : op->runtime().replay().skipped)
        err() << name << ": not replayed: " << s << "\n";
    *exit = Ok;
    return op;
}

std::unique_ptr<Operator> Operator::openReadOnly(const QCommandLineParser& parser, const QString& command,
                                                 int* exit)
{
    *exit = Failed;
    const QString name = QStringLiteral("rolloutctl ") + command;
    if (parser.positionalArguments().isEmpty()) {
        err() << name << ": name the plan file (see --help)\n";
        *exit = Usage;
        return nullptr;
    }
    PlanLoadResult loaded = PlanLoader::loadFile(parser.positionalArguments().first());
    if (!loaded.plan) {
        for (const PlanError& e : loaded.errors)
            err() << e.toString() << "\n";
        return nullptr;
    }
    QString problem;
    std::unique_ptr<Operator> op(new Operator);
    op->m_ledgerPath =
        parser.isSet(QStringLiteral("db")) ? parser.value(QStringLiteral("db")) : LocalLedger::defaultPath();
    RolloutAssembly::Options options;
    options.ledgerPath = op->m_ledgerPath;
    options.store = StoreSettings::fromEnvironment();
    options.notify = false;
    options.autoStart = false;
    options.readOnly = true;
    op->m_assembly =
        RolloutAssembly::build(std::move(*loaded.plan), op->m_clock, std::move(options), &problem);
    if (!op->m_assembly) {
        err() << name << ": " << problem << "\n";
        return nullptr;
    }
    *exit = Ok;
    return op;
}

std::optional<Actor> Operator::actingAs(const QString& role) const
{
    if (!roles().contains(role)) {
        err() << "rolloutctl: " << m_actor.id << " does not hold the role " << role << " in the plan\n";
        return std::nullopt;
    }
    return Actor{m_actor.id, role};
}

QStringList Operator::roles() const
{
    for (const Person& p : plan().people)
        if (p.id == m_actor.id) return p.roles;
    return {};
}

bool Operator::waitUntil(const std::function<bool()>& done, int timeoutMs)
{
    if (done()) return true;
    QEventLoop loop;
    QTimer check;
    QObject::connect(&check, &QTimer::timeout, &loop, [&] {
        if (done()) loop.quit();
    });
    check.start(20);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    loop.exec();
    return done();
}

bool Operator::syncFirst(int timeoutMs)
{
    LedgerSync* sync = runtime().sync();
    if (!sync) return true;
    bool finished = false;
    bool reachable = false;
    const QMetaObject::Connection health =
        QObject::connect(sync, &LedgerSync::storeHealth, sync, [&](bool ok, const QString& why) {
            reachable = ok;
            if (!ok) err() << "rolloutctl: shared store: " << why << "\n";
        });
    const QMetaObject::Connection round =
        QObject::connect(sync, &LedgerSync::roundFinished, sync, [&] { finished = true; });
    sync->start();
    const bool done = waitUntil([&] { return finished; }, timeoutMs);
    QObject::disconnect(health);
    QObject::disconnect(round);
    if (!done)
        err() << "rolloutctl: the shared store did not answer within " << timeoutMs / 1000
              << " s: deciding on this ledger alone\n";
    return done && (reachable || sync->isRunning());
}

bool Operator::pushRecorded(int timeoutMs)
{
    LedgerSync* sync = runtime().sync();
    if (!sync) return true;
    QString problem;
    auto waiting = [&] {
        for (const LedgerRecord& r : runtime().recorder()->ledger().unpushed(&problem))
            if (r.rollout == plan().rollout) return true;
        return false;
    };
    sync->syncNow();
    if (waitUntil([&] { return !waiting(); }, timeoutMs)) return true;
    err() << "rolloutctl: recorded in " << m_ledgerPath
          << " but not yet in the shared store (it does not answer); the next rolloutctl, "
          << "watch or console on this ledger pushes it\n";
    return false;
}

bool Operator::waitFlagsApplied(int timeoutMs)
{
    FlagSync* flags = runtime().flags();
    bool escalated = false;
    const QMetaObject::Connection c =
        QObject::connect(flags, &FlagSync::operationFinished, flags,
                         [&](const QString&, const FlagChangeReport& r) { escalated = !r.allVerified(); });
    waitUntil([&] { return !flags->busy() && (runtime().session().flagsApplied() || escalated); }, timeoutMs);
    QObject::disconnect(c);
    // The action lists the decision started (the plan's rollback_actions) finish before the
    // command does: each step is recorded, a failed one escalated.
    waitUntil([&] { return !runtime().actions().busy(); }, timeoutMs);
    return runtime().session().flagsApplied();
}

} // namespace rolloutctl
