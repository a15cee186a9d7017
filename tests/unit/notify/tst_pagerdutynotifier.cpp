// Escalation to PagerDuty (Events API v2) against a local receiver that checks the documented
// request schema and answers 202, 400 and 429: a P0 trigger pages, its alert's acknowledgement
// acknowledges, an advance resolves; an unverified rollback pages (critical) and resolves once
// the flags read back; one dedup_key per rollout and trigger; 429 retried with backoff, 400
// reported with the API's errors; the routing key never in a message; the plan's `pager` keys.
#include "FakeFlagBackend.h"
#include "PagerDutyReceiver.h"
#include "PlanFixture.h"
#include "core/Clock.h"
#include "metrics/TimeSeriesStore.h"
#include "notify/PagerDutyNotifier.h"
#include "runtime/FlagSync.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace rollout;
using test::PagerDutyReceiver;

namespace {

const QByteArray kKey = "0123456789abcdef0123456789abcdef"; // 32 characters, like an integration key
const Actor kRm{QStringLiteral("rm"), QStringLiteral("rm")};

QByteArray planFor(const QString& url, const QByteArray& pagerExtra = {})
{
    return R"(
rollout: pager-test
environment: production
sources: {sim: {type: simulator}}
backends: {f: {type: flagd_file, path: flags.json}}
flags: [{key: checkout, backend: f}]
metrics:
  error_rate: {source: sim, unit: ratio, interval: 1s, simulate: {signal: error_ratio}}
triggers:
  - {name: error rate critical, when: error_rate > 5%, for: 1m, kind: hard, action: rollback_to_zero, severity: P0}
  - {name: latency high, when: error_rate > 4%, for: 1m, kind: soft, severity: P1}
  - {name: error rate elevated, when: error_rate > 1%, for: 1m, kind: soft, severity: P2}
phases:
  - {name: canary, traffic: 1%}
  - {name: all, traffic: 100%}
pager: {type: pagerduty, routing_key_env: ROLLOUT_TEST_PD_KEY, url: ")" +
           url.toUtf8() + "\"" + pagerExtra + "}\n";
}

PagerDutyNotifier::Options fast()
{
    PagerDutyNotifier::Options o;
    o.firstBackoffMs = 20;
    o.maxBackoffMs = 200;
    o.requestTimeoutMs = 2000;
    return o;
}

RolloutEvent fired(const QString& trigger, int phase = 0)
{
    RolloutEvent e;
    e.type = EventType::TriggerFired;
    e.atMs = 1'700'000'000'000;
    e.fromPhase = e.toPhase = phase;
    e.trigger = trigger;
    e.automatic = true;
    e.reason = trigger + QStringLiteral(": error_rate = 8%, held 1m");
    e.values.insert(QStringLiteral("error_rate"), 0.08);
    return e;
}

RolloutEvent simple(EventType type, const QString& trigger = {})
{
    RolloutEvent e;
    e.type = type;
    e.atMs = 1'700'000'100'000;
    e.trigger = trigger;
    e.reason = QStringLiteral("1 of 1 flag(s) NOT verified: checkout still 1%");
    return e;
}

struct Rig
{
    PagerDutyReceiver rx;
    Plan plan;
    ManualClock clock{1'000'000};
    TimeSeriesStore store;
    std::unique_ptr<RolloutSession> session;
    std::unique_ptr<PagerDutyNotifier> pager;

    explicit Rig(const QByteArray& pagerExtra = {}, const QString& statePath = {})
    {
        qputenv("ROLLOUT_TEST_PD_KEY", kKey);
        plan = test::loadPlan(planFor(rx.url(), pagerExtra));
        session = std::make_unique<RolloutSession>(plan, store, clock);
        PagerDutyNotifier::Options o = fast();
        o.statePath = statePath;
        pager = std::make_unique<PagerDutyNotifier>(plan, *session, o);
    }
    void emitEvent(const RolloutEvent& e) { Q_EMIT session->eventRecorded(e); }
};

} // namespace

class TestPagerDutyNotifier final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void theRequestBodyFollowsTheSchema()
    {
        PagerDutyNotifier::Event e;
        e.action = QStringLiteral("trigger");
        e.dedupKey = QStringLiteral("rollout-console/x/trigger/t");
        e.summary = QString(2000, QLatin1Char('s'));
        e.severity = QStringLiteral("critical");
        e.source = QStringLiteral("rollout-console x (production)");
        e.atMs = 1'700'000'000'123;
        e.details = QJsonObject{{QStringLiteral("rollout"), QStringLiteral("x")}};
        const QByteArray body = PagerDutyNotifier::body(QString::fromLatin1(kKey), e);
        QCOMPARE(PagerDutyReceiver::schemaErrors(body), QStringList());
        const QJsonObject o = QJsonDocument::fromJson(body).object();
        QCOMPARE(
            o.value(QStringLiteral("payload")).toObject().value(QStringLiteral("summary")).toString().size(),
            1024);
        QCOMPARE(o.value(QStringLiteral("payload")).toObject().value(QStringLiteral("timestamp")).toString(),
                 QStringLiteral("2023-11-14T22:13:20.123Z"));
        PagerDutyNotifier::Event r{QStringLiteral("resolve"), e.dedupKey, {}, {}, {}, 0, {}};
        const QJsonObject resolve =
            QJsonDocument::fromJson(PagerDutyNotifier::body(QString::fromLatin1(kKey), r)).object();
        QCOMPARE(resolve.keys(), (QStringList{QStringLiteral("dedup_key"), QStringLiteral("event_action"),
                                              QStringLiteral("routing_key")}));
        // The receiver's own checks bite: these are what a 400 would list.
        QVERIFY(
            PagerDutyReceiver::schemaErrors(
                R"({"routing_key":"short","event_action":"trigger","payload":{"summary":"s","source":"x","severity":"fatal"}})")
                .contains(QStringLiteral(
                    "'payload.severity' is invalid (must be one of critical, error, warning, info)")));
        QVERIFY(PagerDutyReceiver::schemaErrors(
                    R"({"routing_key":"0123456789abcdef0123456789abcdef","event_action":"resolve"})")
                    .contains(QStringLiteral("'dedup_key' is required to resolve")));
        QCOMPARE(PagerDutyNotifier::severityFor(QStringLiteral("P0")), QStringLiteral("critical"));
        QCOMPARE(PagerDutyNotifier::severityFor(QStringLiteral("P1")), QStringLiteral("error"));
    }

