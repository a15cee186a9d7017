// The seeds, whole: each of the five users' plans (resources/plans, from ../shared/seeds) and the
// Argo-style one, run end to end against the real servers it names, as `watch` runs it
// (RolloutAssembly), compressed in time (PlanRehearsal) so that phases written in days last seconds.
// - Prometheus fed by the simulator: one simulated service per seed, whose canary share follows
//   the plan's own flag service (the closed loop: `simulate --share-from-plan`), scraped by the
//   test Prometheus; tests/data/seeds/<prefix>.rules.yml turn its series into the ones the plan's
//   queries read, so the queries run unchanged.
// - The flag service the plan names: Unleash, a flagd file, the app's HTTP admin API
//   (tests/data/services/brain-app.py) or a command (the kubectl and RepTate stand-ins).
// - The pager receiver (PagerDuty Events v2 schema) and a webhook receiver.
// Each goes through at least two phases — its gates signed by the plan's people — then the
// simulator's canary fails and the plan's own trigger rolls back with its own action list; the
// result is read back, by the engine and by a separate read of the service.
#include "Await.h"
#include "FakeHttpServer.h"
#include "PagerDutyReceiver.h"
#include "RequireServers.h"
#include "SeedRun.h"
#include "flags/FlagdDocument.h"
#include "flags/UnleashFeature.h"
#include "runtime/ActionRunner.h"
#include "runtime/FlagSync.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace rollout;
using test::count;
using test::exchange;
using test::last;
using test::SeedRun;

namespace {

// Every webhook variable the plans name: all point at one receiver.
const char* const kWebhookEnvs[] = {"CRITICAL_ALERTS_WEBHOOK_URL", "ENGINEERING_WEBHOOK_URL",
                                    "ONCALL_WEBHOOK_URL",          "ROLLOUT_WEBHOOK_URL",
                                    "INCIDENT_WEBHOOK_URL",        "DISCORD_OPS_WEBHOOK_URL"};
const QByteArray kRoutingKey = "0123456789abcdef0123456789abcdef"; // 32 characters, as PagerDuty's

} // namespace

class TestSeeds final : public QObject
{
    Q_OBJECT
    QString m_prom, m_unleash;
    QByteArray m_admin;
    std::unique_ptr<test::FakeHttpServer> m_hooks;
    QList<QByteArray> m_hookBodies;

    UnleashFeature unleashRead(const QString& key, const QString& env)
    {
        const HttpResponse r = exchange(
            "GET", m_unleash + QStringLiteral("/api/admin/projects/default/features/") + key, {}, m_admin);
        QString problem;
        const auto f = UnleashFeature::parse(r.body, env, &problem);
        if (!f) qWarning("admin read of %s: %s", qPrintable(key), qPrintable(problem));
        return f.value_or(UnleashFeature{});
    }

    bool unleashCreate(const QString& key)
    {
        const HttpResponse r =
            exchange("POST", m_unleash + QStringLiteral("/api/admin/projects/default/features"),
                     QStringLiteral("{\"name\":\"%1\",\"type\":\"release\"}").arg(key).toUtf8(), m_admin);
        return r.status == 201 || r.status == 200 || r.status == 409;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_prom = qEnvironmentVariable("ROLLOUT_PROMETHEUS_URL");
        m_unleash = qEnvironmentVariable("ROLLOUT_UNLEASH_URL");
        m_admin = qgetenv("ROLLOUT_UNLEASH_ADMIN_TOKEN");
        if (m_prom.isEmpty() || m_unleash.isEmpty() || m_admin.isEmpty() ||
            qEnvironmentVariableIsEmpty("ROLLOUT_SEED_TARGETS_DIR"))
            ROLLOUT_SKIP_OR_FAIL(
                "run through scripts/test.sh: the Prometheus and Unleash variables are unset");
        QVERIFY(Ed25519::initialize());
        m_hooks = std::make_unique<test::FakeHttpServer>(
            [this](const QByteArray&, const QByteArray&, const QByteArray& body) {
                m_hookBodies.append(body);
                return test::FakeHttpServer::Reply{200, "ok", {}};
            });
        for (const char* name : kWebhookEnvs)
            qputenv(name, (m_hooks->url() + QStringLiteral("/hook")).toUtf8());
        qputenv("PROM_TOKEN", "unused-by-the-test-prometheus");
        qputenv("UNLEASH_ADMIN_TOKEN", m_admin);
        qputenv("PD_ROUTING_KEY", kRoutingKey);
    }

