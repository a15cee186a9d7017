// rollout-console: the desktop console. With no argument it opens the embedded demo: the demo
// plan on the built-in simulator, with a Demo menu that injects faults.
#include "HelpText.h"
#include "MainWindow.h"
#include "RolloutView.h"
#include "core/Logging.h"
#include "core/Settings.h"
#include "ledger/LocalLedger.h"
#include "plan/PlanLoader.h"
#include "runtime/RolloutAssembly.h"
#include "sim/DemoDriver.h"
#include "sim/DemoKeys.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMessageBox>
#include <QStandardPaths>
#include <QStatusBar>
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
    const QCommandLineOption script(
        QStringLiteral("demo-script"),
        QStringLiteral("Demo only, for screenshots: 'start' signs and starts the "
                       "rollout; 'spike' also injects a canary error spike; 'locked-rollback' rolls back as "
                       "on-call with their key locked."),
        QStringLiteral("STEPS"));
    const QCommandLineOption tab(
        QStringLiteral("tab"),
        QStringLiteral("Open with side tab N shown (1 gate, 2 triggers, 3 sign-off, 4 events)."),
        QStringLiteral("N"));
    const QCommandLineOption evidence(
        QStringLiteral("evidence-pack"),
        QStringLiteral("With --screenshot: also write the evidence pack into DIR."), QStringLiteral("DIR"));
    const QCommandLineOption home(QStringLiteral("home"),
                                  QStringLiteral("Show the home list (after --demo-script)."));
    parser.addOptions({screenshot, after, script, tab, evidence, home});

    // --version, --help and a mistyped option are answered before QApplication exists: it needs
    // a display (and aborts without one), and none of these does.
    {
        QStringList arguments;
        for (int i = 0; i < argc; ++i)
            arguments.append(QString::fromLocal8Bit(argv[i]));
        QCommandLineParser early;
        early.setSingleDashWordOptionMode(
            QCommandLineParser::ParseAsLongOptions); // -platform is one word, as Qt reads it
        early.addOptions({screenshot, after, script, tab, evidence, home});
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
    const bool demo = args.isEmpty();
    SystemClock clock;

    // A plan file's rollout: its state rebuilt from the ledger rolloutctl shares, then driven
    // (or followed) in a tab of its own.
    MainWindow::Options options;
    options.clock = &clock;
    options.ledgerPath = LocalLedger::defaultPath();
    options.store = StoreSettings::fromSettings(Settings()); // the home lists the store's rollouts
    options.opener = [&clock](const QString& path, QString* problem) -> std::unique_ptr<OpenedRollout> {
        PlanLoadResult loaded = PlanLoader::loadFile(path);
        if (!loaded.plan) {
            QStringList lines;
            for (const auto& e : loaded.errors)
                lines.append(e.toString());
            *problem = lines.join(QLatin1Char('\n'));
            return nullptr;
        }
        RolloutAssembly::Options parts;
        parts.ledgerPath = LocalLedger::defaultPath();
        parts.backgroundWriter = true; // every record is fsynced, never on the UI thread
        // The shared store, from Settings or the environment (ROLLOUT_PG_HOST, …; see README).
        parts.store = StoreSettings::fromSettings(Settings());
        // With a store, the console follows a rollout another process (a `watch`, another console)
        // drives, and drives one nobody drives, taking over when its driver's lease lapses.
        parts.driverKind = QStringLiteral("console");
        parts.driverPerson = qEnvironmentVariable("USER", QStringLiteral("console"));
        // The big red button never waits for a passphrase: this installation's key signs it.
        parts.deviceKeyDirectory = Settings().text(Settings::Key::KeysDirectory);
        auto opened = std::make_unique<OpenedRollout>();
        opened->assembly = RolloutAssembly::build(std::move(*loaded.plan), clock, std::move(parts), problem);
        if (!opened->assembly) return nullptr;
        return opened;
    };
    if (demo) // the example plans are listed beside the demo
        for (const QString& name : QDir(QStringLiteral(":/plans")).entryList({QStringLiteral("*.yaml")}))
            options.examples.append({QStringLiteral(":/plans/") + name, QObject::tr("example")});
    MainWindow window(options);

    // The demo: the demo plan on the built-in simulator, its flags in a flagd file of this user's
    // (real writes, read back, surviving a restart), and a fresh ledger each time.
    QTemporaryDir demoLedgerDir;
    DemoDriver* driver = nullptr;
    RolloutRuntime* demoRuntime = nullptr;
    if (demo) {
        QFile file(QStringLiteral(":/demo/demo-plan.yaml"));
        PlanLoadResult loaded;
        if (file.open(QIODevice::ReadOnly))
            loaded = PlanLoader::loadBytes(file.readAll(), QStringLiteral("demo-plan.yaml"));
        if (!loaded.plan) {
            QMessageBox::critical(nullptr, QStringLiteral("Rollout Console"),
                                  QStringLiteral("The demo plan cannot be loaded."));
            return 1;
        }
        const QString dir =
            QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/demo");
        QDir().mkpath(dir);
        for (BackendSpec& b : loaded.plan->backends)
            if (b.type == BackendType::FlagdFile)
                b.path = dir + QLatin1Char('/') + QFileInfo(b.path).fileName();
        RolloutAssembly::Options parts;
        parts.ledgerPath = demoLedgerDir.filePath(QStringLiteral("demo-ledger.sqlite"));
        parts.backgroundWriter = true;
        // Demo keys come from public seeds: every demo person, and this console's automation.
        parts.addKeys = [&loaded](LedgerRecorder& recorder) {
            for (const Person& p : loaded.plan->people)
                recorder.addKey(p.id, DemoKeys::forPerson(p.id));
        };
        parts.deviceKeyDirectory = demoLedgerDir.filePath(QStringLiteral("keys"));
        QString problem;
        auto opened = std::make_unique<OpenedRollout>();
        opened->planPath = QStringLiteral(":/demo/demo-plan.yaml");
        opened->assembly = RolloutAssembly::build(*loaded.plan, clock, std::move(parts), &problem);
        if (!opened->assembly) {
            QMessageBox::critical(nullptr, QStringLiteral("Rollout Console"),
                                  QStringLiteral("The demo cannot be opened.\n\n%1").arg(problem));
            return 1;
        }
        demoRuntime = &opened->assembly->runtime();
        auto demoDriver = std::make_shared<DemoDriver>(*demoRuntime);
        driver = demoDriver.get();
        driver->preroll(10 * 60 * 1000);
        demoRuntime->setBeforeEvaluate([driver] { driver->tick(); });
        opened->companion = demoDriver;
        window.addRollout(std::move(opened), parser.isSet(tab) || parser.isSet(script));
        window.addDemoAction(QObject::tr("Sign the next gate as everyone"), QStringLiteral("F9"),
                             [demoRuntime] { DemoDriver::signOffNextGate(demoRuntime->session()); });
        window.addDemoAction(QObject::tr("Inject canary error spike"), QStringLiteral("F5"),
                             [driver] { driver->inject(FaultKind::CanaryErrorSpike); });
        window.addDemoAction(QObject::tr("Inject canary latency regression"), QStringLiteral("F6"),
                             [driver] { driver->inject(FaultKind::CanaryLatencyRegression); });
        window.addDemoAction(QObject::tr("Inject global incident"), QStringLiteral("F7"),
                             [driver] { driver->inject(FaultKind::GlobalIncident); });
        window.addDemoAction(QObject::tr("Inject brief spike (60 s)"), QStringLiteral("F8"),
                             [driver] { driver->inject(FaultKind::BriefSpike); });
        window.addDemoAction(QObject::tr("Inject slow memory leak"), QStringLiteral("Shift+F8"),
                             [driver] { driver->inject(FaultKind::MemoryLeak); });
        window.addDemoAction(QObject::tr("Clear faults"), QStringLiteral("Shift+F5"),
                             [driver] { driver->clearFaults(); });
        window.statusBar()->showMessage(
            QObject::tr("Demo: open the demo's tab; F9 signs the next gate as everyone, then Advance. F5 "
                        "injects a canary "
                        "error spike: the hard trigger rolls back about 20 s later (15 s held, once the "
                        "evidence shows harm)."));
    }
    for (const QString& path : args)
        window.openPlan(path);
    RolloutView* shown = window.currentView();
    if (parser.isSet(tab) && shown) shown->showSideTab(parser.value(tab).toInt() - 1);
    window.show();

    if (demo && parser.isSet(script)) {
        const QString steps = parser.value(script);
        DemoDriver::signOffNextGate(demoRuntime->session());
        demoRuntime->session().advance(Actor{QStringLiteral("rm-demo"), QStringLiteral("release-manager")});
        if (steps.contains(QLatin1String("spike"))) driver->inject(FaultKind::CanaryErrorSpike);
        if (steps.contains(QLatin1String("locked-rollback"))) { // on-call's key locked: the device signs
            demoRuntime->recorder()->removeKey(QStringLiteral("oncall-demo"));
            demoRuntime->session().rollback(Actor{QStringLiteral("oncall-demo"), QStringLiteral("on-call")},
                                            QStringLiteral("held ROLL BACK with the key locked"), false);
        }
    }
    if (parser.isSet(home)) window.showHome();
    if (parser.isSet(screenshot)) {
        const QString file = parser.value(screenshot);
        const QString pack = parser.value(evidence);
        QTimer::singleShot(parser.value(after).toInt(), &window, [&window, file, pack] {
            if (RolloutView* v = window.currentView(); v && !pack.isEmpty()) v->writeEvidencePack(pack);
            window.grab().save(file);
            QApplication::quit();
        });
    }
    return app.exec();
}
