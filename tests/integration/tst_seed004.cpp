// Seed 004 (RepTate modernization, resources/plans/reptate-modernization.yaml) end to end, as
// `watch` runs it (RolloutAssembly), compressed in time (PlanRehearsal):
// - the flags moved and read back by the plan's own `command` backend: python3 running the RepTate
//   stand-in (tests/data/commands/reptate), its state in $REPTATE_FLAG_STATE;
// - the migration events (json_lines) written by the simulator, whose canary share follows the
//   same flag service (the closed loop: `simulate --share-from-plan … --events-file`), and its
//   latency, memory and cpu scraped by the test Prometheus (tests/data/seeds/seed_reptate.rules.yml);
// - the pager receiver (PagerDuty Events v2 schema) and a webhook receiver.
// Canary (5%), then Early adopters (25%), then the canary fails and the plan-wide emergency
// rollback's action list takes every flag to 0%, notifies on call and pages at P0.
#include "Await.h"
#include "FakeHttpServer.h"
#include "PagerDutyReceiver.h"
#include "RequireServers.h"
#include "SeedRun.h"
#include "runtime/ActionRunner.h"
#include "runtime/FlagSync.h"

#include <QFile>
#include <QJsonDocument>
#include <QTest>

using namespace rollout;
using test::count;
using test::last;
using test::SeedRun;

namespace {

const QByteArray kRoutingKey = "0123456789abcdef0123456789abcdef"; // 32 characters, as PagerDuty's
const char* const kFlags[] = {"USE_SAFE_EVAL", "USE_SAFE_SERIALIZATION", "USE_JAX_OPTIMIZATION"};

} // namespace

class TestSeed004 final : public QObject
{
    Q_OBJECT
    std::unique_ptr<test::FakeHttpServer> m_hooks;
    QList<QByteArray> m_hookBodies;

    // A separate run of the plan's own status command (not the engine's): what the stand-in says
    // is in force, per flag.
    static QJsonObject standInStatus()
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("PYTHONPATH"),
                   QStringLiteral(ROLLOUT_SOURCE_DIR "/tests/data/commands/reptate"));
        p.setProcessEnvironment(env);
        p.start(QStringLiteral("python3"),
                {QStringLiteral("-c"),
                 QStringLiteral("import json; from RepTate.core.feature_flags_enhanced import "
                                "get_feature_flag_manager as m; print(json.dumps(m().get_status()))")});
        if (!p.waitForFinished(30000) || p.exitCode() != 0) {
            qWarning("status: %s", p.readAllStandardError().constData());
            return {};
        }
        return QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    }

    static double percentOf(const QJsonObject& status, const char* flag)
    {
        return status.value(QLatin1String(flag))
            .toObject()
            .value(QStringLiteral("enabled_percentage"))
            .toDouble(-1);
    }