    void init() { m_hookBodies.clear(); }

    // Seed 002: shadow phase, then beta users; Unleash with per-environment flag sets; the error
    // spike's action list: everything off, the critical webhook, a P0 page.
    void seed002ProtocolAgnosticChat()
    {
        SeedRun run(QStringLiteral("resources/plans/protocol-agnostic-chat.yaml"));
        QVERIFY(run.rewrite("url: http://127.0.0.1:9090", "url: " + m_prom.toUtf8()));
        QVERIFY(run.rewrite("url: http://127.0.0.1:4242", "url: " + m_unleash.toUtf8()));
        QVERIFY(run.rewrite("project: chat", "project: default")); // Unleash OSS has one project
        // ... and two environments (more are an Enterprise feature): the staging set is left out
        // here; development's is written and read back (tst_actionsunleash covers the same).
        QVERIFY(run.rewrite("environments: [production, staging, development]",
                            "environments: [production, development]"));
        QVERIFY(run.rewrite(", staging: on}", "}"));
        QVERIFY(run.rewrite(", staging: off}", "}"));
        const QString plan = run.writePlan();
        for (const char* f :
             {"useNewArchitecture", "enableShadowLogging", "shadowProcessingEnabled", "performanceMonitoring",
              "enableAGUIEvents", "enableVerboseLogging", "enableExperimentalFeatures"})
            QVERIFY2(unleashCreate(QString::fromLatin1(f)), f);
        const QString started =
            run.startSimulator(QStringLiteral("seed_chat"),
                               {QStringLiteral("--share-from-plan"), plan, QStringLiteral("--flag"),
                                QStringLiteral("useNewArchitecture"), QStringLiteral("--shadow-flag"),
                                QStringLiteral("shadowProcessingEnabled"), QStringLiteral("--share"),
                                QStringLiteral("0"), QStringLiteral("--rps"), QStringLiteral("3000")});
        QVERIFY2(started.isEmpty(), qPrintable(started));
        test::PagerDutyReceiver pager;
        QString problem;
        auto parts = run.assemble(40000, pager.url(), &problem); // 7d → 15 s
        QVERIFY2(parts, qPrintable(problem));
        RolloutRuntime& rt = parts->runtime();
        rt.start(500);

        run.goThrough(*parts, 2);
        if (QTest::currentTestFailed()) return;
        // The closed loop: Unleash says 5%, the service gives the new path 5%.
        QTRY_COMPARE_WITH_TIMEOUT(run.simulatedShare(), 5.0, 10000);
        // The fixed per-environment sets were written and read back at the start.
        QVERIFY(unleashRead(QStringLiteral("useNewArchitecture"), QStringLiteral("development")).enabled);
        QVERIFY(
            unleashRead(QStringLiteral("enableExperimentalFeatures"), QStringLiteral("development")).enabled);
        QVERIFY(
            !unleashRead(QStringLiteral("enableExperimentalFeatures"), QStringLiteral("production")).enabled);
        UnleashFeature beta = unleashRead(QStringLiteral("useNewArchitecture"), QStringLiteral("production"));
        QVERIFY(beta.enabled);
        QCOMPARE(beta.rollout, 5.0);
        QCOMPARE(beta.audience, (QStringList{QStringLiteral("beta_users"), QStringLiteral("internal_team")}));

        // The canary fails. The beta phase's own trigger holds beta_users off first (a partial
        // rollback, read back on every flag); the plan-wide "error rate spike" then takes
        // everything off with its action list.
        QVERIFY(run.injectFault(QStringLiteral("canary-error-spike@0s")));
        const auto steps = run.awaitActionList(*parts, QStringLiteral("error rate spike"), 90000);
        const QList<RolloutEvent>& events = rt.events();
        for (const RolloutEvent& e : events)
            if (e.type == EventType::ActionStepDone && e.trigger == QLatin1String("beta segment errors"))
                QVERIFY2(e.outcome != QLatin1String("failed"),
                         qPrintable(e.step + QStringLiteral(": ") + e.reason));
        QCOMPARE(steps.size(), 3);
        QCOMPARE(steps[0].step, QStringLiteral("1 of 3: rollback_to_zero"));
        QVERIFY2(steps[0].outcome == QLatin1String("verified"), qPrintable(steps[0].detail));
        QCOMPARE(steps[1].outcome, QStringLiteral("done"));
        QCOMPARE(steps[2].outcome, QStringLiteral("done"));
        QCOMPARE(rt.session().currentPhase(), -1);
        // A separate read of Unleash: the new architecture is off; the service follows.
        QVERIFY(!unleashRead(QStringLiteral("useNewArchitecture"), QStringLiteral("production")).enabled);
        QTRY_COMPARE_WITH_TIMEOUT(run.simulatedShare(), 0.0, 10000);
        // The P0 page reached the receiver, schema-valid, with the rollout's dedup key.
        QTRY_VERIFY_WITH_TIMEOUT(!pager.accepted.isEmpty(), 15000);
        QVERIFY2(pager.rejected.isEmpty(), qPrintable(pager.rejected.join(QLatin1Char('\n'))));
        const QJsonObject page = pager.accepted.first();
        QCOMPARE(page.value(QStringLiteral("event_action")).toString(), QStringLiteral("trigger"));
        QCOMPARE(
            page.value(QStringLiteral("payload")).toObject().value(QStringLiteral("severity")).toString(),
            QStringLiteral("critical"));
        QVERIFY(page.value(QStringLiteral("dedup_key"))
                    .toString()
                    .contains(QStringLiteral("protocol-agnostic-chat")));
        QTRY_VERIFY_WITH_TIMEOUT(!m_hookBodies.isEmpty(), 15000);
        // One escalation, the list's own (no step failed, no rollback went unverified).
        QCOMPARE(count(events, EventType::Escalated), 1);
        QCOMPARE(last(events, EventType::Escalated)->severity, QStringLiteral("P0"));
        QCOMPARE(count(events, EventType::FlagsNotVerified), 0);
        QVERIFY(last(events, EventType::RolledBack)->automatic);
    }

