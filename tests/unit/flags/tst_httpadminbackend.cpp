// The HTTP admin API flag backend against a stateful fake of seed 003's admin API: the walk
// 1 → 10 → 25 → 50 → 100 → off → on, each write confirmed by a status read; the exact bodies and
// the bearer token sent; and a table of faults, each reported at its step, never as verified.
#include "FakeHttpServer.h"
#include "PlanFixture.h"
#include "flags/HttpAdminBackend.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpServer>
#include <QTest>

using namespace rollout;
using Reply = test::FakeHttpServer::Reply;

namespace {

const char* kToken = "s3cret-admin-token-003";
const QString kFlag = QStringLiteral("USE_MODERN_BRAIN_API");

Reply json(const QByteArray& body, int status = 200)
{
    return Reply{status, body, {}, false, false, 0};
}

// Seed 003's admin API as far as flags go: enable/disable and the A/B rollout percentage are
// remembered when their calls arrive and served on GET …/status, so a read-back shows what the
// server really holds. `fault` may answer a request instead (after the token was checked).
class FakeAdminApi final
{
public:
    FakeAdminApi()
        : m_server([this](const QByteArray& m, const QByteArray& p, const QByteArray& b) {
              return handle(m, p, b);
          })
    {
    }

    bool enabled = false;
    double percent = 0.0;
    QStringList heldOff;
    QList<QByteArray> writes; // "POST /path body", in order
    std::function<std::optional<Reply>(const QByteArray& method, const QByteArray& path)> fault;

    QString url() const { return m_server.url(); }
    int requests() const { return m_server.requests(); }
    QList<QByteArray> paths() const { return m_server.paths(); }
    QByteArray lastHead() const { return m_server.lastHead(); }

private:
    Reply handle(const QByteArray& method, const QByteArray& path, const QByteArray& body)
    {
        if (!m_server.lastHead().contains(QByteArrayLiteral("Authorization: Bearer ") + kToken))
            return json(R"({"error":"unauthorized"})", 401);
        if (fault)
            if (const auto r = fault(method, path)) return *r;
        if (method == "GET" && path == "/api/admin/feature-flags/status") {
            const QJsonDocument doc(
                QJsonObject{{QStringLiteral("flags"),
                             QJsonObject{{kFlag, QJsonObject{{QStringLiteral("enabled"), enabled}}}}},
                            {QStringLiteral("abTesting"),
                             QJsonObject{{QStringLiteral("rolloutPercentage"), percent},
                                         {QStringLiteral("heldOff"), QJsonArray::fromStringList(heldOff)}}}});
            return json(doc.toJson(QJsonDocument::Compact));
        }
        writes.append(method + ' ' + path + ' ' + body);
        const QJsonObject in = QJsonDocument::fromJson(body).object();
        if (method != "POST") return json(R"({"error":"method not allowed"})", 405);
        if (path == "/api/admin/ab-testing/update") {
            percent = in.value(QStringLiteral("rolloutPercentage")).toDouble(-1);
            return json(R"({"ok":true})");
        }
        if (path == "/api/admin/feature-flags/enable" || path == "/api/admin/feature-flags/disable") {
            if (in.value(QStringLiteral("flag")).toString() != kFlag)
                return json(R"({"error":"unknown flag"})", 404);
            enabled = path.endsWith("/enable");
            return json(R"({"ok":true})");
        }
        if (path == "/api/admin/segments/update") {
            const QString segment = in.value(QStringLiteral("segment")).toString();
            heldOff.removeAll(segment);
            if (!in.value(QStringLiteral("enabled")).toBool(true)) heldOff.append(segment);
            return json(R"({"ok":true})");
        }
        return json(R"({"error":"no such endpoint"})", 404);
    }