    // A P0 trigger pages; acknowledging its alert acknowledges; the rollout advancing resolves.
    // A P2 trigger does not page, and a dry run never does.
    void aP0TriggerPagesAndResolvesWhenTheRolloutRecovers()
    {
        Rig rig;
        QSignalSpy delivered(rig.pager.get(), &PagerDutyNotifier::delivered);
        rig.emitEvent(fired(QStringLiteral("error rate elevated"))); // P2: no page
        RolloutEvent dry = fired(QStringLiteral("error rate critical"));
        dry.dryRun = true;
        rig.emitEvent(dry); // dry run: no page
        rig.emitEvent(fired(QStringLiteral("error rate critical")));
        rig.emitEvent(fired(QStringLiteral("latency high"))); // P1
        QTRY_COMPARE(delivered.size(), 2);
        QCOMPARE(rig.rx.accepted.size(), 2);
        const QJsonObject first = rig.rx.accepted[0];
        QCOMPARE(first.value(QStringLiteral("event_action")).toString(), QStringLiteral("trigger"));
        QCOMPARE(first.value(QStringLiteral("routing_key")).toString(), QString::fromLatin1(kKey));
        QCOMPARE(first.value(QStringLiteral("dedup_key")).toString(),
                 QStringLiteral("rollout-console/pager-test/trigger/error rate critical"));
        const QJsonObject payload = first.value(QStringLiteral("payload")).toObject();
        QCOMPARE(payload.value(QStringLiteral("severity")).toString(), QStringLiteral("critical"));
        QCOMPARE(
            payload.value(QStringLiteral("summary")).toString(),
            QStringLiteral(
                "pager-test (production): P0 trigger \"error rate critical\" fired in phase 1 \"canary\": "
                "error rate critical: error_rate = 8%, held 1m"));
        QCOMPARE(payload.value(QStringLiteral("timestamp")).toString(),
                 QStringLiteral("2023-11-14T22:13:20.000Z"));
        QCOMPARE(payload.value(QStringLiteral("custom_details"))
                     .toObject()
                     .value(QStringLiteral("values"))
                     .toObject()
                     .value(QStringLiteral("error_rate"))
                     .toDouble(),
                 0.08);
        QCOMPARE(rig.rx.accepted[1]
                     .value(QStringLiteral("payload"))
                     .toObject()
                     .value(QStringLiteral("severity"))
                     .toString(),
                 QStringLiteral("error"));
        QCOMPARE(rig.pager->openIncidents().size(), 2);

        rig.emitEvent(simple(EventType::AlertAcknowledged, QStringLiteral("latency high")));
        QTRY_COMPARE(delivered.size(), 3);
        QCOMPARE(rig.rx.accepted[2].value(QStringLiteral("event_action")).toString(),
                 QStringLiteral("acknowledge"));
        QCOMPARE(rig.rx.accepted[2].value(QStringLiteral("dedup_key")).toString(),
                 QStringLiteral("rollout-console/pager-test/trigger/latency high"));

        rig.emitEvent(simple(EventType::PhaseAdvanced));
        QTRY_COMPARE(delivered.size(), 5);
        QStringList resolved;
        for (int i = 3; i < 5; ++i) {
            QCOMPARE(rig.rx.accepted[i].value(QStringLiteral("event_action")).toString(),
                     QStringLiteral("resolve"));
            resolved.append(rig.rx.accepted[i].value(QStringLiteral("dedup_key")).toString());
        }
        resolved.sort();
        QCOMPARE(resolved,
                 (QStringList{QStringLiteral("rollout-console/pager-test/trigger/error rate critical"),
                              QStringLiteral("rollout-console/pager-test/trigger/latency high")}));
        QVERIFY(rig.pager->openIncidents().isEmpty());
        QVERIFY(rig.rx.rejected.isEmpty());
    }

