// rolloutctl flags: what every flag of a plan reads back as, with the same flag code the console uses.
// (Changing flags goes through the engine: DecisionCommands.cpp.)
#include "CommandLine.h"
#include "Commands.h"
#include "flags/FlagChangeRunner.h"
#include "plan/PlanLoader.h"

#include <QEventLoop>

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
        for (const PlanError& e : r.errors)
            err << e.toString() << "\n";
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

FlagChangeReport wait(const std::function<void(FlagChangeRunner&, QObject*,
                                               std::function<void(const FlagChangeReport&)>)>& start,
                      const FlagBackendSet& backends)
{
    FlagChangeRunner runner(backends);
    QEventLoop loop;
    FlagChangeReport out;
    start(runner, &loop, [&](const FlagChangeReport& r) {
        out = r;
        loop.quit();
    });
    loop.exec(); // the runner's deadline guarantees an end
    return out;
}

// Which phase the flags are in now: the last phase whose settings every flag reads back as.
std::optional<int> phaseOf(const Plan& plan, const FlagChangeReport& read)
{
    for (int i = int(plan.phases.size()) - 1; i >= -1; --i) {
        const QMap<QString, FlagSetting> want = plan.flagSettingsFor(i);
        bool all = read.allVerified();
        for (const FlagResult& r : read.results)
            all = all && r.after.matches(want.value(r.flag));
        if (all) return i;
    }
    return std::nullopt;
}

} // namespace

int flags(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Read every flag of a plan from its service and print its state, and which "
                       "phase of the plan the flags match."));
    parser.addPositionalArgument(QStringLiteral("plan"), QStringLiteral("A plan file."),
                                 QStringLiteral("PLAN"));
    if (auto exit = parseArguments(parser, QStringLiteral("flags"), args)) return *exit;
    Loaded l = load(parser, QStringLiteral("flags"), 1);
    if (l.exit != Ok) return l.exit;
    const FlagChangeReport read =
        wait([](FlagChangeRunner& r, QObject* ctx, auto done) { r.readAll(ctx, done); }, *l.backends);
    TextTable table({QStringLiteral("flag"), QStringLiteral("backend"), QStringLiteral("state"),
                     QStringLiteral("detail")});
    for (const FlagResult& r : read.results)
        table.add({r.flag, r.backend, r.verified ? r.after.describe() : QStringLiteral("UNKNOWN"),
                   r.verified ? r.after.detail : QStringLiteral("read failed: ") + r.message});
    QTextStream out(stdout);
    out << table.render();
    if (const std::optional<int> phase = phaseOf(*l.plan, read))
        out << (*phase < 0 ? QStringLiteral("matches: before the first phase (everything off)\n")
                           : QStringLiteral("matches: phase %1 \"%2\"\n")
                                 .arg(*phase + 1)
                                 .arg(l.plan->phases[std::size_t(*phase)].name));
    else if (read.allVerified())
        out << "matches: no phase of the plan (changed by hand?)\n";
    return read.allVerified() ? Ok : Failed;
}

} // namespace rolloutctl