    // The Argo-style plan: a flagd file; 20% waits for a person (Argo's `pause: {}`), its analysis
    // three measurements; 40% promotes itself after its pause; the background analysis (more than
    // three failed measurements) aborts to zero.
    void argoStyleCanary()
    {
        SeedRun run(QStringLiteral("resources/plans/argo-style-canary.yaml"));
        QVERIFY(run.rewrite("url: http://127.0.0.1:9090", "url: " + m_prom.toUtf8()));
        const QString flagd = run.path(QStringLiteral("guestbook.flagd.json"));
        QVERIFY(run.rewrite("path: /etc/flagd/guestbook.flagd.json", "path: " + flagd.toUtf8()));
        const QString plan = run.writePlan();
        const QString started =
            run.startSimulator(QStringLiteral("seed_argo"),
                               {QStringLiteral("--share-from-plan"), plan, QStringLiteral("--flag"),
                                QStringLiteral("guestbook_v2"), QStringLiteral("--share"),
                                QStringLiteral("0"), QStringLiteral("--rps"), QStringLiteral("2000")});
        QVERIFY2(started.isEmpty(), qPrintable(started));
        QString problem;
        auto parts = run.assemble(100, {}, &problem); // 5m measurements every 3 s, 10m pauses of 6 s
        QVERIFY2(parts, qPrintable(problem));
        RolloutRuntime& rt = parts->runtime();
        RolloutSession& s = rt.session();
        rt.start(500);

        run.goThrough(*parts, 2);
        if (QTest::currentTestFailed()) return;
        // 40% promotes itself once its pause is over and its gate is green: 60%, flagd says so, and
        // the service follows.
        QTRY_COMPARE_WITH_TIMEOUT(s.currentPhase(), 2, 60000);
        QTRY_VERIFY_WITH_TIMEOUT(s.flagsApplied() && rt.flags()->idle(), 30000);
        QCOMPARE(last(rt.events(), EventType::PhaseAdvanced)->actor, QStringLiteral("automation"));
        QTRY_COMPARE_WITH_TIMEOUT(run.simulatedShare(), 60.0, 10000);

        QVERIFY(run.injectFault(QStringLiteral("canary-error-spike@0s")));
        QElapsedTimer t;
        t.start();
        QTRY_COMPARE_WITH_TIMEOUT(s.currentPhase(), -1, 120000);
        const RolloutEvent* back = last(rt.events(), EventType::RolledBack);
        QVERIFY(back && back->automatic);
        QCOMPARE(back->trigger, QStringLiteral("success-rate"));
        QTRY_VERIFY_WITH_TIMEOUT(s.flagsApplied() && rt.flags()->idle(), 30000);
        QVERIFY2(rt.flags()->lastReport().allVerified(), qPrintable(rt.flags()->lastReport().summary()));
        qInfo("the analysis aborted to zero %lld ms after the fault: %s", t.elapsed(),
              qPrintable(back->reason));
        // A separate read of the flagd file: the canary is off; the service follows.
        QFile f(flagd);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const auto state = FlagdDocument::readFlag(f.readAll(), QStringLiteral("guestbook_v2"));
        QVERIFY(state.value);
        QVERIFY(!state.value->enabled);
        QTRY_COMPARE_WITH_TIMEOUT(run.simulatedShare(), 0.0, 10000);
    }

