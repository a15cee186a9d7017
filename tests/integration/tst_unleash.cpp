// Against a real Unleash 7.5.1 on PostgreSQL (started by scripts/services.sh): a flag walked
// 1 → 10 → 25 → 50, rolled back, disabled and enabled, every step confirmed by a separate read
// (the Admin API and the client API a service reads); one segment held off; several flags in one
// operation where one cannot move; a wrong token; a server that is gone.
#include "Await.h"
#include "RequireServers.h"
#include "flags/FlagChangeRunner.h"
#include "flags/UnleashBackend.h"
#include "flags/UnleashFeature.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpServer>
#include <QTest>
#include <QUuid>

using namespace rollout;
using test::awaitFlag;
using test::awaitRun;
using test::exchange;

namespace {

const char* kTokenEnv = "ROLLOUT_UNLEASH_ADMIN_TOKEN";

QString uniqueKey(const char* stem)
{
    return QStringLiteral("%1-%2").arg(QLatin1String(stem),
                                       QUuid::createUuid().toString(QUuid::Id128).left(8));
}

} // namespace

class TestUnleashIntegration final : public QObject
{
    Q_OBJECT
    QString m_url;
    QByteArray m_admin, m_client;

    QString features() const { return m_url + QStringLiteral("/api/admin/projects/default/features"); }

    void createFlag(const QString& key)
    {
        const QByteArray body = QStringLiteral("{\"name\":\"%1\",\"type\":\"release\"}").arg(key).toUtf8();
        const HttpResponse r = exchange("POST", features(), body, m_admin);
        QVERIFY2(r.status == 201 || r.status == 200, qPrintable(QStringLiteral("create %1: HTTP %2 %3")
                                                                    .arg(key)
                                                                    .arg(r.status)
                                                                    .arg(QString::fromUtf8(r.body))));
    }

    // A separate read through the Admin API, not through the backend under test.
    UnleashFeature adminRead(const QString& key)
    {
        const HttpResponse r = exchange("GET", features() + QLatin1Char('/') + key, {}, m_admin);
        QString problem;
        const auto f = UnleashFeature::parse(r.body, QStringLiteral("development"), &problem);
        if (!f) qWarning("admin read of %s: %s", qPrintable(key), qPrintable(problem));
        return f.value_or(UnleashFeature{});
    }

    // What a service sees: the client API with a backend token.
    QJsonObject clientRead(const QString& key)
    {
        const HttpResponse r =
            exchange("GET", m_url + QStringLiteral("/api/client/features/") + key, {}, m_client);
        return QJsonDocument::fromJson(r.body).object();
    }

    std::unique_ptr<UnleashBackend> backend(const QString& url = {},
                                            const QString& tokenEnv = QLatin1String(kTokenEnv),
                                            qint64 timeoutMs = 5000)
    {
        UnleashBackend::Options o;
        o.url = QUrl(url.isEmpty() ? m_url : url);
        o.environment = QStringLiteral("development");
        o.tokenEnv = tokenEnv;
        o.timeoutMs = timeoutMs;
        return std::make_unique<UnleashBackend>(QStringLiteral("unleash"), o);
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_url = qEnvironmentVariable("ROLLOUT_UNLEASH_URL");
        m_admin = qgetenv(kTokenEnv);
        m_client = qgetenv("ROLLOUT_UNLEASH_CLIENT_TOKEN");
        if (m_url.isEmpty() || m_admin.isEmpty())
            ROLLOUT_SKIP_OR_FAIL(
                "run through scripts/test.sh: ROLLOUT_UNLEASH_URL / ROLLOUT_UNLEASH_ADMIN_TOKEN unset");
    }

