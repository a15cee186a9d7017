// rolloutctl countersign / reapply: what lifts what the record holds for a person — a rollback
// signed with this device's key while its person's key was locked, and flags changed behind the
// rollout's back.
#include "CommandLine.h"
#include "Commands.h"
#include "Operator.h"
#include "ledger/DecisionChecks.h"
#include "ledger/LedgerVerifier.h"

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

std::unique_ptr<Operator> begin(QCommandLineParser& parser, const QStringList& args, const QString& name,
                                int* exit)
{
    if (std::optional<int> early = parseArguments(parser, name, args)) {
        *exit = *early;
        return nullptr;
    }
    std::unique_ptr<Operator> op = Operator::open(parser, name, exit);
    if (!op) return nullptr;
    op->runtime().setAutoStart(false);
    op->syncFirst();
    return op;
}

} // namespace

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
    const ActionResult r = op->session().reapplyFlags(op->actor(), parser.value(QStringLiteral("note")));
    if (!r.ok) {
        err() << "refused: " << r.message << "\n";
        return Refused;
    }
    out() << "done: " << r.message << " — signed by " << op->actor().id << Qt::endl;
    const bool applied = op->waitFlagsApplied(60000);
    op->pushRecorded();
    if (!applied) {
        err() << "ESCALATE: the flags do not read back as recorded: "
              << op->runtime().flags()->lastReport().summary() << "\n";
        return Failed;
    }
    out() << "flags: " << op->runtime().flags()->lastReport().summary() << Qt::endl;
    return Ok;
}

} // namespace rolloutctl
