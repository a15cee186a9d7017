// Action lists run step by step (seeds 002, 003, 004): a rollback or segment step verified by the
// flags' read-back, named admin operations called through the http_admin backend (several per
// backend, one with its body of thresholds and a check read back), a webhook, an escalation.
// Each outcome is recorded; a failed step is escalated, later steps still run unless the step
// says on_failure: stop, and the ones not run are recorded as such.
#include "FakeFlagBackend.h"
#include "FakeHttpServer.h"
#include "PlanFixture.h"
#include "core/Clock.h"
#include "flags/HttpAdminBackend.h"
#include "metrics/TimeSeriesStore.h"
#include "runtime/ActionRunner.h"
#include "runtime/FlagSync.h"

#include <QSignalSpy>
#include <QTest>

using namespace rollout;
using test::FakeFlagBackend;
using Reply = test::FakeHttpServer::Reply;

namespace {

const QByteArray kPlan = R"(
rollout: action-runner
sources: {sim: {type: simulator}}
backends:
  f: {type: flagd_file, path: flags.json}
  admin:
    type: http_admin
    url: ADMIN_URL
    calls:
      set_percentage: {path: /ab/update, body: '{"rolloutPercentage": {percent}}'}
      status: {method: GET, path: /status, percent: /ab/percent}
    operations:
      emergency-stop: {path: /ab/emergency-stop}
      memory/cleanup: {path: /memory/cleanup}
      ab-start: {path: /ab/start, body: '{"maxErrorRate": 0.01}', check: {path: /ab/results, pointer: /running, equals: "true"}}
flags: [{key: feature, backend: f}]
metrics:
  errors: {source: sim, unit: ratio, interval: 1s, simulate: {signal: gauge, mean: 0.001}}
triggers:
  - name: spike
    when: errors > 5%
    for: 2s
    kind: hard
    severity: P0
    actions: STEPS
rollback_actions: [{call: admin.memory/cleanup}]
phases:
  - {name: one, traffic: 10%}
people:
  - {id: rita, roles: [rm]}
notify:
  - {webhook_env: ROLLOUT_TEST_ACTION_HOOK, on: [rolled_back]}
)";