    // A driver restarted after it paged (its incidents kept beside the ledger) resolves them when
    // the rollout moves on; a state file that is not JSON is said, and changes nothing.
    void aRestartedDriverResolvesWhatItOpened()
    {
        QTemporaryDir dir;
        const QString state = dir.filePath(QStringLiteral("pager-state.json"));
        {
            Rig before({}, state);
            QSignalSpy delivered(before.pager.get(), &PagerDutyNotifier::delivered);
            before.emitEvent(fired(QStringLiteral("error rate critical")));
            QTRY_COMPARE(delivered.size(), 1);
        } // the process ends with the incident open
        Rig after({}, state);
        QCOMPARE(after.pager->openIncidents(),
                 QStringList{QStringLiteral("rollout-console/pager-test/trigger/error rate critical")});
        QSignalSpy delivered(after.pager.get(), &PagerDutyNotifier::delivered);
        after.emitEvent(simple(EventType::PhaseAdvanced));
        QTRY_COMPARE(delivered.size(), 1);
        QCOMPARE(after.rx.accepted[0].value(QStringLiteral("event_action")).toString(),
                 QStringLiteral("resolve"));
        QCOMPARE(after.rx.accepted[0].value(QStringLiteral("dedup_key")).toString(),
                 QStringLiteral("rollout-console/pager-test/trigger/error rate critical"));
        QVERIFY(after.pager->openIncidents().isEmpty());
        // Written through: a third start has nothing open.
        QVERIFY(Rig({}, state).pager->openIncidents().isEmpty());

        QFile garbage(state);
        QVERIFY(garbage.open(QIODevice::WriteOnly | QIODevice::Truncate));
        garbage.write("{not json");
        garbage.close();
        Rig broken({}, state);
        QVERIFY(broken.pager->openIncidents().isEmpty());
    }

