// A flag limited to a cohort (seed 001: LLM parsing for admins only): the Unleash strategy body
// carries it as an IN constraint on the role (or segment) context, replacing the one a previous
// phase wrote and keeping everything else; a read parses it back; a state matches a setting only
// when the cohort matches too.
#include "flags/UnleashFeature.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace rollout;

namespace {

QByteArray feature(const QJsonObject& strategy)
{
    QJsonObject s = strategy;
    s.insert(QStringLiteral("id"), QStringLiteral("s1"));
    const QJsonObject env{{QStringLiteral("name"), QStringLiteral("production")},
                          {QStringLiteral("enabled"), true},
                          {QStringLiteral("strategies"), QJsonArray{s}}};
    return QJsonDocument(QJsonObject{{QStringLiteral("name"), QStringLiteral("llm")},
                                     {QStringLiteral("environments"), QJsonArray{env}}})
        .toJson();
}

} // namespace

class TestFlagAudience final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void anAudienceIsAnInConstraintThatReadsBack()
    {
        QJsonObject base;
        base.insert(QStringLiteral("constraints"),
                    QJsonArray{QJsonObject{{QStringLiteral("contextName"), QStringLiteral("appName")},
                                           {QStringLiteral("operator"), QStringLiteral("IN")},
                                           {QStringLiteral("values"), QJsonArray{QStringLiteral("bot")}}}});
        const QJsonObject body = UnleashFeature::strategyBody(
            base, QStringLiteral("llm"), 100, QStringLiteral("userId"), {QStringLiteral("beta")},
            QStringLiteral("role"), {QStringLiteral("admin")});
        const QJsonArray constraints = body.value(QStringLiteral("constraints")).toArray();
        QCOMPARE(constraints.size(), 3); // someone else's constraint kept, the held-off segment, the cohort
        QString problem;
        const auto f = UnleashFeature::parse(feature(body), QStringLiteral("production"), &problem);
        QVERIFY2(f, qPrintable(problem));
        QCOMPARE(f->audienceContext, QStringLiteral("role"));
        QCOMPARE(f->audience, QStringList{QStringLiteral("admin")});
        QCOMPARE(f->heldOffSegments, QStringList{QStringLiteral("beta")});
        const FlagState s = f->state();
        QVERIFY(s.matches(FlagSetting{true, 100.0, QStringLiteral("role"), {QStringLiteral("admin")}}));
        QVERIFY(!s.matches(FlagSetting{true, 100.0})); // on for admins is not on for everyone
        QVERIFY(!s.matches(FlagSetting{
            true, 100.0, QStringLiteral("role"), {QStringLiteral("admin"), QStringLiteral("pm")}}));
        QVERIFY(!s.matches(FlagSetting{true, 100.0, QStringLiteral("segment"), {QStringLiteral("admin")}}));
        QCOMPARE(s.describe(), QStringLiteral("on for roles admin (beta held off)"));
    }

    void theNextPhasesAudienceReplacesThePreviousOne()
    {
        const QJsonObject admins = UnleashFeature::strategyBody(
            {}, QStringLiteral("ux"), 100, {}, {}, QStringLiteral("role"), {QStringLiteral("admin")});
        const QJsonObject wider =
            UnleashFeature::strategyBody(admins, QStringLiteral("ux"), 100, {}, {}, QStringLiteral("role"),
                                         {QStringLiteral("admin"), QStringLiteral("pm")});
        QCOMPARE(wider.value(QStringLiteral("constraints")).toArray().size(), 1);
        const QJsonObject everyone = UnleashFeature::strategyBody(wider, QStringLiteral("ux"), 100, {}, {});
        QVERIFY(everyone.value(QStringLiteral("constraints")).toArray().isEmpty());
        QString problem;
        const auto f = UnleashFeature::parse(feature(everyone), QStringLiteral("production"), &problem);
        QVERIFY(f && f->audience.isEmpty());
        QVERIFY(f->state().matches(FlagSetting{true, 100.0}));
    }

    void anOffFlagMatchesOffWhateverItsCohort()
    {
        FlagState s;
        s.exists = true;
        s.enabled = false;
        s.audienceContext = QStringLiteral("role");
        s.audience = {QStringLiteral("admin")};
        QVERIFY(s.matches(FlagSetting{false, 0.0}));
        QCOMPARE(s.setting(), (FlagSetting{false, 0.0}));
    }
};

QTEST_GUILESS_MAIN(TestFlagAudience)
#include "tst_flagaudience.moc"
