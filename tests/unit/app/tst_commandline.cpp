// The two binaries as a user runs them (build/app/rolloutctl, build/app/rollout-console):
// every rolloutctl subcommand's --help and usage error name the subcommand; the console answers
// --version, --help and a mistyped option with no display at all; watch refuses an environment
// file (ROLLOUT_ENV_FILE) that others may read.
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <sys/stat.h>

namespace {

struct Run
{
    int code = -1; // -1: crashed or did not finish
    QString out;
    QString err;
};

// `env` empty: the test's own environment. Otherwise exactly `env`, nothing inherited.
Run run(const QString& program, const QStringList& args, const QStringList& env = {})
{
    QProcess p;
    if (!env.isEmpty()) {
        QProcessEnvironment e; // with at least one variable in it, nothing is inherited: not even DISPLAY
        for (const QString& kv : env)
            e.insert(kv.section(QLatin1Char('='), 0, 0), kv.section(QLatin1Char('='), 1));
        p.setProcessEnvironment(e);
    }
    p.start(program, args);
    if (!p.waitForFinished(30000)) {
        p.kill();
        p.waitForFinished();
    }
    Run r;
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

const QString kCtl = QStringLiteral(ROLLOUT_BINARY_DIR "/app/rolloutctl");
const QString kConsole = QStringLiteral(ROLLOUT_BINARY_DIR "/app/rollout-console");

} // namespace

class TestCommandLine final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        // Built with this test (tests/CMakeLists.txt makes it depend on both).
        QVERIFY2(QFile::exists(kCtl), qPrintable(kCtl));
        QVERIFY2(QFile::exists(kConsole), qPrintable(kConsole));
    }

    void subcommandUsage_data()
    {
        QTest::addColumn<QStringList>("command");
        QTest::addColumn<QString>("usage");
        const auto row = [](const char* name, const QStringList& command, const char* usage) {
            QTest::newRow(name) << command << QString::fromLatin1(usage);
        };
        row("watch", {QStringLiteral("watch")}, "Usage: rolloutctl watch [options] PLAN\n");
        row("validate", {QStringLiteral("validate")}, "Usage: rolloutctl validate ");
        row("show", {QStringLiteral("show")}, "Usage: rolloutctl show ");
        row("metrics", {QStringLiteral("metrics")}, "Usage: rolloutctl metrics ");
        row("flags", {QStringLiteral("flags")}, "Usage: rolloutctl flags ");
        row("set-phase", {QStringLiteral("set-phase")}, "Usage: rolloutctl set-phase ");
        row("rollback", {QStringLiteral("rollback")}, "Usage: rolloutctl rollback ");
        row("report", {QStringLiteral("report")}, "Usage: rolloutctl report ");
        row("simulate", {QStringLiteral("simulate")}, "Usage: rolloutctl simulate ");
        row("keys new", {QStringLiteral("keys"), QStringLiteral("new")}, "Usage: rolloutctl keys new ");
        row("ledger verify", {QStringLiteral("ledger"), QStringLiteral("verify")},
            "Usage: rolloutctl ledger verify ");
    }

    void subcommandUsage()
    {
        QFETCH(QStringList, command);
        QFETCH(QString, usage);
        Run r = run(kCtl, command + QStringList{QStringLiteral("--help")});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.startsWith(usage), qPrintable(r.out.left(200)));
        // A usage error says the same, after what was wrong.
        r = run(kCtl, command + QStringList{QStringLiteral("--no-such-option")});
        QCOMPARE(r.code, 2);
        const QString prefix = QStringLiteral("rolloutctl %1: Unknown option 'no-such-option'.\n\n")
                                   .arg(command.join(QLatin1Char(' ')));
        // (report starts a QApplication, which may say something of its own first.)
        QVERIFY2(r.err.startsWith(prefix + usage) || r.err.contains(QLatin1Char('\n') + prefix + usage),
                 qPrintable(r.err.left(300)));
        QVERIFY2(!r.err.contains(QLatin1String(ROLLOUT_BINARY_DIR)), qPrintable(r.err.left(300)));
    }

    // No DISPLAY, no WAYLAND_DISPLAY, no QT_QPA_PLATFORM: nothing that needs a window is asked.
    void consoleAnswersWithoutADisplay_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("out");
        QTest::addColumn<QString>("err");
        const QString version = QStringLiteral("rollout-console " ROLLOUT_VERSION "\n");
        const QString usage = QStringLiteral("Usage: rollout-console [options] plan\n");
        QTest::newRow("--version") << QStringList{QStringLiteral("--version")} << 0 << version << QString();
        QTest::newRow("-v") << QStringList{QStringLiteral("-v")} << 0 << version << QString();
        QTest::newRow("--help") << QStringList{QStringLiteral("--help")} << 0 << usage << QString();
        QTest::newRow("-h") << QStringList{QStringLiteral("-h")} << 0 << usage << QString();
        QTest::newRow("--help-all") << QStringList{QStringLiteral("--help-all")} << 0 << usage << QString();
        QTest::newRow("plan --help") << QStringList{QStringLiteral("plan.yaml"), QStringLiteral("--help")}
                                     << 0 << usage << QString();
        QTest::newRow("mistyped") << QStringList{QStringLiteral("--screenshoot"), QStringLiteral("x.png")}
                                  << 2 << QString()
                                  << QStringLiteral(
                                         "rollout-console: Unknown option 'screenshoot'.\n\nUsage: "
                                         "rollout-console [options] plan\n");
        QTest::newRow("missing value")
            << QStringList{QStringLiteral("--screenshot")} << 2 << QString()
            << QStringLiteral("rollout-console: Missing value after '--screenshot'.");
    }

    void consoleAnswersWithoutADisplay()
    {
        QFETCH(QStringList, args);
        QFETCH(int, code);
        QFETCH(QString, out);
        QFETCH(QString, err);
        const Run r = run(kConsole, args, {QStringLiteral("ROLLOUT_TEST_EMPTY_ENVIRONMENT=1")});
        QVERIFY2(r.code == code, qPrintable(QStringLiteral("exit %1: %2").arg(r.code).arg(r.err)));
        QVERIFY2(r.out.startsWith(out), qPrintable(r.out.left(200)));
        if (err.isEmpty())
            QVERIFY2(r.err.isEmpty(), qPrintable(r.err));
        else
            QVERIFY2(r.err.startsWith(err), qPrintable(r.err.left(300)));
        if (args.contains(QStringLiteral("--help")))
            QVERIFY(r.out.contains(QStringLiteral("--screenshot <FILE>")));
    }

    // Qt's own options still reach QApplication: with a platform named, --version is answered
    // by the ordinary path.
    void qtOptionsPassThrough()
    {
        const Run r = run(
            kConsole, {QStringLiteral("-platform"), QStringLiteral("offscreen"), QStringLiteral("--version")},
            {QStringLiteral("ROLLOUT_TEST_EMPTY_ENVIRONMENT=1")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(r.out, QStringLiteral("rollout-console " ROLLOUT_VERSION "\n"));
    }

    // watch checks the env file systemd read its passphrase from before anything else.
    void watchRefusesALooseEnvironmentFile()
    {
        QTemporaryDir dir;
        const QString env = dir.filePath(QStringLiteral("checkout.env"));
        QFile f(env);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("ROLLOUT_WATCH_PASSPHRASE=s3cret\n");
        f.close();
        QCOMPARE(::chmod(QFile::encodeName(env).constData(), 0644), 0);
        const QStringList args = {QStringLiteral("watch"), dir.filePath(QStringLiteral("missing-plan.yaml")),
                                  QStringLiteral("--passphrase-env"),
                                  QStringLiteral("ROLLOUT_WATCH_PASSPHRASE")};
        const QStringList environment = {QStringLiteral("ROLLOUT_ENV_FILE=") + env,
                                         QStringLiteral("ROLLOUT_WATCH_PASSPHRASE=s3cret"),
                                         QStringLiteral("HOME=") + dir.path()};
        Run r = run(kCtl, args, environment);
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(env) && r.err.contains(QStringLiteral("0644")) &&
                     !r.err.contains(QStringLiteral("s3cret")),
                 qPrintable(r.err));
        // At 0600 the check passes, and watch goes on (to the missing plan).
        QCOMPARE(::chmod(QFile::encodeName(env).constData(), 0600), 0);
        r = run(kCtl, args, environment);
        QCOMPARE(r.code, 1);
        QVERIFY2(!r.err.contains(env) && r.err.contains(QStringLiteral("missing-plan.yaml")),
                 qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestCommandLine)
#include "tst_commandline.moc"
