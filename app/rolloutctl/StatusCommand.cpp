// rolloutctl status: where a rollout stands, rebuilt from its signed ledger (and the shared
// store), what the flag services read back against it, what blocks its gate and who has to act.
// Reads only: it holds no key, so it cannot write a flag or a record.
#include "CommandLine.h"
#include "Commands.h"
#include "Operator.h"
#include "ledger/SharedStore.h"
#include "plan/Duration.h"
#include "runtime/DriverView.h"

#include <QDateTime>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace rolloutctl {

using namespace rollout;

namespace {

// Criteria and baselines are judged on live metrics by whoever drives the rollout; a one-shot
// status has no history to judge them on, so it lists them without a verdict.
bool judgedLive(const GateCheck& c)
{
    return c.kind == GateCheck::Kind::Criterion || c.kind == GateCheck::Kind::Baseline ||
           c.label == QLatin1String("criteria held");
}

// Who has to act for the gate: a role missing an approval, the checklist's owners.
QStringList waitingOn(const RolloutSession& s, const GateStatus& g)
{
    QStringList out;
    if (g.toPhase >= int(s.plan().phases.size())) return out;
    const QList<ApprovalEntry> given = s.approvals(g.toPhase);
    for (const ApprovalRequirement& req : s.plan().phases[std::size_t(g.toPhase)].approvals) {
        int have = 0;
        for (const ApprovalEntry& a : given)
            have += a.approve && a.role == req.role ? 1 : 0;
        if (have < req.count)
            out.append(QStringLiteral("%1 approval (%2 of %3)").arg(req.role).arg(have).arg(req.count));
    }
    const QMap<QString, QString> ticked = s.tickedItems(g.toPhase);
    for (const QString& item : s.gateItems(g.toPhase))
        if (!ticked.contains(item))
            out.append(QStringLiteral("%1 \"%2\"")
                           .arg(item.startsWith(QLatin1String("Attest/")) ? QStringLiteral("attestation")
                                                                          : QStringLiteral("checklist item"),
                                item));
    return out;
}

// What the driver sees, from the shared store: its view (nullopt when none was published) and
// who holds the lease. `why` says why there is nothing to show.
struct DriverSight
{
    std::optional<DriverView> view;
    LeaseHolder holder;
    QString why;
};

DriverSight readDriverSight(const QString& rollout)
{
    DriverSight out;
    const StoreSettings settings = StoreSettings::fromEnvironment();
    if (!settings.isSet()) {
        out.why =
            QStringLiteral("no shared store (ROLLOUT_PG_HOST unset): only the driver knows its verdicts");
        return out;
    }
    SharedStore store(settings);
    QString error;
    std::optional<StoredView> stored = store.readView(rollout, &error);
    const LeaseOutcome lease = store.readLease(rollout);
    out.holder = lease.holder;
    if (!error.isEmpty()) {
        out.why = QStringLiteral("the shared store did not say what the driver sees: %1").arg(error);
        return out;
    }
    if (!stored) {
        out.why = out.holder.live() ? QStringLiteral("its driver has not published what it sees yet")
                                    : QStringLiteral("nobody drives it: no live verdicts");
        return out;
    }
    out.view = DriverView::fromJson(stored->view, &error);
    if (!out.view) {
        out.why = error;
        return out;
    }
    out.view->ageMs = stored->ageMs;
    out.view->driverLive = stored->driverLive;
    return out;
}

const char* mark(CheckState state)
{
    return state == CheckState::Met ? "[ok]  " : state == CheckState::NotMet ? "[--]  " : "[wait]";
}

} // namespace

