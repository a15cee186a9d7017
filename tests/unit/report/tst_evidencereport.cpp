// The evidence pack's page from real signed records: phases with their start and end, the
// approvals with ✓ or ✗, the rollback with its trigger and values, the charts, the ledger.
#include "PlanFixture.h"
#include "TestKeys.h"
#include "core/Clock.h"
#include "ledger/LedgerRecorder.h"
#include "metrics/TimeSeriesStore.h"
#include "report/EvidenceReport.h"

#include <QTemporaryDir>
#include <QTest>

using namespace rollout;

namespace {

Ed25519::KeyPair keyOf(const char* who)
{
    return test::seededKey(QByteArray("report key ") + who);
}

} // namespace

class TestEvidenceReport final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void aRolloutThatRolledBack()
    {
        QVERIFY(Ed25519::initialize());
        const QByteArray yaml = QStringLiteral(R"(
rollout: report-test
sources: {sim: {type: simulator}}
backends: {f: {type: flagd_file, path: flags.json}}
flags: [{key: feature, backend: f}]
metrics:
  error_rate: {source: sim, unit: ratio, interval: 1s, simulate: {signal: error_ratio}}
triggers:
  - {name: error rate critical, when: error_rate > 5%, for: 1m, kind: hard, action: rollback_to_zero}
phases:
  - {name: canary, traffic: 1%, min_duration: 10m, approvals: [{role: rm}]}
  - {name: all, traffic: 100%}
people:
  - {id: rita, roles: [rm], key: "%1"}
  - {id: automation, roles: [automation], key: "%2"}
)")
                                    .arg(Ed25519::encodePublicKey(keyOf("rita").publicKey),
                                         Ed25519::encodePublicKey(keyOf("automation").publicKey))
                                    .toUtf8();
        const Plan plan = test::loadPlan(yaml);
        ManualClock clock{1'767'225'600'000}; // 2026-01-01T00:00:00Z
        TimeSeriesStore store;
        RolloutSession session(plan, store, clock);
        QTemporaryDir dir;
        QString problem;
        auto ledger = LocalLedger::open(dir.filePath(QStringLiteral("l.sqlite")), clock, &problem);
        QVERIFY2(ledger, qPrintable(problem));
        LedgerRecorder recorder(session, *ledger);
        recorder.addKey(QStringLiteral("rita"), keyOf("rita"));
        recorder.addKey(QStringLiteral("automation"), keyOf("automation"));
        QVERIFY(session
                    .recordApproval(0, Actor{QStringLiteral("rita"), QStringLiteral("rm")}, true,
                                    QStringLiteral("go"))
                    .ok);
        QVERIFY(session.advance(Actor{QStringLiteral("rita"), QStringLiteral("rm")}).ok);
        for (int i = 0; i < 90; ++i) {
            clock.advanceMs(1000);
            store.append(QStringLiteral("error_rate"), {}, Sample{clock.nowMs(), 0.09});
            session.evaluate();
        }
        QCOMPARE(session.currentPhase(), -1);

        EvidenceReport::Input in;
        in.plan = &plan;
        in.verdicts = LedgerVerifier::verify(ledger->records(), plan);
        in.charts.insert(QStringLiteral("error_rate"), QStringLiteral("charts/error_rate.png"));
        in.ledgerFile = QStringLiteral("ledger.jsonl");
        in.generatedAtMs = clock.nowMs();
        // A forged copy of rita's approval, to show how a record that does not verify reads.
        RecordVerdict forged = in.verdicts.first();
        forged.ok = false;
        forged.failures = {{QStringLiteral("signature"), QStringLiteral("does not verify")}};
        in.verdicts.append(forged);
        const QString md = EvidenceReport::markdown(in);
        QVERIFY2(md.contains(QStringLiteral("# Evidence pack: report-test")), qPrintable(md));
        QVERIFY(md.contains(QStringLiteral("**1 do not verify** (they do not count)")));
        QVERIFY2(
            md.contains(QStringLiteral("| 1. canary (1%) | 2026-01-01 00:00:00 UTC | 2026-01-01 00:01:")),
            qPrintable(md));
        QVERIFY(md.contains(QStringLiteral("**rolled back** by automation (error rate critical)")));
        QVERIFY(md.contains(QStringLiteral("| rita | rm | approve: go | ✓ ")));
        QVERIFY(md.contains(QStringLiteral("| rita | rm | approve: go | ✗ signature: does not verify |")));
        QVERIFY(md.contains(QStringLiteral("AUTOMATIC rollback from phase 1 to zero")));
        QVERIFY(md.contains(QStringLiteral("error_rate = 0.09")));
        QVERIFY(md.contains(QStringLiteral("![error_rate](charts/error_rate.png)")));
        QVERIFY(md.contains(QStringLiteral("rolloutctl ledger verify PLAN --from-export ledger.jsonl")));
    }
};

QTEST_GUILESS_MAIN(TestEvidenceReport)
#include "tst_evidencereport.moc"
