// rollout-console: the desktop console. With no argument it opens the embedded demo plan.
#include "MainWindow.h"
#include "plan/PlanLoader.h"
#include "runtime/RolloutRuntime.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFile>
#include <QMessageBox>
#include <QTimer>

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("rollout-console"));
    QApplication::setOrganizationName(QStringLiteral("rollout-console"));
    QApplication::setApplicationVersion(QStringLiteral(ROLLOUT_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Drive progressive feature rollouts."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("plan"), QStringLiteral("A rollout plan (YAML). Without one, the embedded demo opens."));
    QCommandLineOption screenshot(QStringLiteral("screenshot"), QStringLiteral("Save a PNG of the window to FILE, then quit."), QStringLiteral("FILE"));
    QCommandLineOption after(QStringLiteral("after"), QStringLiteral("With --screenshot: wait MS milliseconds first (default 1500)."), QStringLiteral("MS"), QStringLiteral("1500"));
    parser.addOption(screenshot);
    parser.addOption(after);
    parser.process(app);

    const QStringList args = parser.positionalArguments();
    rollout::PlanLoadResult loaded;
    if (args.isEmpty()) {
        QFile demo(QStringLiteral(":/demo/demo-plan.yaml"));
        demo.open(QIODevice::ReadOnly);
        loaded = rollout::PlanLoader::loadBytes(demo.readAll(), QStringLiteral("demo-plan.yaml"));
    } else {
        loaded = rollout::PlanLoader::loadFile(args.first());
    }
    if (!loaded.plan) {
        QStringList lines;
        for (const auto& e : loaded.errors) lines.append(e.toString());
        QMessageBox::critical(nullptr, QStringLiteral("Rollout Console"), QStringLiteral("The plan cannot be loaded:\n\n") + lines.join(QLatin1Char('\n')));
        return 1;
    }
    rollout::SystemClock clock;
    rollout::RolloutRuntime runtime(*loaded.plan, clock);
    rollout::MainWindow window(runtime);
    window.show();
    runtime.start();
    if (parser.isSet(screenshot)) {
        const QString file = parser.value(screenshot);
        QTimer::singleShot(parser.value(after).toInt(), &window, [&window, file] {
            window.grab().save(file);
            QApplication::quit();
        });
    }
    return app.exec();
}
