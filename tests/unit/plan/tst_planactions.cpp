// The plan's action lists, per-flag cohorts and per-environment flag sets (issue 14 items 1, 4
// and 5): what they read into, the defaults they take, and the warning for a flag narrowed by
// accident. The malformed cases are in tst_planloader's table.
#include "PlanFixture.h"
#include "plan/PlanActionValidator.h"
#include "plan/PlanLoader.h"

#include <QTest>

using namespace rollout;

namespace {

QByteArray planText()
{
    return test::sourceFile(QStringLiteral("tests/data/plans/actions.yaml"));
}

} // namespace

class TestPlanActions final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void actionListsReadInOrder()
    {
        const Plan plan = test::loadPlan(planText());
        const TriggerSpec& spike = plan.triggers[0];
        QCOMPARE(spike.actions.size(), std::size_t(5));
        QVERIFY(spike.action == TriggerAction::RollbackToZero); // the list's rollback step
        QVERIFY(spike.actions[0].kind == ActionStep::Kind::HoldSegment);
        QCOMPARE(spike.actions[0].segment, QStringLiteral("beta_users"));
        QVERIFY(spike.actions[2].kind == ActionStep::Kind::Call);
        QCOMPARE(spike.actions[2].backend, QStringLiteral("admin"));
        QCOMPARE(spike.actions[2].operation, QStringLiteral("ab-testing/start"));
        QCOMPARE(spike.actions[2].body.value_or(QString()), QStringLiteral("{\"rolloutPercentage\": 0}"));
        QVERIFY(spike.actions[2].stopOnFailure);
        QVERIFY(!spike.actions[3].stopOnFailure);
        QCOMPARE(spike.actions[3].webhookEnv, QStringLiteral("HOOK"));
        QCOMPARE(spike.actions[3].message, QStringLiteral("rolled back"));
        QCOMPARE(spike.actions[4].severity, QStringLiteral("P1"));
        QCOMPARE(spike.actions[4].describe(), QStringLiteral("escalate P1"));
        // A soft trigger's list only notifies: it still alerts a person.
        QVERIFY(plan.triggers[1].action == TriggerAction::Alert);
        QCOMPARE(plan.rollbackActions.size(), std::size_t(2));
        QCOMPARE(plan.rollbackActions[1].describe(), QStringLiteral("call admin.memory/cleanup"));
    }

    void operationsKeepTheirBodyAndCheck()
    {
        const Plan plan = test::loadPlan(planText());
        const BackendSpec* admin = plan.backend(QStringLiteral("admin"));
        QVERIFY(admin);
        QCOMPARE(admin->operations.size(), 3);
        const HttpOperation start = admin->operations.value(QStringLiteral("ab-testing/start"));
        QCOMPARE(start.method, QStringLiteral("POST"));
        QVERIFY(start.body.contains(QStringLiteral("maxErrorRate")));
        QCOMPARE(start.checkPath, QStringLiteral("/api/admin/ab-testing/results"));
        QCOMPARE(start.checkPointer, QStringLiteral("/running"));
        QCOMPARE(start.checkEquals, QStringLiteral("true"));
        QVERIFY(admin->operations.value(QStringLiteral("emergency-stop")).checkPath.isEmpty());
    }

    void aFlagsOwnCohortLimitsOnlyThatFlag()
    {
        const Plan plan = test::loadPlan(planText());
        const QMap<QString, FlagSetting> llmPhase = plan.flagSettingsFor(1);
        QCOMPARE(llmPhase.value(QStringLiteral("llm")).audience, QStringList{QStringLiteral("admin")});
        QCOMPARE(llmPhase.value(QStringLiteral("llm")).audienceContext, QStringLiteral("role"));
        QCOMPARE(llmPhase.value(QStringLiteral("llm")).percent, 2.0);
        // The UX updates stay on for the phase's cohort.
        QCOMPARE(llmPhase.value(QStringLiteral("ux")).audience,
                 (QStringList{QStringLiteral("admin"), QStringLiteral("pm"), QStringLiteral("developer")}));
        QCOMPARE(llmPhase.value(QStringLiteral("ux")).describe(),
                 QStringLiteral("20% for roles admin, pm, developer"));
        // A flag whose service cannot limit it keeps its share, for everyone.
        QVERIFY(llmPhase.value(QStringLiteral("brain")).audience.isEmpty());
        // No cohort in the last phase: no limit.
        QVERIFY(plan.flagSettingsFor(2).value(QStringLiteral("ux")).audience.isEmpty());
        QCOMPARE(plan.cohortFor(1, QStringLiteral("llm")).roles, QStringList{QStringLiteral("admin")});
        QCOMPARE(plan.cohortFor(1, QStringLiteral("ux")).roles.size(), 3);
        QVERIFY(PlanActionValidator::warnings(plan).isEmpty());
    }

    void narrowingAWholePhaseByAccidentIsWarnedAbout()
    {
        QByteArray text = planText();
        // Seed 001 as first written: the whole LLM phase narrowed to admins, the UX updates with it.
        text.replace("    cohort: {roles: [admin, pm, developer]}\n    cohorts: {llm: {roles: [admin]}}\n",
                     "    cohort: {roles: [admin]}\n");
        const PlanLoadResult r = PlanLoader::loadBytes(text, QStringLiteral("narrow.yaml"));
        QVERIFY(r.plan);
        const QStringList w = PlanActionValidator::warnings(*r.plan);
        QCOMPARE(w.size(), 2); // ux and brain stay at 20%, now for admins only; llm was off before
        QVERIFY2(w[0].startsWith(QStringLiteral("narrow.yaml:")), qPrintable(w[0]));
        QVERIFY2(w[0].contains(QStringLiteral(
                     "phases[1].cohort: flag \"ux\" narrows from admin, pm, developer to admin")),
                 qPrintable(w[0]));
        QVERIFY2(w[0].contains(QStringLiteral("cohorts:")), qPrintable(w[0]));
    }

    void environmentSetsAreTheFixedSettings()
    {
        const Plan plan = test::loadPlan(planText());
        const QMap<QString, FlagSetting> staging = plan.environmentSettings(QStringLiteral("staging"));
        QCOMPARE(staging.size(), 2);
        QCOMPARE(staging.value(QStringLiteral("ux")), (FlagSetting{true, 100.0}));
        QCOMPARE(staging.value(QStringLiteral("llm")), (FlagSetting{true, 50.0}));
        QVERIFY(plan.environmentSettings(QStringLiteral("production")).isEmpty());
    }

    void theSeedPlansUseTheNewKeys()
    {
        const PlanLoadResult ux =
            PlanLoader::loadBytes(test::sourceFile(QStringLiteral("resources/plans/ux-agent-canary.yaml")),
                                  QStringLiteral("ux-agent-canary.yaml"));
        QVERIFY(ux.plan);
        const int llm = int(ux.plan->phases.size()) - 2;
        QCOMPARE(ux.plan->flagSettingsFor(llm).value(QStringLiteral("llm_parsing")).audience,
                 QStringList{QStringLiteral("admin")});
        QCOMPARE(ux.plan->flagSettingsFor(llm).value(QStringLiteral("ux_updates")).audience.size(), 3);
        QVERIFY(PlanActionValidator::warnings(*ux.plan).isEmpty());

        const PlanLoadResult chat = PlanLoader::loadBytes(
            test::sourceFile(QStringLiteral("resources/plans/protocol-agnostic-chat.yaml")),
            QStringLiteral("protocol-agnostic-chat.yaml"));
        QVERIFY(chat.plan);
        bool holds = false;
        for (const TriggerSpec& t : chat.plan->triggersFor(1))
            for (const ActionStep& s : t.actions)
                holds = holds || s.kind == ActionStep::Kind::HoldSegment;
        QVERIFY2(holds, "seed 002's partial rollback is a trigger's action");

        const PlanLoadResult brain =
            PlanLoader::loadBytes(test::sourceFile(QStringLiteral("resources/plans/modern-brain-api.yaml")),
                                  QStringLiteral("modern-brain-api.yaml"));
        QVERIFY(brain.plan);
        QVERIFY(brain.plan->backend(QStringLiteral("admin"))
                    ->operations.contains(QStringLiteral("emergency-stop")));
        QVERIFY(!brain.plan->rollbackActions.empty());

        const PlanLoadResult reptate = PlanLoader::loadBytes(
            test::sourceFile(QStringLiteral("resources/plans/reptate-modernization.yaml")),
            QStringLiteral("reptate-modernization.yaml"));
        QVERIFY(reptate.plan);
        bool escalates = false;
        for (const TriggerSpec& t : reptate.plan->triggers)
            for (const ActionStep& s : t.actions)
                escalates = escalates || s.kind == ActionStep::Kind::Escalate;
        QVERIFY2(escalates, "seed 004's rollback escalates");
    }
};

QTEST_GUILESS_MAIN(TestPlanActions)
#include "tst_planactions.moc"
