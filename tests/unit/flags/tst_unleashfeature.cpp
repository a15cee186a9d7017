// Unleash Admin API answers, captured from a real Unleash 7.5.1 (tests/data/unleash), parsed
// into the state a rollout needs; strategy bodies keep what Rollout Console does not own.
#include "PlanFixture.h"
#include "flags/UnleashFeature.h"

#include <QJsonArray>
#include <QTest>

using namespace rollout;

namespace {

QByteArray captured(const char* name)
{
    return test::sourceFile(QStringLiteral("tests/data/unleash/%1").arg(QLatin1String(name)));
}

} // namespace

class TestUnleashFeature final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void capturedFeatures_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<bool>("enabled");
        QTest::addColumn<bool>("hasStrategy");
        QTest::addColumn<double>("rollout");
        QTest::addColumn<QString>("state");
        QTest::newRow("new flag") << "feature-new.json" << false << false << 0.0 << "off";
        QTest::newRow("25%, environment off")
            << "feature-strategy-env-disabled.json" << false << true << 25.0 << "off";
        QTest::newRow("25%, environment on")
            << "feature-strategy-env-enabled.json" << true << true << 25.0 << "25%";
        QTest::newRow("on with no strategy: Unleash adds 100%")
            << "feature-on-without-strategy.json" << true << true << 100.0 << "on";
        QTest::newRow("last strategy deleted")
            << "feature-last-strategy-deleted.json" << false << false << 0.0 << "off";
    }

    void capturedFeatures()
    {
        QFETCH(QString, file);
        QFETCH(bool, enabled);
        QFETCH(bool, hasStrategy);
        QFETCH(double, rollout);
        QFETCH(QString, state);
        QString problem;
        const auto f = UnleashFeature::parse(captured(file.toUtf8().constData()),
                                             QStringLiteral("development"), &problem);
        QVERIFY2(f, qPrintable(problem));
        QCOMPARE(f->enabled, enabled);
        QCOMPARE(!f->strategyId.isEmpty(), hasStrategy);
        QCOMPARE(f->rollout, rollout);
        QCOMPARE(f->state().describe(), state);
        QVERIFY(f->state().exists);
    }

    void badAnswers_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("environment");
        QTest::addColumn<QString>("problem");
        QTest::newRow("401 body") << captured("error-401-admin.json") << "development"
                                  << "has no \"environments\" list";
        QTest::newRow("garbage") << QByteArray("{\"name\": \"x\", ") << "development"
                                 << "not JSON";
        QTest::newRow("wrong shape") << QByteArray("[1,2]") << "development"
                                     << "not an Unleash feature";
        QTest::newRow("no environments") << QByteArray("{\"name\":\"x\"}") << "development"
                                         << "has no \"environments\" list";
        QTest::newRow("unknown environment") << captured("feature-new.json") << "staging"
                                             << "has no environment \"staging\"";
        QTest::newRow("rollout not a number")
            << QByteArray(
                   R"({"name":"x","environments":[{"name":"development","enabled":true,"strategies":[{"id":"1","name":"flexibleRollout","parameters":{"rollout":"lots"}}]}]})")
            << "development"
            << "no valid rollout parameter";
        QTest::newRow("rollout over 100")
            << QByteArray(
                   R"({"name":"x","environments":[{"name":"development","enabled":true,"strategies":[{"id":"1","name":"flexibleRollout","parameters":{"rollout":"150"}}]}]})")
            << "development"
            << "no valid rollout parameter";
    }

    void badAnswers()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, environment);
        QFETCH(QString, problem);
        QString got;
        QVERIFY(!UnleashFeature::parse(body, environment, &got));
        QVERIFY2(got.contains(problem), qPrintable(got));
    }

    void otherStrategiesAndSegmentsAreSeen()
    {
        const QByteArray body =
            R"({"name":"x","environments":[{"name":"production","enabled":true,"strategies":[
            {"id":"a","name":"default","parameters":{}},
            {"id":"b","name":"flexibleRollout","disabled":true,"parameters":{"rollout":"90"}},
            {"id":"c","name":"flexibleRollout","parameters":{"rollout":"5","stickiness":"userId"},
             "constraints":[{"contextName":"segment","operator":"NOT_IN","values":["beta_users"]},
                            {"contextName":"appName","operator":"IN","values":["chat"]}]}]}]})";
        QString problem;
        const auto f = UnleashFeature::parse(body, QStringLiteral("production"), &problem);
        QVERIFY2(f, qPrintable(problem));
        QCOMPARE(f->strategyId, QStringLiteral("c")); // a disabled strategy exposes nobody: skipped
        QCOMPARE(f->rollout, 5.0);
        QCOMPARE(f->otherStrategies, 1);
        QCOMPARE(f->heldOffSegments, QStringList{QStringLiteral("beta_users")});
        QVERIFY(f->state().detail.contains(QStringLiteral("1 other strategy may also expose it")));
        QCOMPARE(f->state().describe(), QStringLiteral("5% sticky on userId (beta_users held off)"));

        // Rewriting keeps the foreign constraint, replaces the segment one, drops the id.
        const QJsonObject out = UnleashFeature::strategyBody(f->strategy, QStringLiteral("x"), 25.0,
                                                             QStringLiteral("userId"), {});
        QVERIFY(!out.contains(QStringLiteral("id")));
        QCOMPARE(
            out.value(QStringLiteral("parameters")).toObject().value(QStringLiteral("rollout")).toString(),
            QStringLiteral("25"));
        const QJsonArray constraints = out.value(QStringLiteral("constraints")).toArray();
        QCOMPARE(constraints.size(), 1);
        QCOMPARE(constraints.first().toObject().value(QStringLiteral("contextName")).toString(),
                 QStringLiteral("appName"));
    }

    void aNewStrategyBody()
    {
        const QJsonObject out = UnleashFeature::strategyBody({}, QStringLiteral("new-checkout"), 12.5, {},
                                                             {QStringLiteral("beta")});
        QCOMPARE(out.value(QStringLiteral("name")).toString(), QStringLiteral("flexibleRollout"));
        const QJsonObject p = out.value(QStringLiteral("parameters")).toObject();
        QCOMPARE(p.value(QStringLiteral("rollout")).toString(), QStringLiteral("12.5"));
        QCOMPARE(p.value(QStringLiteral("stickiness")).toString(), QStringLiteral("default"));
        QCOMPARE(p.value(QStringLiteral("groupId")).toString(), QStringLiteral("new-checkout"));
        QCOMPARE(out.value(QStringLiteral("constraints")).toArray().size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestUnleashFeature)
#include "tst_unleashfeature.moc"
