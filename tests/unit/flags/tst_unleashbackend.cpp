// The Unleash backend against a scripted stand-in of the Admin API, for the faults a real
// Unleash will not produce on demand: 409 and 500 in the middle of a change, a request that
// never answers, a server that accepts a write and reads back something else. (The real server
// is exercised by tests/integration/tst_unleash.cpp.)
#include "Await.h"
#include "FakeHttpServer.h"
#include "flags/UnleashBackend.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace rollout;
using test::FakeHttpServer;

namespace {

FakeHttpServer::Reply reply(int status, QByteArray body)
{
    FakeHttpServer::Reply r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

// A one-flag Unleash: state in, JSON out; `fault` picks a request to spoil.
struct FakeUnleash
{
    bool enabled = false;
    double rollout = -1;       // < 0: no strategy
    bool ignoreWrites = false; // answers 200 to a write and keeps the old value
    QByteArray faultOn;        // "METHOD suffix" to spoil, e.g. "PUT /strategies/s1"
    FakeHttpServer::Reply fault;
    QList<QByteArray> seen;

    QByteArray feature() const
    {
        QJsonArray strategies;
        if (rollout >= 0)
            strategies.append(
                QJsonObject{{QStringLiteral("id"), QStringLiteral("s1")},
                            {QStringLiteral("name"), QStringLiteral("flexibleRollout")},
                            {QStringLiteral("parameters"),
                             QJsonObject{{QStringLiteral("rollout"), QString::number(rollout)},
                                         {QStringLiteral("stickiness"), QStringLiteral("userId")}}}});
        const QJsonObject env{{QStringLiteral("name"), QStringLiteral("production")},
                              {QStringLiteral("enabled"), enabled},
                              {QStringLiteral("strategies"), strategies}};
        return QJsonDocument(QJsonObject{{QStringLiteral("name"), QStringLiteral("checkout")},
                                         {QStringLiteral("environments"), QJsonArray{env}}})
            .toJson();
    }

    FakeHttpServer::Reply handle(const QByteArray& method, const QByteArray& path, const QByteArray& body)
    {
        const QByteArray request = method + ' ' + path;
        seen.append(request);
        if (!faultOn.isEmpty() && request.startsWith(faultOn.left(faultOn.indexOf(' ') + 1)) &&
            path.endsWith(faultOn.mid(faultOn.indexOf(' ') + 1)))
            return fault;
        const QByteArray base = "/api/admin/projects/default/features/checkout";
        if (!path.startsWith(base))
            return reply(404, R"({"name":"NotFoundError","message":"Could not find feature flag"})");
        const QByteArray rest = path.mid(base.size());
        if (method == "GET" && rest.isEmpty()) return reply(200, feature());
        const double asked = QJsonDocument::fromJson(body)
                                 .object()
                                 .value(QStringLiteral("parameters"))
                                 .toObject()
                                 .value(QStringLiteral("rollout"))
                                 .toString()
                                 .toDouble();
        if (method == "POST" && rest.endsWith("/strategies")) {
            if (!ignoreWrites) rollout = asked;
            return reply(200, R"({"id":"s1"})");
        }
        if (method == "PUT" && rest.endsWith("/strategies/s1")) {
            if (!ignoreWrites) rollout = asked;
            return reply(200, "{}");
        }
        if (method == "POST" && rest.endsWith("/on")) {
            if (!ignoreWrites) enabled = true;
            return reply(200, QByteArray());
        }
        if (method == "POST" && rest.endsWith("/off")) {
            if (!ignoreWrites) enabled = false;
            return reply(200, QByteArray());
        }
        return reply(400, "{}");
    }
};

std::unique_ptr<UnleashBackend> backendFor(const FakeHttpServer& server, qint64 timeoutMs = 3000)
{
    qputenv("ROLLOUT_TEST_UNLEASH_TOKEN", "*:*.secret-value");
    UnleashBackend::Options o;
    o.url = QUrl(server.url());
    o.environment = QStringLiteral("production");
    o.tokenEnv = QStringLiteral("ROLLOUT_TEST_UNLEASH_TOKEN");
    o.timeoutMs = timeoutMs;
    return std::make_unique<UnleashBackend>(QStringLiteral("unleash"), o);
}

FlagResult applyTo(UnleashBackend& b, FlagSetting s)
{
    return test::awaitFlag([&](QObject* ctx, auto done) {
        b.apply(QStringLiteral("checkout"), s, QStringLiteral("userId"), ctx, done);
    });
}

} // namespace

class TestUnleashBackend final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void createsTheStrategyThenSwitchesOnThenReadsBack()
    {
        FakeUnleash fake;
        FakeHttpServer server([&](auto m, auto p, auto b) { return fake.handle(m, p, b); });
        auto unleash = backendFor(server);
        const FlagResult r = applyTo(*unleash, {true, 10.0});
        QVERIFY2(r.verified, qPrintable(r.describe()));
        QCOMPARE(fake.seen.size(), 4);
        QVERIFY(fake.seen[0].startsWith("GET "));
        QVERIFY(fake.seen[1].startsWith("POST ") &&
                fake.seen[1].endsWith("/environments/production/strategies"));
        QVERIFY(fake.seen[2].endsWith("/on"));
        QVERIFY(fake.seen[3].startsWith("GET "));
        QVERIFY(server.lastHead().contains("Authorization: *:*.secret-value"));
        // Off goes first and alone: the quickest way to stop exposure.
        fake.seen.clear();
        QVERIFY(applyTo(*unleash, {false, 0.0}).verified);
        QCOMPARE(fake.seen.size(), 3);
        QVERIFY(fake.seen[1].endsWith("/off"));
    }

