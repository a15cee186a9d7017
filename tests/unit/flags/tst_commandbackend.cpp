// The command flag backend (seeds 000, 004) running real commands from tests/data/commands/: a
// script that keeps the state in a file and prints it as JSON (the walk, each write read back),
// one that hangs (killed at the deadline, its child too), one that fails (exit status and stderr
// in the message), one that prints garbage, a missing program; arguments reach the program
// literally (no shell); the plan's keys and their malformed variants.
#include "Await.h"
#include "PlanFixture.h"
#include "flags/CommandBackend.h"
#include "flags/FlagChangeRunner.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace rollout;

namespace {

QString script(const char* name)
{
    return QStringLiteral(ROLLOUT_SOURCE_DIR "/tests/data/commands/") + QLatin1String(name);
}

// A plan whose backend `b` runs flagstate.py on `stateFile`; `extra` replaces the status call
// or adds lines to the backend (indented by 6).
QByteArray flagstatePlan(const QString& stateFile, const QByteArray& status = {},
                         const QByteArray& extra = {})
{
    const QByteArray fs = script("flagstate.py").toUtf8();
    QByteArray plan = "rollout: command-test\n"
                      "backends:\n"
                      "  b:\n"
                      "    type: command\n"
                      "    timeout: 20s\n"
                      "    env: {FLAG_STATE_FILE: \"" +
                      stateFile.toUtf8() +
                      "\"}\n"
                      "    calls:\n"
                      "      set_percentage: [python3, \"" +
                      fs +
                      "\", set-percentage, \"{flag}\", \"{percent}\"]\n"
                      "      enable: [python3, \"" +
                      fs +
                      "\", enable, \"{flag}\"]\n"
                      "      disable: [python3, \"" +
                      fs +
                      "\", disable, \"{flag}\"]\n"
                      "      set_segment: [python3, \"" +
                      fs + "\", set-segment, \"{flag}\", \"{segment}\", \"{enabled}\"]\n";
    plan += status.isEmpty() ? "      status: {run: [python3, \"" + fs +
                                   "\", status], enabled: \"/flags/{flag}/enabled\", percent: "
                                   "\"/flags/{flag}/percent\", segments: \"/flags/{flag}/held\"}\n"
                             : status;
    plan += extra;
    plan += "flags: [{key: checkout, backend: b}]\n"
            "phases: [{name: canary, traffic: 10%}, {name: all, traffic: 100%}]\n";
    return plan;
}

QJsonObject stored(const QString& stateFile, const QString& flag)
{
    QFile f(stateFile);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll())
        .object()
        .value(QStringLiteral("flags"))
        .toObject()
        .value(flag)
        .toObject();
}

std::unique_ptr<CommandBackend> backendOf(const Plan& plan)
{
    return std::make_unique<CommandBackend>(plan.backends.front());
}

FlagResult applyAndWait(CommandBackend& b, const QString& flag, FlagSetting s)
{
    return test::awaitFlag(
        [&](QObject* ctx, FlagBackend::Done d) { b.apply(flag, s, {}, ctx, std::move(d)); });
}

FlagResult readAndWait(CommandBackend& b, const QString& flag)
{
    return test::awaitFlag([&](QObject* ctx, FlagBackend::Done d) { b.read(flag, ctx, std::move(d)); });
}

bool processGone(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly)) return true;
    const QByteArray s = stat.readAll();
    const qsizetype close = s.lastIndexOf(')');
    return close > 0 && s.mid(close + 2, 1) == "Z"; // a zombie no longer runs
}

} // namespace

