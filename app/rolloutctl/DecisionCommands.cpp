// rolloutctl start / advance / approve / reject / tick / attest / pause / resume / acknowledge /
// rollback / set-phase / countersign / reapply: every change to a rollout from a shell, a pipeline or a bot,
// through the same engine, signatures, ledger, shared store and advance claim as the console's buttons.
#include "CommandLine.h"
#include "Commands.h"
#include "Operator.h"
#include "ledger/DecisionChecks.h"
#include "ledger/LedgerVerifier.h"
#include "plan/Duration.h"

#include <QTextStream>

namespace rolloutctl {

using namespace rollout;

namespace {

QTextStream& out()
{
    static QTextStream s(stdout);
    return s;
}

QTextStream& err()
{
    static QTextStream s(stderr);
    return s;
}

QString where(const RolloutSession& s)
{
    const Plan& plan = s.plan();
    if (s.isComplete()) return QStringLiteral("complete (100%)");
    if (s.currentPhase() < 0)
        return s.state() == RolloutState::RolledBack ? QStringLiteral("rolled back to zero (all flags off)")
                                                     : QStringLiteral("not started (all flags off)");
    return QStringLiteral("phase %1 of %2 \"%3\" at %4%")
        .arg(s.currentPhase() + 1)
        .arg(plan.phases.size())
        .arg(plan.phases[std::size_t(s.currentPhase())].name)
        .arg(s.currentTraffic());
}

void printBlockers(const GateStatus& g)
{
    err() << "the gate to " << (g.toPhase >= 0 ? QStringLiteral("phase %1").arg(g.toPhase + 1) : QString())
          << " is closed:\n";
    for (const GateCheck& c : g.checks)
        if (c.state != CheckState::Met)
            err() << "  - " << c.label << (c.detail.isEmpty() ? QString() : QStringLiteral(": ") + c.detail)
                  << "\n";
}

// The outcome of a decision, printed, and its exit code: refused (5), or done, then recorded in
// the shared store and, for what moves flags, applied and read back (1 when not).
int finish(Operator& op, const ActionResult& r, bool movesFlags, int flagDeadlineMs = 60000)
{
    if (!r.ok) {
        err() << "refused: " << r.message << "\n";
        return Refused;
    }
    const bool own = op.runtime().recorder()->canSign(op.actor().id);
    out()
        << "done: " << (r.message.isEmpty() ? QStringLiteral("recorded") : r.message) << " — "
        << (own ? QStringLiteral("signed by %1").arg(op.actor().id)
                : QStringLiteral("signed with this device's key, %1's signature pending").arg(op.actor().id))
        << ", ledger " << op.ledgerPath() << Qt::endl;
    int exit = Ok;
    if (movesFlags) {
        if (op.waitFlagsApplied(flagDeadlineMs)) {
            out() << "flags: " << op.runtime().flags()->lastReport().summary() << Qt::endl;
        } else {
            err() << "ESCALATE: the flags do not read back as recorded: "
                  << op.runtime().flags()->lastReport().summary()
                  << "\n(the next watch or console on this ledger keeps finishing it)\n";
            exit = Failed;
        }
    }
    op.pushRecorded();
    out() << "now: " << where(op.session()) << Qt::endl;
    return exit;
}

struct Command
{
    QString name;
    QString description;
};

// Parses, opens the operator and syncs with the shared store; nullptr with `exit` set otherwise.
std::unique_ptr<Operator> begin(QCommandLineParser& parser, const QStringList& args, const QString& name,
                                int* exit)
{
    std::optional<int> early = parseArguments(parser, name, args);
    if (early) {
        *exit = *early;
        return nullptr;
    }
    std::unique_ptr<Operator> op = Operator::open(parser, name, exit);
    if (!op) return nullptr;
    op->runtime().setAutoStart(false); // a command decides what it was asked, nothing else
    op->syncFirst();
    return op;
}

std::optional<qint64> waitOption(const QCommandLineParser& parser)
{
    QString error;
    const std::optional<qint64> ms = Duration::parseMs(parser.value(QStringLiteral("wait")), &error);
    if (!ms) err() << "--wait: " << error << "\n";
    return ms;
}

// start and advance: the gate is judged by the engine on live metrics, for up to --wait.
int advanceCommand(const QStringList& args, bool start)
{
    const QString name = start ? QStringLiteral("start") : QStringLiteral("advance");
    QCommandLineParser parser;
    parser.setApplicationDescription(
        start ? QStringLiteral(
                    "Start a rollout: enter its first phase once that phase's gate is open (approvals, "
                    "checklist, "
                    "baselines). Signed by --as, claimed in the shared store, flags set and read back.")
              : QStringLiteral(
                    "Advance a rollout to its next phase (or complete it) once the gate is open. The engine "
                    "judges the "
                    "gate on live metrics for up to --wait; the phase's criteria must hold for its "
                    "min_duration while "
                    "it watches. Signed by --as, claimed in the shared store, flags set and read back."));
    parser.addPositionalArgument(QStringLiteral("plan"), QStringLiteral("The plan file."),
                                 QStringLiteral("PLAN"));
    Operator::addOptions(parser);
    parser.addOption({QStringLiteral("wait"),
                      QStringLiteral("Wait up to DURATION for the gate to open (default 30s)."),
                      QStringLiteral("DURATION"), QStringLiteral("30s")});
    int exit = Ok;
    std::unique_ptr<Operator> op = begin(parser, args, name, &exit);
    if (!op) return exit;
    const std::optional<qint64> wait = waitOption(parser);
    if (!wait) return Usage;
    RolloutSession& s = op->session();
    if (s.isComplete()) {
        err() << "refused: the rollout is already complete\n";
        return Refused;
    }
    if (start && s.currentPhase() >= 0) {
        err() << "refused: already started, " << where(s) << ": use advance\n";
        return Refused;
    }
    if (!start && s.currentPhase() < 0) {
        err() << "refused: " << where(s) << ": use start\n";
        return Refused;
    }
    op->runtime().start();
    const bool open = Operator::waitUntil([&] { return s.gate().open && !op->runtime().flags()->busy(); },
                                          int(std::max<qint64>(*wait, 1000)));
    if (!open) {
        printBlockers(s.gate());
        err() << "refused: the gate did not open within " << Duration::format(*wait) << "; nothing changed\n";
        return Refused;
    }
    std::optional<ActionResult> result;
    op->runtime().advance(op->actor(), [&](const ActionResult& r) { result = r; });
    Operator::waitUntil([&] { return result.has_value(); }, 30000);
    if (!result)
        result = ActionResult::refused(QStringLiteral("the shared store did not grant the advance in time"));
    return finish(*op, *result, true);
}

int phaseOption(const QCommandLineParser& parser, const RolloutSession& s, bool* ok)
{
    *ok = true;
    if (!parser.isSet(QStringLiteral("phase"))) return s.gate().toPhase;
    const int n = parser.value(QStringLiteral("phase")).toInt(ok);
    *ok = *ok && n >= 1 && n <= int(s.plan().phases.size());
    if (!*ok) err() << "--phase must be 1.." << s.plan().phases.size() << "\n";
    return n - 1;
}

int approveCommand(const QStringList& args, bool approve)
{
    const QString name = approve ? QStringLiteral("approve") : QStringLiteral("reject");
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral(
            "%1 a phase (default: the one the gate leads to) in the role it needs, signed by --as.")
            .arg(approve ? QStringLiteral("Approve") : QStringLiteral("Reject")));
    parser.addPositionalArgument(QStringLiteral("plan"), QStringLiteral("The plan file."),
                                 QStringLiteral("PLAN"));
    Operator::addOptions(parser);
    parser.addOption({QStringLiteral("phase"), QStringLiteral("The phase (1-based)."), QStringLiteral("N")});
    parser.addOption({QStringLiteral("note"), QStringLiteral("Why (recorded with the decision)."),
                      QStringLiteral("TEXT")});
    int exit = Ok;
    std::unique_ptr<Operator> op = begin(parser, args, name, &exit);
    if (!op) return exit;
    bool ok = false;
    const int phase = phaseOption(parser, op->session(), &ok);
    if (!ok) return Usage;
    if (phase >= int(op->plan().phases.size())) {
        err() << "refused: no phase left to approve\n";
        return Refused;
    }
    Actor actor = op->actor();
    if (!parser.isSet(QStringLiteral("role"))) // the role this phase asks for that they hold
        for (const ApprovalRequirement& req : op->plan().phases[std::size_t(phase)].approvals)
            if (op->roles().contains(req.role)) actor.role = req.role;
    return finish(*op,
                  op->session().recordApproval(phase, actor, approve, parser.value(QStringLiteral("note"))),
                  false);
}

int tickCommand(const QStringList& args, bool attest)
{
    const QString name = attest ? QStringLiteral("attest") : QStringLiteral("tick");
    QCommandLineParser parser;
    parser.setApplicationDescription(
        attest ? QStringLiteral(
                     "Attest a statement the phase being left asks for (\"No security incidents\"), signed.")
               : QStringLiteral("Tick a checklist item of the gate (\"Section/Item\", or an unambiguous part "
                                "of it), signed."));
    parser.addPositionalArgument(QStringLiteral("plan"), QStringLiteral("The plan file."),
                                 QStringLiteral("PLAN"));
    parser.addPositionalArgument(QStringLiteral("item"),
                                 attest ? QStringLiteral("The statement.") : QStringLiteral("The item."),
                                 attest ? QStringLiteral("STATEMENT") : QStringLiteral("ITEM"));
    Operator::addOptions(parser);
    parser.addOption({QStringLiteral("phase"),
                      QStringLiteral("The phase whose gate it is (1-based; default: the next)."),
                      QStringLiteral("N")});
    parser.addOption({QStringLiteral("untick"), attest ? QStringLiteral("Withdraw the attestation.")
                                                       : QStringLiteral("Untick the item.")});
    int exit = Ok;
    std::unique_ptr<Operator> op = begin(parser, args, name, &exit);
    if (!op) return exit;
    if (parser.positionalArguments().size() != 2) {
        err() << "rolloutctl " << name << ": name the plan and the item\n";
        return Usage;
    }
    bool ok = false;
    const int phase = phaseOption(parser, op->session(), &ok);
    if (!ok) return Usage;
    const QString wanted = parser.positionalArguments().at(1);
    const QStringList items = op->session().gateItems(phase);
    QStringList matches;
    for (const QString& i : items) {
        const bool isAttest = i.startsWith(QLatin1String("Attest/"));
        if (isAttest != attest) continue;
        if (i.compare(wanted, Qt::CaseInsensitive) == 0 ||
            i.mid(i.indexOf(QLatin1Char('/')) + 1).compare(wanted, Qt::CaseInsensitive) == 0) {
            matches = {i};
            break;
        }
        if (i.contains(wanted, Qt::CaseInsensitive)) matches.append(i);
    }
    if (matches.size() != 1) {
        err() << (matches.isEmpty() ? "refused: no such item" : "refused: that names several items")
              << " in the gate to phase " << phase + 1 << ":\n";
        for (const QString& i : matches.isEmpty() ? items : matches)
            err() << "  " << i << "\n";
        return Refused;
    }
    return finish(*op,
                  op->session().setChecklistItem(phase, matches.first(),
                                                 !parser.isSet(QStringLiteral("untick")), op->actor()),
                  false);
}

int pauseCommand(const QStringList& args, bool pause)
{
    const QString name = pause ? QStringLiteral("pause") : QStringLiteral("resume");
    QCommandLineParser parser;
    parser.setApplicationDescription(
        pause ? QStringLiteral(
                    "Pause a rollout: no phase advances until it is resumed; triggers still protect it.")
              : QStringLiteral("Resume a paused rollout."));
    parser.addPositionalArgument(QStringLiteral("plan"), QStringLiteral("The plan file."),
                                 QStringLiteral("PLAN"));
    Operator::addOptions(parser);
    if (pause)
        parser.addOption(
            {QStringLiteral("reason"), QStringLiteral("Why (recorded)."), QStringLiteral("TEXT")});
    int exit = Ok;
    std::unique_ptr<Operator> op = begin(parser, args, name, &exit);
    if (!op) return exit;
    const QString reason = pause && parser.isSet(QStringLiteral("reason"))
                               ? parser.value(QStringLiteral("reason"))
                               : QStringLiteral("paused from rolloutctl");
    return finish(*op, pause ? op->session().pause(op->actor(), reason) : op->session().resume(op->actor()),
                  false);
}

int acknowledgeCommand(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Acknowledge a soft alert (its number from `rolloutctl status`): the person decides to go on."));
    parser.addPositionalArgument(QStringLiteral("plan"), QStringLiteral("The plan file."),
                                 QStringLiteral("PLAN"));
    parser.addPositionalArgument(QStringLiteral("alert"), QStringLiteral("The alert's number."),
                                 QStringLiteral("ID"));
    Operator::addOptions(parser);
    parser.addOption({QStringLiteral("note"), QStringLiteral("Why it is safe to go on (recorded)."),
                      QStringLiteral("TEXT")});
    int exit = Ok;
    std::unique_ptr<Operator> op = begin(parser, args, QStringLiteral("acknowledge"), &exit);
    if (!op) return exit;
    bool ok = false;
    const int id = parser.positionalArguments().value(1).toInt(&ok);
    if (!ok) {
        err() << "rolloutctl acknowledge: name the alert's number\n";
        return Usage;
    }
    return finish(*op, op->session().acknowledgeAlert(id, op->actor(), parser.value(QStringLiteral("note"))),
                  false);
}

} // namespace