private Q_SLOTS:
    void initTestCase()
    {
        if (qEnvironmentVariableIsEmpty("ROLLOUT_PROMETHEUS_URL") ||
            qEnvironmentVariableIsEmpty("ROLLOUT_SEED_TARGETS_DIR"))
            ROLLOUT_SKIP_OR_FAIL("run through scripts/test.sh: the Prometheus variables are unset");
        QVERIFY(Ed25519::initialize());
        m_hooks = std::make_unique<test::FakeHttpServer>(
            [this](const QByteArray&, const QByteArray&, const QByteArray& body) {
                m_hookBodies.append(body);
                return test::FakeHttpServer::Reply{200, "ok", {}};
            });
        for (const char* name : {"ONCALL_WEBHOOK_URL", "ENGINEERING_WEBHOOK_URL"})
            qputenv(name, (m_hooks->url() + QStringLiteral("/hook")).toUtf8());
        qputenv("PROM_TOKEN", "unused-by-the-test-prometheus");
        qputenv("PD_ROUTING_KEY", kRoutingKey);
    }

    void seed004ReptateModernization()
    {
        SeedRun run(QStringLiteral("resources/plans/reptate-modernization.yaml"));
        const QByteArray events = run.path(QStringLiteral("events.jsonl")).toUtf8();
        QVERIFY(run.rewrite("url: http://127.0.0.1:9090", "url: " + qgetenv("ROLLOUT_PROMETHEUS_URL")));
        QVERIFY(run.rewrite("{PYTHONPATH: /opt/reptate/src}",
                            "{PYTHONPATH: " ROLLOUT_SOURCE_DIR "/tests/data/commands/reptate}"));
        QVERIFY(run.rewrite("path: /var/log/reptate/migration-events.jsonl", "path: " + events));
        const QString plan = run.writePlan();
        // The engine's commands and the simulator (a child, inheriting the environment) share
        // one flag state.
        qputenv("REPTATE_FLAG_STATE", run.path(QStringLiteral("flags.json")).toUtf8());
        for (const char* f : kFlags)
            qunsetenv((QByteArray("REPTATE_") + f).constData()); // no override in force

        const QString started = run.startSimulator(
            QStringLiteral("seed_reptate"),
            {QStringLiteral("--share-from-plan"), plan, QStringLiteral("--flag"),
             QStringLiteral("USE_SAFE_EVAL"), QStringLiteral("--share"), QStringLiteral("0"),
             QStringLiteral("--events-file"), QString::fromUtf8(events), QStringLiteral("--error-ratio"),
             QStringLiteral("0"), QStringLiteral("--rps"), QStringLiteral("5000")});
        QVERIFY2(started.isEmpty(), qPrintable(started));
        test::PagerDutyReceiver pager;
        QString problem;
        // 1h → 5 s, 4h → 20 s. The stand-in puts a phase's three flags in force in about 15 s (a
        // python run per flag and read), and until then the new path serves nobody: the plan's
        // 15-minute inconclusive limit, compressed to 10 s, would pause the rollout for the
        // canary's silence while its flags are still being written (at the plan's pace, 15 s is
        // far inside 15 minutes). The rehearsal keeps it above the flag service's own time.
        auto parts = run.assemble(720, pager.url(), &problem, 60000);
        QVERIFY2(parts, qPrintable(problem));
        RolloutRuntime& rt = parts->runtime();
        rt.start(500);

        // The Canary's "error rate < 0.1%" is shown on the new path's requests: with none failing,
        // about 10 000 of them (250 a second at 5% of 5000).
        run.goThrough(*parts, 2, 240000);
        if (QTest::currentTestFailed()) return;
        // The closed loop: the stand-in says 25%, the service gives the new path 25%.
        const QJsonObject at25 = standInStatus();
        for (const char* f : kFlags)
            QCOMPARE(percentOf(at25, f), 25.0);
        QTRY_COMPARE_WITH_TIMEOUT(run.simulatedShare(), 25.0, 10000);
        // The plan's error_rate (failure / success,failure on the events, the canary's
        // feature_flag_enabled "true") read the simulator's events: 0 on both paths.
        const auto canary = rt.store().latest(QStringLiteral("error_rate"), Series::Canary);
        const auto baseline = rt.store().latest(QStringLiteral("error_rate"), Series::Baseline);
        QVERIFY(canary && baseline);
        QCOMPARE(canary->value, 0.0);
        QCOMPARE(baseline->value, 0.0);

        // The new path crashes: every request on it fails ("service crashes or hangs", a critical
        // threshold). Both Early adopters' own "> 0.5%" and the plan-wide "> 5%" are then shown on
        // the first evaluation, and the plan-wide one, judged first, decides. With the default 8%
        // the phase's own trigger shows first (less evidence needed) and rolls back to Canary;
        // there, judged afresh, the list is reached only if the first fresh evaluation shows
        // "> 5%" as well, before Canary's own "any errors" (> 0%) — a race with the flag service
        // (it did, on 1294 requests still at 25%, in the one run tried): not a test.
        QVERIFY(run.injectFault(QStringLiteral("canary-error-spike@0s*1")));
        const auto steps = run.awaitActionList(*parts, QStringLiteral("error rate critical"), 90000);
        const QList<RolloutEvent>& log = rt.events();
        for (const RolloutEvent& e : log)
            if (e.type == EventType::TriggerFired || e.type == EventType::RolledBack)
                qInfo("  %s", qPrintable(e.describe()));
        QCOMPARE(steps.size(), 3);
        QCOMPARE(steps[0].step, QStringLiteral("1 of 3: rollback_to_zero"));
        QVERIFY2(steps[0].outcome == QLatin1String("verified"), qPrintable(steps[0].detail));
        QCOMPARE(steps[1].outcome, QStringLiteral("done"));
        QCOMPARE(steps[2].outcome, QStringLiteral("done"));
        QCOMPARE(rt.session().currentPhase(), -1);
        const RolloutEvent* rolledBack = last(log, EventType::RolledBack);
        QVERIFY(rolledBack->automatic);
        QCOMPARE(rolledBack->trigger, QStringLiteral("error rate critical"));
        QCOMPARE(rolledBack->toPhase, -1);
        // A separate run of the stand-in's status: every flag off.
        const QJsonObject after = standInStatus();
        for (const char* f : kFlags) {
            QCOMPARE(percentOf(after, f), 0.0);
            QVERIFY(!after.value(QLatin1String(f)).toObject().value(QStringLiteral("enabled")).toBool(true));
        }
        QTRY_COMPARE_WITH_TIMEOUT(run.simulatedShare(), 0.0, 10000);
        // The P0 trigger and the list's P0 escalation paged on call, schema-valid, critical, with
        // the rollout's dedup keys (a phase's P1 trigger may have paged before, at severity error).
        auto critical = [&] {
            QStringList classes;
            for (const QJsonObject& page : pager.accepted) {
                const QJsonObject payload = page.value(QStringLiteral("payload")).toObject();
                if (payload.value(QStringLiteral("severity")) != QLatin1String("critical")) continue;
                if (page.value(QStringLiteral("event_action")) != QLatin1String("trigger") ||
                    !page.value(QStringLiteral("dedup_key"))
                         .toString()
                         .contains(QStringLiteral("reptate-modernization")))
                    continue;
                classes.append(payload.value(QStringLiteral("custom_details"))
                                   .toObject()
                                   .value(QStringLiteral("class"))
                                   .toString());
            }
            classes.sort();
            return classes;
        };
        QTRY_COMPARE_WITH_TIMEOUT(
            critical(), (QStringList{QStringLiteral("escalation"), QStringLiteral("trigger")}), 15000);
        QVERIFY2(pager.rejected.isEmpty(), qPrintable(pager.rejected.join(QLatin1Char('\n'))));
        QTRY_VERIFY_WITH_TIMEOUT(!m_hookBodies.isEmpty(), 15000);
        QCOMPARE(count(log, EventType::Escalated), 1);
        QCOMPARE(last(log, EventType::Escalated)->severity, QStringLiteral("P0"));
        QCOMPARE(count(log, EventType::FlagsNotVerified), 0);
        QVERIFY(last(log, EventType::RolledBack)->automatic);
    }
};

QTEST_GUILESS_MAIN(TestSeed004)
#include "tst_seed004.moc"