    // Seed 000: the ConfigMap patched by kubectl (a command backend; argument vectors, no shell),
    // internal canary then early adopters; the canary's errors roll back to the previous phase
    // (`error rate critical`, or `availability < 99% over 15m`, whichever shows first), and since
    // the code still fails there, to nobody.
    void seed000BoundedContextReasoning()
    {
        SeedRun run(QStringLiteral("resources/plans/bounded-context-reasoning.yaml"));
        QVERIFY(run.rewrite("url: http://127.0.0.1:9090", "url: " + m_prom.toUtf8()));
        const QString plan = run.writePlan();
        // kubectl is the stand-in (tests/data/commands/kubectl-standin), found on PATH as the real one
        // would be; the ConfigMap exists with the feature off, as the seed's deployment leaves it.
        const QString cms = run.path(QStringLiteral("configmaps"));
        QVERIFY(QDir().mkpath(cms));
        QFile cm(cms + QStringLiteral("/agentcore-config.json"));
        QVERIFY(cm.open(QIODevice::WriteOnly));
        cm.write(R"({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "agentcore-config"},
                    "data": {"ENABLE_BOUNDED_REASONING": "false", "BOUNDED_REASONING_ROLLOUT_PCT": "0"}})");
        cm.close();
        qputenv("FAKE_KUBECTL_DIR", cms.toUtf8());
        qputenv("PATH",
                QByteArray(ROLLOUT_SOURCE_DIR "/tests/data/commands/kubectl-standin:") + qgetenv("PATH"));
        const QString started =
            run.startSimulator(QStringLiteral("seed_bcr"),
                               {QStringLiteral("--share-from-plan"), plan, QStringLiteral("--flag"),
                                QStringLiteral("bounded_reasoning"), QStringLiteral("--share"),
                                QStringLiteral("0"), QStringLiteral("--rps"), QStringLiteral("3000")});
        QVERIFY2(started.isEmpty(), qPrintable(started));
        QString problem;
        auto parts = run.assemble(8640, {}, &problem); // 24h → 10 s
        QVERIFY2(parts, qPrintable(problem));
        RolloutRuntime& rt = parts->runtime();
        RolloutSession& s = rt.session();
        rt.start(500);