int start(const QStringList& args)
{
    return advanceCommand(args, true);
}
int advance(const QStringList& args)
{
    return advanceCommand(args, false);
}
int approve(const QStringList& args)
{
    return approveCommand(args, true);
}
int reject(const QStringList& args)
{
    return approveCommand(args, false);
}
int tick(const QStringList& args)
{
    return tickCommand(args, false);
}
int attest(const QStringList& args)
{
    return tickCommand(args, true);
}
int pause(const QStringList& args)
{
    return pauseCommand(args, true);
}
int resume(const QStringList& args)
{
    return pauseCommand(args, false);
}
int acknowledge(const QStringList& args)
{
    return acknowledgeCommand(args);
}

int rollback(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Roll a rollout back one phase (or everything off with --to-zero, or hold one "
                       "--segment off), signed by --as and "
                       "recorded like the console's big button: always allowed to a person of the plan, "
                       "never waiting for a gate or a "
                       "claim. The flags are set and read back; a flag that does not move is named and the "
                       "exit code is 1: escalate."));
    parser.addPositionalArgument(QStringLiteral("plan"), QStringLiteral("The plan file."),
                                 QStringLiteral("PLAN"));
    Operator::addOptions(parser);
    parser.addOption({QStringLiteral("to-zero"), QStringLiteral("Emergency: every flag off.")});
    parser.addOption({QStringLiteral("segment"),
                      QStringLiteral("Partial rollback: hold only this segment off on every flag."),
                      QStringLiteral("NAME")});
    parser.addOption({QStringLiteral("release"),
                      QStringLiteral("With --segment: let the segment follow the rollout again.")});
    parser.addOption(
        {QStringLiteral("reason"), QStringLiteral("Why (recorded; required)."), QStringLiteral("TEXT")});
    parser.addOption(
        {QStringLiteral("deadline"),
         QStringLiteral("Escalate when the flags are not verified within DURATION (default 30s)."),
         QStringLiteral("DURATION"), QStringLiteral("30s")});
    int exit = Ok;
    std::unique_ptr<Operator> op = begin(parser, args, QStringLiteral("rollback"), &exit);
    if (!op) return exit;
    const QString reason = parser.value(QStringLiteral("reason")).trimmed();
    const bool release = parser.isSet(QStringLiteral("release"));
    if (reason.isEmpty() && !release) {
        err() << "rolloutctl rollback: say why with --reason TEXT (it goes into the record and the incident "
                 "message)\n";
        return Usage;
    }
    QString error;
    const std::optional<qint64> deadline =
        Duration::parseMs(parser.value(QStringLiteral("deadline")), &error);
    if (!deadline || *deadline <= 0) {
        err() << "--deadline: " << (error.isEmpty() ? QStringLiteral("must be positive") : error) << "\n";
        return Usage;
    }
    op->runtime().flags()->setDeadlineMs(*deadline);
    if (parser.isSet(QStringLiteral("segment")))
        return finish(
            *op,
            op->session().holdSegment(op->actor(), parser.value(QStringLiteral("segment")), !release, reason),
            true, int(*deadline) + 5000);
    RolloutSession& s = op->session();
    if (s.currentPhase() < 0 && !s.isComplete() && !s.flagsApplied()) {
        // Already at zero on record, but not on the services: finish that (recorded means applied).
        op->runtime().flags()->applyCurrent(
            QStringLiteral("finishing the recorded rollback, asked by %1").arg(op->actor().id));
        return finish(*op,
                      ActionResult::done(
                          QStringLiteral("already rolled back on record: finishing it on the flag services")),
                      true, int(*deadline) + 5000);
    }
    return finish(*op, s.rollback(op->actor(), reason, parser.isSet(QStringLiteral("to-zero"))), true,
                  int(*deadline) + 5000);
}

