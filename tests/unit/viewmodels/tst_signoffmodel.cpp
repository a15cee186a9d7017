// The sign-off table keeps its history: approvals a rollback made void stay in it, marked
// superseded (with when), never counted again; the phase's required approval shows as awaiting
// again beside them. The same after a replay from the ledger (RolloutSession::restore).
#include "PlanFixture.h"
#include "metrics/TimeSeriesStore.h"
#include "viewmodels/Severity.h"
#include "viewmodels/SignOffModel.h"

#include <QTest>

using namespace rollout;

namespace {

const char* kPlan = R"(
rollout: keep-history
environment: staging
sources: {sim: {type: simulator}}
backends: {f: {type: flagd_file, path: flags.json}}
flags: [{key: feature, backend: f}]
metrics:
  error_rate: {source: sim, unit: ratio, interval: 1s, simulate: {signal: error_ratio}}
phases:
  - {name: one, traffic: 1%, approvals: [{role: rm}]}
  - {name: ten, traffic: 10%}
people:
  - {id: rita, roles: [rm]}
)";

const Actor kRita{QStringLiteral("rita"), QStringLiteral("rm")};

QStringList column(const SignOffModel& m, int c)
{
    QStringList out;
    for (int r = 0; r < m.rowCount(); ++r)
        out.append(m.index(r, c).data().toString());
    return out;
}

} // namespace

class TestSignOffModel final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void approvalsSurviveARollbackMarkedSuperseded()
    {
        ManualClock clock{1'000'000};
        TimeSeriesStore store;
        RolloutSession s(test::loadPlan(kPlan), store, clock);
        QVERIFY(s.recordApproval(0, kRita, true, QStringLiteral("looks good")).ok);
        QVERIFY(s.advance(kRita).ok);
        clock.advanceMs(60'000);
        QVERIFY(s.rollback(kRita, QStringLiteral("errors"), true).ok);
        SignOffModel model(s);
        model.refresh();
        // The approval that let phase 1 in, kept and marked; a new one is awaited.
        QCOMPARE(column(model, SignOffModel::Approver),
                 (QStringList{QStringLiteral("awaiting"), QStringLiteral("rita")}));
        const QString decision = column(model, SignOffModel::Decision).at(1);
        QVERIFY2(decision.startsWith(QStringLiteral("approve — superseded by the rollback at ")),
                 qPrintable(decision));
        QCOMPARE(column(model, SignOffModel::Notes).at(1), QStringLiteral("looks good"));
        QCOMPARE(model.index(1, SignOffModel::Decision).data(SeverityRole).toInt(), int(Severity::Muted));
        QVERIFY(s.approvals(0).isEmpty()); // it never counts again
        QCOMPARE(s.supersededApprovals(0).size(), 1);
        QCOMPARE(s.supersededApprovals(0).first().supersededMs, clock.nowMs());

        // Replayed from the records, the same table.
        RolloutSession replayed(test::loadPlan(kPlan), store, clock);
        RolloutEvent approval;
        approval.type = EventType::ApprovalRecorded;
        approval.toPhase = 0;
        approval.approve = true;
        approval.actor = kRita.id;
        approval.role = kRita.role;
        approval.atMs = 1'000'000;
        QVERIFY(replayed.restore(approval));
        RolloutEvent start;
        start.type = EventType::PhaseAdvanced;
        start.fromPhase = -1;
        start.toPhase = 0;
        start.actor = kRita.id;
        start.atMs = 1'000'100;
        QVERIFY(replayed.restore(start));
        RolloutEvent back;
        back.type = EventType::RolledBack;
        back.fromPhase = 0;
        back.toPhase = -1;
        back.actor = kRita.id;
        back.atMs = 1'060'000;
        QVERIFY(replayed.restore(back));
        QCOMPARE(replayed.supersededApprovals(0).size(), 1);
        QCOMPARE(replayed.supersededApprovals(0).first().supersededMs, qint64(1'060'000));
    }
};

QTEST_GUILESS_MAIN(TestSignOffModel)
#include "tst_signoffmodel.moc"
