// rolloutctl validate / show: read plans, report every error, print a plan as tables.
#include "CommandLine.h"
#include "Commands.h"
#include "judge/JudgementAdvice.h"
#include "plan/Duration.h"
#include "plan/PlanActionValidator.h"
#include "plan/PlanLoader.h"

namespace rolloutctl {

using namespace rollout;

int validate(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Check rollout plans. Prints every error as file:line:column: field: message."));
    parser.addPositionalArgument(QStringLiteral("plan"), QStringLiteral("Plan files (YAML or JSON)."),
                                 QStringLiteral("PLAN..."));
    if (auto exit = parseArguments(parser, QStringLiteral("validate"), args)) return *exit;
    const QStringList files = parser.positionalArguments();
    if (files.isEmpty()) {
        QTextStream(stderr) << "rolloutctl validate: name at least one plan file\n";
        return Usage;
    }
    QTextStream out(stdout), err(stderr);
    int failed = 0;
    for (const QString& f : files) {
        const PlanLoadResult r = PlanLoader::loadFile(f);
        if (r.plan) {
            out << "ok      " << f
                << QStringLiteral("  (%1 phases, %2 metrics, %3 triggers, %4 flags; sha256 %5)\n")
                       .arg(r.plan->phases.size())
                       .arg(r.plan->metrics.size())
                       .arg(r.plan->triggers.size())
                       .arg(r.plan->flags.size())
                       .arg(QString::fromLatin1(r.plan->sha256.left(12)));
            for (const QString& w : JudgementAdvice::warnings(*r.plan))
                err << "  warning: " << w << "\n";
            for (const QString& w : PlanActionValidator::warnings(*r.plan))
                err << "  warning: " << w << "\n";
            continue;
        }
        ++failed;
        err << "INVALID " << f
            << QStringLiteral(" (%1 error%2)\n")
                   .arg(r.errors.size())
                   .arg(r.errors.size() == 1 ? QString() : QStringLiteral("s"));
        for (const PlanError& e : r.errors)
            err << "  " << e.toString() << "\n";
    }
    return failed ? Failed : Ok;
}

namespace {

QString approvalsText(const PhaseSpec& ph)
{
    QStringList out;
    for (const ApprovalRequirement& a : ph.approvals)
        out.append(QStringLiteral("%1%2%3").arg(a.count > 1 ? QStringLiteral("%1× ").arg(a.count) : QString(),
                                                a.role,
                                                a.mandatory ? QStringLiteral(" (MANDATORY)") : QString()));
    return out.isEmpty() ? QStringLiteral("-") : out.join(QStringLiteral(", "));
}

} // namespace

int show(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Print a plan's phases, gates and triggers as tables."));
    parser.addPositionalArgument(QStringLiteral("plan"), QStringLiteral("A plan file."),
                                 QStringLiteral("PLAN"));
    if (auto exit = parseArguments(parser, QStringLiteral("show"), args)) return *exit;
    if (parser.positionalArguments().size() != 1) {
        QTextStream(stderr) << "rolloutctl show: name exactly one plan file\n";
        return Usage;
    }
    const PlanLoadResult r = PlanLoader::loadFile(parser.positionalArguments().first());
    QTextStream out(stdout);
    if (!r.plan) {
        QTextStream err(stderr);
        for (const PlanError& e : r.errors)
            err << e.toString() << "\n";
        return Failed;
    }
    const Plan& plan = *r.plan;
    out << plan.rollout << " — " << plan.description << "\n";
    out << "environment " << plan.environment << "; plan sha256 " << plan.sha256 << "\n\n";

    TextTable phases({QStringLiteral("#"), QStringLiteral("phase"), QStringLiteral("traffic"),
                      QStringLiteral("cohort"), QStringLiteral("min"), QStringLiteral("success criteria"),
                      QStringLiteral("to enter: checklist"), QStringLiteral("approvals")});
    for (std::size_t i = 0; i < plan.phases.size(); ++i) {
        const PhaseSpec& ph = plan.phases[i];
        QStringList criteria;
        for (const Condition& c : ph.success)
            criteria.append(QStringLiteral("%1 [%2%3]")
                                .arg(c.text, JudgementAdvice::judgeOf(plan, c, true),
                                     c.dryRun ? QStringLiteral(", dry run") : QString()));
        for (const QString& a : ph.attest)
            criteria.append(QStringLiteral("[attest] ") + a);
        QString traffic = ph.traffic == 0.0 ? QStringLiteral("0% (shadow)")
                                            : QString::number(ph.traffic) + QLatin1Char('%');
        for (auto it = ph.flags.begin(); it != ph.flags.end(); ++it)
            traffic += QStringLiteral(" %1=%2").arg(it.key(), it.value().describe());
        QString name = ph.name;
        if (ph.optional) name += QStringLiteral(" (optional)");
        if (ph.autoPromote) name += QStringLiteral(" (auto)");
        const Checklist* list = plan.checklist(ph.checklist);
        phases.add({QString::number(i + 1), name, traffic, ph.cohort.describe(),
                    Duration::format(ph.minDurationMs),
                    criteria.isEmpty() ? QStringLiteral("-") : criteria.join(QStringLiteral("; ")),
                    list ? QStringLiteral("%1 (%2 items)").arg(list->name).arg(list->itemCount())
                         : QStringLiteral("-"),
                    approvalsText(ph)});
    }
    out << "PHASES\n" << phases.render() << "\n";

    TextTable triggers({QStringLiteral("trigger"), QStringLiteral("kind"), QStringLiteral("when"),
                        QStringLiteral("for"), QStringLiteral("action"), QStringLiteral("unless"),
                        QStringLiteral("severity"), QStringLiteral("judged by")});
    auto addTrigger = [&](const TriggerSpec& t, const QString& scope) {
        triggers.add({t.name + scope, toString(t.kind),
                      t.disabled ? QStringLiteral("(switched off)") : t.when.text, Duration::format(t.forMs),
                      t.dryRun ? toString(t.action) + QStringLiteral(" (dry run)") : toString(t.action),
                      t.unless ? t.unless->text : QStringLiteral("-"),
                      t.severity.isEmpty() ? QStringLiteral("-") : t.severity,
                      t.disabled ? QStringLiteral("-") : JudgementAdvice::judgeOf(plan, t.when, false)});
    };
    for (const TriggerSpec& t : plan.triggers)
        addTrigger(t, {});
    for (std::size_t i = 0; i < plan.phases.size(); ++i)
        for (const TriggerSpec& t : plan.phases[i].triggers)
            addTrigger(t, QStringLiteral(" [phase %1 only]").arg(i + 1));
    out << "TRIGGERS\n" << triggers.render() << "\n";

    TextTable metrics({QStringLiteral("metric"), QStringLiteral("source"), QStringLiteral("unit"),
                       QStringLiteral("bad"), QStringLiteral("every"), QStringLiteral("query")});
    for (const MetricSpec& m : plan.metrics)
        metrics.add({m.name, m.source, ConditionParser::unitName(m.unit), toString(m.bad),
                     Duration::format(m.intervalMs),
                     m.query.isEmpty() ? QStringLiteral("(simulated: %1)").arg(m.simulate.signal)
                                       : m.query.simplified()});
    out << "METRICS\n" << metrics.render() << "\n";

    TextTable flags({QStringLiteral("flag"), QStringLiteral("backend"), QStringLiteral("stickiness"),
                     QStringLiteral("other environments")});
    for (const FlagSpec& f : plan.flags) {
        QStringList envs;
        for (auto it = f.environments.begin(); it != f.environments.end(); ++it)
            envs.append(it.key() + QLatin1Char('=') + it.value().describe());
        const BackendSpec* b = plan.backend(f.backend);
        flags.add({f.key,
                   QStringLiteral("%1 (%2)").arg(f.backend, b ? toString(b->type) : QStringLiteral("?")),
                   f.stickiness, envs.isEmpty() ? QStringLiteral("-") : envs.join(QStringLiteral(", "))});
    }
    out << "FLAGS\n" << flags.render();
    if (plan.retryAfterRollbackMs > 0)
        out << "\nafter a rollback, wait " << Duration::format(plan.retryAfterRollbackMs)
            << " before retrying\n";
    out << "missing data for longer than " << Duration::format(plan.inconclusiveLimitMs)
        << " counts as failing\n";
    return Ok;
}

} // namespace rolloutctl
