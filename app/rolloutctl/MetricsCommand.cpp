// rolloutctl metrics: one round of polling every metric of a plan, printed with age and status.
#include "CommandLine.h"
#include "Commands.h"
#include "metrics/MetricPoller.h"
#include "plan/Duration.h"
#include "plan/PlanLoader.h"

#include <QEventLoop>
#include <QTimer>

namespace rolloutctl {

using namespace rollout;

int metrics(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Poll every metric of a plan once and print its current value per series, "
                       "with the sample's age and status (ok / stale / error and the server's message)."));
    parser.addPositionalArgument(QStringLiteral("plan"), QStringLiteral("A plan file."),
                                 QStringLiteral("PLAN"));
    if (auto exit = parseArguments(parser, QStringLiteral("metrics"), args)) return *exit;
    if (parser.positionalArguments().size() != 1) {
        QTextStream(stderr) << "rolloutctl metrics: name exactly one plan file\n";
        return Usage;
    }
    const PlanLoadResult r = PlanLoader::loadFile(parser.positionalArguments().first());
    if (!r.plan) {
        QTextStream err(stderr);
        for (const PlanError& e : r.errors)
            err << e.toString() << "\n";
        return Failed;
    }
    const Plan& plan = *r.plan;
    SystemClock clock;
    TimeSeriesStore store;
    MetricPoller poller(plan, store, clock);
    poller.pollAll();
    QEventLoop loop;
    QTimer check;
    QObject::connect(&check, &QTimer::timeout, &loop, [&] {
        if (poller.idle()) loop.quit();
    });
    check.start(20);
    if (!poller.idle()) loop.exec(); // every request has its own deadline, so this ends

    TextTable table({QStringLiteral("metric"), QStringLiteral("series"), QStringLiteral("value"),
                     QStringLiteral("age"), QStringLiteral("status")});
    const qint64 now = clock.nowMs();
    bool anyProblem = false;
    for (const MetricSpec& m : plan.metrics) {
        if (!poller.hasFetcher(m.source)) {
            table.add({m.name, QStringLiteral("-"), QStringLiteral("-"), QStringLiteral("-"),
                       QStringLiteral("simulated (rolloutctl simulate)")});
            continue;
        }
        const MetricHealth h = poller.health(m.name);
        QStringList series = store.seriesOf(m.name);
        if (series.isEmpty()) series.append(QString());
        for (const QString& s : series) {
            const auto sample = store.newest(m.name, s);
            QString status = h.state == MetricHealth::State::Error ? QStringLiteral("error: ") + h.message
                                                                   : QStringLiteral("ok");
            if (sample && now - sample->tMs > 2 * m.intervalMs) status = QStringLiteral("stale");
            if (sample && !std::isfinite(sample->value))
                status = QStringLiteral("no data (%1)").arg(sample->value);
            anyProblem = anyProblem || status != QLatin1String("ok");
            table.add(
                {m.name, s.isEmpty() ? QStringLiteral("(single)") : s,
                 sample ? ConditionParser::formatValue(sample->value, m.unit) : QStringLiteral("-"),
                 sample ? Duration::format(std::max<qint64>(0, now - sample->tMs)) : QStringLiteral("-"),
                 status});
        }
    }
    QTextStream(stdout) << table.render();
    return anyProblem ? Failed : Ok;
}

} // namespace rolloutctl