        run.goThrough(*parts, 2);
        if (QTest::currentTestFailed()) return;
        QTRY_COMPARE_WITH_TIMEOUT(run.simulatedShare(), 10.0, 10000);
        QCOMPARE(configMap(cms).value(QStringLiteral("BOUNDED_REASONING_ROLLOUT_PCT")).toString(),
                 QStringLiteral("10"));

        QVERIFY(run.injectFault(QStringLiteral("canary-error-spike@0s")));
        QElapsedTimer t;
        t.start();
        // Back to the internal canary first; the new code still fails there, at 1%: back again, to
        // nobody. Each rollback is read back from the ConfigMap.
        QTRY_VERIFY_WITH_TIMEOUT(count(rt.events(), EventType::RolledBack) >= 1, 120000);
        const qint64 firstMs = t.elapsed();
        const RolloutEvent* first = nullptr;
        for (const RolloutEvent& e : rt.events())
            if (!first && e.type == EventType::RolledBack) first = &e;
        QVERIFY(first->automatic);
        QCOMPARE(first->fromPhase, 1);
        QCOMPARE(first->toPhase, 0);
        QVERIFY2(first->trigger == QLatin1String("error rate critical") ||
                     first->trigger == QLatin1String("availability"),
                 qPrintable(first->trigger));
        qInfo("\"%s\" rolled back to the internal canary %lld ms after the fault: %s",
              qPrintable(first->trigger), firstMs, qPrintable(first->reason));
        QTRY_COMPARE_WITH_TIMEOUT(s.currentPhase(), -1, 120000);
        qInfo("and to nobody %lld ms after the fault: %s", t.elapsed(),
              qPrintable(last(rt.events(), EventType::RolledBack)->reason));
        QTRY_VERIFY_WITH_TIMEOUT(s.flagsApplied() && rt.flags()->idle(), 60000);
        QVERIFY2(rt.flags()->lastReport().allVerified(), qPrintable(rt.flags()->lastReport().summary()));
        QCOMPARE(count(rt.events(), EventType::FlagsNotVerified), 0);
        // A separate read of the ConfigMap: the feature is off; the service follows.
        QCOMPARE(configMap(cms).value(QStringLiteral("ENABLE_BOUNDED_REASONING")).toString(),
                 QStringLiteral("false"));
        QTRY_COMPARE_WITH_TIMEOUT(run.simulatedShare(), 0.0, 10000);
        qputenv("PATH", qgetenv("PATH").mid(
                            int(qstrlen(ROLLOUT_SOURCE_DIR "/tests/data/commands/kubectl-standin:"))));
    }

    // Seed 001: infrastructure (nobody, dry run), then the admin canary — ux_updates on for admins,
    // llm_parsing off; "5+ successful flows" counted by the engine since the phase started. The new
    // code fails for the admins: the canary's own trigger rolls back to the infrastructure phase,
    // and Unleash reads back the UX updates off.
    void seed001UxAgentCanary()
    {
        SeedRun run(QStringLiteral("resources/plans/ux-agent-canary.yaml"));
        QVERIFY(run.rewrite("url: http://127.0.0.1:9090", "url: " + m_prom.toUtf8()));
        QVERIFY(run.rewrite("url: http://127.0.0.1:4242", "url: " + m_unleash.toUtf8()));
        const QString plan = run.writePlan();
        for (const char* f : {"ux_updates", "llm_parsing"})
            QVERIFY2(unleashCreate(QString::fromLatin1(f)), f);
        // A healthy Lambda has no errors at all: the plan asks for exactly 0% in its first phases.
        // The admins make 2% of the invocations (the phase's traffic): ux_updates on for role admin
        // reaches that much.
        const QString started = run.startSimulator(
            QStringLiteral("seed_ux"),
            {QStringLiteral("--share-from-plan"), plan, QStringLiteral("--flag"),
             QStringLiteral("ux_updates"), QStringLiteral("--audience-share"), QStringLiteral("2"),
             QStringLiteral("--share"), QStringLiteral("0"), QStringLiteral("--rps"), QStringLiteral("3000"),
             QStringLiteral("--error-ratio"), QStringLiteral("0")});
        QVERIFY2(started.isEmpty(), qPrintable(started));
        QString problem;
        auto parts = run.assemble(11520, {}, &problem); // 48h → 15 s
        QVERIFY2(parts, qPrintable(problem));
        RolloutRuntime& rt = parts->runtime();
        RolloutSession& s = rt.session();
        rt.start(500);

        run.goThrough(*parts, 2);
        if (QTest::currentTestFailed()) return;
        QTRY_COMPARE_WITH_TIMEOUT(run.simulatedShare(), 2.0, 10000);
        UnleashFeature ux = unleashRead(QStringLiteral("ux_updates"), QStringLiteral("production"));
        QVERIFY(ux.enabled);
        QCOMPARE(ux.audienceContext, QStringLiteral("role"));
        QCOMPARE(ux.audience, QStringList{QStringLiteral("admin")});
        QVERIFY(!unleashRead(QStringLiteral("llm_parsing"), QStringLiteral("production")).enabled);

        // 90% of the admins' requests fail: 1.8% of all invocations, above the canary's 1%.
        QVERIFY(run.injectFault(QStringLiteral("canary-error-spike@0s*0.9")));
        QElapsedTimer t;
        t.start();
        QTRY_VERIFY_WITH_TIMEOUT(count(rt.events(), EventType::RolledBack) >= 1, 120000);
        const RolloutEvent* back = nullptr;
        for (const RolloutEvent& e : rt.events())
            if (!back && e.type == EventType::RolledBack) back = &e;
        QVERIFY(back->automatic);
        QCOMPARE(back->trigger, QStringLiteral("admin canary errors"));
        QCOMPARE(back->fromPhase, 1);
        QCOMPARE(back->toPhase, 0);
        qInfo("\"%s\" rolled back to the infrastructure phase %lld ms after the fault: %s",
              qPrintable(back->trigger), t.elapsed(), qPrintable(back->reason));
        QTRY_VERIFY_WITH_TIMEOUT(s.flagsApplied() && rt.flags()->idle(), 30000);
        QVERIFY2(rt.flags()->lastReport().allVerified(), qPrintable(rt.flags()->lastReport().summary()));
        // The admins' requests still in flight when the flag went off may fail after the rollback:
        // the infrastructure phase's "any lambda errors" (> 0%) then takes it to zero. Either way
        // nobody has the UX updates.
        QVERIFY(s.currentPhase() <= 0);
        if (s.currentPhase() < 0)
            qInfo("then: %s", qPrintable(last(rt.events(), EventType::RolledBack)->reason));
        QVERIFY(!unleashRead(QStringLiteral("ux_updates"), QStringLiteral("production")).enabled);
        QTRY_COMPARE_WITH_TIMEOUT(run.simulatedShare(), 0.0, 10000);
    }

private:
    static QJsonObject configMap(const QString& dir)
    {
        QFile f(dir + QStringLiteral("/agentcore-config.json"));
        if (!f.open(QIODevice::ReadOnly)) return {};
        return QJsonDocument::fromJson(f.readAll()).object().value(QStringLiteral("data")).toObject();
    }
};

QTEST_GUILESS_MAIN(TestSeeds)
#include "tst_seeds.moc"