    void faults_data()
    {
        QTest::addColumn<QByteArray>("faultOn");
        QTest::addColumn<int>("status");
        QTest::addColumn<bool>("hang");
        QTest::addColumn<QString>("step");
        QTest::addColumn<bool>("transient");
        QTest::addColumn<QString>("message");
        QTest::newRow("409 on the write") << QByteArray("PUT /strategies/s1") << 409 << false
                                          << "write strategy" << false << "conflict (409)";
        QTest::newRow("500 on the first read")
            << QByteArray("GET /checkout") << 500 << false << "read" << true << "HTTP 500";
        QTest::newRow("401") << QByteArray("GET /checkout") << 401 << false << "read" << false
                             << "the token was refused (401)";
        QTest::newRow("403 on the switch")
            << QByteArray("POST /on") << 403 << false << "enable" << false << "may not do this (403)";
        QTest::newRow("no answer on the switch")
            << QByteArray("POST /on") << 0 << true << "enable" << true << "no answer within the deadline";
    }

    void faults()
    {
        QFETCH(QByteArray, faultOn);
        QFETCH(int, status);
        QFETCH(bool, hang);
        QFETCH(QString, step);
        QFETCH(bool, transient);
        QFETCH(QString, message);
        FakeUnleash fake;
        fake.rollout = 5; // a strategy exists: the write is a PUT
        fake.faultOn = faultOn;
        fake.fault.status = status;
        fake.fault.hang = hang;
        fake.fault.body = R"({"name":"Error","message":"scripted"})";
        FakeHttpServer server([&](auto m, auto p, auto b) { return fake.handle(m, p, b); });
        auto unleash = backendFor(server, 500);
        const FlagResult r = applyTo(*unleash, {true, 10.0});
        QVERIFY(!r.verified);
        QCOMPARE(r.step, step);
        QCOMPARE(r.transient, transient);
        QVERIFY2(r.message.contains(message), qPrintable(r.message));
        QVERIFY2(r.message.contains(server.url()), qPrintable(r.message)); // names the server
        QVERIFY(!r.message.contains(QStringLiteral("secret-value")));
        if (!hang) QCOMPARE(r.status, status);
    }

    void aReadBackThatDisagreesIsNotVerified()
    {
        FakeUnleash fake;
        fake.rollout = 50;
        fake.enabled = true;
        fake.ignoreWrites = true;
        FakeHttpServer server([&](auto m, auto p, auto b) { return fake.handle(m, p, b); });
        auto unleash = backendFor(server);
        const FlagResult r = applyTo(*unleash, {true, 25.0});
        QVERIFY(!r.verified);
        QCOMPARE(r.step, QStringLiteral("read back"));
        QVERIFY2(
            r.message.contains(QStringLiteral("reads back 50% sticky on userId, not 25% sticky on userId")),
            qPrintable(r.message));
    }

    void anUnsetTokenSendsNothing()
    {
        FakeUnleash fake;
        FakeHttpServer server([&](auto m, auto p, auto b) { return fake.handle(m, p, b); });
        UnleashBackend::Options o;
        o.url = QUrl(server.url());
        o.tokenEnv = QStringLiteral("ROLLOUT_TEST_NOT_SET_ANYWHERE");
        UnleashBackend unleash(QStringLiteral("u"), o);
        const FlagResult r = test::awaitFlag(
            [&](QObject* ctx, auto done) { unleash.read(QStringLiteral("checkout"), ctx, done); });
        QCOMPARE(r.step, QStringLiteral("credentials"));
        QVERIFY(r.message.contains(QStringLiteral("ROLLOUT_TEST_NOT_SET_ANYWHERE")));
        QCOMPARE(server.requests(), 0);
    }
};

QTEST_GUILESS_MAIN(TestUnleashBackend)
#include "tst_unleashbackend.moc"
