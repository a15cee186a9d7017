// Against a real Unleash 7.5.1 (scripts/services.sh): a trigger's action list holds one segment
// off (seed 002's partial rollback) and the flag is read back, by the runner and by a separate
// read of the Admin API; a phase's cohort and a flag's own cohort (seed 001) are constraints
// Unleash keeps; the plan's fixed settings for another environment are written and read back.
#include "Await.h"
#include "PlanFixture.h"
#include "RequireServers.h"
#include "core/Clock.h"
#include "flags/UnleashFeature.h"
#include "runtime/RolloutRuntime.h"

#include <QSignalSpy>
#include <QTest>
#include <QUuid>

using namespace rollout;
using test::exchange;

namespace {

const char* kTokenEnv = "ROLLOUT_UNLEASH_ADMIN_TOKEN";

const QByteArray kPlan = R"(
rollout: RNAME
environment: development
environments: [development, production]
sources: {sim: {type: simulator}}
backends:
  unleash: {type: unleash, url: "URL", token_env: ROLLOUT_UNLEASH_ADMIN_TOKEN, project: default}
flags:
  - {key: ARCH, backend: unleash, stickiness: userId, environments: {production: 50%}}
  - {key: LLM, backend: unleash, stickiness: userId}
metrics:
  errors: {source: sim, unit: ratio, interval: 1s, simulate: {signal: gauge, mean: 0.001}}
phases:
  - name: beta
    traffic: 10%
    cohort: {segments: [beta_users, internal_team]}
    cohorts: {LLM: {roles: [admin]}}
    triggers:
      - name: beta errors
        when: errors > 5%
        for: 2s
        kind: hard
        severity: P2
        actions: [{hold_segment: beta_users}, {escalate: P2, message: beta_users held off}]
  - {name: all, traffic: 100%}
people:
  - {id: rita, roles: [rm]}
)";

} // namespace

class TestActionListsIntegration final : public QObject
{
    Q_OBJECT
    QString m_url;
    QByteArray m_admin;

    QString features() const { return m_url + QStringLiteral("/api/admin/projects/default/features"); }

    UnleashFeature adminRead(const QString& key, const QString& env)
    {
        const HttpResponse r = exchange("GET", features() + QLatin1Char('/') + key, {}, m_admin);
        QString problem;
        const auto f = UnleashFeature::parse(r.body, env, &problem);
        if (!f) qWarning("admin read of %s: %s", qPrintable(key), qPrintable(problem));
        return f.value_or(UnleashFeature{});
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_url = qEnvironmentVariable("ROLLOUT_UNLEASH_URL");
        m_admin = qgetenv(kTokenEnv);
        if (m_url.isEmpty() || m_admin.isEmpty())
            ROLLOUT_SKIP_OR_FAIL(
                "run through scripts/test.sh: ROLLOUT_UNLEASH_URL / ROLLOUT_UNLEASH_ADMIN_TOKEN unset");
    }