struct Api
{
    bool running = false;
    bool failStop = false;
    QList<QByteArray> calls; // "POST /ab/start {…}"
    test::FakeHttpServer server{
        [this](const QByteArray& method, const QByteArray& path, const QByteArray& body) {
            calls.append(method + ' ' + path + (body.isEmpty() ? QByteArray() : ' ' + body));
            Reply r;
            r.headers.append({QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")});
            if (path == "/ab/emergency-stop" && failStop) {
                r.status = 500;
                r.body = R"({"error":"stop failed"})";
            } else if (path == "/ab/start") {
                running = body.contains("maxErrorRate");
                r.body = "{}";
            } else if (path == "/ab/results") {
                r.body = running ? R"({"running": true})" : R"({"running": false})";
            } else {
                r.body = "{}";
            }
            return r;
        }};
};

struct Harness
{
    Api api;
    ManualClock clock{1'000'000};
    TimeSeriesStore store;
    std::unique_ptr<RolloutSession> session;
    FakeFlagBackend* fake = nullptr;
    std::unique_ptr<FlagSync> sync;
    std::unique_ptr<ActionRunner> runner;
    QList<RolloutEvent> events;

    explicit Harness(const QByteArray& steps)
    {
        QByteArray text = kPlan;
        text.replace("ADMIN_URL", api.server.url().toUtf8());
        text.replace("STEPS", steps);
        session = std::make_unique<RolloutSession>(test::loadPlan(text), store, clock);
        FlagBackendSet set;
        auto b = std::make_unique<FakeFlagBackend>(QStringLiteral("f"));
        fake = b.get();
        fake->setDelayMs(20);
        set.add(std::move(b));
        auto admin = std::make_unique<HttpAdminBackend>(*session->plan().backend(QStringLiteral("admin")));
        admin->setTimeout(2000);
        set.add(std::move(admin));
        set.assign(QStringLiteral("feature"), QStringLiteral("f"));
        sync = std::make_unique<FlagSync>(*session, std::move(set));
        sync->setDeadlineMs(2000);
        runner = std::make_unique<ActionRunner>(*session);
        runner->setFlags(sync.get());
        QObject::connect(session.get(), &RolloutSession::eventRecorded, session.get(),
                         [this](const RolloutEvent& e) { events.append(e); });
        qputenv("ROLLOUT_TEST_ACTION_HOOK", (api.server.url() + QStringLiteral("/hook")).toUtf8());
    }

    // Starts the rollout, waits for its flags, then keeps errors high until the trigger fires.
    bool fire()
    {
        store.append(QStringLiteral("errors"), {}, Sample{clock.nowMs(), 0.001});
        if (!session->advance(Actor{QStringLiteral("rita"), QStringLiteral("rm")}).ok) return false;
        if (!QTest::qWaitFor([this] { return sync->idle() && session->flagsApplied(); }, 5000)) return false;
        for (int i = 0; i < 5; ++i) {
            clock.advanceMs(1000);
            store.append(QStringLiteral("errors"), {}, Sample{clock.nowMs(), 0.5});
            session->evaluate();
        }
        return session->currentPhase() < 0;
    }

    QStringList outcomes() const
    {
        QStringList out;
        for (const RolloutEvent& e : events)
            if (e.type == EventType::ActionStepDone) out.append(e.outcome);
        return out;
    }
    QList<RolloutEvent> of(EventType t) const
    {
        QList<RolloutEvent> out;
        for (const RolloutEvent& e : events)
            if (e.type == t) out.append(e);
        return out;
    }
};

} // namespace

class TestActionRunner final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void everyStepRunsInOrderAndIsVerifiedWhereItCanBe()
    {
        Harness h("[{hold_segment: beta_users}, rollback_to_zero, {call: admin.emergency-stop}, "
                  "{call: admin.ab-start, body: '{\"maxErrorRate\": 0.05}'}, {notify: "
                  "ROLLOUT_TEST_ACTION_HOOK}, {escalate: P1, message: page the on-call}]");
        QSignalSpy lists(h.runner.get(), &ActionRunner::listFinished);
        QVERIFY(h.fire());
        QTRY_COMPARE_WITH_TIMEOUT(lists.count(), 2, 10000);
        // The trigger's own list first, then the plan's rollback_actions its rollback started.
        QCOMPARE(lists.at(0).at(0).toString(), QStringLiteral("spike"));
        QCOMPARE(h.outcomes(),
                 (QStringList{QStringLiteral("verified"), QStringLiteral("verified"), QStringLiteral("done"),
                              QStringLiteral("verified"), QStringLiteral("done"), QStringLiteral("done"),
                              QStringLiteral("done")}));
        const QList<RolloutEvent> steps = h.of(EventType::ActionStepDone);
        QCOMPARE(steps[0].step, QStringLiteral("1 of 6: hold_segment beta_users"));
        QCOMPARE(steps[3].step, QStringLiteral("4 of 6: call admin.ab-start"));
        QVERIFY2(steps[3].reason.contains(QStringLiteral("/running = true")), qPrintable(steps[3].reason));
        QCOMPARE(steps[6].step, QStringLiteral("1 of 1: call admin.memory/cleanup"));
        QVERIFY(steps[0].reason.startsWith(QStringLiteral("read back:")));
        // What the services were asked, in order; the step's body replaced the operation's.
        QCOMPARE(h.api.calls.mid(0, 3),
                 (QList<QByteArray>{"POST /ab/emergency-stop", "POST /ab/start {\"maxErrorRate\": 0.05}",
                                    "GET /ab/results"}));
        QVERIFY2(h.api.calls.value(3).startsWith("POST /hook {\"text\":"), h.api.calls.value(3).constData());
        QVERIFY2(h.api.calls.value(3).contains("spike"), h.api.calls.value(3).constData());
        QVERIFY(h.api.calls.contains("POST /memory/cleanup"));
        // The flags really moved: off, and the segment held off.
        QVERIFY(!h.fake->state(QStringLiteral("feature")).enabled);
        QCOMPARE(h.fake->state(QStringLiteral("feature")).disabledSegments,
                 QStringList{QStringLiteral("beta_users")});
        // Nothing failed: the one escalation is the plan's own, at its severity, with its message.
        const QList<RolloutEvent> esc = h.of(EventType::Escalated);
        QCOMPARE(esc.size(), 1);
        QCOMPARE(esc[0].severity, QStringLiteral("P1"));
        QCOMPARE(esc[0].reason, QStringLiteral("page the on-call"));
        QCOMPARE(h.runner->current().size(), 1); // the last list run: rollback_actions
    }

    void aFailedStepIsEscalatedAndTheRestStillRunUnlessItSaysStop()
    {
        Harness h(
            "[rollback_to_zero, {call: admin.ab-start, body: '{}'}, {notify: ROLLOUT_TEST_ACTION_HOOK}, "
            "{call: admin.emergency-stop, on_failure: stop}, {escalate: P1}]");
        h.api.failStop = true;
        QSignalSpy lists(h.runner.get(), &ActionRunner::listFinished);
        QVERIFY(h.fire());
        QTRY_COMPARE_WITH_TIMEOUT(lists.count(), 2, 10000);
        // ab-start was accepted but its check reads back running = false: failed, not done.
        QCOMPARE(h.outcomes().mid(0, 5),
                 (QStringList{QStringLiteral("verified"), QStringLiteral("failed"), QStringLiteral("done"),
                              QStringLiteral("failed"), QStringLiteral("not run")}));
        const QList<RolloutEvent> steps = h.of(EventType::ActionStepDone);
        QVERIFY2(steps[1].reason.contains(QStringLiteral("read-back says /running = false")),
                 qPrintable(steps[1].reason));
        QVERIFY2(steps[3].reason.contains(QStringLiteral("HTTP 500")), qPrintable(steps[3].reason));
        QVERIFY2(steps[4].reason.contains(QStringLiteral("on_failure: stop")), qPrintable(steps[4].reason));
        // Two failures, two escalations at the trigger's severity; the escalate step never ran.
        const QList<RolloutEvent> esc = h.of(EventType::Escalated);
        QCOMPARE(esc.size(), 2);
        QCOMPARE(esc[0].severity, QStringLiteral("P0"));
        QVERIFY2(esc[0].reason.contains(QStringLiteral("2 of 5: call admin.ab-start")),
                 qPrintable(esc[0].reason));
        QVERIFY2(esc[1].reason.contains(QStringLiteral("4 of 5: call admin.emergency-stop")),
                 qPrintable(esc[1].reason));
        // The rollback's own list still ran after the trigger's stopped.
        QCOMPARE(h.outcomes().last(), QStringLiteral("done"));
    }

