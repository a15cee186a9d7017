// The home list's lines: what a rollout waits for from the person acting (by their roles), its
// health from its verdicts (never healthy while inconclusive), and the rollouts known without
// being open (plan files rebuilt from the ledger; others the ledger holds; a plan that does not load).
#include "PlanFixture.h"
#include "ledger/Ed25519.h"
#include "ledger/LocalLedger.h"
#include "runtime/RolloutRuntime.h"
#include "sim/DemoKeys.h"
#include "viewmodels/RolloutDirectory.h"
#include "viewmodels/RolloutListModel.h"
#include "viewmodels/RolloutSummary.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace rollout;

namespace {

const char* kPlan = R"(
rollout: shop-search
environment: staging
sources: {sim: {type: simulator}}
backends: {f: {type: flagd_file, path: flags.json}}
flags: [{key: feature, backend: f}]
metrics:
  error_rate: {source: sim, unit: ratio, interval: 1s, simulate: {signal: error_ratio}}
phases:
  - {name: one, traffic: 1%, min_duration: 1h, success: [error_rate < 1%], checklist: go, approvals: [{role: rm}]}
  - {name: ten, traffic: 10%, min_duration: 1h, approvals: [{role: rm}, {role: pm}]}
checklists:
  go: {technical: [Tests pass]}
people:
  - {id: rita, roles: [rm], key: "RITA_KEY"}
  - {id: paul, roles: [pm]}
  - {id: automation, roles: [automation]}
)";

// The plan, with rita's (demo) key, so that her records verify and are replayed.
QByteArray planYaml(const QByteArray& rollout = "shop-search")
{
    QByteArray yaml(kPlan);
    yaml.replace("RITA_KEY",
                 Ed25519::encodePublicKey(DemoKeys::forPerson(QStringLiteral("rita")).publicKey).toUtf8());
    yaml.replace("rollout: shop-search", "rollout: " + rollout);
    return yaml;
}

const Actor kRita{QStringLiteral("rita"), QStringLiteral("rm")};
const Actor kPaul{QStringLiteral("paul"), QStringLiteral("pm")};

} // namespace

