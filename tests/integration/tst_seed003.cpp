// Seed 003, whole: the refactored brain API (resources/plans/modern-brain-api.yaml) rolled out
// through the app's own admin API, as `watch` runs it (RolloutAssembly), compressed in time
// (PlanRehearsal). The real server is the app itself (tests/data/services/brain-app.py): its
// flag and A/B split are the plan's http_admin backend, its dashboard and A/B results the plan's
// json_http sources, its named operations the plan's rollback_actions; its simulated traffic
// follows the flag and the split (the closed loop) on the rehearsal's calendar (--speed = the
// compression factor: its 5m dashboard window is the plan's 5m). Two phases, gates signed by the
// plan's people; then the modern implementation fails, the plan's own trigger rolls back to zero
// and the emergency rollback script runs; the result is read back by the engine and by a
// separate read of the app.
#include "Await.h"
#include "FakeHttpServer.h"
#include "RequireServers.h"
#include "SeedRun.h"
#include "runtime/ActionRunner.h"
#include "runtime/FlagSync.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QStandardPaths>
#include <QTest>

using namespace rollout;
using test::count;
using test::exchange;
using test::last;
using test::SeedRun;

namespace {

const QByteArray kToken = "brain-admin-token-for-the-seed-003-rehearsal";
constexpr double kFactor = 600; // the 2h phases last 12 s

QJsonObject child(const QJsonObject& o, const char* key)
{
    return o.value(QLatin1String(key)).toObject();
}

} // namespace

class TestSeed003 final : public QObject
{
    Q_OBJECT
    std::unique_ptr<test::FakeHttpServer> m_hooks;
    QList<QByteArray> m_hookBodies;

    // One read of the app's admin API as the plan's token holder would do it.
    static QJsonObject adminRead(const SeedRun& run, const QString& path)
    {
        const HttpResponse r = exchange("GET", run.brainUrl() + path, {}, "Bearer " + kToken);
        if (!r.success()) qWarning("GET %s: HTTP %d", qPrintable(path), r.status);
        return QJsonDocument::fromJson(r.body).object();
    }

private Q_SLOTS:
    void initTestCase()
    {
        if (QStandardPaths::findExecutable(QStringLiteral("python3")).isEmpty())
            ROLLOUT_SKIP_OR_FAIL("python3 is not installed: seed 003's app (brain-app.py) cannot run");
        QVERIFY(Ed25519::initialize());
        m_hooks = std::make_unique<test::FakeHttpServer>(
            [this](const QByteArray&, const QByteArray&, const QByteArray& body) {
                m_hookBodies.append(body);
                return test::FakeHttpServer::Reply{200, "ok", {}};
            });
        qputenv("INCIDENT_WEBHOOK_URL", (m_hooks->url() + QStringLiteral("/hook")).toUtf8());
        qputenv("BRAIN_ADMIN_TOKEN", kToken);
    }