    test::FakeHttpServer m_server;
};

// Seed 003's backend exactly as shipped, pointed at `url`.
BackendSpec shippedBackend(const QString& url)
{
    const PlanLoadResult r =
        PlanLoader::loadBytes(test::sourceFile(QStringLiteral("resources/plans/modern-brain-api.yaml")),
                              QStringLiteral("modern-brain-api.yaml"));
    if (!r.plan) qFatal("seed 003's plan does not load");
    BackendSpec spec = *r.plan->backend(QStringLiteral("admin"));
    spec.url = url;
    return spec;
}

// Waits for the one result of a backend call.
struct Outcome
{
    std::optional<FlagResult> result;
    FlagBackend::Done done()
    {
        result.reset();
        return [this](const FlagResult& r) { result = r; };
    }
    bool wait()
    {
        return QTest::qWaitFor([this] { return result.has_value(); }, 15000);
    }
};

QByteArray enableBody(bool on)
{
    return QByteArrayLiteral("{\"flag\": \"USE_MODERN_BRAIN_API\", \"value\": ") + (on ? "true" : "false") +
           '}';
}

} // namespace

// No raw string literal below holds a backslash: moc's lexer reads one as an escape and loses the class.
class TestHttpAdminBackend final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init() { qputenv("BRAIN_ADMIN_TOKEN", kToken); }
    void cleanup() { qunsetenv("BRAIN_ADMIN_TOKEN"); }

    void expand_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("target");
        QTest::addColumn<QString>("expected");
        const int path = int(HttpAdminBackend::Target::Path), body = int(HttpAdminBackend::Target::Body),
                  pointer = int(HttpAdminBackend::Target::Pointer);
        QTest::newRow("seed body") << QStringLiteral(R"({"flag": "{flag}", "value": {enabled}})") << body
                                   << QStringLiteral("{\"flag\": \"we\\\"ird\\\\flag/x\", \"value\": true}");
        QTest::newRow("whole percent") << QStringLiteral(R"({"rolloutPercentage": {percent}})") << body
                                       << QStringLiteral(R"({"rolloutPercentage": 12.5})");
        QTest::newRow("segment in body") << QStringLiteral(R"({"segment": "{segment}"})") << body
                                         << QStringLiteral("{\"segment\": \"beta \\\"users\\\"\"}");
        QTest::newRow("path encodes")
            << QStringLiteral("/flags/{flag}/segments/{segment}?on={enabled}") << path
            << QStringLiteral("/flags/we%22ird%5Cflag%2Fx/segments/beta%20%22users%22?on=true");
        QTest::newRow("pointer escapes") << QStringLiteral("/flags/{flag}/enabled") << pointer
                                         << QStringLiteral("/flags/we\"ird\\flag~1x/enabled");
        QTest::newRow("no substitution inside a value")
            << QStringLiteral("{segment}") << body << QStringLiteral("beta \\\"users\\\"");
        QTest::newRow("unknown placeholder kept")
            << QStringLiteral("{flag}-{other}") << body << QStringLiteral("we\\\"ird\\\\flag/x-{other}");
    }

    void expand()
    {
        QFETCH(QString, text);
        QFETCH(int, target);
        QFETCH(QString, expected);
        const HttpAdminBackend::Values values{QStringLiteral("we\"ird\\flag/x"), 12.5,
                                              QStringLiteral("beta \"users\""), true};
        QCOMPARE(HttpAdminBackend::expand(text, values, HttpAdminBackend::Target(target)), expected);
        // A placeholder's value is never itself expanded again.
        const HttpAdminBackend::Values sneaky{QStringLiteral("{percent}"), 5.0, std::nullopt, std::nullopt};
        QCOMPARE(HttpAdminBackend::expand(QStringLiteral("{flag}/{percent}"), sneaky,
                                          HttpAdminBackend::Target::Body),
                 QStringLiteral("{percent}/5"));
    }

    void percentIsABareNumber()
    {
        const HttpAdminBackend::Values v{kFlag, 25.0, std::nullopt, false};
        QCOMPARE(HttpAdminBackend::expand(QStringLiteral("{percent} {enabled}"), v,
                                          HttpAdminBackend::Target::Body),
                 QStringLiteral("25 false"));
    }

    void parseStatus_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("enabledPointer");
        QTest::addColumn<QString>("percentPointer");
        QTest::addColumn<QString>("state"); // FlagState::describe(), or empty when it fails
        QTest::addColumn<QString>("problem");
        const QString e = QStringLiteral("/flags/{flag}/enabled"), p = QStringLiteral("/ab/pct");
        QTest::newRow("on at 25") << QByteArray(R"({"flags":{"F":{"enabled":true}},"ab":{"pct":25}})") << e
                                  << p << QStringLiteral("25%") << QString();
        QTest::newRow("off keeps its percent")
            << QByteArray(R"({"flags":{"F":{"enabled":false}},"ab":{"pct":25}})") << e << p
            << QStringLiteral("off") << QString();
        QTest::newRow("on at 0% is off") << QByteArray(R"({"flags":{"F":{"enabled":true}},"ab":{"pct":0}})")
                                         << e << p << QStringLiteral("off") << QString();
        QTest::newRow("quoted") << QByteArray(R"({"flags":{"F":{"enabled":"true"}},"ab":{"pct":"12.5"}})")
                                << e << p << QStringLiteral("12.5%") << QString();
        QTest::newRow("switch only") << QByteArray(R"({"flags":{"F":{"enabled":true}}})") << e << QString()
                                     << QStringLiteral("on") << QString();
        QTest::newRow("percent only")
            << QByteArray(R"({"ab":{"pct":50}})") << QString() << p << QStringLiteral("50%") << QString();
        QTest::newRow("unknown flag")
            << QByteArray(R"({"flags":{}})") << e << p << QString()
            << QStringLiteral("no value at /flags/F/enabled: is the flag \"F\" defined");
        QTest::newRow("not a boolean")
            << QByteArray(R"({"flags":{"F":{"enabled":"yes please"}},"ab":{"pct":1}})") << e << p << QString()
            << QStringLiteral("not true or false");
        QTest::newRow("over 100") << QByteArray(R"({"flags":{"F":{"enabled":true}},"ab":{"pct":250}})") << e
                                  << p << QString() << QStringLiteral("not a percentage between 0 and 100");
        QTest::newRow("html") << QByteArray("<html>502 Bad Gateway</html>") << e << p << QString()
                              << QStringLiteral("the answer is not JSON");
    }

    void parseStatus()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, enabledPointer);
        QFETCH(QString, percentPointer);
        QFETCH(QString, state);
        QFETCH(QString, problem);
        HttpCall status;
        status.enabled = enabledPointer;
        status.percent = percentPointer;
        QString why;
        const auto s = HttpAdminBackend::parseStatus(body, status, QStringLiteral("F"), &why);
        if (state.isEmpty()) {
            QVERIFY(!s);
            QVERIFY2(why.contains(problem), qPrintable(why));
        } else {
            QVERIFY2(s, qPrintable(why));
            QCOMPARE(s->describe(), state);
        }
    }

    // Seed 003's rollout as its plan ships: every step written, then read back by a status call,
    // then confirmed once more by a separate read.
    void walksTheSeedsRollout()
    {
        FakeAdminApi api;
        HttpAdminBackend backend(shippedBackend(api.url()));
        QObject context;
        Outcome out;
        const QList<FlagSetting> walk = {{true, 1},   {true, 10}, {true, 25}, {true, 50},
                                         {true, 100}, {false, 0}, {true, 100}};
        for (const FlagSetting& setting : walk) {
            api.writes.clear();
            backend.apply(kFlag, setting, QStringLiteral("userId"), &context, out.done());
            QVERIFY(out.wait());
            const FlagResult& r = *out.result;
            QVERIFY2(r.verified, qPrintable(r.describe()));
            QCOMPARE(r.flag, kFlag);
            QCOMPARE(r.backend, QStringLiteral("admin"));
            QCOMPARE(r.after.setting(), setting);
            QCOMPARE(api.enabled, setting.enabled);
            if (setting.enabled) {
                QCOMPARE(api.percent, setting.percent);
                QCOMPARE(api.writes,
                         (QList<QByteArray>{"POST /api/admin/ab-testing/update {\"rolloutPercentage\": " +
                                                QByteArray::number(setting.percent) + '}',
                                            "POST /api/admin/feature-flags/enable " + enableBody(true)}));
            } else {
                QCOMPARE(api.writes,
                         QList<QByteArray>{"POST /api/admin/feature-flags/disable " + enableBody(false)});
            }
            QCOMPARE(api.paths().last(),
                     QByteArray("/api/admin/feature-flags/status")); // the read-back came last

            const int before = api.requests();
            backend.read(kFlag, &context, out.done());
            QVERIFY(out.wait());
            QVERIFY2(out.result->verified, qPrintable(out.result->describe()));
            QVERIFY(out.result->after.matches(setting));
            QCOMPARE(api.requests(), before + 1);
        }
        const QByteArray head = api.lastHead();
        QVERIFY2(head.contains(QByteArrayLiteral("Authorization: Bearer ") + kToken), head.constData());
    }

    void sendsJsonWithTheBearerToken()
    {
        FakeAdminApi api;
        HttpAdminBackend backend(shippedBackend(api.url()));
        QObject context;
        Outcome out;
        QByteArray head;
        api.fault = [&](const QByteArray& method, const QByteArray&) -> std::optional<Reply> {
            if (method == "POST" && head.isEmpty()) head = api.lastHead();
            return std::nullopt;
        };
        backend.apply(kFlag, FlagSetting{true, 12.5}, QStringLiteral("userId"), &context, out.done());
        QVERIFY(out.wait());
        QVERIFY2(out.result->verified, qPrintable(out.result->describe()));
        QVERIFY2(head.contains(QByteArrayLiteral("Authorization: Bearer ") + kToken), head.constData());
        QVERIFY2(head.toLower().contains("content-type: application/json"), head.constData());
        QCOMPARE(api.writes.first(),
                 QByteArray("POST /api/admin/ab-testing/update {\"rolloutPercentage\": 12.5}"));
        QVERIFY(!out.result->message.contains(QLatin1String(kToken)));
    }

    void withoutADisableCallOffIsZeroPercent()
    {
        FakeAdminApi api;
        BackendSpec spec = shippedBackend(api.url());
        spec.calls.remove(QStringLiteral("disable"));
        HttpAdminBackend backend(spec);
        QObject context;
        Outcome out;
        api.enabled = true;
        api.percent = 50;
        backend.apply(kFlag, FlagSetting{false, 0}, QString(), &context, out.done());
        QVERIFY(out.wait());
        QVERIFY2(out.result->verified, qPrintable(out.result->describe()));
        QCOMPARE(api.writes,
                 QList<QByteArray>{"POST /api/admin/ab-testing/update {\"rolloutPercentage\": 0}"});
        QCOMPARE(api.percent, 0.0);
    }

    void setsOneSegment()
    {
        FakeAdminApi api;
        BackendSpec spec = shippedBackend(api.url());
        spec.calls.insert(
            QStringLiteral("set_segment"),
            HttpCall{QStringLiteral("POST"),
                     QStringLiteral("/api/admin/segments/update"),
                     QStringLiteral(R"({"flag": "{flag}", "segment": "{segment}", "enabled": {enabled}})"),
                     {},
                     {},
                     {}});
        spec.calls[QStringLiteral("status")].segments = QStringLiteral("/abTesting/heldOff");
        HttpAdminBackend backend(spec);
        QObject context;
        Outcome out;
        backend.setSegment(kFlag, QStringLiteral("beta_users"), false, &context, out.done());
        QVERIFY(out.wait());
        QVERIFY2(out.result->verified, qPrintable(out.result->describe()));
        QCOMPARE(out.result->after.disabledSegments, QStringList{QStringLiteral("beta_users")});
        QCOMPARE(
            api.writes.last(),
            QByteArray(
                R"(POST /api/admin/segments/update {"flag": "USE_MODERN_BRAIN_API", "segment": "beta_users", "enabled": false})"));
        backend.setSegment(kFlag, QStringLiteral("beta_users"), true, &context, out.done());
        QVERIFY(out.wait());
        QVERIFY2(out.result->verified, qPrintable(out.result->describe()));
        QVERIFY(api.heldOff.isEmpty());
    }

    void cannotSetASegmentWithoutTheCall()
    {
        FakeAdminApi api;
        HttpAdminBackend backend(shippedBackend(api.url()));
        QObject context;
        Outcome out;
        backend.setSegment(kFlag, QStringLiteral("beta_users"), false, &context, out.done());
        QVERIFY(!out.result); // asynchronous even when nothing is sent
        QVERIFY(out.wait());
        QVERIFY(!out.result->verified);
        QCOMPARE(out.result->step, QStringLiteral("set_segment"));
        QVERIFY2(out.result->message.contains(QLatin1String("cannot change one segment")),
                 qPrintable(out.result->message));
        QCOMPARE(api.requests(), 0);
    }

    void faults_data()
    {
        QTest::addColumn<QString>("fault");
        QTest::addColumn<QString>("step");
        QTest::addColumn<int>("status");
        QTest::addColumn<bool>("transient");
        QTest::addColumn<QString>("says");
        QTest::addColumn<int>("requests"); // what the fake saw; -1 when there is no fake to see
        QTest::newRow("401") << QStringLiteral("401") << QStringLiteral("set_percentage") << 401 << false
                             << QStringLiteral("the token was refused") << 1;
        QTest::newRow("404") << QStringLiteral("404") << QStringLiteral("set_percentage") << 404 << false
                             << QStringLiteral("HTTP 404") << 1;
        QTest::newRow("409") << QStringLiteral("409") << QStringLiteral("enable") << 409 << false
                             << QStringLiteral("conflict (409)") << 2;
        QTest::newRow("500") << QStringLiteral("500") << QStringLiteral("set_percentage") << 500 << true
                             << QStringLiteral("HTTP 500") << 1;
        QTest::newRow("timeout") << QStringLiteral("hang") << QStringLiteral("set_percentage") << 0 << true
                                 << QStringLiteral("no answer within the deadline") << 1;
        QTest::newRow("refused") << QStringLiteral("refused") << QStringLiteral("set_percentage") << 0 << true
                                 << QStringLiteral("refused") << -1;
        QTest::newRow("garbage status") << QStringLiteral("garbage") << QStringLiteral("read back") << 200
                                        << false << QStringLiteral("the answer is not JSON") << 3;
        QTest::newRow("status disagrees") << QStringLiteral("stale") << QStringLiteral("read back") << 200
                                          << false << QStringLiteral("asked for 25%, but") << 3;
        QTest::newRow("token unset") << QStringLiteral("unset") << QStringLiteral("credentials") << 0 << false
                                     << QStringLiteral("BRAIN_ADMIN_TOKEN") << 0;
    }

    void faults()
    {
        QFETCH(QString, fault);
        QFETCH(QString, step);
        QFETCH(int, status);
        QFETCH(bool, transient);
        QFETCH(QString, says);
        QFETCH(int, requests);
        FakeAdminApi api;
        QString url = api.url();
        const auto on = [&](const QByteArray& wantedPath, Reply reply) {
            api.fault = [wantedPath, reply](const QByteArray&,
                                            const QByteArray& path) -> std::optional<Reply> {
                if (path == wantedPath) return reply;
                return std::nullopt;
            };
        };
        if (fault == QLatin1String("401")) qputenv("BRAIN_ADMIN_TOKEN", "an-old-revoked-token");
        if (fault == QLatin1String("404"))
            on("/api/admin/ab-testing/update", json(R"({"error":"no A/B test running"})", 404));
        if (fault == QLatin1String("409"))
            on("/api/admin/feature-flags/enable", json(R"({"error":"flag is locked"})", 409));
        if (fault == QLatin1String("500"))
            on("/api/admin/ab-testing/update", json(R"({"error":"boom"})", 500));
        if (fault == QLatin1String("hang"))
            on("/api/admin/ab-testing/update", Reply{200, {}, {}, true, false, 0});
        if (fault == QLatin1String("garbage"))
            on("/api/admin/feature-flags/status", json("{\"flags\": [oops"));
        if (fault == QLatin1String("stale"))
            on("/api/admin/feature-flags/status",
               json(
                   R"({"flags":{"USE_MODERN_BRAIN_API":{"enabled":true}},"abTesting":{"rolloutPercentage":10}})"));
        if (fault == QLatin1String("unset")) qunsetenv("BRAIN_ADMIN_TOKEN");
        if (fault == QLatin1String("refused")) {
            QTcpServer closed;
            QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
            url = QStringLiteral("http://127.0.0.1:%1").arg(closed.serverPort());
        } // closed here: nothing listens on that port any more

        HttpAdminBackend backend(shippedBackend(url));
        backend.setTimeout(300);
        QObject context;
        Outcome out;
        backend.apply(kFlag, FlagSetting{true, 25}, QStringLiteral("userId"), &context, out.done());
        QVERIFY(!out.result); // never synchronously, not even when nothing could be sent
        QVERIFY(out.wait());
        const FlagResult& r = *out.result;
        QVERIFY2(!r.verified, qPrintable(r.describe()));
        QCOMPARE(r.step, step);
        QCOMPARE(r.status, status);
        QCOMPARE(r.transient, transient);
        QCOMPARE(r.flag, kFlag);
        QVERIFY2(r.message.contains(says), qPrintable(r.message));
        QVERIFY2(r.message.contains(url), qPrintable(r.message)); // which server
        if (status > 0 && step != QLatin1String("read back"))
            QVERIFY2(r.message.contains(QStringLiteral("HTTP %1").arg(status)), qPrintable(r.message));
        if (step == QLatin1String("read back"))
            QVERIFY2(r.message.contains(QStringLiteral("HTTP 200")), qPrintable(r.message));
        QVERIFY(!r.message.contains(QLatin1String(kToken)));
        QVERIFY(!r.message.contains(QLatin1String("an-old-revoked-token")));
        if (requests >= 0) QCOMPARE(api.requests(), requests);
        if (step == QLatin1String("set_percentage") || step == QLatin1String("credentials")) {
            // Nothing was done, and nothing is said to have been.
            QVERIFY2(!r.message.contains(QLatin1String("already accepted")), qPrintable(r.message));
            QCOMPARE(api.percent, 0.0);
            QCOMPARE(api.enabled, false);
        } else {
            // A later step failed: the message says what the server already took.
            QVERIFY2(r.message.contains(
                         QLatin1String("already accepted before this: rollout percentage set to 25%")),
                     qPrintable(r.message));
        }
        if (fault == QLatin1String("stale")) {
            QCOMPARE(r.after.percent, 10.0);
            QVERIFY2(r.message.contains(QLatin1String("says 10%")), qPrintable(r.message));
        }
    }

    void readFailsAtRead()
    {
        FakeAdminApi api;
        api.fault = [](const QByteArray&, const QByteArray&) -> std::optional<Reply> {
            return json("{}", 503);
        };
        HttpAdminBackend backend(shippedBackend(api.url()));
        QObject context;
        Outcome out;
        backend.read(kFlag, &context, out.done());
        QVERIFY(out.wait());
        QVERIFY(!out.result->verified);
        QCOMPARE(out.result->step, QStringLiteral("read"));
        QVERIFY(out.result->transient);
    }
};

QTEST_GUILESS_MAIN(TestHttpAdminBackend)
#include "tst_httpadminbackend.moc"