    void aTriggersListHoldsOneSegmentOffAndReadsItBack()
    {
        const QString id = QUuid::createUuid().toString(QUuid::Id128).left(8);
        const QString arch = QStringLiteral("arch-") + id, llm = QStringLiteral("llm-") + id;
        for (const QString& key : {arch, llm}) {
            const HttpResponse r =
                exchange("POST", features(),
                         QStringLiteral("{\"name\":\"%1\",\"type\":\"release\"}").arg(key).toUtf8(), m_admin);
            QVERIFY2(r.status == 201 || r.status == 200, qPrintable(QStringLiteral("create %1: HTTP %2 %3")
                                                                        .arg(key)
                                                                        .arg(r.status)
                                                                        .arg(QString::fromUtf8(r.body))));
        }
        QByteArray text = kPlan;
        text.replace("RNAME", "actions-" + id.toUtf8());
        text.replace("URL", m_url.toUtf8());
        text.replace("ARCH", arch.toUtf8());
        text.replace("LLM", llm.toUtf8());
        ManualClock clock{1'000'000};
        RolloutRuntime runtime(test::loadPlan(text), clock);
        QString problem;
        auto set = FlagBackendSet::fromPlan(runtime.plan(), &problem, 5000);
        QVERIFY2(set, qPrintable(problem));
        runtime.attachFlags(std::move(*set), 60000);
        QCOMPARE(runtime.flags()->environments(), QStringList{QStringLiteral("production")});
        QSignalSpy envs(runtime.flags(), &FlagSync::environmentFinished);
        QSignalSpy lists(&runtime.actions(), &ActionRunner::listFinished);
        RolloutSession& s = runtime.session();

        // Start: the phase's flags with their cohorts, and production's fixed setting.
        runtime.store().append(QStringLiteral("errors"), {}, Sample{clock.nowMs(), 0.001});
        QVERIFY(s.advance(Actor{QStringLiteral("rita"), QStringLiteral("rm")}).ok);
        QTRY_VERIFY2_WITH_TIMEOUT(runtime.flags()->idle() && s.flagsApplied(),
                                  qPrintable(runtime.flags()->lastReport().summary()), 20000);
        QTRY_COMPARE_WITH_TIMEOUT(envs.count(), 1, 20000);
        UnleashFeature a = adminRead(arch, QStringLiteral("development"));
        QVERIFY(a.enabled);
        QCOMPARE(a.rollout, 10.0);
        QCOMPARE(a.audienceContext, QStringLiteral("segment"));
        QCOMPARE(a.audience, (QStringList{QStringLiteral("beta_users"), QStringLiteral("internal_team")}));
        const UnleashFeature l = adminRead(llm, QStringLiteral("development"));
        QCOMPARE(l.audienceContext, QStringLiteral("role"));
        QCOMPARE(l.audience, QStringList{QStringLiteral("admin")});
        const UnleashFeature prod = adminRead(arch, QStringLiteral("production"));
        QVERIFY(prod.enabled);
        QCOMPARE(prod.rollout, 50.0);
        QVERIFY(!adminRead(llm, QStringLiteral("production")).enabled); // no fixed setting there: untouched

        // Errors rise: the trigger's list holds beta_users off on every flag, read back.
        for (int i = 0; i < 4; ++i) {
            clock.advanceMs(1000);
            runtime.store().append(QStringLiteral("errors"), {}, Sample{clock.nowMs(), 0.5});
            s.evaluate();
        }
        QCOMPARE(s.heldSegments(), QStringList{QStringLiteral("beta_users")});
        QTRY_COMPARE_WITH_TIMEOUT(lists.count(), 1, 30000);
        const QList<ActionRunner::StepResult> steps = runtime.actions().current();
        QCOMPARE(steps.size(), 2);
        QCOMPARE(steps[0].step, QStringLiteral("1 of 2: hold_segment beta_users"));
        QVERIFY2(steps[0].outcome == QLatin1String("verified"), qPrintable(steps[0].detail));
        QCOMPARE(steps[1].outcome, QStringLiteral("done"));
        qInfo("%s: %s", qPrintable(steps[0].step), qPrintable(steps[0].detail));
        // A separate read: held off, everyone else as they were (still 10%, still the cohort).
        a = adminRead(arch, QStringLiteral("development"));
        QCOMPARE(a.heldOffSegments, QStringList{QStringLiteral("beta_users")});
        QVERIFY(a.enabled);
        QCOMPARE(a.rollout, 10.0);
        QCOMPARE(a.audience.size(), 2);
        QCOMPARE(adminRead(llm, QStringLiteral("development")).heldOffSegments,
                 QStringList{QStringLiteral("beta_users")});
        QCOMPARE(s.currentPhase(), 0); // a partial rollback moves no phase
        // Every step and the escalation are in the record.
        int recorded = 0, escalated = 0;
        for (const RolloutEvent& e : runtime.events()) {
            recorded += e.type == EventType::ActionStepDone;
            escalated += e.type == EventType::Escalated;
        }
        QCOMPARE(recorded, 3); // the environment, then the two steps
        QCOMPARE(escalated, 1);
    }
};

QTEST_GUILESS_MAIN(TestActionListsIntegration)
#include "tst_actionsunleash.moc"