    // The real path: a rollback whose flags do not move (FlagSync reports FlagsNotVerified) pages
    // as critical; once a retry reads them back as asked, the incident resolves.
    // An action list's escalate step pages at its severity (P0/P1 by default), one incident per
    // trigger; a P2 escalation does not page.
    void anEscalationStepPagesAtItsSeverity()
    {
        Rig rig;
        QSignalSpy delivered(rig.pager.get(), &PagerDutyNotifier::delivered);
        RolloutEvent low = simple(EventType::Escalated, QStringLiteral("error rate elevated"));
        low.severity = QStringLiteral("P2");
        low.reason = QStringLiteral("notify + escalation");
        rig.emitEvent(low);
        RolloutEvent high = simple(EventType::Escalated, QStringLiteral("error rate critical"));
        high.severity = QStringLiteral("P0");
        high.reason = QStringLiteral("emergency rollback: page the on-call team");
        rig.emitEvent(high);
        QTRY_COMPARE(delivered.size(), 1);
        const QJsonObject sent = rig.rx.accepted.value(0);
        QCOMPARE(sent.value(QStringLiteral("dedup_key")).toString(),
                 QStringLiteral("rollout-console/pager-test/escalation/error rate critical"));
        const QJsonObject payload = sent.value(QStringLiteral("payload")).toObject();
        QCOMPARE(payload.value(QStringLiteral("severity")).toString(), QStringLiteral("critical"));
        QVERIFY2(payload.value(QStringLiteral("summary"))
                     .toString()
                     .contains(QLatin1String("page the on-call team")),
                 qPrintable(payload.value(QStringLiteral("summary")).toString()));
    }

    void anUnverifiedRollbackPagesAndResolvesOnceVerified()
    {
        Rig rig;
        FlagBackendSet set;
        auto fake = std::make_unique<test::FakeFlagBackend>(QStringLiteral("f"));
        test::FakeFlagBackend* flags = fake.get();
        set.add(std::move(fake));
        set.assign(QStringLiteral("checkout"), QStringLiteral("f"));
        FlagSync sync(*rig.session, std::move(set));
        sync.setDeadlineMs(300);
        QSignalSpy finished(&sync, &FlagSync::operationFinished);
        QSignalSpy delivered(rig.pager.get(), &PagerDutyNotifier::delivered);
        QVERIFY(rig.session->advance(kRm).ok);
        QTRY_COMPARE(finished.size(), 1);
        QVERIFY(rig.rx.accepted.isEmpty()); // an advance that verified pages nobody
        flags->script(QStringLiteral("checkout"), {test::FakeFlagBackend::Fault::Permanent});
        QVERIFY(rig.session->rollback(kRm, QStringLiteral("test"), true).ok);
        QTRY_COMPARE(delivered.size(), 1);
        const QJsonObject page = rig.rx.accepted[0];
        QCOMPARE(page.value(QStringLiteral("dedup_key")).toString(),
                 QStringLiteral("rollout-console/pager-test/rollback"));
        QCOMPARE(
            page.value(QStringLiteral("payload")).toObject().value(QStringLiteral("severity")).toString(),
            QStringLiteral("critical"));
        QVERIFY2(page.value(QStringLiteral("payload"))
                     .toObject()
                     .value(QStringLiteral("summary"))
                     .toString()
                     .startsWith(QStringLiteral("pager-test (production): rollback NOT verified")),
                 qPrintable(page.value(QStringLiteral("payload"))
                                .toObject()
                                .value(QStringLiteral("summary"))
                                .toString()));
        sync.applyCurrent(QStringLiteral("retry"));
        QTRY_COMPARE(delivered.size(), 2);
        QCOMPARE(rig.rx.accepted[1].value(QStringLiteral("event_action")).toString(),
                 QStringLiteral("resolve"));
        QCOMPARE(rig.rx.accepted[1].value(QStringLiteral("dedup_key")).toString(),
                 QStringLiteral("rollout-console/pager-test/rollback"));
        QVERIFY(rig.pager->openIncidents().isEmpty());
    }

    // 429: retried with backoff until accepted, in order (a resolve never overtakes its trigger).
    void tooManyRequestsIsRetried()
    {
        Rig rig;
        rig.rx.tooManyRequests = 3;
        QSignalSpy delivered(rig.pager.get(), &PagerDutyNotifier::delivered);
        rig.emitEvent(fired(QStringLiteral("error rate critical")));
        rig.emitEvent(simple(EventType::Completed));
        QTRY_COMPARE(delivered.size(), 2);
        QCOMPARE(rig.rx.throttled, 3);
        QCOMPARE(delivered.at(0).at(0).toString(), QStringLiteral("trigger"));
        QCOMPARE(delivered.at(0).at(2).toInt(), 4); // three 429s, then 202
        QCOMPARE(rig.rx.accepted[0].value(QStringLiteral("event_action")).toString(),
                 QStringLiteral("trigger"));
        QCOMPARE(rig.rx.accepted[1].value(QStringLiteral("event_action")).toString(),
                 QStringLiteral("resolve"));
    }