    void aWebhookThatIsNotSetFailsLoudly()
    {
        Harness h("[rollback, {notify: ROLLOUT_TEST_ACTION_HOOK}]");
        qunsetenv("ROLLOUT_TEST_ACTION_HOOK");
        QSignalSpy lists(h.runner.get(), &ActionRunner::listFinished);
        QVERIFY(h.fire());
        QTRY_COMPARE_WITH_TIMEOUT(lists.count(), 2, 10000);
        const QList<RolloutEvent> steps = h.of(EventType::ActionStepDone);
        QCOMPARE(steps[1].outcome, QStringLiteral("failed"));
        QVERIFY2(steps[1].reason.contains(QStringLiteral("ROLLOUT_TEST_ACTION_HOOK is not set")),
                 qPrintable(steps[1].reason));
        QCOMPARE(h.of(EventType::Escalated).size(), 1);
    }

    // Seed 003's emergency-rollback.sh: the flag off first, then the A/B test's emergency stop and
    // the rest. The plan's rollback_actions (no rollback step of their own) wait for the
    // rollback's write and read-back before their first call.
    void theRollbackActionsRunOnceTheRollbacksFlagsReadBack()
    {
        Harness h("[rollback_to_zero]");
        QSignalSpy lists(h.runner.get(), &ActionRunner::listFinished);
        QObject::connect(h.sync.get(), &FlagSync::operationFinished, h.sync.get(),
                         [&h](const QString& why, const FlagChangeReport& report) {
                             h.api.calls.append("flags " + why.toUtf8() +
                                                (report.allVerified() ? " verified" : " not verified"));
                         });
        const Actor rita{QStringLiteral("rita"), QStringLiteral("rm")};
        QVERIFY(h.session->advance(rita).ok);
        QTRY_VERIFY_WITH_TIMEOUT(h.sync->idle() && h.session->flagsApplied(), 5000);
        h.fake->setDelayMs(300); // a slow flag service: the rollback's write and read-back take 600 ms
        QVERIFY(h.session->rollback(rita, QStringLiteral("by hand"), true).ok);
        QTRY_COMPARE_WITH_TIMEOUT(lists.count(), 1, 10000);
        QCOMPARE(lists.at(0).at(0).toString(), QStringLiteral("rollback"));
        QCOMPARE(h.api.calls.count("POST /memory/cleanup"), 1);
        const qsizetype off = h.api.calls.indexOf("flags rollback to zero verified");
        QVERIFY2(off >= 0 && off < h.api.calls.indexOf("POST /memory/cleanup"),
                 h.api.calls.join(", ").constData());
        QCOMPARE(h.outcomes(), QStringList{QStringLiteral("done")});
    }

    void aRollbackStepWhoseFlagsDoNotMoveFails()
    {
        Harness h("[rollback_to_zero, {escalate: P2}]");
        QSignalSpy lists(h.runner.get(), &ActionRunner::listFinished);
        h.sync->setDeadlineMs(300);
        QVERIFY(h.session->advance(Actor{QStringLiteral("rita"), QStringLiteral("rm")}).ok);
        QTRY_VERIFY_WITH_TIMEOUT(h.sync->idle() && h.session->flagsApplied(), 5000);
        h.fake->script(QStringLiteral("feature"), {FakeFlagBackend::Fault::Permanent});
        for (int i = 0; i < 5; ++i) {
            h.clock.advanceMs(1000);
            h.store.append(QStringLiteral("errors"), {}, Sample{h.clock.nowMs(), 0.5});
            h.session->evaluate();
        }
        QTRY_COMPARE_WITH_TIMEOUT(lists.count(), 2, 10000);
        QCOMPARE(h.outcomes().mid(0, 2), (QStringList{QStringLiteral("failed"), QStringLiteral("done")}));
        QVERIFY2(h.of(EventType::ActionStepDone)[0].reason.contains(QStringLiteral("did not read back")),
                 qPrintable(h.of(EventType::ActionStepDone)[0].reason));
    }
};

QTEST_GUILESS_MAIN(TestActionRunner)
#include "tst_actionrunner.moc"
