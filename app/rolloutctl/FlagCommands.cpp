// rolloutctl flags / set-phase / rollback: the same flag code the console uses, from a shell.
#include "CommandLine.h"
#include "Commands.h"
#include "flags/FlagChangeRunner.h"
#include "plan/Duration.h"
#include "plan/PlanLoader.h"

#include <QEventLoop>

#include <cmath>

namespace rolloutctl {

using namespace rollout;

namespace {

// The plan and its flag services, or an exit code after saying why not.
struct Loaded
{
    std::optional<Plan> plan;
    std::optional<FlagBackendSet> backends;
    int exit = Ok;
};

Loaded load(const QCommandLineParser& parser, const QString& command, int positionals)
{
    Loaded l;
    if (parser.positionalArguments().size() != positionals) {
        QTextStream(stderr) << "rolloutctl " << command << ": wrong number of arguments (see --help)\n";
        l.exit = Usage;
        return l;
    }
    PlanLoadResult r = PlanLoader::loadFile(parser.positionalArguments().first());
    if (!r.plan) {
        QTextStream err(stderr);
        for (const PlanError& e : r.errors) err << e.toString() << "\n";
        l.exit = Failed;
        return l;
    }
    l.plan = std::move(r.plan);
    QString problem;
    l.backends = FlagBackendSet::fromPlan(*l.plan, &problem);
    if (!l.backends) {
        QTextStream(stderr) << "rolloutctl " << command << ": " << problem << "\n";
        l.exit = Failed;
    }
    return l;
}

FlagChangeReport wait(const std::function<void(FlagChangeRunner&, QObject*, std::function<void(const FlagChangeReport&)>)>& start,
                      const FlagBackendSet& backends)
{
    FlagChangeRunner runner(backends);
    QEventLoop loop;
    FlagChangeReport out;
    start(runner, &loop, [&](const FlagChangeReport& r) {
        out = r;
        loop.quit();
    });
    loop.exec();   // the runner's deadline guarantees an end
    return out;
}

QString resultText(const FlagResult& r)
{
    if (!r.verified) return QStringLiteral("FAILED at %1: %2").arg(r.step, r.message);
    return QStringLiteral("verified (%1 attempt%2, %3 ms)").arg(r.attempts).arg(r.attempts == 1 ? QString() : QStringLiteral("s")).arg(r.elapsedMs);
}

int printReport(const FlagChangeReport& report, const QString& title)
{
    TextTable table({QStringLiteral("flag"), QStringLiteral("backend"), QStringLiteral("before"), QStringLiteral("now"), QStringLiteral("result")});
    for (const FlagResult& r : report.results)
        table.add({r.flag, r.backend, r.before.exists ? r.before.describe() : QStringLiteral("?"),
                   r.after.exists ? r.after.describe() : QStringLiteral("?"), resultText(r)});
    QTextStream(stdout) << title << "\n" << table.render() << report.summary() << "\n";
    if (!report.allVerified()) QTextStream(stderr) << report.summary() << "\n";
    return report.allVerified() ? Ok : Failed;
}

FlagChangeRunner::Options deadlineOption(const QCommandLineParser& parser, bool* ok)
{
    FlagChangeRunner::Options o;
    QString error;
    const std::optional<qint64> ms = Duration::parseMs(parser.value(QStringLiteral("deadline")), &error);
    *ok = ms && *ms > 0;
    if (!*ok) QTextStream(stderr) << "--deadline: " << (error.isEmpty() ? QStringLiteral("must be positive") : error) << "\n";
    else o.deadlineMs = *ms;
    return o;
}

QCommandLineOption deadlineFlag()
{
    return {QStringLiteral("deadline"), QStringLiteral("Give up (and escalate) when flags are not verified within DURATION (default 30s)."),
            QStringLiteral("DURATION"), QStringLiteral("30s")};
}

// Which phase the flags are in now: the last phase whose settings every flag reads back as.
std::optional<int> phaseOf(const Plan& plan, const FlagChangeReport& read)
{
    for (int i = int(plan.phases.size()) - 1; i >= -1; --i) {
        const QMap<QString, FlagSetting> want = plan.flagSettingsFor(i);
        bool all = read.allVerified();
        for (const FlagResult& r : read.results) all = all && r.after.matches(want.value(r.flag));
        if (all) return i;
    }
    return std::nullopt;
}

} // namespace

int flags(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Read every flag of a plan from its service and print its state, and which "
                                                    "phase of the plan the flags match."));
    parser.addPositionalArgument(QStringLiteral("plan"), QStringLiteral("A plan file."), QStringLiteral("PLAN"));
    if (auto exit = parseArguments(parser, QStringLiteral("flags"), args)) return *exit;
    Loaded l = load(parser, QStringLiteral("flags"), 1);
    if (l.exit != Ok) return l.exit;
    const FlagChangeReport read = wait([](FlagChangeRunner& r, QObject* ctx, auto done) { r.readAll(ctx, done); }, *l.backends);
    TextTable table({QStringLiteral("flag"), QStringLiteral("backend"), QStringLiteral("state"), QStringLiteral("detail")});
    for (const FlagResult& r : read.results)
        table.add({r.flag, r.backend, r.verified ? r.after.describe() : QStringLiteral("UNKNOWN"),
                   r.verified ? r.after.detail : QStringLiteral("read failed: ") + r.message});
    QTextStream out(stdout);
    out << table.render();
    if (const std::optional<int> phase = phaseOf(*l.plan, read))
        out << (*phase < 0 ? QStringLiteral("matches: before the first phase (everything off)\n")
                           : QStringLiteral("matches: phase %1 \"%2\"\n").arg(*phase + 1).arg(l.plan->phases[std::size_t(*phase)].name));
    else if (read.allVerified())
        out << "matches: no phase of the plan (changed by hand?)\n";
    return read.allVerified() ? Ok : Failed;
}

