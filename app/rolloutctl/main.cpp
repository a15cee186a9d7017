// rolloutctl: the headless face of Rollout Console. Same engine as the GUI, no window.
#include "Commands.h"
#include "core/Logging.h"

#include <QCoreApplication>
#include <QGuiApplication>
#include <QTextStream>
#include <cstdio>
#include <memory>

namespace {

struct Command
{
    const char* name;
    const char* summary;
    int (*run)(const QStringList&);
};

const Command kCommands[] = {
    {"validate", "check plan files; every error with file:line:column", rolloutctl::validate},
    {"show", "print a plan's phases, gates and triggers as tables", rolloutctl::show},
    {"metrics", "poll every metric of a plan once: value, age, status per series", rolloutctl::metrics},
    {"flags", "read every flag of a plan from its service; which phase they match", rolloutctl::flags},
    {"status", "where a rollout stands, its flags against the record, what blocks the gate (--output json)",
     rolloutctl::status},
    {"start", "start a rollout once its first gate is open: signed, claimed, flags verified",
     rolloutctl::start},
    {"advance", "advance to the next phase once the gate is open (--wait): signed, claimed, verified",
     rolloutctl::advance},
    {"approve", "approve a phase in the role it needs, signed", rolloutctl::approve},
    {"reject", "reject a phase, signed: its gate stays closed", rolloutctl::reject},
    {"tick", "tick a checklist item of the gate, signed", rolloutctl::tick},
    {"attest", "attest a statement the phase asks for, signed", rolloutctl::attest},
    {"pause", "pause a rollout (no advance; triggers still protect it), signed", rolloutctl::pause},
    {"resume", "resume a paused rollout, signed", rolloutctl::resume},
    {"acknowledge", "acknowledge a soft alert, signed", rolloutctl::acknowledge},
    {"countersign", "sign a rollback recorded in your name with this device's key while your key was locked",
     rolloutctl::countersign},
    {"reapply", "write the recorded state to drifted flags again (lifts the drift hold), signed",
     rolloutctl::reapply},
    {"rollback", "roll back one phase (or --to-zero, or one --segment): signed, always allowed, verified",
     rolloutctl::rollback},
    {"set-phase", "--override: set phase N past the gate (override_roles only), signed, verified",
     rolloutctl::setPhase},
    {"watch", "run the engine headless: roll back on hard triggers, sign into the ledger (exit 0/3/4/1)",
     rolloutctl::watch},
    {"report", "write a rollout's evidence pack: page, charts, signed ledger", rolloutctl::report},
    {"simulate", "serve simulated metrics, or run a plan headless against the simulator",
     rolloutctl::simulate},
    {"keys", "signing keys: new (passphrase-encrypted), show, list", rolloutctl::keys},
    {"ledger", "verify a ledger against a plan offline, or export it (jsonl for third parties, report)",
     rolloutctl::ledger},
};

void usage(FILE* to)
{
    QTextStream out(to);
    out << "Usage: rolloutctl [--version] [--help] COMMAND [ARGS...]\n\nCommands:\n";
    for (const Command& c : kCommands)
        out << QStringLiteral("  %1 %2\n").arg(QLatin1String(c.name), -12).arg(QLatin1String(c.summary));
    out << "\nrolloutctl COMMAND --help describes a command. Exit codes: 0 ok, 1 failed (escalate), 2 "
           "usage,\n5 refused (the engine said no: a closed gate, a role the plan does not give; nothing "
           "changed).\n";
}

} // namespace

int main(int argc, char** argv)
{
    // `report` draws charts with QPainter (offscreen, fonts): it needs a QGuiApplication, no widget.
    const bool drawing = argc > 1 && qstrcmp(argv[1], "report") == 0;
    if (drawing && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    std::unique_ptr<QCoreApplication> application = drawing ? std::make_unique<QGuiApplication>(argc, argv)
                                                            : std::make_unique<QCoreApplication>(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("rolloutctl"));
    QCoreApplication::setApplicationVersion(QStringLiteral(ROLLOUT_VERSION));
    QStringList args = QCoreApplication::arguments();
    args.removeFirst();
    const bool verbose = args.removeAll(QStringLiteral("--verbose")) > 0;
    rollout::Logging::setUp(QStringLiteral("rolloutctl"), verbose);

    if (args.isEmpty()) {
        usage(stderr);
        return rolloutctl::Usage;
    }
    const QString first = args.takeFirst();
    if (first == QLatin1String("--version") || first == QLatin1String("-v")) {
        QTextStream(stdout) << "rolloutctl " << ROLLOUT_VERSION << "\n";
        return rolloutctl::Ok;
    }
    if (first == QLatin1String("--help") || first == QLatin1String("-h") || first == QLatin1String("help")) {
        usage(stdout);
        return rolloutctl::Ok;
    }
    for (const Command& c : kCommands)
        if (first == QLatin1String(c.name)) return c.run(args);
    QTextStream(stderr) << "rolloutctl: unknown command \"" << first << "\"\n\n";
    usage(stderr);
    return rolloutctl::Usage;
}
