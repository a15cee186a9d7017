// rolloutctl watch: the rollout engine headless, with the plan's real metric sources and flag
// services, signing its decisions with an automation key into the ledger (and the shared store
// when one is named). Rolls back on hard triggers; raises soft alerts; never advances a phase
// unless the plan says auto_promote for it (or auto_start for the first). Resumes from the ledger
// when restarted, and finishes a decision whose flags were recorded but never read back. Follows
// the decisions other rolloutctl commands record in the same ledger, and reports drift.
#include "CommandLine.h"
#include "Commands.h"
#include "Operator.h"
#include "Signals.h"
#include "ledger/PassphraseSource.h"
#include "notify/WebhookNotifier.h"
#include "runtime/DriverView.h"

#include <QCoreApplication>
#include <QTimer>
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

// "running, phase 2 of 5 \"early\" at 10%", "not started (all flags off)".
QString describeWhere(const RolloutSession& s)
{
    const QString state = toString(s.state());
    if (s.isComplete()) return state + QStringLiteral(", 100%");
    if (s.currentPhase() < 0) return state + QStringLiteral(", all flags off");
    return QStringLiteral("%1, phase %2 of %3 \"%4\" at %5%")
        .arg(state)
        .arg(s.currentPhase() + 1)
        .arg(s.plan().phases.size())
        .arg(s.plan().phases[std::size_t(s.currentPhase())].name)
        .arg(s.currentTraffic());
}

} // namespace

