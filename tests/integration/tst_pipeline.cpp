// A rollout driven end to end from a pipeline with rolloutctl only, against the real Unleash,
// PostgreSQL and Prometheus: a start refused while its gate is closed, an approval, the start,
// a status for scripts, an advance judged on live metrics, drift when Unleash is changed behind
// the rollout's back, an override refused to a role the plan does not name and taken by one it
// does, a rollback. Every step is a signed record in the ledger and the shared store, and Unleash
// reads back what the rollout says. Then: a rollback recorded but never applied (as after a
// SIGKILL between the record and the flag change) is finished by the next `watch`.
#include "Await.h"
#include "PlanFixture.h"
#include "RequireServers.h"
#include "flags/FlagBackendSet.h"
#include "flags/UnleashFeature.h"
#include "ledger/KeyStore.h"
#include "ledger/LedgerRecorder.h"
#include "ledger/LedgerReplay.h"
#include "ledger/LedgerVerifier.h"
#include "metrics/TimeSeriesStore.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>
#include <sodium.h>

using namespace rollout;
using test::exchange;

namespace {

QString env(const char* name)
{
    return qEnvironmentVariable(name);
}

struct Run
{
    int exit = -1;
    QString out;
    QString err;
};

} // namespace

class TestPipeline final : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_plan, m_db, m_keys, m_flag, m_unleash, m_rollout;
    QString m_passphrase = QStringLiteral("pipeline passphrase"); // what the person types

    Run ctl(const QStringList& args, int timeoutMs = 120000, const QString& killAt = {})
    {
        QProcess p;
        QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
        if (!killAt.isEmpty()) e.insert(QStringLiteral("ROLLOUT_FAULT_KILL_AT"), killAt);
        e.insert(QStringLiteral("ROLLOUT_TEST_PASS"), m_passphrase);
        e.insert(QStringLiteral("XDG_STATE_HOME"), m_dir.filePath(QStringLiteral("state")));
        p.setProcessEnvironment(e);
        QStringList all = args;
        all.insert(args.first() == QLatin1String("ledger") ? 2 : 1, m_plan);
        all << QStringLiteral("--db") << m_db;
        if (args.first() != QLatin1String("status") && args.first() != QLatin1String("ledger"))
            all << QStringLiteral("--keys-dir") << m_keys << QStringLiteral("--passphrase-env")
                << QStringLiteral("ROLLOUT_TEST_PASS");
        p.start(QStringLiteral(ROLLOUT_BINARY_DIR "/app/rolloutctl"), all);
        if (!p.waitForFinished(timeoutMs)) p.kill();
        p.waitForFinished(5000);
        Run r{p.exitStatus() == QProcess::CrashExit ? -9 : p.exitCode(),
              QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
        qInfo("rolloutctl %s -> %d\n%s%s", qPrintable(args.join(QLatin1Char(' '))), r.exit, qPrintable(r.out),
              qPrintable(r.err));
        return r;
    }

    // Runs `watch` until `done` (checked every 250 ms), then stops it as a person would (SIGTERM).
    bool watchUntil(const std::function<bool()>& done, int timeoutMs)
    {
        QProcess p;
        QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
        e.insert(QStringLiteral("ROLLOUT_TEST_PASS"), QStringLiteral("pipeline passphrase"));
        e.insert(QStringLiteral("XDG_STATE_HOME"), m_dir.filePath(QStringLiteral("state")));
        p.setProcessEnvironment(e);
        p.start(QStringLiteral(ROLLOUT_BINARY_DIR "/app/rolloutctl"),
                {QStringLiteral("watch"), m_plan, QStringLiteral("--tick"), QStringLiteral("250"),
                 QStringLiteral("--db"), m_db, QStringLiteral("--keys-dir"), m_keys,
                 QStringLiteral("--passphrase-env"), QStringLiteral("ROLLOUT_TEST_PASS")});
        QElapsedTimer t;
        t.start();
        bool ok = false;
        while (!ok && t.elapsed() < timeoutMs && p.state() != QProcess::NotRunning) {
            p.waitForFinished(250);
            ok = done();
        }
        p.terminate();
        if (!p.waitForFinished(15000)) p.kill();
        qInfo("watch -> %s\n%s%s", ok ? "done" : "NOT done", p.readAllStandardOutput().constData(),
              p.readAllStandardError().constData());
        return ok;
    }

    // What Unleash serves now, by a separate read: "off" or the percentage.
    QString unleashNow() { return test::unleashNow(m_unleash, m_flag); }

    Plan plan() const
    {
        QFile f(m_plan);
        if (!f.open(QIODevice::ReadOnly)) qFatal("plan");
        return test::loadPlan(f.readAll());
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_unleash = env("ROLLOUT_UNLEASH_URL");
        if (m_unleash.isEmpty() || env("ROLLOUT_PROMETHEUS_URL").isEmpty() ||
            env("ROLLOUT_PG_HOST").isEmpty())
            ROLLOUT_SKIP_OR_FAIL("run through scripts/test.sh: the servers' variables are unset");
        QVERIFY(Ed25519::initialize());
        m_keys = m_dir.filePath(QStringLiteral("keys"));
        KeyStore store(m_keys);
        store.setLimits(crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
        QMap<QString, QString> pub;
        for (const auto& [name, role] : {std::pair{"rm", "release-manager"}, std::pair{"sre", "sre"},
                                         std::pair{"automation", "automation"}}) {
            QString problem;
            QVERIFY2(store.create(QString::fromLatin1(name), QString::fromLatin1(role), "pipeline passphrase",
                                  &problem),
                     qPrintable(problem));
            pub.insert(QString::fromLatin1(name), store.info(QString::fromLatin1(name), &problem)->publicKey);
        }
        const QString id = QUuid::createUuid().toString(QUuid::Id128).left(8);
        m_rollout = QStringLiteral("pipeline-%1").arg(id);
        m_flag = QStringLiteral("pipeline-%1").arg(id);
        m_plan = m_dir.filePath(QStringLiteral("plan.yaml"));
        m_db = m_dir.filePath(QStringLiteral("ledger.sqlite"));
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
                    "    query: sum by (cohort) (rate(sim_errors_total[10s])) / sum by (cohort) "
                    "(rate(sim_requests_total[10s]))\n"
                    "override_roles: [release-manager]\n"
                    "phases:\n"
                    "  - {name: canary, traffic: 10%, min_duration: 3s, success: [error_rate < 50%], "
                    "approvals: [{role: sre}]}\n"
                    "  - {name: half, traffic: 50%}\n"
                    "people:\n"
                    "  - {id: rm, roles: [release-manager], key: \"%5\"}\n"
                    "  - {id: sre, roles: [sre], key: \"%6\"}\n"
                    "  - {id: automation, roles: [automation], key: \"%7\"}\n")
                    .arg(m_rollout, env("ROLLOUT_PROMETHEUS_URL"), m_unleash, m_flag,
                         pub.value(QStringLiteral("rm")), pub.value(QStringLiteral("sre")),
                         pub.value(QStringLiteral("automation")))
                    .toUtf8());
        f.close();
        exchange("POST", m_unleash + QStringLiteral("/api/admin/projects/default/features"),
                 QStringLiteral("{\"name\":\"%1\",\"type\":\"release\"}").arg(m_flag).toUtf8(),
                 qgetenv("ROLLOUT_UNLEASH_ADMIN_TOKEN"));
    }

    void aPipelineDrivesTheRolloutWithRolloutctlOnly()
    {
        // The gate into the first phase needs the SRE's approval: refused, nothing changed.
        Run r = ctl({QStringLiteral("start"), QStringLiteral("--as"), QStringLiteral("rm"),
                     QStringLiteral("--wait"), QStringLiteral("2s")});
        QCOMPARE(r.exit, 5);
        QVERIFY2(r.err.contains(QStringLiteral("sre approval")), qPrintable(r.err));
        QCOMPARE(unleashNow(), QStringLiteral("off"));

        r = ctl({QStringLiteral("approve"), QStringLiteral("--as"), QStringLiteral("sre"),
                 QStringLiteral("--note"), QStringLiteral("dashboards green")});
        QCOMPARE(r.exit, 0);
        r = ctl({QStringLiteral("start"), QStringLiteral("--as"), QStringLiteral("rm"),
                 QStringLiteral("--wait"), QStringLiteral("30s")});
        QVERIFY2(r.exit == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains(QStringLiteral("flags: 1 of 1")), qPrintable(r.out));
        QCOMPARE(unleashNow(), QStringLiteral("10%"));

        r = ctl({QStringLiteral("status"), QStringLiteral("--output"), QStringLiteral("json")});
        QCOMPARE(r.exit, 0);
        const QJsonObject s = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(s.value(QStringLiteral("state")).toString(), QStringLiteral("running"));
        QCOMPARE(s.value(QStringLiteral("phase")).toInt(), 1);
        QVERIFY(
            s.value(QStringLiteral("flags")).toObject().value(QStringLiteral("matches_rollout")).toBool());

        // The advance waits for the criterion to hold for the phase's 3 s, on live metrics.
        r = ctl({QStringLiteral("advance"), QStringLiteral("--as"), QStringLiteral("rm"),
                 QStringLiteral("--wait"), QStringLiteral("60s")});
        QVERIFY2(r.exit == 0, qPrintable(r.err));
        QCOMPARE(unleashNow(), QStringLiteral("50%"));

        // Someone moves the flag in Unleash itself: drift, named, never adopted.
        {
            QString problem;
            std::optional<FlagBackendSet> backends = FlagBackendSet::fromPlan(plan(), &problem);
            QVERIFY2(backends, qPrintable(problem));
            const FlagResult w = test::awaitFlag([&](QObject* ctx, FlagBackend::Done done) {
                backends->backendFor(m_flag)->apply(m_flag, FlagSetting{true, 20.0}, QStringLiteral("userId"),
                                                    ctx, std::move(done));
            });
            QVERIFY2(w.verified, qPrintable(w.message));
        }
        r = ctl({QStringLiteral("status")});
        QCOMPARE(r.exit, 1);
        QVERIFY2(r.out.contains(QStringLiteral("DRIFT: %1 is 20%").arg(m_flag)), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("the rollout says 50%")), qPrintable(r.out));

        // An override: refused to the SRE (not in override_roles), taken by the release manager.
        r = ctl({QStringLiteral("set-phase"), QStringLiteral("1"), QStringLiteral("--override"),
                 QStringLiteral("--reason"), QStringLiteral("back to 10% while we look"),
                 QStringLiteral("--as"), QStringLiteral("sre")});
        QCOMPARE(r.exit, 5);
        QVERIFY2(r.err.contains(QStringLiteral("may not override")), qPrintable(r.err));
        r = ctl({QStringLiteral("set-phase"), QStringLiteral("1"), QStringLiteral("--reason"),
                 QStringLiteral("x"), QStringLiteral("--as"), QStringLiteral("rm")});
        QCOMPARE(r.exit, 2); // without --override: a usage error, nothing changed
        r = ctl({QStringLiteral("set-phase"), QStringLiteral("1"), QStringLiteral("--override"),
                 QStringLiteral("--reason"), QStringLiteral("back to 10% while we look"),
                 QStringLiteral("--as"), QStringLiteral("rm")});
        QVERIFY2(r.exit == 0, qPrintable(r.err));
        QCOMPARE(unleashNow(), QStringLiteral("10%"));

        // On-call rolls back from the pipeline: signed, always allowed, verified.
        r = ctl({QStringLiteral("rollback"), QStringLiteral("--to-zero"), QStringLiteral("--reason"),
                 QStringLiteral("pipeline test"), QStringLiteral("--as"), QStringLiteral("sre")});
        QVERIFY2(r.exit == 0, qPrintable(r.err));
        QCOMPARE(unleashNow(), QStringLiteral("off"));
        r = ctl({QStringLiteral("status")});
        QCOMPARE(r.exit, 0);
        QVERIFY2(r.out.contains(QStringLiteral("state:  rolled back")), qPrintable(r.out));

        // Every decision is a record that verifies, signed by who decided, and in the shared store.
        SystemClock clock;
        QString problem;
        auto ledger = LocalLedger::open(m_db, clock, &problem);
        QVERIFY2(ledger, qPrintable(problem));
        const QList<LedgerRecord> records = ledger->records(m_rollout);
        QStringList kinds;
        for (const RecordVerdict& v : LedgerVerifier::verify(records, plan())) {
            QVERIFY2(v.ok, qPrintable(v.id + QStringLiteral(": ") +
                                      (v.failures.isEmpty() ? QString() : v.failures.first().why)));
            kinds.append(v.record->type + QLatin1Char('/') + v.record->actor);
        }
        for (const char* k : {"approval_recorded/sre", "phase_advanced/rm", "phase_overridden/rm",
                              "rolled_back/sre", "advance_claimed/rm"})
            QVERIFY2(kinds.contains(QString::fromLatin1(k)), qPrintable(kinds.join(QLatin1Char(' '))));
        QSqlDatabase db =
            QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), QStringLiteral("pipeline-check"));
        db.setHostName(env("ROLLOUT_PG_HOST"));
        db.setPort(env("ROLLOUT_PG_PORT").toInt());
        db.setDatabaseName(env("ROLLOUT_PG_DATABASE"));
        db.setUserName(env("ROLLOUT_PG_USER"));
        db.setPassword(env("ROLLOUT_PG_PASSWORD"));
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.prepare(QStringLiteral("SELECT count(*) FROM ledger_records WHERE rollout = ?")));
        q.addBindValue(m_rollout);
        QVERIFY(q.exec() && q.next());
        QCOMPARE(q.value(0).toInt(), records.size());
        db.close();
    }

    void aRecordedRollbackNeverAppliedIsFinishedByTheNextWatch()
    {
        // Start again (the SRE's approval was for the rollout before its rollback).
        QVERIFY(ctl({QStringLiteral("approve"), QStringLiteral("--as"), QStringLiteral("sre")}).exit == 0);
        QVERIFY(ctl({QStringLiteral("set-phase"), QStringLiteral("2"), QStringLiteral("--override"),
                     QStringLiteral("--reason"), QStringLiteral("restore for the crash test"),
                     QStringLiteral("--as"), QStringLiteral("rm")})
                    .exit == 0);
        QCOMPARE(unleashNow(), QStringLiteral("50%"));
        // A process records the rollback and dies before touching Unleash.
        {
            const Plan p = plan();
            SystemClock clock;
            TimeSeriesStore samples;
            RolloutSession session(p, samples, clock);
            QString problem;
            auto ledger = LocalLedger::open(m_db, clock, &problem);
            QVERIFY2(ledger, qPrintable(problem));
            LedgerReplay::rebuild(session, ledger->records(m_rollout));
            QCOMPARE(session.currentPhase(), 1);
            LedgerRecorder recorder(session, *ledger);
            KeyStore store(m_keys);
            auto key = store.unlock(QStringLiteral("sre"), "pipeline passphrase", &problem);
            QVERIFY2(key, qPrintable(problem));
            recorder.addKey(QStringLiteral("sre"), Ed25519::KeyPair{key->publicKey, key->secretKey});
            QVERIFY(session
                        .rollback(Actor{QStringLiteral("sre"), QStringLiteral("sre")},
                                  QStringLiteral("crash test"), true)
                        .ok);
        } // "SIGKILL": no flag was changed
        QCOMPARE(unleashNow(), QStringLiteral("50%"));
        Run r = ctl({QStringLiteral("status")});
        QCOMPARE(r.exit, 1);
        QVERIFY2(r.out.contains(QStringLiteral("NOT APPLIED YET")), qPrintable(r.out));

        // watch resumes rolled back, finishes the rollback on Unleash, and ends with 3.
        r = ctl({QStringLiteral("watch"), QStringLiteral("--tick"), QStringLiteral("250")}, 90000);
        QCOMPARE(r.exit, 3);
        QVERIFY2(r.err.contains(QStringLiteral("finishing")) || r.out.contains(QStringLiteral("finishing")),
                 qPrintable(r.out + r.err));
        QCOMPARE(unleashNow(), QStringLiteral("off"));
        r = ctl({QStringLiteral("status")});
        QCOMPARE(r.exit, 0);
    }

    void aSigkillAtEveryPointOfARollbackIsRecovered_data()
    {
        QTest::addColumn<QString>("point");
        QTest::addColumn<bool>("recorded"); // whether the rollback's record survived the kill
        QTest::newRow("before the commit") << QStringLiteral("ledger-before-commit:rolled_back") << false;
        QTest::newRow("after the commit") << QStringLiteral("ledger-after-commit:rolled_back") << true;
        QTest::newRow("during the flag change") << QStringLiteral("flag-change:rollback") << true;
        // The decision path's own stages (DecisionPath): decide → record → apply → notify.
        QTest::newRow("path: before the record")
            << QStringLiteral("decision-before-record:rolled_back") << false;
        QTest::newRow("path: after the record")
            << QStringLiteral("decision-after-record:rolled_back") << true;
        QTest::newRow("path: after the apply started")
            << QStringLiteral("decision-after-apply:rolled_back") << true;
        QTest::newRow("path: during notify") << QStringLiteral("decision-during-notify:rolled_back") << true;
    }

    void aSigkillAtEveryPointOfARollbackIsRecovered()
    {
        QFETCH(QString, point);
        QFETCH(bool, recorded);
        QVERIFY(ctl({QStringLiteral("set-phase"), QStringLiteral("2"), QStringLiteral("--override"),
                     QStringLiteral("--reason"), QStringLiteral("at 50% before the crash"),
                     QStringLiteral("--as"), QStringLiteral("rm")})
                    .exit == 0);
        QCOMPARE(unleashNow(), QStringLiteral("50%"));

        const QStringList rollback{QStringLiteral("rollback"), QStringLiteral("--to-zero"),
                                   QStringLiteral("--reason"), QStringLiteral("crash test"),
                                   QStringLiteral("--as"),     QStringLiteral("sre")};
        Run r = ctl(rollback, 60000, point);
        QCOMPARE(r.exit, -9); // killed where asked

        // Whatever the point, the ledger verifies after the restart…
        r = ctl({QStringLiteral("ledger"), QStringLiteral("verify")});
        QVERIFY2(r.exit == 0, qPrintable(r.out + r.err));
        r = ctl({QStringLiteral("status")});
        if (!recorded) {
            // …nothing was decided: the rollout is where it was, and the rollback is asked again.
            QVERIFY2(r.out.contains(QStringLiteral("phase 2 of 2")), qPrintable(r.out));
            QCOMPARE(unleashNow(), QStringLiteral("50%"));
            r = ctl(rollback);
            QCOMPARE(r.exit, 0);
        } else {
            // …the rollback is on record, and the next watch makes the flags say so.
            QVERIFY2(r.out.contains(QStringLiteral("state:  rolled back")), qPrintable(r.out));
            r = ctl({QStringLiteral("watch"), QStringLiteral("--tick"), QStringLiteral("250")}, 90000);
            QCOMPARE(r.exit, 3);
        }
        QCOMPARE(unleashNow(), QStringLiteral("off"));
        r = ctl({QStringLiteral("status")});
        QCOMPARE(r.exit, 0);
        QVERIFY2(r.out.contains(QStringLiteral("flags:  as recorded")), qPrintable(r.out));
        QVERIFY(ctl({QStringLiteral("ledger"), QStringLiteral("verify")}).exit == 0);
    }

    // The big red button from a shell, with the person's key locked (a wrong passphrase): the
    // rollback happens and is recorded, signed with this device's key, "sre's signature pending";
    // status from another process says rolled back; sre countersigns once their key is at hand.
    void aRollbackWithALockedKeyIsRecordedAndCountersignedLater()
    {
        QVERIFY(ctl({QStringLiteral("set-phase"), QStringLiteral("2"), QStringLiteral("--override"),
                     QStringLiteral("--reason"), QStringLiteral("before the locked rollback"),
                     QStringLiteral("--as"), QStringLiteral("rm")})
                    .exit == 0);
        QCOMPARE(unleashNow(), QStringLiteral("50%"));
        m_passphrase = QStringLiteral("not the passphrase");
        Run r = ctl({QStringLiteral("rollback"), QStringLiteral("--to-zero"), QStringLiteral("--reason"),
                     QStringLiteral("key locked"), QStringLiteral("--as"), QStringLiteral("sre")});
        m_passphrase = QStringLiteral("pipeline passphrase");
        QCOMPARE(r.exit, 0);
        QVERIFY2(r.out.contains(QStringLiteral("signed with this device's key, sre's signature pending")),
                 qPrintable(r.out));
        QCOMPARE(unleashNow(), QStringLiteral("off"));
        r = ctl({QStringLiteral("status")});
        QCOMPARE(r.exit, 0);
        QVERIFY2(r.out.contains(QStringLiteral("state:  rolled back")) &&
                     r.out.contains(QStringLiteral("flags:  as recorded")),
                 qPrintable(r.out));
        r = ctl({QStringLiteral("ledger"), QStringLiteral("verify")});
        QCOMPARE(r.exit, 0);
        QVERIFY2(r.out.contains(QStringLiteral("sre's signature pending")), qPrintable(r.out));
        r = ctl({QStringLiteral("countersign"), QStringLiteral("--as"), QStringLiteral("sre")});
        QCOMPARE(r.exit, 0);
        QVERIFY2(r.out.contains(QStringLiteral("countersigned")), qPrintable(r.out));
        r = ctl({QStringLiteral("ledger"), QStringLiteral("verify")});
        QCOMPARE(r.exit, 0);
        QVERIFY2(r.out.contains(QStringLiteral("countersigned by sre")) &&
                     !r.out.contains(QStringLiteral("sre's signature pending")),
                 qPrintable(r.out));
        // Nothing left to countersign.
        r = ctl({QStringLiteral("countersign"), QStringLiteral("--as"), QStringLiteral("sre")});
        QVERIFY2(r.out.contains(QStringLiteral("nothing to countersign")), qPrintable(r.out));
    }

    // The same for a decision that raises exposure (an override from zero to 50%): killed before
    // its record, nothing moved and nothing is on record; killed anywhere after, the record stands
    // and the next watch makes Unleash say so, with nothing doubled.
    void aSigkillAtEveryPointOfAnAdvanceIsRecovered_data()
    {
        QTest::addColumn<QString>("point");
        QTest::addColumn<bool>("recorded");
        QTest::newRow("before the record")
            << QStringLiteral("decision-before-record:phase_overridden") << false;
        QTest::newRow("after the record") << QStringLiteral("decision-after-record:phase_overridden") << true;
        QTest::newRow("after the apply started")
            << QStringLiteral("decision-after-apply:phase_overridden") << true;
        QTest::newRow("during the flag change") << QStringLiteral("flag-change:override") << true;
        QTest::newRow("during notify") << QStringLiteral("decision-during-notify:phase_overridden") << true;
    }

    void aSigkillAtEveryPointOfAnAdvanceIsRecovered()
    {
        QFETCH(QString, point);
        QFETCH(bool, recorded);
        // From zero (all flags off).
        QVERIFY(ctl({QStringLiteral("rollback"), QStringLiteral("--to-zero"), QStringLiteral("--reason"),
                     QStringLiteral("from zero"), QStringLiteral("--as"), QStringLiteral("sre")})
                    .exit == 0);
        QCOMPARE(unleashNow(), QStringLiteral("off"));
        auto overridesOnRecord = [this] {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("count"));
            db.setDatabaseName(m_db);
            int n = -1;
            if (db.open()) {
                QSqlQuery q(db);
                if (q.exec(QStringLiteral("SELECT COUNT(*) FROM records WHERE type = 'phase_overridden'")) &&
                    q.next())
                    n = q.value(0).toInt();
                db.close();
            }
            db = QSqlDatabase();
            QSqlDatabase::removeDatabase(QStringLiteral("count"));
            return n;
        };
        const int before = overridesOnRecord();
        const QStringList up{QStringLiteral("set-phase"),  QStringLiteral("2"),
                             QStringLiteral("--override"), QStringLiteral("--reason"),
                             QStringLiteral("crash"),      QStringLiteral("--as"),
                             QStringLiteral("rm")};
        Run r = ctl(up, 60000, point);
        QCOMPARE(r.exit, -9);
        r = ctl({QStringLiteral("ledger"), QStringLiteral("verify")});
        QVERIFY2(r.exit == 0, qPrintable(r.out + r.err));
        QCOMPARE(overridesOnRecord(), before + (recorded ? 1 : 0)); // never doubled, never lost
        if (!recorded) {
            QCOMPARE(unleashNow(), QStringLiteral("off")); // no flag moved for what was never recorded
            QCOMPARE(ctl(up).exit, 0);
        } else {
            r = ctl({QStringLiteral("status")});
            QVERIFY2(r.out.contains(QStringLiteral("phase 2 of 2")), qPrintable(r.out));
            // The next driver finishes it; watch runs on at the last phase, so it is stopped (SIGTERM,
            // which hands its lease back) once Unleash reads 50%.
            QVERIFY(watchUntil([this] { return unleashNow() == QLatin1String("50%"); }, 60000));
        }
        QCOMPARE(unleashNow(), QStringLiteral("50%"));
        QCOMPARE(overridesOnRecord(), before + 1);
        r = ctl({QStringLiteral("status")});
        QVERIFY2(r.out.contains(QStringLiteral("flags:  as recorded")), qPrintable(r.out));
        QVERIFY(ctl({QStringLiteral("ledger"), QStringLiteral("verify")}).exit == 0);
    }
};

QTEST_GUILESS_MAIN(TestPipeline)
#include "tst_pipeline.moc"