    void walksUpRollsBackDisablesAndEnables()
    {
        const QString key = uniqueKey("walk");
        createFlag(key);
        auto unleash = backend();
        for (double percent : {1.0, 10.0, 25.0, 50.0}) {
            const FlagResult r = awaitFlag([&](QObject* ctx, auto done) {
                unleash->apply(key, FlagSetting{true, percent}, QStringLiteral("userId"), ctx, done);
            });
            QVERIFY2(r.verified, qPrintable(r.describe()));
            QCOMPARE(r.after.percent, percent);
            // Confirmed by a separate read, through the Admin API and through the client API.
            const UnleashFeature f = adminRead(key);
            QVERIFY(f.enabled);
            QCOMPARE(f.rollout, percent);
            QCOMPARE(f.stickiness, QStringLiteral("userId"));
            const QJsonObject client = clientRead(key);
            QVERIFY(client.value(QStringLiteral("enabled")).toBool());
            const QJsonArray strategies = client.value(QStringLiteral("strategies")).toArray();
            QCOMPARE(strategies.size(), 1);
            QCOMPARE(strategies.first()
                         .toObject()
                         .value(QStringLiteral("parameters"))
                         .toObject()
                         .value(QStringLiteral("rollout"))
                         .toString(),
                     QString::number(percent));
        }
        // Rollback to the previous phase.
        FlagResult r = awaitFlag([&](QObject* ctx, auto done) {
            unleash->apply(key, FlagSetting{true, 25.0}, QStringLiteral("userId"), ctx, done);
        });
        QVERIFY2(r.verified, qPrintable(r.describe()));
        QCOMPARE(r.before.percent, 50.0);
        QCOMPARE(adminRead(key).rollout, 25.0);
        // Disable: the environment goes off, the client API says so.
        r = awaitFlag([&](QObject* ctx, auto done) {
            unleash->apply(key, FlagSetting{false, 0.0}, QStringLiteral("userId"), ctx, done);
        });
        QVERIFY2(r.verified, qPrintable(r.describe()));
        QVERIFY(!adminRead(key).enabled);
        QVERIFY(!clientRead(key).value(QStringLiteral("enabled")).toBool());
        // Disabling again is harmless (idempotent) and still verified.
        r = awaitFlag([&](QObject* ctx, auto done) {
            unleash->apply(key, FlagSetting{false, 0.0}, QStringLiteral("userId"), ctx, done);
        });
        QVERIFY2(r.verified, qPrintable(r.describe()));
        // Enable again at 25%.
        r = awaitFlag([&](QObject* ctx, auto done) {
            unleash->apply(key, FlagSetting{true, 25.0}, QStringLiteral("userId"), ctx, done);
        });
        QVERIFY2(r.verified, qPrintable(r.describe()));
        QVERIFY(adminRead(key).enabled);
        QVERIFY(clientRead(key).value(QStringLiteral("enabled")).toBool());
        // The backend's own read agrees.
        r = awaitFlag([&](QObject* ctx, auto done) { unleash->read(key, ctx, done); });
        QVERIFY(r.verified);
        QVERIFY(r.after.matches(FlagSetting{true, 25.0}));
    }

    void holdsOneSegmentOffAndReleasesIt()
    {
        const QString key = uniqueKey("segment");
        createFlag(key);
        auto unleash = backend();
        QVERIFY(awaitFlag([&](QObject* ctx, auto done) {
                    unleash->apply(key, FlagSetting{true, 10.0}, QStringLiteral("userId"), ctx, done);
                }).verified);
        FlagResult r = awaitFlag([&](QObject* ctx, auto done) {
            unleash->setSegment(key, QStringLiteral("beta_users"), false, ctx, done);
        });
        QVERIFY2(r.verified, qPrintable(r.describe()));
        QCOMPARE(adminRead(key).heldOffSegments, QStringList{QStringLiteral("beta_users")});
        QCOMPARE(adminRead(key).rollout, 10.0); // everyone else untouched
        r = awaitFlag([&](QObject* ctx, auto done) {
            unleash->setSegment(key, QStringLiteral("beta_users"), true, ctx, done);
        });
        QVERIFY2(r.verified, qPrintable(r.describe()));
        QVERIFY(adminRead(key).heldOffSegments.isEmpty());
    }