int watch(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Run a rollout's engine headless against the plan's real sources and flag services. "
        "Decisions are signed with an "
        "automation key (a person of the plan with the role \"automation\") into the ledger, "
        "and shared through PostgreSQL "
        "when ROLLOUT_PG_HOST is set. Starts the rollout when the plan says auto_start and "
        "the first gate is green. Exit "
        "codes: 0 completed, 3 rolled back, 4 stopped (SIGTERM/SIGINT), 5 refused (another live "
        "process drives the rollout: one driver per rollout, through the shared store's lease; "
        "also when another took the lease over while this one could not renew it), 1 failed (including a "
        "rollback whose flags did not "
        "read back: escalate), 2 usage (or a loose ROLLOUT_ENV_FILE). When ROLLOUT_ENV_FILE "
        "names the file the environment "
        "(and the passphrase) came from, as the systemd unit does, watch refuses to start "
        "unless that file is owned by root "
        "or by this user and no one else may read or change it (mode 0600)."));
    parser.addPositionalArgument(QStringLiteral("plan"), QStringLiteral("The plan file."),
                                 QStringLiteral("PLAN"));
    Operator::addOptions(parser, Actor::automation().id);
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
    if (parser.value(QStringLiteral("as")) != Actor::automation().id) {
        err() << "rolloutctl watch: watch signs as the plan's automation person (--as automation): its "
                 "decisions are the engine's own\n";
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
    int openExit = Ok;
    std::unique_ptr<Operator> op = Operator::open(parser, QStringLiteral("watch"), &openExit);
    if (!op) {
        if (openExit == Ok || openExit == Failed)
            err()
                << "rolloutctl watch: the automation key must be the plan's automation person:\n"
                << "  - {id: automation, roles: [automation], key: \"<rolloutctl keys show automation>\"}\n";
        return openExit == Usage ? int(Usage) : int(WatchFailed);
    }
    RolloutRuntime& runtime = op->runtime();
    const Plan& plan = runtime.plan();
    const RolloutSession& session = runtime.session();
    spdlog::info("watch: {} resumed from {} record(s) ({} not replayed): {}", plan.rollout.toStdString(),
                 runtime.replay().verdicts.size(), runtime.replay().skipped.size(),
                 describeWhere(session).toStdString());
    for (const QString& s : runtime.replay().skipped)
        spdlog::warn("watch: not replayed: {}", s.toStdString());
    if (LedgerSync* sync = runtime.sync()) {
        QObject::connect(sync, &LedgerSync::storeHealth, sync, [](bool ok, const QString& why) {
            if (ok)
                spdlog::info("watch: shared store: {}", why.toStdString());
            else
                spdlog::warn("watch: shared store: {}", why.toStdString());
        });
    }
    QObject::connect(runtime.follower(), &LedgerFollower::rejected, &runtime,
                     [](const QString& id, const QString& why) {
                         spdlog::warn("watch: a record in the ledger file is not applied: {}: {}",
                                      id.toStdString(), why.toStdString());
                     });
    // Ledger tampering, found at start or on a pull: a warning in the log (the assembly sends it
    // to the webhooks too).
    const auto tampering = [](const QString&, const QString& why) {
        spdlog::warn("watch: ledger {}", why.toStdString());
    };
    for (const QString& t : runtime.replay().tampering)
        tampering({}, t);
    if (runtime.sync()) QObject::connect(runtime.sync(), &LedgerSync::tampering, &runtime, tampering);

    int exitCode = Stopped;
    bool stopAfterFlags = false;
    const bool keepGoing = parser.isSet(QStringLiteral("keep-going"));
    auto quitSoon = [] {
        // Give the webhook a moment to carry the incident out; it never held up the rollback.
        QTimer::singleShot(3000, QCoreApplication::instance(), &QCoreApplication::quit);
    };
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
            if (e.type == EventType::FlagsNotVerified)
                exitCode = WatchFailed;
            else if (session.flagsApplied())
                quitSoon();
        }
        if (e.type == EventType::FlagsVerified && exitCode == Completed && session.flagsApplied()) quitSoon();
    });
    QObject::connect(
        runtime.recorder(), &LedgerRecorder::notRecorded, &runtime,
        [](const RolloutEvent&, const QString& why) { spdlog::error("watch: {}", why.toStdString()); });
    if (session.isComplete() && session.flagsApplied()) {
        QTextStream(stdout) << "rollout " << plan.rollout << " is already complete\n";
        return Completed;
    }
    // Resumed after a rollback: its flags are read back (and the rollback finished when they
    // were never verified) before watch ends with 3, unless it keeps going.
    if (session.state() == RolloutState::RolledBack && !keepGoing) {
        exitCode = RolledBackExit;
        stopAfterFlags = true;
        if (session.flagsApplied()) {
            QTextStream(stdout) << "rollout " << plan.rollout
                                << " was rolled back, and its flags are as recorded: nothing to do\n";
            return RolledBackExit;
        }
        spdlog::warn("watch: the recorded rollback was never read back on the flag services: finishing it");
    }
    if (session.isComplete()) exitCode = Completed;

    quitOnSignals();
    bool ok = false;
    const int tick = parser.value(QStringLiteral("tick")).toInt(&ok);
    // One driver per rollout: with a shared store, watch holds the rollout's driver lease (the
    // assembly attached it), or refuses to start while another live process (a watch, a console)
    // drives it.
    if (runtime.lease()) {
        QObject::connect(&runtime, &RolloutRuntime::driveLost, &runtime, [&](const LeaseHolder& holder) {
            spdlog::error("watch: {} now drives {}: this watch could not renew its lease in time and stops",
                          holder.describe().toStdString(), plan.rollout.toStdString());
            exitCode = Refused;
            QCoreApplication::quit();
        });
    }
    runtime.start(ok && tick > 0 ? tick : 1000);
    if (DriveLease* lease = runtime.lease()) {
        Operator::waitUntil([lease] { return lease->state() != DriveLease::State::Pending; }, 15000);
        if (lease->state() == DriveLease::State::Following) {
            runtime.stop();
            err() << "rolloutctl watch: rollout " << plan.rollout << " is already driven by "
                  << lease->holder().describe()
                  << ": a rollout has one driver; stop that one first, or start "
                  << "this one once its lease lapsed (" << lease->options().ttlMs / 1000
                  << " s after its last heartbeat)\n";
            return Refused;
        }
        if (lease->state() != DriveLease::State::Driving)
            spdlog::warn("watch: the shared store did not say who drives {} ({}): driving without a lease "
                         "until it answers",
                         plan.rollout.toStdString(), lease->lastError().toStdString());
    }
    // The gate's progress on every change of its verdict, and at least once a minute: a watch that
    // waits for evidence says so ("gate to phase 2: error_rate < 1% waiting for evidence, 340 of
    // about 1004 canary requests; 2 of 3 approvals").
    QString lastVerdict;
    qint64 lastProgressMs = 0;
    QObject::connect(&runtime, &RolloutRuntime::ticked, &runtime, [&] {
        if (runtime.following() || session.isComplete() || session.state() == RolloutState::RolledBack)
            return;
        const GateStatus g = session.gate();
        const QString key = DriverView::verdictKey(g);
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        if (key == lastVerdict && now - lastProgressMs < 60000) return;
        lastVerdict = key;
        lastProgressMs = now;
        QTextStream(stdout) << QDateTime::fromMSecsSinceEpoch(now, Qt::UTC).toString(Qt::ISODate) << "  "
                            << DriverView::gateLine(g, plan) << Qt::endl;
    });
    QTextStream(stdout) << "watching " << plan.rollout << " (" << describeWhere(session) << "), ledger "
                        << op->ledgerPath() << Qt::endl;
    QCoreApplication::exec();
    runtime.stop();
    if (lastSignal() != 0) exitCode = Stopped;
    const char* how = exitCode == Completed        ? "completed"
                      : exitCode == RolledBackExit ? "rolled back"
                      : exitCode == Stopped        ? "stopped"
                      : exitCode == Refused        ? "refused (another process drives the rollout now)"
                                                   : "failed";
    QTextStream(stdout) << "watch ended: " << how << Qt::endl;
    return exitCode;
}

} // namespace rolloutctl