int status(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Where a rollout stands, rebuilt from its signed ledger (and the shared store when "
                       "ROLLOUT_PG_HOST is set): state, "
                       "phase and traffic, whether the flag services read back what the rollout says "
                       "(applied, drift), open alerts, what "
                       "blocks the gate and who has to act. Exit code 0; 1 when the flags disagree with the "
                       "rollout or cannot be read."));
    parser.addPositionalArgument(QStringLiteral("plan"), QStringLiteral("The plan file."),
                                 QStringLiteral("PLAN"));
    parser.addOption({QStringLiteral("db"),
                      QStringLiteral("The ledger database (default: %1).").arg(LocalLedger::defaultPath()),
                      QStringLiteral("FILE")});
    parser.addOption({QStringLiteral("output"), QStringLiteral("text (default) or json."),
                      QStringLiteral("FORMAT"), QStringLiteral("text")});
    if (auto exit = parseArguments(parser, QStringLiteral("status"), args)) return *exit;
    const QString format = parser.value(QStringLiteral("output"));
    if (format != QLatin1String("text") && format != QLatin1String("json")) {
        QTextStream(stderr) << "rolloutctl status: --output is text or json\n";
        return Usage;
    }
    int exit = Ok;
    std::unique_ptr<Operator> op = Operator::openReadOnly(parser, QStringLiteral("status"), &exit);
    if (!op) return exit;
    op->syncFirst();
    op->runtime().holdForReplayedDamage(); // status signs nothing: the hold is shown, not recorded
    const RolloutSession& s = op->session();
    const Plan& plan = s.plan();

    // What the flag services say, read directly (no reconciling: status writes nothing).
    FlagChangeRunner runner(op->runtime().flags()->backends());
    FlagChangeReport read;
    QEventLoop loop;
    runner.readAll(&loop, [&](const FlagChangeReport& r) {
        read = r;
        loop.quit();
    });
    loop.exec();
    const QStringList diff = read.allVerified() ? op->runtime().flags()->differences(read) : QStringList();
    const bool flagsOk = read.allVerified() && diff.isEmpty();
    const GateStatus recorded = s.gate();
    const QStringList waiting = waitingOn(s, recorded);
    const DriverSight sight = readDriverSight(plan.rollout);
    // The driver's gate when it published one for the phase the records say (the verdicts the
    // decisions are taken on); else the record's, with the live criteria unjudged.
    const bool live =
        sight.view && sight.view->phase == s.currentPhase() && sight.view->complete == s.isComplete();
    const GateStatus g = live ? sight.view->gate : recorded;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();

    if (format == QLatin1String("json")) {
        QJsonObject o;
        o.insert(QStringLiteral("rollout"), plan.rollout);
        o.insert(QStringLiteral("environment"), plan.environment);
        o.insert(QStringLiteral("state"), toString(s.state()));
        o.insert(QStringLiteral("phase"), s.isComplete() ? int(plan.phases.size()) : s.currentPhase() + 1);
        o.insert(QStringLiteral("phases"), int(plan.phases.size()));
        if (s.currentPhase() >= 0)
            o.insert(QStringLiteral("phase_name"), plan.phases[std::size_t(s.currentPhase())].name);
        o.insert(QStringLiteral("traffic"), s.currentTraffic());
        o.insert(QStringLiteral("paused"), s.isPaused());
        o.insert(QStringLiteral("held"), s.held());
        if (s.held()) o.insert(QStringLiteral("hold_reason"), s.holdReason());
        o.insert(QStringLiteral("drift_held"), s.driftHeld());
        o.insert(QStringLiteral("phase_started"),
                 QDateTime::fromMSecsSinceEpoch(s.phaseStartedMs(), Qt::UTC).toString(Qt::ISODate));
        QJsonObject flags;
        flags.insert(QStringLiteral("applied"), s.flagsApplied());
        flags.insert(QStringLiteral("read_ok"), read.allVerified());
        flags.insert(QStringLiteral("matches_rollout"), flagsOk);
        QJsonArray differences;
        for (const QString& d : diff)
            differences.append(d);
        flags.insert(QStringLiteral("differences"), differences);
        QJsonArray each;
        for (const FlagResult& r : read.results)
            each.append(QJsonObject{
                {QStringLiteral("flag"), r.flag},
                {QStringLiteral("backend"), r.backend},
                {QStringLiteral("state"), r.verified ? r.after.describe() : QStringLiteral("unknown")},
                {QStringLiteral("error"), r.verified ? QString() : r.message}});
        flags.insert(QStringLiteral("read"), each);
        o.insert(QStringLiteral("flags"), flags);
        QJsonArray alerts;
        for (const Alert& a : s.alerts())
            alerts.append(QJsonObject{{QStringLiteral("id"), a.id},
                                      {QStringLiteral("trigger"), a.trigger},
                                      {QStringLiteral("reason"), a.reason},
                                      {QStringLiteral("acknowledged"), a.acknowledged}});
        o.insert(QStringLiteral("alerts"), alerts);
        QJsonObject gate;
        gate.insert(QStringLiteral("to_phase"), g.toPhase + 1);
        gate.insert(QStringLiteral("open_on_record"),
                    std::none_of(recorded.checks.begin(), recorded.checks.end(), [](const GateCheck& c) {
                        return !judgedLive(c) && c.state != CheckState::Met;
                    }));
        gate.insert(QStringLiteral("source"), live ? QStringLiteral("driver") : QStringLiteral("record"));
        if (live) gate.insert(QStringLiteral("open"), g.open);
        QJsonArray checks;
        for (const GateCheck& c : g.checks) {
            const bool unjudged = !live && judgedLive(c);
            checks.append(QJsonObject{
                {QStringLiteral("kind"), toString(c.kind)},
                {QStringLiteral("label"), c.label},
                {QStringLiteral("state"), unjudged ? QStringLiteral("judged_live") : toString(c.state)},
                {QStringLiteral("detail"), unjudged ? QString() : c.detail}});
        }
        gate.insert(QStringLiteral("checks"), checks);
        QJsonArray wait;
        for (const QString& w : waiting)
            wait.append(w);
        gate.insert(QStringLiteral("waiting_on"), wait);
        o.insert(QStringLiteral("gate"), gate);
        QJsonObject driver{{QStringLiteral("drives"), sight.holder.live()}};
        if (sight.holder.isSet())
            driver.insert(QStringLiteral("holder"),
                          QJsonObject{{QStringLiteral("kind"), sight.holder.kind},
                                      {QStringLiteral("person"), sight.holder.person},
                                      {QStringLiteral("host"), sight.holder.host},
                                      {QStringLiteral("pid"), sight.holder.pid},
                                      {QStringLiteral("device"), sight.holder.device},
                                      {QStringLiteral("heartbeat_age_ms"), sight.holder.heartbeatAgeMs}});
        if (sight.view) {
            const DriverView& v = *sight.view;
            driver.insert(QStringLiteral("view_age_ms"), v.ageMs);
            driver.insert(QStringLiteral("view_driver_live"), v.driverLive);
            driver.insert(QStringLiteral("evaluated"),
                          QDateTime::fromMSecsSinceEpoch(v.evaluatedMs, Qt::UTC).toString(Qt::ISODateWithMs));
            // The driver's own words (DriverView's JSON), not a second encoding of them.
            const QJsonObject seen = v.toObject();
            const QJsonObject seenFlags = seen.value(QStringLiteral("flags")).toObject();
            driver.insert(QStringLiteral("triggers"), seen.value(QStringLiteral("triggers")));
            driver.insert(QStringLiteral("flags_read"), seenFlags.value(QStringLiteral("each")));
            driver.insert(QStringLiteral("flags_summary"), v.flagsSummary);
            driver.insert(QStringLiteral("drifting"), v.drifting);
            if (v.drifting) driver.insert(QStringLiteral("drift"), v.drift);
        } else {
            driver.insert(QStringLiteral("view_missing"), sight.why);
        }
        o.insert(QStringLiteral("driver"), driver);
        o.insert(QStringLiteral("ledger"),
                 QJsonObject{{QStringLiteral("path"), op->ledgerPath()},
                             {QStringLiteral("records"), int(op->runtime().replay().verdicts.size())},
                             {QStringLiteral("not_replayed"), int(op->runtime().replay().skipped.size())}});
        QTextStream(stdout) << QJsonDocument(o).toJson(QJsonDocument::Indented);
        return flagsOk ? Ok : Failed;
    }

    QTextStream out(stdout);
    out << "rollout " << plan.rollout << " (" << plan.environment << ")\n";
    QString where = s.isComplete()         ? QStringLiteral("complete at 100%")
                    : s.currentPhase() < 0 ? QStringLiteral("all flags off")
                                           : QStringLiteral("phase %1 of %2 \"%3\" at %4%, for %5")
                                                 .arg(s.currentPhase() + 1)
                                                 .arg(plan.phases.size())
                                                 .arg(plan.phases[std::size_t(s.currentPhase())].name)
                                                 .arg(s.currentTraffic())
                                                 .arg(Duration::format(now - s.phaseStartedMs()));
    out << "state:  " << toString(s.state()) << ", " << where << "\n";
    if (s.held()) out << "HELD:   " << s.holdReason() << "\n";
    if (!read.allVerified())
        out << "flags:  CANNOT READ: " << read.summary() << "\n";
    else if (!diff.isEmpty())
        out << "flags:  "
            << (s.flagsApplied() ? "DRIFT: "
                                 : "NOT APPLIED YET (a watch or console on this ledger finishes it): ")
            << diff.join(QStringLiteral("; ")) << "\n";
    else
        out << "flags:  as recorded (" << read.summary() << ")\n";
    for (const Alert& a : s.alerts())
        if (!a.acknowledged) out << "alert:  #" << a.id << " \"" << a.trigger << "\": " << a.reason << "\n";
    if (sight.holder.live())
        out << "driver: " << sight.holder.describe() << "\n";
    else if (sight.holder.isSet())
        out << "driver: none live (the last, " << sight.holder.describe() << ", let its lease lapse)\n";
    if (sight.view)
        out << "seen:   what " << sight.view->driver() << " saw " << sight.view->ageText() << "\n";
    if (!s.isComplete()) {
        out << "gate to "
            << (g.toPhase >= int(plan.phases.size()) ? QStringLiteral("completion")
                                                     : QStringLiteral("phase %1").arg(g.toPhase + 1))
            << (live ? QStringLiteral(" (the driver's verdicts, %1)").arg(sight.view->ageText()) : QString())
            << ":\n";
        for (const GateCheck& c : g.checks) {
            const bool unjudged = !live && judgedLive(c);
            out << "  " << (unjudged ? "[live]" : mark(c.state)) << " " << c.label
                << (unjudged || c.detail.isEmpty() ? QString() : QStringLiteral(": ") + c.detail) << "\n";
        }
        if (!live)
            out << "  ([live]: judged on live metrics by whoever drives the rollout; " << sight.why << ")\n";
        if (!waiting.isEmpty()) out << "waiting on: " << waiting.join(QStringLiteral("; ")) << "\n";
    }
    if (live && !sight.view->triggers.isEmpty()) {
        out << "triggers (the driver's verdicts):\n";
        for (const DriverView::Trigger& t : sight.view->triggers)
            out << "  " << t.name << " (" << t.kind << "): " << t.state << ", " << t.verdict << ", now "
                << t.now << "\n";
    }
    if (sight.view && sight.view->flagsRead)
        out << "flags as the driver read them: " << sight.view->flagsSummary
            << (sight.view->drifting ? QStringLiteral("; DRIFT: ") + sight.view->drift : QString()) << "\n";
    out << "ledger: " << op->ledgerPath() << ", " << op->runtime().replay().verdicts.size() << " record(s)";
    if (!op->runtime().replay().skipped.isEmpty())
        out << ", " << op->runtime().replay().skipped.size() << " NOT replayed";
    out << "\n";
    return flagsOk ? Ok : Failed;
}

} // namespace rolloutctl