    // 429 for ever: bounded, then reported; Retry-After is honoured up to the cap.
    void retriesAreBounded()
    {
        Rig rig;
        rig.rx.tooManyRequests = 100;
        rig.rx.retryAfter = "0";
        QSignalSpy failed(rig.pager.get(), &PagerDutyNotifier::failed);
        rig.emitEvent(fired(QStringLiteral("error rate critical")));
        QTRY_COMPARE(failed.size(), 1);
        QCOMPARE(rig.rx.throttled, fast().attempts);
        const QString why = failed.first().at(2).toString();
        QVERIFY2(why.contains(QStringLiteral("HTTP 429")) &&
                     why.endsWith(QStringLiteral("(after 6 attempt(s))")),
                 qPrintable(why));
    }

    // 400: not retried; the API's own errors in the message; the routing key never in it.
    void aRefusedEventSaysWhy()
    {
        Rig rig;
        rig.rx.requiredRoutingKey = QStringLiteral("ffffffffffffffffffffffffffffffff");
        QSignalSpy failed(rig.pager.get(), &PagerDutyNotifier::failed);
        rig.emitEvent(fired(QStringLiteral("error rate critical")));
        QTRY_COMPARE(failed.size(), 1);
        QCOMPARE(rig.rx.requests, 1);
        QCOMPARE(failed.first().at(2).toString(),
                 QStringLiteral("PagerDuty refused the trigger event (HTTP 400, invalid event): Event object "
                                "is invalid: Invalid routing key"));

        // A key of the wrong length: the receiver's schema check answers, and the key stays out.
        qputenv("ROLLOUT_TEST_PD_KEY", "not-a-32-character-routing-key");
        rig.rx.requiredRoutingKey.clear();
        rig.emitEvent(fired(QStringLiteral("latency high")));
        QTRY_COMPARE(failed.size(), 2);
        const QString why = failed.last().at(2).toString();
        QVERIFY2(
            why.endsWith(QStringLiteral("Length of 'routing_key' is incorrect (should be 32 characters)")),
            qPrintable(why));
        QVERIFY(!why.contains(QStringLiteral("not-a-32-character-routing-key")));
        for (const QVariant& v : failed.first())
            QVERIFY(!v.toString().contains(QString::fromLatin1(kKey)));
    }

    void aMissingKeyIsAProblemNotACrash()
    {
        qunsetenv("ROLLOUT_TEST_PD_KEY");
        PagerDutyReceiver rx;
        const Plan plan = test::loadPlan(planFor(rx.url()));
        ManualClock clock{1'000'000};
        TimeSeriesStore store;
        RolloutSession session(plan, store, clock);
        PagerDutyNotifier pager(plan, session, fast());
        QVERIFY(pager.configured());
        QCOMPARE(pager.problem(), QStringLiteral("ROLLOUT_TEST_PD_KEY is not set: nobody will be paged"));
        QSignalSpy failed(&pager, &PagerDutyNotifier::failed);
        Q_EMIT session.eventRecorded(fired(QStringLiteral("error rate critical")));
        QTRY_COMPARE(failed.size(), 1);
        QCOMPARE(failed.first().at(2).toString(),
                 QStringLiteral("ROLLOUT_TEST_PD_KEY is not set: nothing was sent"));
        QCOMPARE(rx.requests, 0);
    }

    void aDeadPagerNeverBlocks()
    {
        qputenv("ROLLOUT_TEST_PD_KEY", kKey);
        const Plan plan =
            test::loadPlan(planFor(QStringLiteral("http://127.0.0.1:1/v2/enqueue"))); // nothing listens
        ManualClock clock{1'000'000};
        TimeSeriesStore store;
        RolloutSession session(plan, store, clock);
        PagerDutyNotifier::Options o = fast();
        o.attempts = 2;
        PagerDutyNotifier pager(plan, session, o);
        QSignalSpy failed(&pager, &PagerDutyNotifier::failed);
        QElapsedTimer clockMs;
        clockMs.start();
        Q_EMIT session.eventRecorded(fired(QStringLiteral("error rate critical")));
        QVERIFY(clockMs.elapsed() < 50); // emitting returned at once
        QTRY_COMPARE(failed.size(), 1);
        QVERIFY2(failed.first().at(2).toString().contains(QStringLiteral("(after 2 attempt(s))")),
                 qPrintable(failed.first().at(2).toString()));
    }

