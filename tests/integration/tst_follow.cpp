// Follow mode against the real PostgreSQL and Unleash: a `rolloutctl watch` process drives a
// rollout; a follower (a RolloutRuntime, models only, with its own ledger file and device, as a
// console would be) opened on the same plan follows it. The follower's signed decisions reach
// watch, which applies them (a rollback: flags off in Unleash, read back); watch's decisions
// reach the follower through LISTEN/NOTIFY within a second or so (asserted generously here: the
// timing goal is bench_follow's). A second watch on the same rollout is refused (exit 5). When
// watch ends it gives the lease back, and the follower takes over driving.
#include "Await.h"
#include "PlanFixture.h"
#include "RequireServers.h"
#include "TestKeys.h"
#include "flags/UnleashFeature.h"
#include "ledger/KeyStore.h"
#include "ledger/SharedStore.h"
#include "runtime/RolloutAssembly.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>
#include <sodium.h>

using namespace rollout;
using test::exchange;

namespace {

Ed25519::KeyPair rmKey()
{
    return test::seededKey("follow test rm");
}

QString env(const char* name)
{
    return qEnvironmentVariable(name);
}

struct Arrival
{
    QString type;
    QString actor;
    qint64 signedMs = 0;
    qint64 arrivedMs = 0;
};

} // namespace