int setPhase(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Override: set a rollout to phase N (1 = the first phase, 0 = everything off) past "
                       "its gate, with --override and "
                       "--reason, as a person holding one of the plan's override_roles. Signed, recorded, "
                       "shown in red in the console, "
                       "the evidence pack and the webhook message; the flags are set and read back."));
    parser.addPositionalArgument(QStringLiteral("plan"), QStringLiteral("The plan file."),
                                 QStringLiteral("PLAN"));
    parser.addPositionalArgument(QStringLiteral("phase"),
                                 QStringLiteral("Phase number, 1-based; 0 turns everything off."),
                                 QStringLiteral("N"));
    Operator::addOptions(parser);
    parser.addOption(
        {QStringLiteral("override"), QStringLiteral("Required: say that this goes past the gate.")});
    parser.addOption(
        {QStringLiteral("reason"), QStringLiteral("Why (recorded; required)."), QStringLiteral("TEXT")});
    std::optional<int> early = parseArguments(parser, QStringLiteral("set-phase"), args);
    if (early) return *early;
    if (!parser.isSet(QStringLiteral("override")) ||
        parser.value(QStringLiteral("reason")).trimmed().isEmpty()) {
        err() << "rolloutctl set-phase: this sets flags past the rollout's gate: say so with --override and "
                 "why with --reason TEXT "
                 "(to move a rollout through its gates, use start/advance/rollback)\n";
        return Usage;
    }
    int exit = Ok;
    std::unique_ptr<Operator> op = Operator::open(parser, QStringLiteral("set-phase"), &exit);
    if (!op) return exit;
    op->runtime().setAutoStart(false);
    op->syncFirst();
    bool ok = false;
    const int n = parser.positionalArguments().value(1).toInt(&ok);
    if (!ok || n < 0 || n > int(op->plan().phases.size())) {
        err() << "rolloutctl set-phase: N must be 0.." << op->plan().phases.size() << "\n";
        return Usage;
    }
    Actor actor = op->actor();
    if (!parser.isSet(QStringLiteral("role")))
        for (const QString& r : op->plan().overrideRoles)
            if (op->roles().contains(r)) actor.role = r;
    return finish(*op, op->session().overridePhase(actor, n - 1, parser.value(QStringLiteral("reason"))),
                  true);
}