    void thePlanKeys()
    {
        const Plan plan = test::loadPlan(
            planFor(QStringLiteral("https://events.eu.pagerduty.com/v2/enqueue"), ", severities: [P0]"));
        QVERIFY(plan.pager);
        QCOMPARE(plan.pager->routingKeyEnv, QStringLiteral("ROLLOUT_TEST_PD_KEY"));
        QCOMPARE(plan.pager->url, QStringLiteral("https://events.eu.pagerduty.com/v2/enqueue"));
        QCOMPARE(plan.pager->severities, QStringList{QStringLiteral("P0")});
        const Plan defaults = test::loadPlan(R"(
rollout: d
flags: [{key: f, backend: b}]
backends: {b: {type: flagd_file, path: f.json}}
phases: [{name: a, traffic: 5%}]
pager: {type: pagerduty, routing_key_env: PD_ROUTING_KEY}
)");
        QCOMPARE(defaults.pager->url, QStringLiteral("https://events.pagerduty.com/v2/enqueue"));
        QCOMPARE(defaults.pager->severities, (QStringList{QStringLiteral("P0"), QStringLiteral("P1")}));
    }

    void malformedPagers_data()
    {
        QTest::addColumn<QByteArray>("pager");
        QTest::addColumn<QString>("message");
        QTest::newRow("no key variable")
            << QByteArray("{type: pagerduty}")
            << QStringLiteral("pager.routing_key_env: required field \"routing_key_env\" is missing");
        QTest::newRow("a key, not a name")
            << QByteArray("{type: pagerduty, routing_key_env: \"R0ut1ng-key!\"}")
            << QStringLiteral(
                   "pager.routing_key_env: expected the name of the environment "
                   "variable that holds the routing key (e.g. PD_ROUTING_KEY), never the key itself");
        QTest::newRow("another pager")
            << QByteArray("{type: opsgenie, routing_key_env: K}")
            << QStringLiteral("pager.type: unknown value \"opsgenie\" (expected one of: pagerduty)");
        QTest::newRow("not a URL") << QByteArray("{type: pagerduty, routing_key_env: K, url: \"ftp://x/y\"}")
                                   << QStringLiteral(
                                          "pager.url: expected an http(s) URL such as "
                                          "https://events.pagerduty.com/v2/enqueue, got \"ftp://x/y\"");
        QTest::newRow("severity")
            << QByteArray("{type: pagerduty, routing_key_env: K, severities: [P0, critical]}")
            << QStringLiteral("pager.severities: expected P0, P1, P2 or P3, got \"critical\"");
        QTest::newRow("a typo")
            << QByteArray("{type: pagerduty, routing_key_env: K, severites: [P0]}")
            << QStringLiteral("pager.severites: unknown key \"severites\"; did you mean \"severities\"?");
        QTest::newRow("a list") << QByteArray("[pagerduty]") << QStringLiteral("pager:");
    }

    void malformedPagers()
    {
        QFETCH(QByteArray, pager);
        QFETCH(QString, message);
        const QByteArray plan =
            "rollout: bad\nbackends: {b: {type: flagd_file, path: f.json}}\nflags: [{key: f, backend: b}]\n"
            "phases: [{name: a, traffic: 5%}]\npager: " +
            pager + "\n";
        const PlanLoadResult r = PlanLoader::loadBytes(plan, QStringLiteral("bad.yaml"));
        QVERIFY(!r.plan);
        QStringList all;
        for (const PlanError& e : r.errors)
            all.append(e.toString());
        QVERIFY2(std::any_of(all.begin(), all.end(), [&](const QString& e) { return e.contains(message); }),
                 qPrintable(all.join(QLatin1Char('\n'))));
        QVERIFY2(all.first().startsWith(QStringLiteral("bad.yaml:5:")), qPrintable(all.first()));
    }
};

QTEST_GUILESS_MAIN(TestPagerDutyNotifier)
#include "tst_pagerdutynotifier.moc"