class TestRolloutSummary final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void whatWaitsOnAPersonFollowsTheirRoles()
    {
        ManualClock clock{1'000'000};
        TimeSeriesStore store;
        RolloutSession s(test::loadPlan(planYaml()), store, clock);
        QCOMPARE(RolloutSummary::waitingOn(s, QStringLiteral("rita")),
                 (QStringList{QStringLiteral("approve phase 1 as rm"),
                              QStringLiteral("tick 1 checklist item(s)")}));
        QVERIFY(RolloutSummary::waitingOn(s, QStringLiteral("paul")).isEmpty()); // phase 1 needs no pm
        QVERIFY(RolloutSummary::waitingOn(s, QStringLiteral("automation")).isEmpty());
        QVERIFY(RolloutSummary::waitingOn(s, QStringLiteral("mallory")).isEmpty()); // not in the plan
        QVERIFY(s.recordApproval(0, kRita, true, {}).ok);
        QCOMPARE(RolloutSummary::waitingOn(s, QStringLiteral("rita")),
                 QStringList{QStringLiteral("tick 1 checklist item(s)")});
        QVERIFY(s.setChecklistItem(0, QStringLiteral("technical/Tests pass"), true, kRita).ok);
        QVERIFY(RolloutSummary::waitingOn(s, QStringLiteral("rita")).isEmpty());
    }

    void healthIsNeverGoodWhileInconclusive()
    {
        ManualClock clock{1'000'000};
        TimeSeriesStore store;
        RolloutSession s(test::loadPlan(planYaml()), store, clock);
        QVERIFY(s.recordApproval(0, kRita, true, {}).ok);
        QVERIFY(s.setChecklistItem(0, QStringLiteral("technical/Tests pass"), true, kRita).ok);
        QVERIFY(s.advance(kRita).ok);
        s.evaluate(); // no sample at all
        RolloutSummary live = RolloutSummary::of(s, QStringLiteral("paul"), true);
        QCOMPARE(live.phaseText(), QStringLiteral("1 of 2 “one”"));
        QCOMPARE(live.environment, QStringLiteral("staging"));
        QVERIFY2(live.health != Severity::Good, qPrintable(live.healthText));
        QVERIFY(live.healthText.contains(QLatin1String("inconclusive")));
        // From the ledger alone, the metrics are not judged here, and the home says so.
        RolloutSummary recorded = RolloutSummary::of(s, QStringLiteral("paul"), false);
        QCOMPARE(recorded.health, Severity::Muted);
        QVERIFY(recorded.blockers.contains(QLatin1String("criteria: open to judge")));
        QVERIFY(!recorded.blockers.contains(QLatin1String("error_rate")));
        // Rolled back: bad, whatever else.
        QVERIFY(s.rollback(kRita, QStringLiteral("test"), true).ok);
        QCOMPARE(RolloutSummary::of(s, QStringLiteral("paul"), true).health, Severity::Bad);
    }

    void theDirectoryListsPlansAndTheLedgersOtherRollouts()
    {
        QTemporaryDir dir;
        ManualClock clock{1'000'000};
        const QString ledgerPath = dir.filePath(QStringLiteral("ledger.sqlite"));
        const QString planPath = dir.filePath(QStringLiteral("plan.yaml"));
        const QString badPath = dir.filePath(QStringLiteral("bad.yaml"));
        QFile plan(planPath);
        QVERIFY(plan.open(QIODevice::WriteOnly));
        plan.write(planYaml());
        plan.close();
        QFile bad(badPath);
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("rollout: [unclosed\n");
        bad.close();
        const QByteArray otherYaml = planYaml("elsewhere");
        { // Two rollouts decided in this ledger: this plan's (started) and another one's.
            for (const QByteArray& yaml : {planYaml(), otherYaml}) {
                RolloutRuntime runtime(test::loadPlan(yaml), clock);
                QString problem;
                runtime.attachLedger(LocalLedger::open(ledgerPath, clock, &problem));
                QVERIFY2(runtime.recorder(), qPrintable(problem));
                runtime.recorder()->addKey(QStringLiteral("rita"),
                                           DemoKeys::forPerson(QStringLiteral("rita")));
                QVERIFY(runtime.session().recordApproval(0, kRita, true, {}).ok);
            }
        }
        const QList<RolloutSummary> rows = RolloutDirectory::read(
            {{planPath, QStringLiteral("recent plan")}, {badPath, QStringLiteral("recent plan")}}, ledgerPath,
            QStringLiteral("rita"), {}, clock);
        QCOMPARE(rows.size(), 3);
        QCOMPARE(rows[0].rollout, QStringLiteral("shop-search"));
        QCOMPARE(rows[0].waiting,
                 QStringList{QStringLiteral("tick 1 checklist item(s)")}); // rebuilt from the ledger
        QCOMPARE(rows[1].health, Severity::Bad);
        QVERIFY2(rows[1].note.contains(QLatin1String("bad.yaml")),
                 qPrintable(rows[1].note)); // names the file
        QCOMPARE(rows[2].rollout, QStringLiteral("elsewhere"));
        QVERIFY(rows[2].planPath.isEmpty());
        QVERIFY(rows[2].note.contains(QStringLiteral("File → Open")));
        // An open rollout is left to its live line.
        QCOMPARE(RolloutDirectory::read({{planPath, QStringLiteral("recent plan")}}, ledgerPath,
                                        QStringLiteral("rita"), {QStringLiteral("shop-search")}, clock)
                     .size(),
                 1); // "elsewhere" only
    }

    void theListFiltersAndCountsWhatWaits()
    {
        RolloutListModel model;
        QSignalSpy counted(&model, &RolloutListModel::waitingCountChanged);
        RolloutSummary a;
        a.rollout = QStringLiteral("a");
        a.waiting = {QStringLiteral("approve phase 1 as rm")};
        RolloutSummary b;
        b.rollout = QStringLiteral("b");
        model.setSummaries({a, b}, 0);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.waitingCount(), 1);
        QCOMPARE(counted.size(), 1);
        model.setWaitingOnly(true);
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.index(0, 0).data(RolloutListModel::RolloutRole).toString(), QStringLiteral("a"));
        QCOMPARE(model.index(0, RolloutListModel::Waiting).data(SeverityRole).toInt(),
                 int(Severity::Warning));
        QCOMPARE(counted.size(), 1); // the count did not change
    }
};

QTEST_GUILESS_MAIN(TestRolloutSummary)
#include "tst_rolloutsummary.moc"
