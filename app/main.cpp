// rollout-console: the desktop console. With no argument it opens the embedded demo: the demo
// plan on the built-in simulator, with a Demo menu that injects faults.
#include "HeaderBar.h"
#include "HelpText.h"
#include "MainWindow.h"
#include "core/Logging.h"
#include "core/Settings.h"
#include "flags/FlagBackendSet.h"
#include "ledger/LocalLedger.h"
#include "notify/WebhookNotifier.h"
#include "plan/PlanLoader.h"
#include "runtime/RolloutRuntime.h"
#include "sim/DemoDriver.h"
#include "sim/DemoKeys.h"
#include "viewmodels/Severity.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMessageBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <cstdio>
#include <memory>

using namespace rollout;

namespace {

// Qt's own options (QGuiApplication and QApplication take them off the command line): the
// early parse below must not call them unknown.
bool isQtOption(const QString& name)
{
    static const QStringList qt = {QStringLiteral("platform"),
                                   QStringLiteral("platformpluginpath"),
                                   QStringLiteral("platformtheme"),
                                   QStringLiteral("plugin"),
                                   QStringLiteral("qwindowgeometry"),
                                   QStringLiteral("qwindowicon"),
                                   QStringLiteral("qwindowtitle"),
                                   QStringLiteral("reverse"),
                                   QStringLiteral("session"),
                                   QStringLiteral("display"),
                                   QStringLiteral("geometry"),
                                   QStringLiteral("title"),
                                   QStringLiteral("name"),
                                   QStringLiteral("icon"),
                                   QStringLiteral("style"),
                                   QStringLiteral("stylesheet"),
                                   QStringLiteral("widgetcount"),
                                   QStringLiteral("qmljsdebugger"),
                                   QStringLiteral("nograb"),
                                   QStringLiteral("dograb"),
                                   QStringLiteral("visual"),
                                   QStringLiteral("ncols"),
                                   QStringLiteral("cmap"),
                                   QStringLiteral("testability")};
    return qt.contains(name);
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication::setApplicationName(QStringLiteral("rollout-console"));
    QCoreApplication::setApplicationVersion(QStringLiteral(ROLLOUT_VERSION));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Drive progressive feature rollouts."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(
        QStringLiteral("plan"),
        QStringLiteral("A rollout plan (YAML). Without one, the embedded demo opens."));
    const QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                        QStringLiteral("Save a PNG of the window to FILE, then quit."),
                                        QStringLiteral("FILE"));
    const QCommandLineOption after(
        QStringLiteral("after"),
        QStringLiteral("With --screenshot: wait MS milliseconds first (default 1500)."), QStringLiteral("MS"),
        QStringLiteral("1500"));
    const QCommandLineOption script(QStringLiteral("demo-script"),
                                    QStringLiteral("Demo only, for screenshots: 'start' signs and starts the "
                                                   "rollout; 'spike' also injects a canary error spike."),
                                    QStringLiteral("STEPS"));
    const QCommandLineOption tab(
        QStringLiteral("tab"),
        QStringLiteral("Open with side tab N shown (1 gate, 2 triggers, 3 sign-off, 4 events)."),
        QStringLiteral("N"));
    const QCommandLineOption evidence(
        QStringLiteral("evidence-pack"),
        QStringLiteral("With --screenshot: also write the evidence pack into DIR."), QStringLiteral("DIR"));
    parser.addOptions({screenshot, after, script, tab, evidence});

    // --version, --help and a mistyped option are answered before QApplication exists: it needs
    // a display (and aborts without one), and none of these does.
    {
        QStringList arguments;
        for (int i = 0; i < argc; ++i)
            arguments.append(QString::fromLocal8Bit(argv[i]));
        QCommandLineParser early;
        early.setSingleDashWordOptionMode(
            QCommandLineParser::ParseAsLongOptions); // -platform is one word, as Qt reads it
        early.addOptions({screenshot, after, script, tab, evidence});
        const QCommandLineOption help = early.addHelpOption();
        const QCommandLineOption version = early.addVersionOption();
        const bool parsed = early.parse(arguments);
        if (parsed && early.isSet(version)) {
            std::fputs(
                qPrintable(QStringLiteral("rollout-console %1\n").arg(QStringLiteral(ROLLOUT_VERSION))),
                stdout);
            return 0;
        }
        // --help-all adds Qt's own options, which only QApplication prints: with no display, plain help.
        const bool noDisplay = qEnvironmentVariableIsEmpty("DISPLAY") &&
                               qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") &&
                               qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
        if (parsed && (early.isSet(help) || (noDisplay && early.isSet(QStringLiteral("help-all"))))) {
            std::fputs(qPrintable(helpTextFor(parser, QStringLiteral("rollout-console"))), stdout);
            return 0;
        }
        if (!parsed) {
            QStringList unknown = early.unknownOptionNames();
            unknown.removeIf(isQtOption);
            if (!unknown.isEmpty() ||
                early.unknownOptionNames().isEmpty()) { // not just Qt's own: a real mistake
                std::fprintf(stderr, "rollout-console: %s\n\n%s", qPrintable(early.errorText()),
                             qPrintable(helpTextFor(parser, QStringLiteral("rollout-console"))));
                return 2;
            }
        }
    }

    QApplication::setHighDpiScaleFactorRoundingPolicy(Qt::HighDpiScaleFactorRoundingPolicy::PassThrough);
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("rollout-console"));
    QApplication::setApplicationDisplayName(QStringLiteral("Rollout Console"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/rollout-console.svg")));
    parser.process(app);
    Logging::setUp(QStringLiteral("rollout-console"), false);

    const QStringList args = parser.positionalArguments();
    PlanLoadResult loaded;
    const bool demo = args.isEmpty();
    if (demo) {
        QFile file(QStringLiteral(":/demo/demo-plan.yaml"));
        if (file.open(QIODevice::ReadOnly))
            loaded = PlanLoader::loadBytes(file.readAll(), QStringLiteral("demo-plan.yaml"));
    } else {
        loaded = PlanLoader::loadFile(args.first());
    }
    if (!loaded.plan) {
        QStringList lines;
        for (const auto& e : loaded.errors)
            lines.append(e.toString());
        QMessageBox::critical(nullptr, QStringLiteral("Rollout Console"),
                              QStringLiteral("The plan cannot be loaded; nothing was changed.\n\n") +
                                  lines.join(QLatin1Char('\n')));
        return 1;
    }

    if (demo) {
        // The demo's flags live in a flagd file of this user's, so that its changes are real
        // writes that are read back, and survive a restart.
        const QString dir =
            QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/demo");
        QDir().mkpath(dir);
        for (BackendSpec& b : loaded.plan->backends)
            if (b.type == BackendType::FlagdFile)
                b.path = dir + QLatin1Char('/') + QFileInfo(b.path).fileName();
    }
    QString flagProblem;
    std::optional<FlagBackendSet> flagBackends = FlagBackendSet::fromPlan(*loaded.plan, &flagProblem);
    if (!flagBackends) {
        QMessageBox::critical(
            nullptr, QStringLiteral("Rollout Console"),
            QStringLiteral("The plan's flag services cannot be set up; nothing was changed.\n\n") +
                flagProblem);
        return 1;
    }

    SystemClock clock;
    RolloutRuntime runtime(*loaded.plan, clock);
    runtime.attachFlags(std::move(*flagBackends));

    // The signed ledger: the rollout's state is rebuilt from it before the window opens. The demo
    // starts from a fresh ledger each time; a real plan uses the one rolloutctl shares.
    if (!Ed25519::initialize()) {
        QMessageBox::critical(nullptr, QStringLiteral("Rollout Console"),
                              QStringLiteral("libsodium cannot start: nothing can be signed."));
        return 1;
    }
    QTemporaryDir demoLedgerDir;
    const QString ledgerPath =
        demo ? demoLedgerDir.filePath(QStringLiteral("demo-ledger.sqlite")) : LocalLedger::defaultPath();
    QString ledgerProblem;
    std::unique_ptr<LocalLedger> ledger = LocalLedger::open(ledgerPath, clock, &ledgerProblem);
    if (!ledger) {
        QMessageBox::critical(nullptr, QStringLiteral("Rollout Console"),
                              QStringLiteral("The ledger cannot be opened; nothing was changed.\n\n") +
                                  ledgerProblem);
        return 1;
    }
    runtime.attachLedger(std::move(ledger));
    // Every record is fsynced (synchronous=FULL): on a thread of its own, never on this one.
    if (!runtime.writeLedgerInBackground(&ledgerProblem)) {
        QMessageBox::critical(nullptr, QStringLiteral("Rollout Console"),
                              QStringLiteral("The ledger cannot be written; nothing was changed.\n\n") +
                                  ledgerProblem);
        return 1;
    }
    if (demo) // demo keys come from public seeds: every demo person, and this console's automation
        for (const Person& p : runtime.plan().people)
            runtime.recorder()->addKey(p.id, DemoKeys::forPerson(p.id));
    // The shared store, from Settings or the environment (ROLLOUT_PG_HOST, …; see README).
    // With a store, the console follows a rollout another process (a `watch`, another console)
    // drives, and drives one nobody drives, taking over when its driver's lease lapses.
    if (const StoreSettings store = StoreSettings::fromSettings(Settings()); store.isSet() && !demo) {
        runtime.attachStore(store);
        runtime.attachDriveLease(qEnvironmentVariable("USER", QStringLiteral("console")), QStringLiteral("console"));
    }
    std::unique_ptr<DemoDriver> driver;
    if (demo) {
        driver = std::make_unique<DemoDriver>(runtime);
        driver->preroll(10 * 60 * 1000);
        runtime.setBeforeEvaluate([&driver] { driver->tick(); });
    }
    MainWindow window(runtime);
    // The plan's webhooks (Slack-compatible); the tray notifications live in the window.
    WebhookNotifier notifier(runtime.plan(), runtime.session(), WebhookNotifier::Options{});
    if (LedgerSync* sync = runtime.sync())
        QObject::connect(sync, &LedgerSync::tampering, &notifier, &WebhookNotifier::ledgerTampering);
    if (!runtime.plan().notify.empty()) {
        const QStringList problems = notifier.problems();
        window.header()->setConnection(
            QObject::tr("webhooks"), int(problems.isEmpty() ? Severity::Good : Severity::Warning),
            problems.isEmpty() ? QObject::tr("%1 webhook(s) configured").arg(runtime.plan().notify.size())
                               : problems.join(QLatin1Char('\n')));
        QObject::connect(&notifier, &WebhookNotifier::failed, &window,
                         [&window](const QString& kind, const QString& env, const QString& why) {
                             window.header()->setConnection(
                                 QObject::tr("webhooks"), int(Severity::Bad),
                                 QObject::tr("%1 via %2 failed: %3").arg(kind, env, why));
                         });
        QObject::connect(&notifier, &WebhookNotifier::delivered, &window,
                         [&window](const QString& kind, const QString& env) {
                             window.header()->setConnection(
                                 QObject::tr("webhooks"), int(Severity::Good),
                                 QObject::tr("last: %1 via %2 delivered").arg(kind, env));
                         });
    }
    if (demo) {
        DemoDriver* d = driver.get();
        window.addDemoAction(QObject::tr("Sign the next gate as everyone"), QStringLiteral("F9"),
                             [d, &runtime] { DemoDriver::signOffNextGate(runtime.session()); });
        window.addDemoAction(QObject::tr("Inject canary error spike"), QStringLiteral("F5"),
                             [d] { d->inject(FaultKind::CanaryErrorSpike); });
        window.addDemoAction(QObject::tr("Inject canary latency regression"), QStringLiteral("F6"),
                             [d] { d->inject(FaultKind::CanaryLatencyRegression); });
        window.addDemoAction(QObject::tr("Inject global incident"), QStringLiteral("F7"),
                             [d] { d->inject(FaultKind::GlobalIncident); });
        window.addDemoAction(QObject::tr("Inject brief spike (60 s)"), QStringLiteral("F8"),
                             [d] { d->inject(FaultKind::BriefSpike); });
        window.addDemoAction(QObject::tr("Inject slow memory leak"), QStringLiteral("Shift+F8"),
                             [d] { d->inject(FaultKind::MemoryLeak); });
        window.addDemoAction(QObject::tr("Clear faults"), QStringLiteral("Shift+F5"),
                             [d] { d->clearFaults(); });
        window.statusBar()->showMessage(QObject::tr(
            "Demo: F9 signs the next gate as everyone, then Advance. F5 injects a canary error spike: "
            "watch the hard trigger roll back within about two minutes."));
    }
    if (parser.isSet(tab))
        if (auto* tabs = window.findChild<QTabWidget*>(QStringLiteral("sideTabs")))
            tabs->setCurrentIndex(parser.value(tab).toInt() - 1);
    window.show();
    runtime.tick();
    runtime.start();

    if (demo && parser.isSet(script)) {
        const QString steps = parser.value(script);
        DemoDriver::signOffNextGate(runtime.session());
        runtime.session().advance(Actor{QStringLiteral("rm-demo"), QStringLiteral("release-manager")});
        if (steps.contains(QLatin1String("spike"))) driver->inject(FaultKind::CanaryErrorSpike);
    }
    if (parser.isSet(screenshot)) {
        const QString file = parser.value(screenshot);
        const QString pack = parser.value(evidence);
        QTimer::singleShot(parser.value(after).toInt(), &window, [&window, file, pack] {
            if (!pack.isEmpty()) window.writeEvidencePack(pack);
            window.grab().save(file);
            QApplication::quit();
        });
    }
    return app.exec();
}
