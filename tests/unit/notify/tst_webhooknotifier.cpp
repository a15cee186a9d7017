// Slack-compatible webhooks against a local receiver: seed 003's incident template, retries with
// backoff, a 4xx not retried, a rollback message that carries the flags' read-back, and a dead
// webhook that never delays the rollback itself.
#include "FakeFlagBackend.h"
#include "FakeHttpServer.h"
#include "PlanFixture.h"
#include "core/Clock.h"
#include "metrics/TimeSeriesStore.h"
#include "notify/IncidentMessage.h"
#include "notify/WebhookNotifier.h"
#include "runtime/FlagSync.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

using namespace rollout;
using test::FakeHttpServer;

namespace {

const QByteArray kPlan = R"(
rollout: notify-test
environment: production
sources: {sim: {type: simulator}}
backends: {f: {type: flagd_file, path: flags.json}}
flags: [{key: checkout, backend: f}]
metrics:
  error_rate: {source: sim, unit: ratio, interval: 1s, simulate: {signal: error_ratio}}
phases:
  - {name: canary, traffic: 1%}
  - {name: all, traffic: 100%}
notify:
  - {webhook_env: ROLLOUT_TEST_WEBHOOK, on: [advanced, alert, rolled_back, rollback_failed]}
  - {webhook_env: ROLLOUT_TEST_WEBHOOK_UNSET, on: [rolled_back]}
)";

const Actor kRm{QStringLiteral("rm"), QStringLiteral("rm")};

// A receiver that answers with the scripted statuses in turn (then 200), and keeps the texts.
struct Receiver
{
    QList<int> statuses;
    bool hang = false;
    QStringList texts;
    FakeHttpServer server{[this](const QByteArray&, const QByteArray&, const QByteArray& body) {
        texts.append(QJsonDocument::fromJson(body).object().value(QStringLiteral("text")).toString());
        FakeHttpServer::Reply r;
        r.hang = hang;
        r.status = statuses.isEmpty() ? 200 : statuses.takeFirst();
        r.body = "ok";
        return r;
    }};
};

WebhookNotifier::Options fast()
{
    WebhookNotifier::Options o;
    o.firstBackoffMs = 20;
    o.requestTimeoutMs = 300;
    o.flagWaitMs = 2000;
    return o;
}

} // namespace

