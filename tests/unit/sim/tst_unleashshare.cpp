// The simulator's share from Unleash's client API: captured Unleash 7.5.1 answers
// (tests/data/unleash/) in, a share in percent or a typed error out.
#include "PlanFixture.h"
#include "sim/UnleashShare.h"

#include <QTest>

using namespace rollout;
using F = UnleashShareResult::Failure;

namespace {
QByteArray payload(const char* name)
{
    return test::sourceFile(QStringLiteral("tests/data/unleash/") + QLatin1String(name));
}
} // namespace

class TestUnleashShare final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parse_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("failure");
        QTest::addColumn<double>("percent");
        QTest::addColumn<QString>("message"); // a part of describe()

        // Captured from Unleash 7.5.1 with the backend token.
        QTest::newRow("enabled 25%") << payload("client-feature-enabled-25.json") << int(F::None) << 25.0
                                     << QString();
        QTest::newRow("enabled 50%") << payload("client-feature-enabled-50.json") << int(F::None) << 50.0
                                     << QString();
        QTest::newRow("disabled, strategy listed")
            << payload("client-feature-disabled.json") << int(F::None) << 0.0 << QString();
        QTest::newRow("turned off") << payload("client-feature-disabled-after-off.json") << int(F::None)
                                    << 0.0 << QString();
        QTest::newRow("no strategy") << payload("client-feature-no-strategy.json") << int(F::None) << 0.0
                                     << QString();
        QTest::newRow("default strategy of 'on'")
            << payload("client-feature-default-strategy.json") << int(F::None) << 100.0 << QString();
        QTest::newRow("401 body") << payload("client-error-401.json") << int(F::UnleashError) << 0.0
                                  << QStringLiteral("Unleash says: This endpoint requires an API token");
        QTest::newRow("404 body") << payload("client-error-404-unknown-flag.json") << int(F::UnleashError)
                                  << 0.0 << QStringLiteral("Could not find feature flag no-such-flag");
        // An admin API answer handed over by mistake has no top-level "enabled".
        QTest::newRow("admin answer") << payload("feature-strategy-env-enabled.json") << int(F::WrongShape)
                                      << 0.0 << QStringLiteral("no \"enabled\"");

        // Made by hand: what Unleash 7.5.1 did not produce above.
        QTest::newRow("garbage") << QByteArrayLiteral("<html>502 Bad Gateway</html>") << int(F::NotJson)
                                 << 0.0 << QStringLiteral("not JSON");
        QTest::newRow("empty") << QByteArray() << int(F::NotJson) << 0.0 << QStringLiteral("not JSON");
        QTest::newRow("truncated") << payload("client-feature-enabled-25.json").left(80) << int(F::NotJson)
                                   << 0.0 << QStringLiteral("not JSON");
        QTest::newRow("array") << QByteArrayLiteral("[]") << int(F::WrongShape) << 0.0
                               << QStringLiteral("not an object");
        QTest::newRow("enabled, no strategies: on for all")
            << QByteArrayLiteral(R"({"name":"k","enabled":true,"strategies":[]})") << int(F::None) << 100.0
            << QString();
        QTest::newRow("largest of two, number accepted")
            << QByteArrayLiteral(
                   R"({"enabled":true,"strategies":[{"name":"flexibleRollout","parameters":{"rollout":"5"}},)"
                   R"({"name":"flexibleRollout","parameters":{"rollout":30}}]})")
            << int(F::None) << 30.0 << QString();
        QTest::newRow("disabled strategy skipped")
            << QByteArrayLiteral(
                   R"({"enabled":true,"strategies":[{"name":"flexibleRollout","disabled":true,"parameters":{"rollout":"80"}},)"
                   R"({"name":"flexibleRollout","parameters":{"rollout":"20"}}]})")
            << int(F::None) << 20.0 << QString();
        QTest::newRow("only a user-id strategy")
            << QByteArrayLiteral(
                   R"({"enabled":true,"strategies":[{"name":"userWithId","parameters":{"userIds":"1,2"}}]})")
            << int(F::None) << 0.0 << QString();
        QTest::newRow("rollout out of range")
            << QByteArrayLiteral(
                   R"({"enabled":true,"strategies":[{"name":"flexibleRollout","parameters":{"rollout":"150"}}]})")
            << int(F::WrongShape) << 0.0 << QStringLiteral("between 0 and 100");
        QTest::newRow("rollout missing")
            << QByteArrayLiteral(
                   R"({"enabled":true,"strategies":[{"name":"flexibleRollout","parameters":{}}]})")
            << int(F::WrongShape) << 0.0 << QStringLiteral("between 0 and 100");
        QTest::newRow("enabled not a bool") << QByteArrayLiteral(R"({"enabled":"yes","strategies":[]})")
                                            << int(F::WrongShape) << 0.0 << QStringLiteral("\"enabled\"");
        QTest::newRow("strategies not a list")
            << QByteArrayLiteral(R"({"enabled":true,"strategies":{}})") << int(F::WrongShape) << 0.0
            << QStringLiteral("\"strategies\"");
    }

    void parse()
    {
        QFETCH(QByteArray, body);
        QFETCH(int, failure);
        QFETCH(double, percent);
        QFETCH(QString, message);
        const UnleashShareResult r = UnleashShare::parse(body);
        QCOMPARE(int(r.failure), failure);
        QCOMPARE(r.ok(), failure == int(F::None));
        if (r.ok()) QCOMPARE(r.percent, percent);
        if (!message.isEmpty()) QVERIFY2(r.describe().contains(message), qPrintable(r.describe()));
    }
};

QTEST_GUILESS_MAIN(TestUnleashShare)
#include "tst_unleashshare.moc"