int setPhase(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Set every flag of a plan to phase N's values (1 = the first phase, 0 = "
                                                    "everything off), read each back, and say which did not move."));
    parser.addPositionalArgument(QStringLiteral("plan"), QStringLiteral("A plan file."), QStringLiteral("PLAN"));
    parser.addPositionalArgument(QStringLiteral("phase"), QStringLiteral("Phase number, 1-based; 0 turns everything off."), QStringLiteral("N"));
    parser.addOption(deadlineFlag());
    if (auto exit = parseArguments(parser, QStringLiteral("set-phase"), args)) return *exit;
    Loaded l = load(parser, QStringLiteral("set-phase"), 2);
    if (l.exit != Ok) return l.exit;
    bool ok = false;
    const int n = parser.positionalArguments().at(1).toInt(&ok);
    if (!ok || n < 0 || n > int(l.plan->phases.size())) {
        QTextStream(stderr) << "rolloutctl set-phase: N must be 0.." << l.plan->phases.size() << "\n";
        return Usage;
    }
    const FlagChangeRunner::Options options = deadlineOption(parser, &ok);
    if (!ok) return Usage;
    const QList<FlagChange> changes = FlagChange::forPhase(*l.plan, n - 1);
    const FlagChangeReport report = wait([&](FlagChangeRunner& r, QObject* ctx, auto done) { r.run(changes, options, ctx, done); }, *l.backends);
    return printReport(report, n == 0 ? QStringLiteral("everything off:")
                                      : QStringLiteral("phase %1 \"%2\":").arg(n).arg(l.plan->phases[std::size_t(n - 1)].name));
}

int rollback(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Roll every flag of a plan back to the previous phase's values (or everything off with --to-zero), verified by "
        "reading back. Without --from, the current phase is the one the flags read back as. A flag that does not move "
        "is named and the exit code is 1: escalate."));
    parser.addPositionalArgument(QStringLiteral("plan"), QStringLiteral("A plan file."), QStringLiteral("PLAN"));
    parser.addOption({QStringLiteral("to-zero"), QStringLiteral("Emergency: every flag off.")});
    parser.addOption({QStringLiteral("from"), QStringLiteral("The phase being rolled back (1-based); makes a repeated rollback a no-op."),
                      QStringLiteral("N")});
    parser.addOption({QStringLiteral("segment"), QStringLiteral("Partial rollback: hold only this segment off on every flag."),
                      QStringLiteral("NAME")});
    parser.addOption({QStringLiteral("release"), QStringLiteral("With --segment: let the segment follow the rollout again.")});
    parser.addOption(deadlineFlag());
    if (auto exit = parseArguments(parser, QStringLiteral("rollback"), args)) return *exit;
    Loaded l = load(parser, QStringLiteral("rollback"), 1);
    if (l.exit != Ok) return l.exit;
    bool ok = false;
    const FlagChangeRunner::Options options = deadlineOption(parser, &ok);
    if (!ok) return Usage;
    const Plan& plan = *l.plan;

    QList<FlagChange> changes;
    QString title;
    if (parser.isSet(QStringLiteral("segment"))) {
        const QString segment = parser.value(QStringLiteral("segment"));
        const bool release = parser.isSet(QStringLiteral("release"));
        for (const FlagSpec& f : plan.flags) changes.append(FlagChange{f.key, {}, segment, release});
        title = release ? QStringLiteral("segment %1 follows the rollout again:").arg(segment)
                        : QStringLiteral("segment %1 held off:").arg(segment);
    } else if (parser.isSet(QStringLiteral("to-zero"))) {
        changes = FlagChange::forPhase(plan, -1);
        title = QStringLiteral("EMERGENCY rollback, everything off:");
    } else {
        int from = 0;
        if (parser.isSet(QStringLiteral("from"))) {
            from = parser.value(QStringLiteral("from")).toInt(&ok);
            if (!ok || from < 1 || from > int(plan.phases.size())) {
                QTextStream(stderr) << "rolloutctl rollback: --from must be 1.." << plan.phases.size() << "\n";
                return Usage;
            }
        } else {
            const FlagChangeReport read = wait([](FlagChangeRunner& r, QObject* ctx, auto done) { r.readAll(ctx, done); }, *l.backends);
            const std::optional<int> phase = phaseOf(plan, read);
            if (!phase) {
                printReport(read, QStringLiteral("the flags now:"));
                QTextStream(stderr) << "rolloutctl rollback: the flags match no phase of the plan; say --from N, or --to-zero\n";
                return Failed;
            }
            from = *phase + 1;
        }
        changes = FlagChange::forPhase(plan, from - 2);
        title = from <= 1 ? QStringLiteral("rollback from phase 1: everything off:")
                          : QStringLiteral("rollback from phase %1 to phase %2 \"%3\":").arg(from).arg(from - 1).arg(plan.phases[std::size_t(from - 2)].name);
    }
    const FlagChangeReport report = wait([&](FlagChangeRunner& r, QObject* ctx, auto done) { r.run(changes, options, ctx, done); }, *l.backends);
    return printReport(report, title);
}

} // namespace rolloutctl
