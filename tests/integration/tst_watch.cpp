// `rolloutctl watch` as a separate process against the real servers: it resumes a rollout from
// the ledger (also after SIGKILL), and on a canary error spike rolls back through Unleash, signs
// the rollback with the automation key and pushes it to PostgreSQL — while the plan's webhook
// answers 500 and is retried without holding anything up.
#include "Await.h"
#include "FakeHttpServer.h"
#include "PlanFixture.h"
#include "RequireServers.h"
#include "StoreTamper.h"
#include "TestKeys.h"
#include "flags/UnleashFeature.h"
#include "ledger/KeyStore.h"
#include "ledger/LedgerRecorder.h"
#include "ledger/LedgerReplay.h"
#include "ledger/LedgerVerifier.h"
#include "metrics/TimeSeriesStore.h"
#include "runtime/FlagSync.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>
#include <sodium.h>

using namespace rollout;
using test::exchange;

namespace {

Ed25519::KeyPair rmKey()
{
    return test::seededKey("watch test rm");
}

QString env(const char* name)
{
    return qEnvironmentVariable(name);
}

} // namespace

class TestWatch final : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_plan, m_db, m_keys, m_flag, m_unleash, m_sim;

    QProcess* startWatch(const QString& webhook, const QString& db = {}, bool withLog = false)
    {
        auto* p = new QProcess(this);
        if (withLog) p->setProcessChannelMode(QProcess::MergedChannels); // spdlog writes to stderr
        QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
        e.insert(QStringLiteral("ROLLOUT_TEST_WATCH_PASS"), QStringLiteral("automation passphrase"));
        e.insert(QStringLiteral("ROLLOUT_TEST_WATCH_WEBHOOK"), webhook);
        e.insert(QStringLiteral("XDG_STATE_HOME"), m_dir.filePath(QStringLiteral("state")));
        p->setProcessEnvironment(e);
        p->start(QStringLiteral(ROLLOUT_BINARY_DIR "/app/rolloutctl"),
                 {QStringLiteral("watch"), m_plan, QStringLiteral("--db"), db.isEmpty() ? m_db : db,
                  QStringLiteral("--keys-dir"), m_keys, QStringLiteral("--passphrase-env"),
                  QStringLiteral("ROLLOUT_TEST_WATCH_PASS"), QStringLiteral("--tick"),
                  QStringLiteral("250")});
        return p;
    }

    // What Unleash serves now, by a separate read: "off" or the percentage.
    QString unleashNow() { return test::unleashNow(m_unleash, m_flag); }

    // Whether the shared store holds record `id`.
    static bool inStore(const QString& id)
    {
        bool found = false;
        {
            QSqlDatabase db =
                QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), QStringLiteral("watch-find"));
            db.setHostName(env("ROLLOUT_PG_HOST"));
            db.setPort(env("ROLLOUT_PG_PORT").toInt());
            db.setDatabaseName(env("ROLLOUT_PG_DATABASE"));
            db.setUserName(env("ROLLOUT_PG_USER"));
            db.setPassword(env("ROLLOUT_PG_PASSWORD"));
            if (db.open()) {
                QSqlQuery q(db);
                q.prepare(QStringLiteral("SELECT count(*) FROM ledger_records WHERE id = ?"));
                q.addBindValue(id);
                found = q.exec() && q.next() && q.value(0).toInt() == 1;
                db.close();
            }
        }
        QSqlDatabase::removeDatabase(QStringLiteral("watch-find"));
        return found;
    }

    static bool saw(QProcess* p, QByteArray* out, const QByteArray& what)
    {
        *out += p->readAllStandardOutput();
        return out->contains(what);
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_unleash = env("ROLLOUT_UNLEASH_URL");
        m_sim = env("ROLLOUT_LOOP_SIMULATOR_URL");
        m_flag = env("ROLLOUT_LOOP_FLAG");
        if (m_unleash.isEmpty() || m_sim.isEmpty() || env("ROLLOUT_PROMETHEUS_URL").isEmpty() ||
            env("ROLLOUT_PG_HOST").isEmpty())
            ROLLOUT_SKIP_OR_FAIL("run through scripts/test.sh: the servers' variables are unset");
        QVERIFY(Ed25519::initialize());
        // The automation key, encrypted at rest like any other.
        m_keys = m_dir.filePath(QStringLiteral("keys"));
        KeyStore store(m_keys);
        store.setLimits(crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
        QString problem;
        QVERIFY2(store.create(QStringLiteral("automation"), QStringLiteral("automation"),
                              "automation passphrase", &problem),
                 qPrintable(problem));
        const QString automationKey = store.info(QStringLiteral("automation"), &problem)->publicKey;

        const QString rollout =
            QStringLiteral("watch-%1").arg(QUuid::createUuid().toString(QUuid::Id128).left(8));
        m_plan = m_dir.filePath(QStringLiteral("plan.yaml"));
        QFile f(m_plan);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QStringLiteral(
                    "rollout: %1\n"
                    "environment: development\n"
                    "sources: {prom: {type: prometheus, url: \"%2\", timeout: 5s}}\n"
                    "backends: {unleash: {type: unleash, url: \"%3\", token_env: "
                    "ROLLOUT_UNLEASH_ADMIN_TOKEN, project: default}}\n"
                    "flags: [{key: %4, backend: unleash, stickiness: userId}]\n"
                    "metrics:\n"
                    "  error_rate:\n"
                    "    source: prom\n    unit: ratio\n    interval: 1s\n    canary: {cohort: canary}\n"
                    "    baseline: {series: {cohort: baseline}}\n"
                    "    query: sum by (cohort) (rate(loop_errors_total[10s])) / sum by (cohort) "
                    "(rate(loop_requests_total[10s]))\n"
                    "triggers:\n"
                    "  - {name: error rate critical, when: error_rate > 5%, for: 5s, kind: hard, action: "
                    "rollback}\n"
                    "phases:\n"
                    "  - {name: half, traffic: 50%}\n"
                    "  - {name: all, traffic: 100%}\n"
                    "people:\n"
                    "  - {id: rm, roles: [rm], key: \"%5\"}\n"
                    "  - {id: automation, roles: [automation], key: \"%6\"}\n"
                    "notify:\n"
                    "  - {webhook_env: ROLLOUT_TEST_WATCH_WEBHOOK, on: [rolled_back, rollback_failed, "
                    "escalated]}\n")
                    .arg(rollout, env("ROLLOUT_PROMETHEUS_URL"), m_unleash, m_flag,
                         Ed25519::encodePublicKey(rmKey().publicKey), automationKey)
                    .toUtf8());
        f.close();
        exchange("POST", m_unleash + QStringLiteral("/api/admin/projects/default/features"),
                 QStringLiteral("{\"name\":\"%1\",\"type\":\"release\"}").arg(m_flag).toUtf8(),
                 qgetenv("ROLLOUT_UNLEASH_ADMIN_TOKEN"));
        exchange("POST", m_sim + QStringLiteral("/-/clear"));

        // A release manager starts the rollout from a console: signed, and the flag at 50%.
        m_db = m_dir.filePath(QStringLiteral("ledger.sqlite"));
        QFile planFile(m_plan);
        QVERIFY(planFile.open(QIODevice::ReadOnly));
        const Plan plan = test::loadPlan(planFile.readAll());
        SystemClock clock;
        TimeSeriesStore samples;
        RolloutSession session(plan, samples, clock);
        auto ledger = LocalLedger::open(m_db, clock, &problem);
        QVERIFY2(ledger, qPrintable(problem));
        LedgerRecorder recorder(session, *ledger);
        recorder.addKey(QStringLiteral("rm"), rmKey());
        std::optional<FlagBackendSet> backends = FlagBackendSet::fromPlan(plan, &problem);
        QVERIFY2(backends, qPrintable(problem));
        FlagSync flags(session, std::move(*backends));
        QSignalSpy done(&flags, &FlagSync::operationFinished);
        QVERIFY(session.advance(Actor{QStringLiteral("rm"), QStringLiteral("rm")}).ok);
        QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 15000);
        QVERIFY2(flags.lastReport().allVerified(), qPrintable(flags.lastReport().summary()));
        QCOMPARE(ledger->records().size(), 1); // the advance (the flag outcome is automation's: no key here)
    }

    void resumesAfterSigkill()
    {
        QByteArray out;
        QProcess* p = startWatch(QStringLiteral("http://127.0.0.1:9"));
        QTRY_VERIFY_WITH_TIMEOUT(saw(p, &out, "watching"), 20000);
        QVERIFY2(out.contains("(running, phase 1 of 2"), out.constData());
        p->kill(); // SIGKILL: no chance to clean up
        QVERIFY(p->waitForFinished(5000));
        out.clear();
        QProcess* again = startWatch(QStringLiteral("http://127.0.0.1:9"));
        QTRY_VERIFY_WITH_TIMEOUT(saw(again, &out, "watching"), 20000);
        QVERIFY2(out.contains("(running, phase 1 of 2"), out.constData());
        again->terminate(); // SIGTERM: a clean stop, exit 4
        QVERIFY(again->waitForFinished(10000));
        QCOMPARE(again->exitCode(), 4);
        QVERIFY(again->readAllStandardOutput().contains("watch ended: stopped"));
    }

    void rollsBackOnASpikeSignsAndPushes()
    {
        int webhookCalls = 0;
        test::FakeHttpServer receiver([&](const QByteArray&, const QByteArray&, const QByteArray&) {
            ++webhookCalls;
            test::FakeHttpServer::Reply r;
            r.status = 500; // a dead webhook: retried, never in the way
            return r;
        });
        QByteArray out;
        QProcess* p = startWatch(receiver.url());
        QTRY_VERIFY_WITH_TIMEOUT(saw(p, &out, "watching"), 20000);
        QVERIFY(exchange("POST", m_sim + QStringLiteral("/-/fault?spec=canary-error-spike@0s")).success());
        QTRY_VERIFY_WITH_TIMEOUT(p->state() == QProcess::NotRunning, 90000);
        out += p->readAllStandardOutput();
        QCOMPARE(p->exitCode(), 3);
        QVERIFY2(out.contains("AUTOMATIC rollback"), out.constData());
        QVERIFY2(out.contains("watch ended: rolled back"), out.constData());
        QVERIFY(webhookCalls >= 1);
        exchange("POST", m_sim + QStringLiteral("/-/clear"));

        // Unleash says off, by a separate read.
        const HttpResponse r =
            exchange("GET", m_unleash + QStringLiteral("/api/admin/projects/default/features/") + m_flag, {},
                     qgetenv("ROLLOUT_UNLEASH_ADMIN_TOKEN"));
        QString problem;
        const auto feature = UnleashFeature::parse(r.body, QStringLiteral("development"), &problem);
        QVERIFY2(feature, qPrintable(problem));
        QVERIFY(!feature->enabled);
        // The rollback is a record signed by the automation key that verifies against the plan…
        SystemClock clock;
        auto ledger = LocalLedger::open(m_db, clock, &problem);
        QVERIFY2(ledger, qPrintable(problem));
        QFile pf(m_plan);
        QVERIFY(pf.open(QIODevice::ReadOnly));
        const Plan plan = test::loadPlan(pf.readAll());
        const QList<LedgerRecord> records = ledger->records(plan.rollout);
        QString rollbackId;
        for (const RecordVerdict& v : LedgerVerifier::verify(records, plan)) {
            QVERIFY2(v.ok, qPrintable(v.id + QStringLiteral(": ") +
                                      (v.failures.isEmpty() ? QString() : v.failures.first().why)));
            if (v.record && v.record->type == QLatin1String("rolled_back")) {
                QCOMPARE(v.record->actor, QStringLiteral("automation"));
                rollbackId = v.id;
            }
        }
        QVERIFY(!rollbackId.isEmpty());
        // …and is in the shared store.
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), QStringLiteral("watch-check"));
        db.setHostName(env("ROLLOUT_PG_HOST"));
        db.setPort(env("ROLLOUT_PG_PORT").toInt());
        db.setDatabaseName(env("ROLLOUT_PG_DATABASE"));
        db.setUserName(env("ROLLOUT_PG_USER"));
        db.setPassword(env("ROLLOUT_PG_PASSWORD"));
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.prepare(QStringLiteral("SELECT count(*) FROM ledger_records WHERE id = ?")));
        q.addBindValue(rollbackId);
        QVERIFY(q.exec() && q.next());
        QCOMPARE(q.value(0).toInt(), 1);
        db.close();
    }

    // The database owner changes a record of a running rollout in the shared store. The watch that
    // pulls it holds the rollout: a P1 escalation goes to the plan's webhook, and nothing moves a
    // flag — not even a canary error spike past its hard trigger — until a person acknowledges
    // the alert with a signed record. Then the trigger rolls back as ever.
    void damageInTheSharedStoreHoldsTheWatchUntilAPersonAcknowledges()
    {
        // A rollout of its own on the loop's flag, its own ledger; rm starts it at 50%.
        exchange("POST", m_sim + QStringLiteral("/-/clear"));
        QFile pf(m_plan);
        QVERIFY(pf.open(QIODevice::ReadOnly));
        QByteArray yaml = pf.readAll();
        const Plan first = test::loadPlan(yaml);
        yaml.replace(first.rollout.toUtf8(), first.rollout.toUtf8() + "-held");
        const QString planPath = m_dir.filePath(QStringLiteral("held.yaml"));
        {
            QFile out(planPath);
            QVERIFY(out.open(QIODevice::WriteOnly));
            out.write(yaml);
        }
        const Plan plan = test::loadPlan(yaml);
        const QString db = m_dir.filePath(QStringLiteral("held.sqlite"));
        const Actor rm{QStringLiteral("rm"), QStringLiteral("rm")};
        QString advanceId;
        {
            SystemClock clock;
            TimeSeriesStore samples;
            RolloutSession session(plan, samples, clock);
            QString problem;
            auto ledger = LocalLedger::open(db, clock, &problem);
            QVERIFY2(ledger, qPrintable(problem));
            LedgerRecorder recorder(session, *ledger);
            recorder.addKey(QStringLiteral("rm"), rmKey());
            std::optional<FlagBackendSet> backends = FlagBackendSet::fromPlan(plan, &problem);
            QVERIFY2(backends, qPrintable(problem));
            FlagSync flags(session, std::move(*backends));
            QSignalSpy done(&flags, &FlagSync::operationFinished);
            QVERIFY(session.advance(rm).ok);
            QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 15000);
            advanceId = ledger->records(plan.rollout).first().id;
        }
        QCOMPARE(unleashNow(), QStringLiteral("50%"));
        // A watch drives it and shares its records; stopped, it hands the lease back.
        const QString previousPlan = m_plan;
        m_plan = planPath;
        const auto restorePlan = qScopeGuard([&] { m_plan = previousPlan; }); // also on a skip
        QByteArray out;
        QProcess* p = startWatch(QStringLiteral("http://127.0.0.1:9"), db);
        QTRY_VERIFY_WITH_TIMEOUT(saw(p, &out, "watching"), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(inStore(advanceId), 30000);
        p->terminate();
        QVERIFY(p->waitForFinished(10000));

        // The database owner rewrites rm's advance in the shared store.
        test::StoreTamper tamper;
        QString why;
        if (!tamper.open(&why)) ROLLOUT_SKIP_OR_FAIL(qPrintable(why));
        QVERIFY2(tamper.replaceInBody(advanceId, "entered", "ENTERED"), qPrintable(tamper.lastError()));

        // The next watch pulls it: held, and a P1 goes out.
        QStringList webhook;
        test::FakeHttpServer receiver([&](const QByteArray&, const QByteArray&, const QByteArray& body) {
            webhook.append(QString::fromUtf8(body));
            return test::FakeHttpServer::Reply{};
        });
        out.clear();
        p = startWatch(receiver.url(), db, true);
        QTRY_VERIFY_WITH_TIMEOUT(webhook.join(QLatin1Char('\n')).contains(QStringLiteral("ledger damage")),
                                 30000);
        const QString p1 = webhook.join(QLatin1Char('\n'));
        QVERIFY2(p1.contains(QStringLiteral("P1")) && p1.contains(QStringLiteral("changed")), qPrintable(p1));
        // A spike past the hard trigger's 5 s: nothing moves while held (15 s, three times the
        // trigger's duration; rollsBackOnASpikeSignsAndPushes saw it fire within that).
        QVERIFY(exchange("POST", m_sim + QStringLiteral("/-/fault?spec=canary-error-spike@0s")).success());
        QElapsedTimer held;
        held.start();
        while (held.elapsed() < 15000) {
            QTest::qWait(500);
            QCOMPARE(unleashNow(), QStringLiteral("50%"));
            QCOMPARE(p->state(), QProcess::Running);
        }
        out += p->readAllStandardOutput();

        // rm acknowledges the alert: a signed record in the same ledger, which the watch follows.
        {
            SystemClock clock;
            TimeSeriesStore samples;
            RolloutSession session(plan, samples, clock);
            QString problem;
            auto ledger = LocalLedger::open(db, clock, &problem);
            QVERIFY2(ledger, qPrintable(problem));
            LedgerReplay::rebuild(session, ledger->records(plan.rollout));
            QVERIFY(session.held());
            int alert = 0;
            for (const Alert& a : session.alerts())
                if (a.trigger == RolloutSession::kDamageHold && !a.acknowledged) alert = a.id;
            LedgerRecorder recorder(session, *ledger);
            recorder.addKey(QStringLiteral("rm"), rmKey());
            QVERIFY(
                session.acknowledgeAlert(alert, rm, QStringLiteral("the store was restored from backup")).ok);
        }
        // Released: the trigger rolls back as ever, and the flag reads back off.
        QTRY_VERIFY_WITH_TIMEOUT(p->state() == QProcess::NotRunning, 90000);
        out += p->readAllStandardOutput();
        QCOMPARE(p->exitCode(), 3);
        QVERIFY2(out.contains("AUTOMATIC rollback"), out.constData());
        QCOMPARE(unleashNow(), QStringLiteral("off"));
        exchange("POST", m_sim + QStringLiteral("/-/clear"));
    }

    // A record deleted from the ledger (the owner of the file, or of the shared store): `watch`
    // names it as tampering in its log at start, and still resumes from the authentic records.
    void tamperingIsAWarningInTheLog()
    {
        const QString copy = m_dir.filePath(QStringLiteral("tampered.sqlite"));
        {
            SystemClock clock;
            QString problem;
            auto ledger =
                LocalLedger::open(m_db, clock, &problem); // a checkpoint: the whole ledger in one file
            QVERIFY2(ledger, qPrintable(problem));
            QVERIFY(ledger->records().size() >= 3);
        }
        QVERIFY(QFile::copy(m_db, copy));
        {
            QSqlDatabase db =
                QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("watch-tamper"));
            db.setDatabaseName(copy);
            QVERIFY(db.open());
            QSqlQuery q(db);
            // One from the middle of the chain, not the rollback.
            QVERIFY(
                q.exec(QStringLiteral("DELETE FROM records WHERE id = (SELECT id FROM records WHERE type != "
                                      "'rolled_back' AND seq > 1"
                                      " AND seq < (SELECT max(seq) FROM records) ORDER BY seq LIMIT 1)")));
            QCOMPARE(q.numRowsAffected(), 1);
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("watch-tamper"));
        QByteArray out;
        QProcess* p = startWatch(QStringLiteral("http://127.0.0.1:9"), copy, true);
        // Resumed rolled back with its flags as recorded, watch has nothing to do and ends (3).
        QTRY_VERIFY_WITH_TIMEOUT(saw(p, &out, "watching") || saw(p, &out, "nothing to do"), 20000);
        QVERIFY2(out.contains("watch: ledger tampering: record seq ") &&
                     out.contains("is missing (deleted?)"),
                 out.constData());
        QVERIFY2(out.contains("rolled back"), out.constData());
        if (p->state() != QProcess::NotRunning) {
            p->terminate();
            QVERIFY(p->waitForFinished(10000));
        }
    }
};

QTEST_GUILESS_MAIN(TestWatch)
#include "tst_watch.moc"