    void aRollbackGoesOnWhenOneFlagCannotMove()
    {
        const QString a = uniqueKey("multi-a"), b = uniqueKey("multi-b"),
                      missing = uniqueKey("never-created");
        createFlag(a);
        createFlag(b);
        FlagBackendSet set;
        set.add(backend());
        for (const QString& k : {a, missing, b})
            set.assign(k, QStringLiteral("unleash"), QStringLiteral("userId"));
        FlagChangeRunner runner(set);
        FlagChangeRunner::Options o;
        o.deadlineMs = 10000;
        FlagChangeReport up = awaitRun(runner, {{a, {true, 50.0}, {}, true}, {b, {true, 50.0}, {}, true}}, o);
        QVERIFY2(up.allVerified(), qPrintable(up.summary()));
        const FlagChangeReport back = awaitRun(
            runner,
            {{a, {true, 25.0}, {}, true}, {missing, {true, 25.0}, {}, true}, {b, {true, 25.0}, {}, true}}, o);
        QCOMPARE(back.results.size(), 3);
        QCOMPARE(back.notMoved(), QStringList{missing});
        QVERIFY(back.results[0].verified && back.results[2].verified);
        QCOMPARE(back.results[1].status, 404);
        QCOMPARE(back.results[1].attempts, 1); // a 404 is not retried
        QVERIFY2(back.summary().startsWith(QStringLiteral("ESCALATE: 1 of 3")), qPrintable(back.summary()));
        QCOMPARE(adminRead(a).rollout, 25.0);
        QCOMPARE(adminRead(b).rollout, 25.0);
    }

    void aWrongTokenChangesNothing()
    {
        const QString key = uniqueKey("token");
        createFlag(key);
        auto good = backend();
        QVERIFY(awaitFlag([&](QObject* ctx, auto done) {
                    good->apply(key, FlagSetting{true, 10.0}, {}, ctx, done);
                }).verified);
        qputenv("ROLLOUT_TEST_WRONG_TOKEN", "*:*.not-the-secret");
        auto bad = backend({}, QStringLiteral("ROLLOUT_TEST_WRONG_TOKEN"));
        const FlagResult r = awaitFlag([&](QObject* ctx, auto done) {
            bad->apply(key, FlagSetting{false, 0.0}, {}, ctx, done);
        });
        QVERIFY(!r.verified);
        QCOMPARE(r.status, 401);
        QCOMPARE(r.step, QStringLiteral("read"));
        QVERIFY2(r.message.contains(QStringLiteral("token was refused")), qPrintable(r.message));
        QVERIFY(!r.message.contains(QStringLiteral("not-the-secret")));
        QVERIFY(adminRead(key).enabled);
        QCOMPARE(adminRead(key).rollout, 10.0);
        // An unset variable: nothing is sent, the variable (not a value) is named.
        auto unset = backend({}, QStringLiteral("ROLLOUT_TEST_NO_SUCH_TOKEN"));
        const FlagResult u = awaitFlag([&](QObject* ctx, auto done) { unset->read(key, ctx, done); });
        QCOMPARE(u.step, QStringLiteral("credentials"));
        QVERIFY(u.message.contains(QStringLiteral("ROLLOUT_TEST_NO_SUCH_TOKEN")));
    }

    void anUnknownFlagIsNamed()
    {
        auto unleash = backend();
        const FlagResult r = awaitFlag([&](QObject* ctx, auto done) {
            unleash->apply(QStringLiteral("no-such-flag-xyz"), FlagSetting{true, 10.0}, {}, ctx, done);
        });
        QVERIFY(!r.verified);
        QCOMPARE(r.status, 404);
        QVERIFY2(r.message.contains(QStringLiteral("no-such-flag-xyz")), qPrintable(r.message));
    }

    void aServerThatIsGoneEscalatesAtTheDeadline()
    {
        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
        const QString dead = QStringLiteral("http://127.0.0.1:%1").arg(closed.serverPort());
        closed.close(); // the port is now refused
        FlagBackendSet set;
        set.add(backend(dead));
        set.assign(QStringLiteral("checkout"), QStringLiteral("unleash"));
        FlagChangeRunner runner(set);
        FlagChangeRunner::Options o;
        o.deadlineMs = 2000;
        o.firstBackoffMs = 100;
        const FlagChangeReport r =
            awaitRun(runner, {{QStringLiteral("checkout"), {false, 0.0}, {}, true}}, o);
        QVERIFY(!r.allVerified());
        QVERIFY(r.results.first().attempts >= 3); // retried with backoff while the deadline allowed
        QVERIFY(r.results.first().transient);
        QVERIFY2(r.summary().startsWith(QStringLiteral("ESCALATE")), qPrintable(r.summary()));
        QVERIFY(r.elapsedMs <= 2500);
    }
};

QTEST_GUILESS_MAIN(TestUnleashIntegration)
#include "tst_unleash.moc"
