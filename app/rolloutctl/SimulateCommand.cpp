// rolloutctl simulate: serve the simulated service for a real Prometheus (--listen), or run a
// plan headless against the simulator on a fast clock and print every transition.
#include "CommandLine.h"
#include "Commands.h"
#include "Signals.h"
#include "core/Clock.h"
#include "engine/RolloutSession.h"
#include "flags/FlagBackendSet.h"
#include "metrics/TimeSeriesStore.h"
#include "plan/Duration.h"
#include "plan/PlanLoader.h"
#include "sim/DemoDriver.h"
#include "sim/EventLogWriter.h"
#include "sim/Fault.h"
#include "sim/PlanSharePoller.h"
#include "sim/SimulatedService.h"
#include "sim/SimulationFeeder.h"
#include "sim/SimulatorHttpServer.h"
#include "sim/UnleashSharePoller.h"

#include <QCoreApplication>
#include <QHostAddress>
#include <QTimer>
#include <QUrl>
#include <algorithm>
#include <memory>
#include <optional>

namespace rolloutctl {

using namespace rollout;

namespace {

// Headless runs start at a fixed instant, so that runs are identical and times read well.
constexpr qint64 kSimulationEpochMs = 1'767'225'600'000; // 2026-01-01T00:00:00Z

QString clockText(qint64 ms)
{
    const qint64 s = (ms - kSimulationEpochMs) / 1000;
    return QStringLiteral("T+%1:%2:%3")
        .arg(s / 3600, 3, 10, QLatin1Char('0'))
        .arg((s / 60) % 60, 2, 10, QLatin1Char('0'))
        .arg(s % 60, 2, 10, QLatin1Char('0'));
}

// Where --listen reads the canary share from, when not a fixed --share.
struct UnleashSource
{
    QUrl url; // Unleash's base URL
    QString flag;
    QString tokenEnv; // the variable holding the client (backend) token
};

// Where --listen reads the canary share from through a plan's own flag service.
struct PlanSource
{
    QString planFile;
    QString flag;
    QString shadowFlag;           // on while `flag` is off: a mirrored 10% runs the new path
    double audienceShare = 100.0; // the share of traffic a flag's audience (roles, segments) makes
};

// What --listen also writes: the migration events as a JSON Lines log (seed 004's source).
struct EventLog
{
    QString path;
    QString label;
};

// Moves the service's canary share to what `poller` reads (UnleashSharePoller, PlanSharePoller).
template <typename Poller>
void followShare(Poller* poller, SimulatedService& service, const Clock& clock, QTextStream& out,
                 const QString& from)
{
    QObject::connect(poller, &Poller::shareRead, poller, [&service, &clock, &out, from](double percent) {
        if (percent == service.canaryShare()) return;
        out << "canary share " << service.canaryShare() << "% -> " << percent << "% (from " << from << ")"
            << Qt::endl;
        service.advanceTo(clock.nowMs()); // the past at the old share, from now on the new one
        service.setCanaryShare(percent);
    });
    QObject::connect(poller, &Poller::readFailed, poller, [from](const QString& why) {
        QTextStream(stderr) << "rolloutctl simulate: cannot read the share from " << from
                            << ", keeping the last one: " << why << Qt::endl;
    });
    QObject::connect(poller, &Poller::readRecovered, poller,
                     [&out, from] { out << "reading the share from " << from << " again" << Qt::endl; });
}

int serve(const QString& listen, const QString& prefix, quint64 seed, double share, double rps,
          double errorRatio, const std::optional<UnleashSource>& unleash,
          const std::optional<PlanSource>& planSource, const std::optional<EventLog>& eventLog)
{
    const int colon = int(listen.lastIndexOf(QLatin1Char(':')));
    const QHostAddress address(listen.left(colon));
    bool ok = false;
    const int port = listen.mid(colon + 1).toInt(&ok);
    if (colon < 0 || address.isNull() || !ok || port < 0 || port > 65535) {
        QTextStream(stderr) << "rolloutctl simulate: --listen wants HOST:PORT, e.g. 127.0.0.1:9101\n";
        return Usage;
    }
    Credentials token;
    if (unleash) {
        token = Credentials::fromEnvironment(unleash->tokenEnv, {}, {}, /*bearer=*/false);
        if (!token.problem.isEmpty()) {
            QTextStream(stderr) << "rolloutctl simulate: --share-from-unleash: " << token.problem << "\n";
            return Usage;
        }
    }
    SystemClock clock;
    std::unique_ptr<PlanSharePoller> planPoller;
    if (planSource) {
        const PlanLoadResult loaded = PlanLoader::loadFile(planSource->planFile);
        if (!loaded.plan) {
            for (const PlanError& e : loaded.errors)
                QTextStream(stderr) << e.toString() << "\n";
            return Usage;
        }
        const auto& flagSpecs = loaded.plan->flags;
        if (std::none_of(flagSpecs.begin(), flagSpecs.end(),
                         [&](const FlagSpec& f) { return f.key == planSource->flag; })) {
            QTextStream(stderr) << "rolloutctl simulate: --flag " << planSource->flag << ": "
                                << planSource->planFile << " has no such flag\n";
            return Usage;
        }
        QString problem;
        std::optional<FlagBackendSet> flags = FlagBackendSet::fromPlan(*loaded.plan, &problem, 5000);
        if (!flags) {
            QTextStream(stderr) << "rolloutctl simulate: --share-from-plan: " << problem << "\n";
            return Usage;
        }
        planPoller = std::make_unique<PlanSharePoller>(std::move(*flags), planSource->flag);
        if (!planSource->shadowFlag.isEmpty()) planPoller->setShadow(planSource->shadowFlag);
        planPoller->setAudienceShare(planSource->audienceShare);
    }
    SimulatedService service(seed, clock.nowMs(), rps);
    service.setCanaryShare(share);
    if (errorRatio >= 0) service.setBaseErrorRatio(errorRatio);
    std::unique_ptr<EventLogWriter> events;
    QTimer eventTimer;
    if (eventLog) {
        events = std::make_unique<EventLogWriter>(eventLog->path, eventLog->label);
        QString problem;
        if (!events->open(&problem)) {
            QTextStream(stderr) << "rolloutctl simulate: --events-file: " << problem << "\n";
            return Failed;
        }
        QObject::connect(&eventTimer, &QTimer::timeout, &eventTimer, [&] {
            service.advanceTo(clock.nowMs());
            events->write(service);
        });
        eventTimer.start(1000);
    }
    SimulatorHttpServer server(service, clock, prefix);
    const int bound = server.listen(address, quint16(port));
    if (bound <= 0) {
        QTextStream(stderr) << "rolloutctl simulate: cannot listen on " << listen << "\n";
        return Failed;
    }
    QTextStream out(stdout);
    out << "serving simulated metrics on http://" << address.toString() << ":" << bound << "/metrics"
        << " (canary share " << share << "%; POST /-/share?percent=N, /-/fault?spec=…, /-/clear)" << Qt::endl;
    std::unique_ptr<UnleashSharePoller> poller;
    if (unleash) {
        poller = std::make_unique<UnleashSharePoller>(unleash->url, unleash->flag, token.authorization);
        out << "canary share follows " << poller->url().toString() << " (every 500 ms; the token from "
            << unleash->tokenEnv << ")" << Qt::endl;
        followShare(poller.get(), service, clock, out, QStringLiteral("Unleash"));
        server.setShareSource(QStringLiteral("unleash ") + poller->url().toString());
        poller->start(500);
    }
    if (planPoller) {
        out << "canary share follows " << planPoller->describe() << " (every 500 ms, the plan's own read)"
            << Qt::endl;
        followShare(planPoller.get(), service, clock, out, QStringLiteral("the plan's flag service"));
        server.setShareSource(QStringLiteral("plan ") + planPoller->describe());
        planPoller->start(500);
    }
    if (events) out << "writing migration events to " << eventLog->path << Qt::endl;
    quitOnSignals();
    QCoreApplication::exec();
    return Ok;
}

int runPlan(const QString& file, const QStringList& faults, quint64 seed, qint64 untilMs, bool autoApprove,
            bool keepGoing, bool explain, double rps, double errorRatio)
{
    const PlanLoadResult r = PlanLoader::loadFile(file);
    if (!r.plan) {
        QTextStream err(stderr);
        for (const PlanError& e : r.errors)
            err << e.toString() << "\n";
        return Failed;
    }
    const Plan& plan = *r.plan;
    ManualClock clock(kSimulationEpochMs);
    SimulatedService service(seed, kSimulationEpochMs, rps);
    if (errorRatio >= 0) service.setBaseErrorRatio(errorRatio);
    for (const QString& spec : faults) {
        QString why;
        const auto f = Fault::parse(spec, kSimulationEpochMs, &why);
        if (!f) {
            QTextStream(stderr) << "rolloutctl simulate: --fault " << spec << ": " << why << "\n";
            return Usage;
        }
        service.addFault(*f);
    }
    TimeSeriesStore store;
    SimulationFeeder feeder(plan, service, store, clock);
    RolloutSession session(plan, store, clock);
    QTextStream out(stdout);
    bool rolledBack = false;
    QObject::connect(&session, &RolloutSession::eventRecorded, &session, [&](const RolloutEvent& e) {
        if (e.type == EventType::GateClosed || e.type == EventType::ChecklistItemSet)
            return; // noise in a headless run
        if (e.type == EventType::TriggerPending || e.type == EventType::TriggerCleared) {
            const auto it = std::find_if(plan.triggers.begin(), plan.triggers.end(),
                                         [&](const TriggerSpec& t) { return t.name == e.trigger; });
            if (it != plan.triggers.end() && it->kind == TriggerKind::Soft)
                return; // soft ones show when they alert
        }
        out << clockText(e.atMs) << "  " << e.describe() << "\n";
        if (e.type == EventType::RolledBack) rolledBack = true;
    });
    out << "simulating " << plan.rollout << " (" << plan.phases.size() << " phases) with seed " << seed;
    if (!faults.isEmpty()) out << ", faults: " << faults.join(QStringLiteral(", "));
    out << "; until " << Duration::format(untilMs) << "\n";
    if (!autoApprove)
        out << "(without --auto-approve nobody signs the gates: the rollout will wait at the first one)\n";
    const qint64 step = 1000;
    while (clock.nowMs() - kSimulationEpochMs < untilMs) {
        clock.advanceMs(step);
        service.setCanaryShare(DemoDriver::canaryShareFor(session));
        service.advanceTo(clock.nowMs());
        feeder.tick();
        session.evaluate();
        if (explain) { // every change of a success criterion's verdict, to see what holds a gate
            static QMap<QString, Truth> previous;
            for (const CriterionView& c : session.criteria()) {
                const QString key = QString::number(session.currentPhase()) + c.condition.text;
                if (previous.value(key, Truth::True) == c.truth) continue;
                previous[key] = c.truth;
                out << clockText(clock.nowMs()) << "    criterion " << c.condition.text << ": "
                    << (c.truth == Truth::True    ? QStringLiteral("met")
                        : c.truth == Truth::False ? QStringLiteral("NOT met")
                                                  : QStringLiteral("inconclusive"))
                    << " ("
                    << (c.last.truth == Truth::Unknown ? c.last.reason : QString::number(c.last.compared))
                    << ")\n";
            }
        }
        if (session.isComplete()) break;
        if (rolledBack && !keepGoing) break;
        if (autoApprove && session.currentPhase() + 1 <= int(plan.phases.size())) {
            for (const QString& what : DemoDriver::signOffNextGate(session))
                if (what.startsWith(QLatin1String("alert")))
                    out << clockText(clock.nowMs()) << "  (simulation: " << what << ", goes on)\n";
            if (session.gate().open)
                session.advance(Actor{QStringLiteral("simulation"), QStringLiteral("simulation")});
        }
    }
    out << clockText(clock.nowMs()) << "  end: " << toString(session.state()) << ", phase "
        << (session.currentPhase() < 0 ? QStringLiteral("none (0%)")
                                       : QString::number(session.currentPhase() + 1))
        << ", traffic " << session.currentTraffic() << "%\n";
    if (!session.isComplete() && !rolledBack)
        out << "             waiting on: " << session.gate().missing() << "\n";
    return rolledBack ? Failed : Ok;
}

} // namespace

int simulate(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Serve the simulated service as Prometheus metrics (--listen), or run PLAN headless against the "
        "simulator\n"
        "on a fast clock and print every transition. Fault specs: KIND@START[+DURATION], KIND one of\n"
        "canary-error-spike, canary-latency-regression, global-incident, memory-leak, brief-spike;\n"
        "e.g. canary-error-spike@2h or global-incident@30m+10m. Exit 1 when the run ended in a rollback."));
    parser.addPositionalArgument(QStringLiteral("plan"),
                                 QStringLiteral("A plan to run (omit with --listen)."),
                                 QStringLiteral("[PLAN]"));
    const QCommandLineOption listen(QStringLiteral("listen"), QStringLiteral("Serve metrics on HOST:PORT."),
                                    QStringLiteral("HOST:PORT"));
    const QCommandLineOption prefix(QStringLiteral("prefix"),
                                    QStringLiteral("Metric name prefix (default sim)."),
                                    QStringLiteral("PREFIX"), QStringLiteral("sim"));
    const QCommandLineOption share(
        QStringLiteral("share"),
        QStringLiteral("With --listen: initial canary share in percent (default 10)."),
        QStringLiteral("PERCENT"), QStringLiteral("10"));
    const QCommandLineOption fault(QStringLiteral("fault"), QStringLiteral("Inject a fault (repeatable)."),
                                   QStringLiteral("SPEC"));
    const QCommandLineOption seed(QStringLiteral("seed"), QStringLiteral("Random seed (default 42)."),
                                  QStringLiteral("N"), QStringLiteral("42"));
    const QCommandLineOption until(
        QStringLiteral("until"),
        QStringLiteral("Simulated time limit (default: twice the plan's minimum durations + 1d)."),
        QStringLiteral("DURATION"));
    const QCommandLineOption autoApprove(
        QStringLiteral("auto-approve"),
        QStringLiteral("Tick checklists, sign approvals and acknowledge alerts as the plan's people."));
    const QCommandLineOption keepGoing(QStringLiteral("keep-going"),
                                       QStringLiteral("Do not stop at the first rollback."));
    const QCommandLineOption rps(
        QStringLiteral("rps"),
        QStringLiteral("Total requests per second of the simulated service (default 200)."),
        QStringLiteral("N"), QStringLiteral("200"));
    const QCommandLineOption errors(
        QStringLiteral("error-ratio"),
        QStringLiteral("Healthy error ratio of the simulated service, e.g. 0.0002 (the default) or 0."),
        QStringLiteral("RATIO"));
    const QCommandLineOption explain(
        QStringLiteral("explain"),
        QStringLiteral("Also print every change of a success criterion's verdict."));
    const QCommandLineOption fromUnleash(
        QStringLiteral("share-from-unleash"),
        QStringLiteral("With --listen: follow the canary share of --flag in Unleash's client API at URL "
                       "(polled every 500 ms; 0 while the flag is off or absent)."),
        QStringLiteral("URL"));
    const QCommandLineOption flag(QStringLiteral("flag"),
                                  QStringLiteral("With --share-from-unleash: the flag's name."),
                                  QStringLiteral("KEY"));
    const QCommandLineOption tokenEnv(QStringLiteral("token-env"),
                                      QStringLiteral("With --share-from-unleash: the variable holding a "
                                                     "client token (default ROLLOUT_UNLEASH_CLIENT_TOKEN)."),
                                      QStringLiteral("VAR"), QStringLiteral("ROLLOUT_UNLEASH_CLIENT_TOKEN"));
    const QCommandLineOption fromPlan(
        QStringLiteral("share-from-plan"),
        QStringLiteral("With --listen: follow the canary share of --flag as PLAN's own flag service reads it "
                       "(Unleash, flagd file, HTTP admin API or command; every 500 ms)."),
        QStringLiteral("PLAN"));
    const QCommandLineOption eventsFile(
        QStringLiteral("events-file"),
        QStringLiteral("With --listen: also append the migration events to FILE as JSON Lines."),
        QStringLiteral("FILE"));
    const QCommandLineOption eventsLabel(
        QStringLiteral("events-label"),
        QStringLiteral("With --events-file: the field saying which path served an event, \"true\" for the "
                       "canary (default feature_flag_enabled)."),
        QStringLiteral("FIELD"), QStringLiteral("feature_flag_enabled"));
    const QCommandLineOption shadowFlag(
        QStringLiteral("shadow-flag"),
        QStringLiteral("With --share-from-plan: while --flag is off and KEY is on, the new path processes a "
                       "mirrored 10% (shadow processing)."),
        QStringLiteral("KEY"));
    const QCommandLineOption audienceShare(
        QStringLiteral("audience-share"),
        QStringLiteral(
            "With --share-from-plan: the percent of the traffic a flag's audience (roles, segments) "
            "makes; a flag limited to one reaches that much of its percentage (default 100)."),
        QStringLiteral("PERCENT"), QStringLiteral("100"));
    parser.addOptions({listen, prefix, share, fault, seed, until, autoApprove, keepGoing, explain, rps,
                       errors, fromUnleash, fromPlan, flag, shadowFlag, audienceShare, tokenEnv, eventsFile,
                       eventsLabel});
    if (auto exit = parseArguments(parser, QStringLiteral("simulate"), args)) return *exit;
    const quint64 seedValue = parser.value(seed).toULongLong();
    if (parser.isSet(listen)) {
        if (!parser.positionalArguments().isEmpty()) {
            QTextStream(stderr) << "rolloutctl simulate: --listen serves metrics; it takes no plan\n";
            return Usage;
        }
        std::optional<UnleashSource> unleash;
        if (parser.isSet(fromUnleash)) {
            const QUrl url(parser.value(fromUnleash), QUrl::StrictMode);
            if (!url.isValid() ||
                (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https")) ||
                url.host().isEmpty()) {
                QTextStream(stderr) << "rolloutctl simulate: --share-from-unleash wants Unleash's base URL, "
                                       "e.g. http://127.0.0.1:4242\n";
                return Usage;
            }
            if (parser.value(flag).isEmpty()) {
                QTextStream(stderr) << "rolloutctl simulate: --share-from-unleash needs --flag KEY\n";
                return Usage;
            }
            unleash = UnleashSource{url, parser.value(flag), parser.value(tokenEnv)};
        }
        std::optional<PlanSource> planSource;
        if (parser.isSet(fromPlan)) {
            if (unleash) {
                QTextStream(stderr)
                    << "rolloutctl simulate: choose one of --share-from-unleash and --share-from-plan\n";
                return Usage;
            }
            if (parser.value(flag).isEmpty()) {
                QTextStream(stderr) << "rolloutctl simulate: --share-from-plan needs --flag KEY\n";
                return Usage;
            }
            planSource = PlanSource{parser.value(fromPlan), parser.value(flag), parser.value(shadowFlag),
                                    std::clamp(parser.value(audienceShare).toDouble(), 0.0, 100.0)};
        }
        if (parser.isSet(flag) && !unleash && !planSource) {
            QTextStream(stderr) << "rolloutctl simulate: --flag goes with --share-from-unleash URL or "
                                   "--share-from-plan PLAN\n";
            return Usage;
        }
        std::optional<EventLog> eventLog;
        if (parser.isSet(eventsFile))
            eventLog = EventLog{parser.value(eventsFile), parser.value(eventsLabel)};
        return serve(parser.value(listen), parser.value(prefix), seedValue, parser.value(share).toDouble(),
                     std::max(1.0, parser.value(rps).toDouble()),
                     parser.isSet(errors) ? parser.value(errors).toDouble() : -1.0, unleash, planSource,
                     eventLog);
    }
    if (parser.isSet(fromUnleash) || parser.isSet(fromPlan) || parser.isSet(eventsFile)) {
        QTextStream(stderr)
            << "rolloutctl simulate: --share-from-unleash, --share-from-plan and --events-file go "
               "with --listen\n";
        return Usage;
    }
    if (parser.positionalArguments().size() != 1) {
        QTextStream(stderr) << "rolloutctl simulate: name one plan, or use --listen HOST:PORT\n";
        return Usage;
    }
    qint64 untilMs = 0;
    if (parser.isSet(until)) {
        QString why;
        const auto d = Duration::parseMs(parser.value(until), &why);
        if (!d) {
            QTextStream(stderr) << "rolloutctl simulate: --until: " << why << "\n";
            return Usage;
        }
        untilMs = *d;
    } else {
        const PlanLoadResult r = PlanLoader::loadFile(parser.positionalArguments().first());
        if (r.plan)
            for (const PhaseSpec& ph : r.plan->phases)
                untilMs += 2 * ph.minDurationMs;
        untilMs += 24LL * 3600 * 1000;
    }
    return runPlan(parser.positionalArguments().first(), parser.values(fault), seedValue, untilMs,
                   parser.isSet(autoApprove), parser.isSet(keepGoing), parser.isSet(explain),
                   std::max(1.0, parser.value(rps).toDouble()),
                   parser.isSet(errors) ? parser.value(errors).toDouble() : -1.0);
}

} // namespace rolloutctl