// What lifts what the record holds for a person: a rollback signed with this device's key while
// its person's key was locked, and flags changed behind the rollout's back.
int countersign(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Countersign every rollback recorded in your name with this device's key while your key was "
        "locked (\"signature pending\"): your own signature, a record of its own."));
    parser.addPositionalArgument(QStringLiteral("plan"), QStringLiteral("The plan file."),
                                 QStringLiteral("PLAN"));
    Operator::addOptions(parser);
    int exit = Ok;
    std::unique_ptr<Operator> op = begin(parser, args, QStringLiteral("countersign"), &exit);
    if (!op) return exit;
    LocalLedger& ledger = op->runtime().recorder()->ledger();
    const QList<RecordVerdict> verdicts =
        LedgerVerifier::verify(ledger.records(op->plan().rollout), op->plan());
    const QStringList pending = DecisionChecks::pendingCountersignatures(verdicts, op->actor().id);
    if (pending.isEmpty()) {
        out() << "nothing to countersign: no record awaits " << op->actor().id << "'s signature" << Qt::endl;
        return Ok;
    }
    for (const QString& id : pending) {
        const ActionResult r = op->session().countersign(op->actor(), id);
        if (!r.ok) {
            err() << "refused: " << r.message << "\n";
            return Refused;
        }
        out() << "countersigned " << id << " — signed by " << op->actor().id << Qt::endl;
    }
    Operator::waitUntil([&] { return op->runtime().decisions().settled(); }, 15000);
    op->pushRecorded();
    return Ok;
}

int reapply(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Write the recorded state to the flags again after they were changed behind the rollout's back "
        "(drift), signed: automatic promotion stays held until a person does this or rolls back."));
    parser.addPositionalArgument(QStringLiteral("plan"), QStringLiteral("The plan file."),
                                 QStringLiteral("PLAN"));
    Operator::addOptions(parser);
    parser.addOption({QStringLiteral("note"), QStringLiteral("Why (recorded)."), QStringLiteral("TEXT")});
    int exit = Ok;
    std::unique_ptr<Operator> op = begin(parser, args, QStringLiteral("reapply"), &exit);
    if (!op) return exit;
    return finish(*op, op->session().reapplyFlags(op->actor(), parser.value(QStringLiteral("note"))), true);
}

} // namespace rolloutctl