class TestCommandBackend final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        // The system's python3 first: a version manager's shim (pyenv) costs seconds per command.
        if (QFileInfo::exists(QStringLiteral("/usr/bin/python3")))
            qputenv("PATH", "/usr/bin:" + qgetenv("PATH"));
        QVERIFY2(!QStandardPaths::findExecutable(QStringLiteral("python3")).isEmpty(), "python3 is needed");
    }

    void thePlanKeys()
    {
        const Plan plan = test::loadPlan(R"(
rollout: keys
backends:
  configmap:
    type: command
    timeout: 20s
    env: {KUBECONFIG: /etc/rollout/kubeconfig}
    calls:
      set_percentage: [kubectl, patch, configmap, app-config, -p, '{"data":{"PCT":"{percent}"}}']
      disable: {run: [kubectl, patch, configmap, app-config, -p, '{"data":{"ON":"false"}}']}
      status: {run: [kubectl, get, configmap, app-config, -o, json], enabled: /data/ON, percent: /data/PCT}
flags: [{key: f, backend: configmap}]
phases: [{name: a, traffic: 5%}]
)");
        const BackendSpec& b = plan.backends.front();
        QCOMPARE(int(b.type), int(BackendType::Command));
        QCOMPARE(toString(b.type), QStringLiteral("command"));
        QCOMPARE(b.timeoutMs, qint64(20000));
        QCOMPARE(b.env.value(QStringLiteral("KUBECONFIG")), QStringLiteral("/etc/rollout/kubeconfig"));
        QCOMPARE(b.commands.value(QStringLiteral("set_percentage")).argv.last(),
                 QStringLiteral(R"({"data":{"PCT":"{percent}"}})"));
        QCOMPARE(b.commands.value(QStringLiteral("disable")).argv.size(), 6);
        QCOMPARE(b.commands.value(QStringLiteral("status")).percent, QStringLiteral("/data/PCT"));
        QCOMPARE(b.commands.value(QStringLiteral("status")).enabled, QStringLiteral("/data/ON"));
        // Placeholders are replaced inside their own argument, as plain text.
        const QStringList argv =
            CommandBackend::expand(b.commands.value(QStringLiteral("set_percentage")).argv,
                                   {QStringLiteral("f"), 12.5, std::nullopt, std::nullopt});
        QCOMPARE(argv.last(), QStringLiteral(R"({"data":{"PCT":"12.5"}})"));
        QCOMPARE(argv.size(), 6);
    }

    void malformedPlans_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<QString>("message");
        const QByteArray status = "      status: {run: [s], percent: /p}\n";
        QTest::newRow("a shell string")
            << QByteArray("      set_percentage: \"kubectl patch configmap x -p '{}'\"\n") + status
            << QStringLiteral("backends.b.calls.set_percentage: expected the command as a list "
                              "of arguments, e.g. [kubectl, get, configmap, app-config, -o, "
                              "json]; a command is never given to a shell");
        QTest::newRow("status without pointers")
            << QByteArray("      set_percentage: [s]\n      status: [s, status]\n")
            << QStringLiteral("backends.b.calls.status.enabled: a command backend's "
                              "status needs \"enabled\" or \"percent\"");
        QTest::newRow("no set_percentage")
            << status
            << QStringLiteral("backends.b.calls: a command backend needs at least the "
                              "set_percentage and status commands");
        QTest::newRow("unknown call")
            << QByteArray("      set_percentage: [s]\n      restart: [s]\n") + status
            << QStringLiteral("backends.b.calls.restart: unknown call \"restart\"");
        QTest::newRow("empty program")
            << QByteArray("      set_percentage: [\"\", x]\n") + status
            << QStringLiteral("backends.b.calls.set_percentage[0]: the program (the first "
                              "argument) is empty");
        QTest::newRow("empty list") << QByteArray("      set_percentage: []\n") + status
                                    << QStringLiteral(
                                           "backends.b.calls.set_percentage: expected the command as a list");
        QTest::newRow("nested argument")
            << QByteArray("      set_percentage: [s, [a, b]]\n") + status
            << QStringLiteral("backends.b.calls.set_percentage[1]: expected a single argument");
        QTest::newRow("pointer without slash")
            << QByteArray("      set_percentage: [s]\n      status: {run: [s], percent: data.PCT}\n")
            << QStringLiteral("backends.b.calls.status.percent: expected a JSON pointer "
                              "starting with \"/\", got \"data.PCT\"");
        QTest::newRow("status without run")
            << QByteArray("      set_percentage: [s]\n      status: {percent: /p}\n")
            << QStringLiteral("backends.b.calls.status.run: required field \"run\" is missing");
        QTest::newRow("pointer on a write")
            << QByteArray("      set_percentage: {run: [s], percent: /p}\n") + status
            << QStringLiteral("backends.b.calls.set_percentage.percent: unknown key \"percent\"");
        QTest::newRow("a url") << QByteArray("      set_percentage: [s]\n") + status + "    url: http://x\n"
                               << QStringLiteral("backends.b.url: unknown key \"url\"");
        QTest::newRow("bad env name")
            << QByteArray("      set_percentage: [s]\n") + status + "    env: {\"NOT A NAME\": x}\n"
            << QStringLiteral("backends.b.env: \"NOT A NAME\" is not an environment variable name");
        QTest::newRow("zero timeout")
            << QByteArray("      set_percentage: [s]\n") + status + "    timeout: 0s\n"
            << QStringLiteral("backends.b.timeout: a command's deadline must be longer than 0s");
        QTest::newRow("bad timeout") << QByteArray("      set_percentage: [s]\n") + status +
                                            "    timeout: soon\n"
                                     << QStringLiteral("backends.b.timeout:");
    }

    void malformedPlans()
    {
        QFETCH(QByteArray, backend);
        QFETCH(QString, message);
        const QByteArray plan = "rollout: bad\nbackends:\n  b:\n    type: command\n    calls:\n" + backend +
                                "flags: [{key: f, backend: b}]\nphases: [{name: a, traffic: 5%}]\n";
        const PlanLoadResult r = PlanLoader::loadBytes(plan, QStringLiteral("bad.yaml"));
        QVERIFY(!r.plan);
        QStringList all;
        for (const PlanError& e : r.errors)
            all.append(e.toString());
        QVERIFY2(std::any_of(all.begin(), all.end(), [&](const QString& e) { return e.contains(message); }),
                 qPrintable(all.join(QLatin1Char('\n'))));
        QVERIFY2(all.first().startsWith(QStringLiteral("bad.yaml:")),
                 qPrintable(all.first())); // file:line:column
    }

    // The walk a rollout takes, each step written by a command and confirmed by the status command.
    void theWalkIsReadBack()
    {
        QTemporaryDir dir;
        const QString state = dir.filePath(QStringLiteral("state.json"));
        const Plan plan = test::loadPlan(flagstatePlan(state));
        auto b = backendOf(plan);
        const QString flag = QStringLiteral("checkout");
        for (const double percent : {1.0, 10.0, 25.0, 50.0, 100.0}) {
            const FlagResult r = applyAndWait(*b, flag, FlagSetting{true, percent});
            QVERIFY2(r.verified, qPrintable(r.describe()));
            QCOMPARE(r.after.percent, percent);
            QVERIFY(r.after.enabled);
            QCOMPARE(stored(state, flag).value(QStringLiteral("percent")).toDouble(), percent);
            QVERIFY(r.message.contains(QStringLiteral("read back by \"python3 ")));
            QCOMPARE(r.backend, QStringLiteral("b"));
        }
        FlagResult off = applyAndWait(*b, flag, FlagSetting{false, 0.0});
        QVERIFY2(off.verified, qPrintable(off.describe()));
        QVERIFY(!off.after.enabled);
        QVERIFY(!stored(state, flag).value(QStringLiteral("enabled")).toBool());
        const FlagResult held = test::awaitFlag([&](QObject* ctx, FlagBackend::Done d) {
            b->setSegment(flag, QStringLiteral("beta_users"), false, ctx, std::move(d));
        });
        QVERIFY2(held.verified, qPrintable(held.describe()));
        QCOMPARE(held.after.disabledSegments, QStringList{QStringLiteral("beta_users")});
        const FlagResult read = readAndWait(*b, flag);
        QVERIFY(read.verified);
        QCOMPARE(read.after.disabledSegments, QStringList{QStringLiteral("beta_users")});
    }

    // The FlagChangeRunner path every backend takes: a phase's settings, verified by reading back.
    void aPhaseChangeThroughTheRunner()
    {
        QTemporaryDir dir;
        const QString state = dir.filePath(QStringLiteral("state.json"));
        const Plan plan = test::loadPlan(flagstatePlan(state));
        QString problem;
        std::optional<FlagBackendSet> set = FlagBackendSet::fromPlan(plan, &problem);
        QVERIFY2(set, qPrintable(problem));
        QCOMPARE(set->backendFor(QStringLiteral("checkout"))->describe().left(27),
                 QStringLiteral("command backend b (status: "));
        FlagChangeRunner runner(*set);
        const FlagChangeReport report = test::awaitRun(runner, FlagChange::forPhase(plan, 0), {});
        QVERIFY2(report.allVerified(), qPrintable(report.summary()));
        QCOMPARE(stored(state, QStringLiteral("checkout")).value(QStringLiteral("percent")).toDouble(), 10.0);
    }

    // A service that says yes and does nothing: only the read-back tells.
    void aWriteThatDidNothingIsNotVerified()
    {
        QTemporaryDir dir;
        const QString state = dir.filePath(QStringLiteral("state.json"));
        const QByteArray plan = flagstatePlan(state).replace(
            "env: {FLAG_STATE_FILE: \"" + state.toUtf8() + "\"}",
            "env: {FLAG_STATE_FILE: \"" + state.toUtf8() + "\", FLAG_STATE_IGNORE_WRITES: \"1\"}");
        auto b = backendOf(test::loadPlan(plan));
        const FlagResult r = applyAndWait(*b, QStringLiteral("checkout"), FlagSetting{true, 25.0});
        QVERIFY(!r.verified);
        QCOMPARE(r.step, QStringLiteral("read back"));
        // The flag does not exist in the file yet: the pointer finds nothing, and says so.
        QVERIFY2(r.message.contains(QStringLiteral("no value at /flags/checkout/enabled")),
                 qPrintable(r.message));
        QVERIFY2(r.message.contains(
                     QStringLiteral("already done before this: rollout percentage set to 25%, flag enabled")),
                 qPrintable(r.message));
    }

    // Arguments reach the program as they are: quotes, spaces and $(…) are not interpreted.
    void argumentsAreNeverGivenToAShell()
    {
        QTemporaryDir dir;
        const QString state = dir.filePath(QStringLiteral("state.json"));
        const QString canary = dir.filePath(QStringLiteral("pwned"));
        auto b = backendOf(test::loadPlan(flagstatePlan(state)));
        const QString flag = QStringLiteral("odd 'flag'; touch %1 $(touch %1) `touch %1`").arg(canary);
        const FlagResult r = applyAndWait(*b, flag, FlagSetting{true, 5.0});
        QVERIFY2(r.verified, qPrintable(r.describe()));
        QCOMPARE(stored(state, flag).value(QStringLiteral("percent")).toDouble(), 5.0);
        QVERIFY(!QFile::exists(canary));
    }

    void theDeclaredAndTheInheritedEnvironment()
    {
        qputenv("ROLLOUT_TEST_INHERITED", "also");
        const Plan plan = test::loadPlan(R"yaml(
rollout: env
backends:
  b:
    type: command
    env: {ROLLOUT_TEST_DECLARED: "yes"}
    calls:
      set_percentage: [python3, -c, "pass"]
      status:
        run: [python3, -c, "import json, os; print(json.dumps({'on': os.environ.get('ROLLOUT_TEST_DECLARED') == 'yes' and os.environ.get('ROLLOUT_TEST_INHERITED') == 'also'}))"]
        enabled: /on
flags: [{key: f, backend: b}]
phases: [{name: a, traffic: 100%}]
)yaml");
        auto b = backendOf(plan);
        const FlagResult r = readAndWait(*b, QStringLiteral("f"));
        QVERIFY2(r.verified, qPrintable(r.describe()));
        QVERIFY(r.after.enabled);
    }

    // A command that never finishes is killed at the deadline, its children with it; the event
    // loop runs all the while.
    void aHangingCommandIsKilledAtTheDeadline()
    {
        QTemporaryDir dir;
        const QString pidFile = dir.filePath(QStringLiteral("child.pid"));
        const Plan plan = test::loadPlan(
            "rollout: hang\nbackends:\n  b:\n    type: command\n    timeout: 2s\n"
            "    env: {HANG_PID_FILE: \"" +
            pidFile.toUtf8() + "\"}\n    calls:\n      set_percentage: [sh, \"" + script("hang.sh").toUtf8() +
            "\"]\n      status: {run: [sh, \"" + script("hang.sh").toUtf8() +
            "\"], enabled: /flags/x}\n"
            "flags: [{key: f, backend: b}]\nphases: [{name: a, traffic: 5%}]\n");
        auto b = backendOf(plan);
        int ticks = 0;
        QTimer ticker;
        connect(&ticker, &QTimer::timeout, this, [&] { ++ticks; });
        ticker.start(50);
        QElapsedTimer clock;
        clock.start();
        const FlagResult r = readAndWait(*b, QStringLiteral("f"));
        const qint64 elapsed = clock.elapsed();
        QVERIFY(!r.verified);
        QCOMPARE(r.step, QStringLiteral("read"));
        QVERIFY2(r.message.startsWith(
                     QStringLiteral("backend b: \"sh %1\" did not finish within 2 s and was killed")
                         .arg(script("hang.sh"))),
                 qPrintable(r.message));
        QVERIFY2(r.message.contains(QStringLiteral("stderr so far: connecting to the API server...")),
                 qPrintable(r.message));
        QVERIFY(r.transient);
        QVERIFY2(
            elapsed >= 1900,
            qPrintable(QString::number(
                elapsed))); // killed at the deadline, not before (how soon after is the benchmark's business)
        QVERIFY2(ticks >= 8, qPrintable(QString::number(ticks))); // never blocked the event loop
        QFile pid(pidFile);
        QVERIFY(pid.open(QIODevice::ReadOnly));
        const qint64 child = pid.readAll().trimmed().toLongLong();
        QVERIFY(child > 0);
        QTRY_VERIFY_WITH_TIMEOUT(processGone(child), 3000);
    }

    void aFailingCommandShowsItsStatusAndStderr()
    {
        const Plan plan =
            test::loadPlan("rollout: fail\nbackends:\n  b:\n    type: command\n    calls:\n"
                           "      set_percentage: [sh, \"" +
                           script("fail.sh").toUtf8() + "\", \"{percent}\"]\n      status: {run: [sh, \"" +
                           script("garbage.sh").toUtf8() +
                           "\"], percent: /p}\n"
                           "flags: [{key: f, backend: b}]\nphases: [{name: a, traffic: 5%}]\n");
        auto b = backendOf(plan);
        const FlagResult r = applyAndWait(*b, QStringLiteral("f"), FlagSetting{true, 25.0});
        QVERIFY(!r.verified);
        QCOMPARE(r.step, QStringLiteral("set_percentage"));
        QCOMPARE(r.message,
                 QStringLiteral("backend b: \"sh %1 25\" exited with status 1: Error from server (NotFound): "
                                "configmaps \"agentcore-config\" not found")
                     .arg(script("fail.sh")));
        QCOMPARE(r.body,
                 QStringLiteral("Error from server (NotFound): configmaps \"agentcore-config\" not found"));
        QVERIFY(!r.transient);
        QVERIFY(r.describe().startsWith(QStringLiteral("f: FAILED at set_percentage: backend b: ")));
    }

    void garbageIsNotAState()
    {
        const Plan plan = test::loadPlan("rollout: garbage\nbackends:\n  b:\n    type: command\n    calls:\n"
                                         "      set_percentage: [\"true\"]\n      status: {run: [sh, \"" +
                                         script("garbage.sh").toUtf8() +
                                         "\"], percent: /p}\n"
                                         "flags: [{key: f, backend: b}]\nphases: [{name: a, traffic: 5%}]\n");
        auto b = backendOf(plan);
        const FlagResult r = applyAndWait(*b, QStringLiteral("f"), FlagSetting{true, 25.0});
        QVERIFY(!r.verified);
        QCOMPARE(r.step, QStringLiteral("read back"));
        QVERIFY2(r.message.startsWith(
                     QStringLiteral("backend b: the output of \"sh %1\" is not the flag's state: the "
                                    "output is not JSON; it printed: Traceback (most recent call last): "
                                    "<not JSON at all>")
                         .arg(script("garbage.sh"))),
                 qPrintable(r.message));
        QVERIFY(
            r.message.endsWith(QStringLiteral("(already done before this: rollout percentage set to 25%)")));
    }

    void aMissingProgramIsNamed()
    {
        const Plan plan = test::loadPlan("rollout: missing\nbackends:\n  b:\n    type: command\n    calls:\n"
                                         "      set_percentage: [\"true\"]\n"
                                         "      status: {run: [no-such-rollout-program, get], percent: /p}\n"
                                         "flags: [{key: f, backend: b}]\nphases: [{name: a, traffic: 5%}]\n");
        auto b = backendOf(plan);
        const FlagResult r = readAndWait(*b, QStringLiteral("f"));
        QVERIFY(!r.verified);
        QCOMPARE(r.message,
                 QStringLiteral("backend b: \"no-such-rollout-program get\" could not be started: no "
                                "executable \"no-such-rollout-program\" found in PATH"));
    }

    // Seed 000's plan as shipped: its kubectl commands against the kubectl stand-in (first in PATH),
    // through a phase, the next, and the rollback (ENABLE_BOUNDED_REASONING=false), each read back.
    void seed000AgainstTheKubectlStandIn()
    {
        QTemporaryDir dir;
        QFile cm(dir.filePath(QStringLiteral("agentcore-config.json")));
        QVERIFY(cm.open(QIODevice::WriteOnly));
        cm.write(
            R"({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "agentcore-config"}, "data": {}})");
        cm.close();
        const QByteArray path = qgetenv("PATH");
        qputenv("PATH", script("kubectl-standin").toUtf8() + ':' + path);
        qputenv("FAKE_KUBECTL_DIR", dir.path().toUtf8());
        const Plan plan = test::loadPlan(
            test::sourceFile(QStringLiteral("resources/plans/bounded-context-reasoning.yaml")));
        QString problem;
        std::optional<FlagBackendSet> set = FlagBackendSet::fromPlan(plan, &problem);
        QVERIFY2(set, qPrintable(problem));
        FlagChangeRunner runner(*set);
        const auto data = [&] {
            QFile f(cm.fileName());
            return f.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(f.readAll())
                                                     .object()
                                                     .value(QStringLiteral("data"))
                                                     .toObject()
                                               : QJsonObject();
        };
        for (const int phase : {0, 1, -1}) {
            const FlagChangeReport report = test::awaitRun(runner, FlagChange::forPhase(plan, phase), {});
            QVERIFY2(report.allVerified(), qPrintable(report.summary()));
        }
        QCOMPARE(data().value(QStringLiteral("BOUNDED_REASONING_ROLLOUT_PCT")).toString(),
                 QStringLiteral("10"));
        QCOMPARE(data().value(QStringLiteral("ENABLE_BOUNDED_REASONING")).toString(),
                 QStringLiteral("false"));
        qputenv("PATH", path);
    }

    // Seed 004's plan as shipped: its Python set_percentage / get_status against a stand-in of
    // feature_flags_enhanced (on PYTHONPATH in place of /opt/reptate/src). An environment
    // override where the commands run is what get_status() reports, so the read-back catches it.
    void seed004AgainstTheRepTateStandIn()
    {
        QTemporaryDir dir;
        qputenv("REPTATE_FLAG_STATE", dir.filePath(QStringLiteral("flags.json")).toUtf8());
        Plan plan =
            test::loadPlan(test::sourceFile(QStringLiteral("resources/plans/reptate-modernization.yaml")));
        QCOMPARE(plan.backends.front().env.value(QStringLiteral("PYTHONPATH")),
                 QStringLiteral("/opt/reptate/src"));
        plan.backends.front().env.insert(QStringLiteral("PYTHONPATH"), script("reptate"));
        QString problem;
        std::optional<FlagBackendSet> set = FlagBackendSet::fromPlan(plan, &problem);
        QVERIFY2(set, qPrintable(problem));
        FlagChangeRunner runner(*set);
        FlagChangeReport report = test::awaitRun(runner, FlagChange::forPhase(plan, 1), {});
        QVERIFY2(report.allVerified(), qPrintable(report.summary()));
        QCOMPARE(report.results.size(), 3);
        QCOMPARE(report.results[0].after.percent, plan.phases[1].traffic);
        qputenv("REPTATE_USE_JAX_OPTIMIZATION", "false");
        report = test::awaitRun(runner, FlagChange::forPhase(plan, 2), {});
        qunsetenv("REPTATE_USE_JAX_OPTIMIZATION");
        QVERIFY(!report.allVerified());
        QCOMPARE(report.notMoved(), QStringList{QStringLiteral("USE_JAX_OPTIMIZATION")});
        report = test::awaitRun(runner, FlagChange::forPhase(plan, -1), {});
        QVERIFY2(report.allVerified(), qPrintable(report.summary()));
    }

    void aSegmentWithoutItsCommandIsRefused()
    {
        const Plan plan = test::loadPlan("rollout: seg\nbackends:\n  b:\n    type: command\n    calls:\n"
                                         "      set_percentage: [\"true\"]\n"
                                         "      status: {run: [\"true\"], percent: /p}\n"
                                         "flags: [{key: f, backend: b}]\nphases: [{name: a, traffic: 5%}]\n");
        auto b = backendOf(plan);
        const FlagResult r = test::awaitFlag([&](QObject* ctx, FlagBackend::Done d) {
            b->setSegment(QStringLiteral("f"), QStringLiteral("beta"), false, ctx, std::move(d));
        });
        QVERIFY(!r.verified);
        QCOMPARE(r.step, QStringLiteral("set_segment"));
        QVERIFY(r.message.contains(QStringLiteral("no set_segment command")));
    }
};

QTEST_GUILESS_MAIN(TestCommandBackend)
#include "tst_commandbackend.moc"