class TestWebhookNotifier final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void theIncidentTemplate()
    {
        const Plan plan = test::loadPlan(kPlan);
        RolloutEvent e;
        e.type = EventType::RolledBack;
        e.atMs = 1'700'000'000'000;
        e.fromPhase = 0;
        e.toPhase = -1;
        e.automatic = true;
        e.trigger = QStringLiteral("error rate critical");
        e.reason = QStringLiteral("error_rate = 8% held 5m");
        e.values.insert(QStringLiteral("error_rate"), 0.08);
        const QString text =
            IncidentMessage::text(plan, e, QStringLiteral("1 of 1 flag(s) verified in 12 ms: checkout off"));
        const QStringList lines = text.split(QLatin1Char('\n'));
        QCOMPARE(lines.size(), 6);
        QCOMPARE(lines[0], QStringLiteral("🚨 INCIDENT: notify-test rollout — automatic rollback"));
        QCOMPARE(lines[1], QStringLiteral("Time: 2023-11-14T22:13:20Z"));
        QCOMPARE(lines[2],
                 QStringLiteral("Issue: trigger \"error rate critical\" — error_rate = 8% held 5m"));
        QCOMPARE(lines[3], QStringLiteral("Impact: phase 1 \"canary\" (1% of traffic) in production was "
                                          "exposed; values at the decision: error_rate = 0.08"));
        QCOMPARE(lines[4],
                 QStringLiteral("Action Taken: rolled back to zero (every flag off) by automation"));
        QCOMPARE(lines[5],
                 QStringLiteral("Status: flags read back — 1 of 1 flag(s) verified in 12 ms: checkout off"));
        QCOMPARE(QJsonDocument::fromJson(IncidentMessage::slackBody(text))
                     .object()
                     .value(QStringLiteral("text"))
                     .toString(),
                 text);
    }

    void deliversRetriesAndNamesWhatIsMissing()
    {
        Receiver rx;
        rx.statuses = {500, 503};
        qputenv("ROLLOUT_TEST_WEBHOOK", rx.server.url().toUtf8() + "/hooks/secret-token");
        qunsetenv("ROLLOUT_TEST_WEBHOOK_UNSET");
        const Plan plan = test::loadPlan(kPlan);
        ManualClock clock{1'000'000};
        TimeSeriesStore store;
        RolloutSession session(plan, store, clock);
        WebhookNotifier notifier(plan, session, fast());
        QCOMPARE(
            notifier.problems(),
            QStringList{QStringLiteral("ROLLOUT_TEST_WEBHOOK_UNSET is not set: its notifications are off")});
        QSignalSpy delivered(&notifier, &WebhookNotifier::delivered);
        QVERIFY(session.advance(kRm).ok);
        QTRY_COMPARE(delivered.size(), 1);
        QCOMPARE(delivered.first().at(0).toString(), QStringLiteral("advanced"));
        QCOMPARE(delivered.first().at(2).toInt(), 3); // 500, 503, then 200
        QCOMPARE(rx.texts.size(), 3);
        QVERIFY2(rx.texts.last().startsWith(
                     QStringLiteral("✅ notify-test rollout advanced to phase 1 \"canary\"")),
                 qPrintable(rx.texts.last()));
    }

    // Ledger tampering reaches every webhook (this one lists neither it nor the empty `on:`), the
    // findings of one sync round in one message.
    void ledgerTamperingIsAlertedInOneMessage()
    {
        Receiver rx;
        qputenv("ROLLOUT_TEST_WEBHOOK", rx.server.url().toUtf8());
        const Plan plan = test::loadPlan(kPlan);
        ManualClock clock{1'000'000};
        TimeSeriesStore store;
        RolloutSession session(plan, store, clock);
        WebhookNotifier notifier(plan, session, fast());
        QSignalSpy delivered(&notifier, &WebhookNotifier::delivered);
        notifier.ledgerTampering(QStringLiteral("r2"),
                                 QStringLiteral("tampering: record r2 was changed in the shared store (its "
                                                "signature does not match its body)"));
        notifier.ledgerTampering(
            QStringLiteral("r9"),
            QStringLiteral("tampering: record r9 is a copy of record r1 under a new id"));
        QTRY_COMPARE(delivered.size(), 1);
        QCOMPARE(delivered.first().at(0).toString(), QStringLiteral("tampering"));
        QCOMPARE(rx.texts.size(), 1);
        const QStringList lines = rx.texts.first().split(QLatin1Char('\n'));
        QCOMPARE(lines[0], QStringLiteral("🛑 ledger tampering detected in rollout notify-test: tampering: "
                                          "record r2 was changed in the shared store "
                                          "(its signature does not match its body)"));
        QCOMPARE(lines[2],
                 QStringLiteral("Also: tampering: record r9 is a copy of record r1 under a new id"));
        QVERIFY(lines.last().startsWith(QStringLiteral("Status: investigate")));
    }

    void aClientErrorIsNotRetried()
    {
        Receiver rx;
        rx.statuses = {404};
        qputenv("ROLLOUT_TEST_WEBHOOK", rx.server.url().toUtf8());
        const Plan plan = test::loadPlan(kPlan);
        ManualClock clock{1'000'000};
        TimeSeriesStore store;
        RolloutSession session(plan, store, clock);
        WebhookNotifier notifier(plan, session, fast());
        QSignalSpy failed(&notifier, &WebhookNotifier::failed);
        QVERIFY(session.advance(kRm).ok);
        QTRY_COMPARE(failed.size(), 1);
        QCOMPARE(failed.first().at(2).toString(), QStringLiteral("HTTP 404 after 1 attempt(s)"));
        QVERIFY(!failed.first().at(2).toString().contains(rx.server.url())); // the URL is the secret
        QCOMPARE(rx.texts.size(), 1);
    }

    void aDeadWebhookNeverDelaysTheRollback()
    {
        Receiver rx;
        rx.hang = true;
        qputenv("ROLLOUT_TEST_WEBHOOK", rx.server.url().toUtf8());
        const Plan plan = test::loadPlan(kPlan);
        ManualClock clock{1'000'000};
        TimeSeriesStore store;
        RolloutSession session(plan, store, clock);
        FlagBackendSet set;
        auto fake = std::make_unique<test::FakeFlagBackend>(QStringLiteral("f"));
        test::FakeFlagBackend* flags = fake.get();
        set.add(std::move(fake));
        set.assign(QStringLiteral("checkout"), QStringLiteral("f"));
        FlagSync sync(session, std::move(set));
        WebhookNotifier notifier(plan, session, fast());
        QSignalSpy finished(&sync, &FlagSync::operationFinished);
        QSignalSpy delivered(&notifier, &WebhookNotifier::delivered);
        QSignalSpy failed(&notifier, &WebhookNotifier::failed);
        QVERIFY(session.advance(kRm).ok);
        QTRY_COMPARE(finished.size(), 1);
        QVERIFY(session.rollback(kRm, QStringLiteral("test"), true).ok);
        QTRY_COMPARE(finished.size(), 2);
        QVERIFY(!flags->state(QStringLiteral("checkout")).enabled);
        // The flags moved while every webhook call was still hanging: nothing waited for them.
        QVERIFY(delivered.isEmpty() && failed.isEmpty());
        // The rollback message went out after the read-back and says what it confirmed.
        QTRY_VERIFY(std::any_of(rx.texts.begin(), rx.texts.end(), [](const QString& t) {
            return t.startsWith(QStringLiteral("🚨 INCIDENT")) &&
                   t.contains(
                       QStringLiteral("Status: flags read back — rollback to zero: 1 of 1 flag(s) verified"));
        }));
    }
};

QTEST_GUILESS_MAIN(TestWebhookNotifier)
#include "tst_webhooknotifier.moc"