    // Initial deployment (0%), then 10% of the traffic on the modern implementation; then it
    // fails 80% of its requests: the error budget (error_rate > 5% for 5m) takes it to zero and
    // emergency-rollback.sh's three calls follow, in order.
    void seed003ModernBrainApi()
    {
        SeedRun run(QStringLiteral("resources/plans/modern-brain-api.yaml"));
        const QString started = run.startBrainApp(kToken, kFactor);
        QVERIFY2(started.isEmpty(), qPrintable(started));
        QVERIFY(run.rewrite("https://api.yourdomain.com", run.brainUrl().toUtf8()));
        QVERIFY(!run.writePlan().isEmpty());
        QString problem;
        auto parts = run.assemble(kFactor, {}, &problem);
        QVERIFY2(parts, qPrintable(problem));
        RolloutRuntime& rt = parts->runtime();
        rt.start(500);

        // Before anything: legacy serves everything, the flag is off.
        QJsonObject state = run.brainState();
        QVERIFY(
            !child(child(state, "flags"), "USE_MODERN_BRAIN_API").value(QStringLiteral("enabled")).toBool());

        run.goThrough(*parts, 2);
        if (QTest::currentTestFailed()) return;
        QCOMPARE(rt.session().currentPhase(), 1);

        // The closed loop: the app says the flag is on and the split is 10% ...
        state = run.brainState();
        QVERIFY(
            child(child(state, "flags"), "USE_MODERN_BRAIN_API").value(QStringLiteral("enabled")).toBool());
        QCOMPARE(child(state, "abTesting").value(QStringLiteral("rolloutPercentage")).toDouble(), 10.0);
        // ... and the modern implementation gets about 10% of the requests, faster than legacy
        // (its own 5m window — half a second at the rehearsal's speed — once it holds no time
        // from before the flag write: 10% of ~60000 requests, ±1.5 points).
        QTRY_VERIFY_WITH_TIMEOUT(std::abs(adminRead(run, QStringLiteral("/api/admin/ab-testing/results"))
                                              .value(QStringLiteral("modernShare"))
                                              .toDouble(-1) -
                                          0.10) < 0.015,
                                 10000);
        const QJsonObject results = adminRead(run, QStringLiteral("/api/admin/ab-testing/results"));
        const QJsonObject modern = child(child(results, "variants"), "modern");
        const QJsonObject legacy = child(child(results, "variants"), "legacy");
        qInfo("at 10%%: modern share %.3f, modern %.0f ms (%d requests), legacy %.0f ms",
              results.value(QStringLiteral("modernShare")).toDouble(),
              modern.value(QStringLiteral("averageResponseTime")).toDouble(),
              modern.value(QStringLiteral("requests")).toInt(),
              legacy.value(QStringLiteral("averageResponseTime")).toDouble());
        QVERIFY(modern.value(QStringLiteral("requests")).toInt() > 0);
        QVERIFY(modern.value(QStringLiteral("averageResponseTime")).toDouble() <
                legacy.value(QStringLiteral("averageResponseTime")).toDouble());
        // The engine reads the same: the modern response time, and legacy's as its baseline.
        QTRY_VERIFY_WITH_TIMEOUT(
            rt.store().latest(QStringLiteral("response_time"), Series::Canary).has_value() &&
                rt.store().latest(QStringLiteral("response_time"), Series::Canary)->value < 950,
            10000);
        QTRY_VERIFY_WITH_TIMEOUT(
            rt.store().latest(QStringLiteral("response_time"), Series::Baseline).has_value() &&
                rt.store().latest(QStringLiteral("response_time"), Series::Baseline)->value > 950,
            10000);
        const QList<RolloutEvent>& events = rt.events();
        // Healthy so far: nothing fired, nobody asked to decide (the 0% phase's missing modern
        // response time was expected and does not count against the 10% phase), not paused.
        for (const RolloutEvent& e : events)
            if (e.type == EventType::AlertRaised || e.type == EventType::Paused)
                qWarning("before the fault: %s", qPrintable(e.describe()));
        QCOMPARE(count(events, EventType::TriggerFired), 0);
        QCOMPARE(count(events, EventType::AlertRaised), 0);
        QCOMPARE(count(events, EventType::Paused), 0);
        QCOMPARE(count(events, EventType::RolledBack), 0);

        // The modern implementation fails 80% of its requests: ~1% + 0.79 × 10% ≈ 8.9% overall.
        const qint64 callsBefore = run.brainState().value(QStringLiteral("calls")).toArray().size();
        const qint64 faultAtMs = QDateTime::currentMSecsSinceEpoch();
        QVERIFY(exchange("POST", run.brainUrl() + QStringLiteral("/-/fault?spec=modern-errors&rate=0.8"))
                    .success());
        const auto steps = run.awaitActionList(*parts, QStringLiteral("error budget"), 60000);
        QCOMPARE(steps.size(), 3);
        QCOMPARE(steps[0].step, QStringLiteral("1 of 3: call admin.emergency-stop"));
        QCOMPARE(steps[1].step, QStringLiteral("2 of 3: call admin.memory/cleanup"));
        QCOMPARE(steps[2].step, QStringLiteral("3 of 3: call admin.alerts/emergency"));
        for (const ActionRunner::StepResult& s : steps) // a call without a check: accepted, nothing to read
            QVERIFY2(s.outcome == QLatin1String("done"),
                     qPrintable(s.step + QStringLiteral(": ") + s.detail));

        // The engine: the error budget fired, automatically, to zero; the flag read back off.
        QCOMPARE(rt.session().currentPhase(), -1);
        // One trigger acted (the soft "success rate below target", 91% < 95% for 15m, may have
        // raised its alert too: a person's to decide, recorded, not acted on).
        QList<const RolloutEvent*> acted;
        for (const RolloutEvent& e : events)
            if (e.type == EventType::TriggerFired && e.action != TriggerAction::Alert)
                acted.append(&e);
            else if (e.type == EventType::AlertRaised)
                qInfo("alert raised too: %s", qPrintable(e.reason));
        QCOMPARE(acted.size(), 1);
        const RolloutEvent* fired = acted.first();
        QCOMPARE(fired->trigger, QStringLiteral("error budget"));
        QVERIFY(fired->action == TriggerAction::RollbackToZero);
        const RolloutEvent* rolled = last(events, EventType::RolledBack);
        QVERIFY(rolled);
        QVERIFY(rolled->automatic);
        QCOMPARE(rolled->trigger, QStringLiteral("error budget"));
        QCOMPARE(rolled->fromPhase, 1);
        QCOMPARE(rolled->toPhase, -1);
        qInfo("error budget fired at error_rate %.4f, %lld ms after the fault; rolled back: %s",
              fired->values.value(QStringLiteral("error_rate")), rolled->atMs - faultAtMs,
              qPrintable(rolled->reason));
        QTRY_VERIFY_WITH_TIMEOUT(rt.flags()->idle(), 30000);
        QVERIFY2(rt.session().flagsApplied(), qPrintable(rt.flags()->lastReport().summary()));
        QVERIFY(last(events, EventType::FlagsVerified)->atMs >= rolled->atMs);
        QCOMPARE(count(events, EventType::FlagsNotVerified), 0);
        QCOMPARE(count(events, EventType::Escalated), 0); // no step failed

        // A separate read of the app: the flag off, no modern traffic; then the three calls of
        // emergency-rollback.sh, in that order, after the rollback's own writes.
        state = run.brainState();
        QVERIFY(
            !child(child(state, "flags"), "USE_MODERN_BRAIN_API").value(QStringLiteral("enabled")).toBool());
        QCOMPARE(child(state, "abTesting").value(QStringLiteral("modernShare")).toDouble(-1), 0.0);
        QCOMPARE(child(state, "abTesting").value(QStringLiteral("rolloutPercentage")).toDouble(-1), 0.0);
        QCOMPARE(child(state, "abTest").value(QStringLiteral("enabled")).toBool(true), false);
        QVERIFY(!child(state, "abTest").value(QStringLiteral("stoppedAt")).isNull());
        QVERIFY2(state.value(QStringLiteral("rejected")).toArray().isEmpty(),
                 QJsonDocument(state.value(QStringLiteral("rejected")).toArray()).toJson().constData());
        QStringList after;
        const QJsonArray calls = state.value(QStringLiteral("calls")).toArray();
        for (qint64 i = callsBefore; i < calls.size(); ++i)
            after.append(calls[i].toObject().value(QStringLiteral("path")).toString());
        qInfo("admin calls after the fault: %s", qPrintable(after.join(QStringLiteral(", "))));
        const QStringList script{QStringLiteral("/api/admin/ab-testing/emergency-stop"),
                                 QStringLiteral("/api/admin/memory/cleanup"),
                                 QStringLiteral("/api/admin/alerts/emergency")};
        const qsizetype stop = after.indexOf(script[0]);
        QVERIFY2(stop >= 0, qPrintable(after.join(QStringLiteral(", "))));
        QVERIFY2(after.indexOf(QStringLiteral("/api/admin/feature-flags/disable")) >= 0 &&
                     after.indexOf(QStringLiteral("/api/admin/feature-flags/disable")) < stop,
                 qPrintable(after.join(QStringLiteral(", "))));
        QCOMPARE(after.mid(stop, 3), script);
        const QJsonArray alerts = state.value(QStringLiteral("alerts")).toArray();
        QCOMPARE(alerts.size(), 1);
        QCOMPARE(alerts[0].toObject().value(QStringLiteral("message")).toString(),
                 QStringLiteral("Brain API rolled back to legacy implementation"));

        // The incident webhook heard of the rollback (rolled_back: sent once the flags read back).
        const auto rollbackText = [this] {
            for (const QByteArray& b : std::as_const(m_hookBodies)) {
                const QString text =
                    QJsonDocument::fromJson(b).object().value(QStringLiteral("text")).toString();
                if (text.contains(QStringLiteral("automatic rollback"))) return text;
            }
            return QString();
        };
        QTRY_VERIFY_WITH_TIMEOUT(!rollbackText().isEmpty(), 15000);
        qInfo("webhook: %s", qPrintable(rollbackText().left(400)));
        QVERIFY(rollbackText().contains(QStringLiteral("modern-brain-api")));
        QVERIFY(rollbackText().contains(QStringLiteral("\"error budget\"")));
    }
};

QTEST_GUILESS_MAIN(TestSeed003)
#include "tst_seed003.moc"