class TestFollow final : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_plan, m_keys, m_flag, m_unleash, m_rollout;

    QProcess* startWatch(const QString& db)
    {
        auto* p = new QProcess(this);
        QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
        e.insert(QStringLiteral("ROLLOUT_TEST_WATCH_PASS"), QStringLiteral("automation passphrase"));
        e.insert(QStringLiteral("XDG_STATE_HOME"), m_dir.filePath(QStringLiteral("state")));
        p->setProcessEnvironment(e);
        p->start(QStringLiteral(ROLLOUT_BINARY_DIR "/app/rolloutctl"),
                 {QStringLiteral("watch"), m_plan, QStringLiteral("--db"), db, QStringLiteral("--keys-dir"),
                  m_keys, QStringLiteral("--passphrase-env"), QStringLiteral("ROLLOUT_TEST_WATCH_PASS"),
                  QStringLiteral("--tick"), QStringLiteral("250")});
        return p;
    }

    // `rolloutctl status --output json` from another process, as a person would run it.
    QJsonObject statusJson(const QString& db)
    {
        QProcess p;
        p.start(QStringLiteral(ROLLOUT_BINARY_DIR "/app/rolloutctl"),
                {QStringLiteral("status"), m_plan, QStringLiteral("--db"), db, QStringLiteral("--output"),
                 QStringLiteral("json")});
        if (!p.waitForFinished(30000)) return {};
        return QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    }

    static bool saw(QProcess* p, QByteArray* out, const QByteArray& what)
    {
        *out += p->readAllStandardOutput();
        return out->contains(what);
    }

    bool unleashEnabled(bool* enabled)
    {
        const HttpResponse r =
            exchange("GET", m_unleash + QStringLiteral("/api/admin/projects/default/features/") + m_flag, {},
                     qgetenv("ROLLOUT_UNLEASH_ADMIN_TOKEN"));
        QString problem;
        const auto feature = UnleashFeature::parse(r.body, QStringLiteral("development"), &problem);
        if (!feature) return false;
        *enabled = feature->enabled;
        return true;
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
        QString problem;
        QVERIFY2(store.create(QStringLiteral("automation"), QStringLiteral("automation"),
                              "automation passphrase", &problem),
                 qPrintable(problem));
        const QString automationKey = store.info(QStringLiteral("automation"), &problem)->publicKey;

        const QString id = QUuid::createUuid().toString(QUuid::Id128).left(8);
        m_rollout = QStringLiteral("follow-%1").arg(id);
        m_flag = QStringLiteral("follow-%1").arg(id);
        m_plan = m_dir.filePath(QStringLiteral("plan.yaml"));
        QFile f(m_plan);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QStringLiteral(
                    "rollout: %1\n"
                    "environment: development\n"
                    "auto_start: true\n"
                    "sources: {prom: {type: prometheus, url: \"%2\", timeout: 5s}}\n"
                    "backends: {unleash: {type: unleash, url: \"%3\", token_env: "
                    "ROLLOUT_UNLEASH_ADMIN_TOKEN, project: "
                    "default}}\n"
                    "flags: [{key: %4, backend: unleash, stickiness: userId}]\n"
                    "metrics:\n"
                    "  up: {source: prom, unit: count, interval: 1s, query: \"sum(up)\"}\n"
                    "triggers:\n"
                    "  - {name: nothing scraped, when: up < 0, for: 5s, kind: hard, action: rollback}\n"
                    "checklists: {go: {release: [Change approved]}}\n"
                    "phases:\n"
                    "  - {name: half, traffic: 50%, checklist: go}\n"
                    "  - {name: all, traffic: 100%}\n"
                    "people:\n"
                    "  - {id: rm, roles: [rm], key: \"%5\"}\n"
                    "  - {id: automation, roles: [automation], key: \"%6\"}\n")
                    .arg(m_rollout, env("ROLLOUT_PROMETHEUS_URL"), m_unleash, m_flag,
                         Ed25519::encodePublicKey(rmKey().publicKey), automationKey)
                    .toUtf8());
        f.close();
        exchange("POST", m_unleash + QStringLiteral("/api/admin/projects/default/features"),
                 QStringLiteral("{\"name\":\"%1\",\"type\":\"release\"}").arg(m_flag).toUtf8(),
                 qgetenv("ROLLOUT_UNLEASH_ADMIN_TOKEN"));
    }

    // The lease itself, on the store: one holder; a lapsed lease is taken; a dead local holder too.
    void theLeaseHasOneHolder()
    {
        SharedStore a(StoreSettings::fromEnvironment());
        SharedStore b(StoreSettings::fromEnvironment());
        const QString rollout =
            QStringLiteral("lease-%1").arg(QUuid::createUuid().toString(QUuid::Id128).left(8));
        LeaseHolder first = DriveLease::identity(rollout, QStringLiteral("d1"), QStringLiteral("automation"),
                                                 QStringLiteral("watch"));
        LeaseHolder second = DriveLease::identity(rollout, QStringLiteral("d2"), QStringLiteral("rm"),
                                                  QStringLiteral("console"));
        LeaseOutcome o = a.acquireLease(first, 60000);
        QVERIFY2(o.ok(), qPrintable(o.error));
        QVERIFY(o.won);
        o = b.acquireLease(second, 60000);
        QVERIFY2(o.ok(), qPrintable(o.error));
        QVERIFY(!o.won);
        QCOMPARE(o.holder.token, first.token);
        QCOMPARE(o.holder.kind, QStringLiteral("watch"));
        QVERIFY(o.holder.live());
        QVERIFY2(o.holder.describe().contains(QStringLiteral("watch (automation) on device d1")),
                 qPrintable(o.holder.describe()));
        QVERIFY(a.acquireLease(first, 1).won); // renewed, for 1 ms
        QTRY_VERIFY_WITH_TIMEOUT(!b.readLease(rollout).holder.live(), 2000);
        o = b.acquireLease(second, 60000); // lapsed: taken
        QVERIFY(o.won);
        QVERIFY(!a.acquireLease(first, 60000).won);
        // A holder whose token is named as dead is taken over at once; a release frees the row.
        QVERIFY(a.acquireLease(first, 60000, second.token).won);
        QVERIFY(a.releaseLease(rollout, first.token));
        QVERIFY(!b.readLease(rollout).holder.isSet());
    }

    void aFollowerFollowsWatchBothWays()
    {
        QByteArray out;
        QProcess* watch = startWatch(m_dir.filePath(QStringLiteral("watch.sqlite")));
        QTRY_VERIFY_WITH_TIMEOUT(saw(watch, &out, "watching"), 20000);
        QVERIFY2(out.contains("(not started"), out.constData()); // its gate waits for the checklist

        // The follower: its own ledger file (its own device), rm's key, the same store, put
        // together as the console does (RolloutAssembly, a "console" driver kind).
        SystemClock clock;
        QFile pf(m_plan);
        QVERIFY(pf.open(QIODevice::ReadOnly));
        RolloutAssembly::Options parts;
        parts.ledgerPath = m_dir.filePath(QStringLiteral("follower.sqlite"));
        parts.store = StoreSettings::fromEnvironment();
        parts.notify = false;
        parts.driverKind = QStringLiteral("console");
        parts.driverPerson = QStringLiteral("rm");
        parts.addKeys = [](LedgerRecorder& recorder) { recorder.addKey(QStringLiteral("rm"), rmKey()); };
        QString problem;
        std::unique_ptr<RolloutAssembly> assembly =
            RolloutAssembly::build(test::loadPlan(pf.readAll()), clock, std::move(parts), &problem);
        QVERIFY2(assembly, qPrintable(problem));
        RolloutRuntime& follower = assembly->runtime();
        follower.setOnScreen(false);
        QList<Arrival> arrivals;
        connect(follower.sync(), &LedgerSync::recordApplied, this,
                [&](const LedgerRecord& r, const RolloutEvent&) {
                    arrivals.append({r.type, r.actor, r.timestampMs, QDateTime::currentMSecsSinceEpoch()});
                });
        follower.start(250);
        QTRY_VERIFY_WITH_TIMEOUT(follower.lease()->state() != DriveLease::State::Pending, 10000);
        QCOMPARE(follower.lease()->state(), DriveLease::State::Following);
        QVERIFY(follower.following());
        QCOMPARE(follower.lease()->holder().kind, QStringLiteral("watch"));

        // What watch sees reaches the follower and `status` from another process: its gate (the
        // checklist it waits for), its triggers, its flags as read back, and who it is.
        QTRY_VERIFY_WITH_TIMEOUT(follower.driverView() != nullptr, 10000);
        {
            const DriverView& v = *follower.driverView();
            QCOMPARE(v.driverKind, QStringLiteral("watch"));
            QCOMPARE(v.phase, -1);
            const auto checklist =
                std::find_if(v.gate.checks.begin(), v.gate.checks.end(),
                             [](const GateCheck& c) { return c.kind == GateCheck::Kind::Checklist; });
            QVERIFY(checklist != v.gate.checks.end());
            QVERIFY(checklist->state == CheckState::NotMet);
            QCOMPARE(v.triggers.size(), 1);
            QCOMPARE(v.triggers.first().name, QStringLiteral("nothing scraped"));
            QVERIFY(v.driverLive);
        }

        const QString followerDb = m_dir.filePath(QStringLiteral("follower.sqlite"));
        QJsonObject st = statusJson(followerDb);
        QCOMPARE(st.value(QStringLiteral("gate")).toObject().value(QStringLiteral("source")).toString(),
                 QStringLiteral("driver"));
        QJsonObject driver = st.value(QStringLiteral("driver")).toObject();
        QVERIFY(driver.value(QStringLiteral("drives")).toBool());
        QCOMPARE(driver.value(QStringLiteral("holder")).toObject().value(QStringLiteral("kind")).toString(),
                 QStringLiteral("watch"));
        QCOMPARE(driver.value(QStringLiteral("triggers")).toArray().size(), 1);
        // watch says what its gate waits for.
        QTRY_VERIFY_WITH_TIMEOUT(saw(watch, &out, "gate to phase 1: "), 10000);
        QVERIFY2(out.contains("checklist"), out.constData());

        // A second watch on the same rollout is refused, naming the driver.
        QProcess* second = startWatch(m_dir.filePath(QStringLiteral("second.sqlite")));
        QVERIFY(second->waitForFinished(30000));
        QCOMPARE(second->exitCode(), 5);
        const QByteArray why = second->readAllStandardError();
        QVERIFY2(why.contains("is already driven by watch (automation)"), why.constData());

        // The follower ticks the checklist: watch applies it, the gate opens, and watch starts
        // the rollout (its decision, signed with the automation key), which reaches the follower.
        const QString item = follower.session().gateItems(0).value(0);
        QVERIFY(!item.isEmpty());
        QVERIFY(follower.session()
                    .setChecklistItem(0, item, true, Actor{QStringLiteral("rm"), QStringLiteral("rm")})
                    .ok);
        QTRY_COMPARE_WITH_TIMEOUT(follower.session().currentPhase(), 0, 30000);
        const auto advance = std::find_if(arrivals.begin(), arrivals.end(), [](const Arrival& a) {
            return a.type == QLatin1String("phase_advanced");
        });
        QVERIFY(advance != arrivals.end());
        QCOMPARE(advance->actor, QStringLiteral("automation"));
        qInfo("watch's start, signed → applied in the follower: %lld ms",
              advance->arrivedMs - advance->signedMs);
        QVERIFY2(advance->arrivedMs - advance->signedMs < 5000,
                 qPrintable(
                     QStringLiteral("signed → arrived: %1 ms").arg(advance->arrivedMs - advance->signedMs)));
        // Within 2 s of the start reaching the follower, the driver's view shows the new phase
        // and the flag as watch read it back.
        const qint64 appliedMs = QDateTime::currentMSecsSinceEpoch();
        const auto readBack50 = [&] {
            const DriverView* v = follower.driverView();
            return v && v->phase == 0 && !v->flags.isEmpty() &&
                   v->flags.first().state.contains(QLatin1String("50%"));
        };
        QTRY_VERIFY_WITH_TIMEOUT(readBack50(), 2000);
        qInfo("the start applied in the follower → the driver's view with its read-back: %lld ms",
              QDateTime::currentMSecsSinceEpoch() - appliedMs);
        // Once watch judges its trigger (the rollout runs), its evidence comes along too.
        QTRY_VERIFY_WITH_TIMEOUT(follower.driverView()->triggers.first().now != QLatin1String("no data"),
                                 10000);
        st = statusJson(followerDb);
        driver = st.value(QStringLiteral("driver")).toObject();
        const QJsonArray flagsRead = driver.value(QStringLiteral("flags_read")).toArray();
        QCOMPARE(flagsRead.size(), 1);
        QVERIFY2(flagsRead.first()
                     .toObject()
                     .value(QStringLiteral("state"))
                     .toString()
                     .contains(QLatin1String("50%")),
                 QJsonDocument(driver).toJson().constData());
        QVERIFY(driver.value(QStringLiteral("view_age_ms")).toInteger() < 10000);

        // The follower ran no engine: the start is watch's alone, and its flags are watch's.
        QTRY_VERIFY_WITH_TIMEOUT(follower.session().flagsApplied(), 20000);
        bool enabled = false;
        QVERIFY(unleashEnabled(&enabled));
        QVERIFY(enabled);

        // The follower rolls back: watch applies it, sets the flag off, reads it back, ends (3).
        QVERIFY(follower.session()
                    .rollback(Actor{QStringLiteral("rm"), QStringLiteral("rm")},
                              QStringLiteral("seen from the follower"), true)
                    .ok);
        QTRY_VERIFY_WITH_TIMEOUT(watch->state() == QProcess::NotRunning, 30000);
        out += watch->readAllStandardOutput();
        QVERIFY2(watch->exitCode() == 3, out.constData());
        QVERIFY2(out.contains("watch ended: rolled back"), out.constData());
        QVERIFY(unleashEnabled(&enabled));
        QVERIFY(!enabled);
        // Watch's read-back reaches the follower as a record: the rollback is applied.
        QTRY_VERIFY_WITH_TIMEOUT(follower.session().flagsApplied(), 20000);
        QVERIFY(follower.session().state() == RolloutState::RolledBack);

        // Watch gave the lease back on its way out: the follower takes over driving.
        QTRY_VERIFY_WITH_TIMEOUT(follower.lease()->state() == DriveLease::State::Driving, 10000);
        QVERIFY(!follower.following());
        follower.stop();
        SharedStore check(StoreSettings::fromEnvironment());
        QVERIFY(!check.readLease(m_rollout).holder.isSet()); // given back by the follower's stop()
    }
};

QTEST_GUILESS_MAIN(TestFollow)
#include "tst_follow.moc"
