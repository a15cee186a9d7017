// The engine's decisions become signed records as they happen, and a new session rebuilt from
// the ledger alone stands exactly where the old one stood; a tampered record is not replayed.
#include "PlanFixture.h"
#include "TestKeys.h"
#include "core/Clock.h"
#include "ledger/LedgerRecorder.h"
#include "ledger/LedgerReplay.h"
#include "metrics/TimeSeriesStore.h"

#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace rollout;

namespace {

Ed25519::KeyPair keyOf(const char* who)
{
    return test::seededKey(QByteArray("test key ") + who);
}

QByteArray planYaml()
{
    return QStringLiteral(R"(
rollout: recorder-test
sources: {sim: {type: simulator}}
backends: {f: {type: flagd_file, path: flags.json}}
flags: [{key: feature, backend: f}]
metrics:
  error_rate: {source: sim, unit: ratio, interval: 1s, simulate: {signal: error_ratio}}
triggers:
  - {name: error rate critical, when: error_rate > 5%, for: 1m, kind: hard, action: rollback}
phases:
  - {name: one, traffic: 1%, min_duration: 10m, checklist: go, approvals: [{role: rm}]}
  - {name: two, traffic: 10%, min_duration: 10m, approvals: [{role: rm}, {role: pm, mandatory: true}]}
checklists:
  go: {technical: [Tests pass]}
people:
  - {id: rita, roles: [rm], key: "%1"}
  - {id: paul, roles: [pm], key: "%2"}
  - {id: automation, roles: [automation], key: "%3"}
)")
        .arg(Ed25519::encodePublicKey(keyOf("rita").publicKey),
             Ed25519::encodePublicKey(keyOf("paul").publicKey),
             Ed25519::encodePublicKey(keyOf("automation").publicKey))
        .toUtf8();
}

const Actor kRita{QStringLiteral("rita"), QStringLiteral("rm")};
const Actor kPaul{QStringLiteral("paul"), QStringLiteral("pm")};

// One console: a session over a store, recording into the ledger at `path`.
struct Console
{
    ManualClock clock{1'700'000'000'000};
    TimeSeriesStore store;
    RolloutSession session;
    std::unique_ptr<LocalLedger> ledger;
    std::unique_ptr<LedgerRecorder> recorder;

    explicit Console(const QString& path, bool withKeys = true)
        : session(test::loadPlan(planYaml()), store, clock)
    {
        QString problem;
        ledger = LocalLedger::open(path, clock, &problem);
        if (!ledger) qFatal("%s", qPrintable(problem));
        recorder = std::make_unique<LedgerRecorder>(session, *ledger);
        if (withKeys)
            for (const char* who : {"rita", "paul", "automation"})
                recorder->addKey(QLatin1String(who), keyOf(who));
    }
    bool hasApproval(int phase, const QString& who) const
    {
        for (const ApprovalEntry& a : session.approvals(phase))
            if (a.actor == who) return true;
        return false;
    }
    void run(int seconds, double errorRate)
    {
        for (int i = 0; i < seconds; ++i) {
            clock.advanceMs(1000);
            store.append(QStringLiteral("error_rate"), {}, Sample{clock.nowMs(), errorRate});
            session.evaluate();
        }
    }
};

} // namespace

class TestLedgerRecorder final : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase() { QVERIFY(Ed25519::initialize()); }

    void decisionsAreSignedAndAStateIsRebuiltFromThem()
    {
        const QString path = m_dir.filePath(QStringLiteral("a.sqlite"));
        qint64 phaseStarted = 0, retryNotBefore = 0;
        {
            Console c(path);
            QSignalSpy recorded(c.recorder.get(), &LedgerRecorder::recorded);
            QVERIFY(c.session.setChecklistItem(0, QStringLiteral("technical/Tests pass"), true, kRita).ok);
            QVERIFY(c.session.recordApproval(0, kRita, true, QStringLiteral("go")).ok);
            c.run(1, 0.001);
            QVERIFY(c.session.advance(kRita).ok);
            c.run(700, 0.001);
            QVERIFY(c.session.recordApproval(1, kRita, true, QStringLiteral("go")).ok);
            QVERIFY(c.session.recordApproval(1, kPaul, true, QStringLiteral("mandatory go")).ok);
            QVERIFY2(c.session.advance(kRita).ok, qPrintable(c.session.gate().missing()));
            c.run(120, 0.09); // the hard trigger: automatic rollback to phase one, signed by automation
            QCOMPARE(c.session.currentPhase(), 0);
            QVERIFY(recorded.size() >= 8);
            for (const LedgerRecord& r : c.ledger->records())
                QVERIFY2(r.signatureValid(), qPrintable(r.type));
            const QList<RecordVerdict> verdicts =
                LedgerVerifier::verify(c.ledger->records(), c.session.plan());
            for (const RecordVerdict& v : verdicts)
                QVERIFY2(v.ok, qPrintable(v.id + QLatin1Char(' ') +
                                          (v.failures.isEmpty() ? QString() : v.failures.first().why)));
            phaseStarted = c.session.phaseStartedMs();
            retryNotBefore = c.session.retryNotBeforeMs();
        }
        // A console started afterwards (the first crashed or was closed) resumes where it was.
        Console again(path);
        const LedgerReplay::Outcome out = LedgerReplay::rebuild(again.session, again.ledger->records());
        QVERIFY2(out.skipped.isEmpty(), qPrintable(out.skipped.join(QLatin1Char('\n'))));
        QCOMPARE(again.session.currentPhase(), 0);
        QCOMPARE(toString(again.session.state()), toString(RolloutState::RolledBack));
        QCOMPARE(again.session.phaseStartedMs(), phaseStarted);
        QCOMPARE(again.session.retryNotBeforeMs(), retryNotBefore);
        QCOMPARE(again.session.tickedItems(0).size(), 1);
    }

    void aTamperedApprovalIsNotReplayed()
    {
        const QString path = m_dir.filePath(QStringLiteral("b.sqlite"));
        {
            Console c(path);
            QVERIFY(c.session.recordApproval(0, kRita, false, QStringLiteral("no-go: tests red")).ok);
        }
        { // Someone with the file turns the rejection into an approval.
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("tamper"));
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("UPDATE records SET body = CAST(replace(CAST(body AS TEXT), "
                                          "'\"reject\"', '\"approve\"') AS BLOB)")));
            QCOMPARE(q.numRowsAffected(), 1);
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("tamper"));
        Console again(path);
        const LedgerReplay::Outcome out = LedgerReplay::rebuild(again.session, again.ledger->records());
        QCOMPARE(out.restored, 0);
        QCOMPARE(out.skipped.size(), 1);
        QVERIFY2(out.skipped.first().contains(QStringLiteral("signature")), qPrintable(out.skipped.first()));
        QVERIFY(again.session.approvals(0).isEmpty()); // the forged approval does not count
    }

    // Records deleted from the ledger file: the gap is tampering, and the authentic records after
    // it are still replayed. The rollback among the deleted ones is not lost: the advance signed
    // after it was taken at phase zero, so the session follows it down first.
    void authenticRecordsAfterADeletionAreReplayed()
    {
        const QString path = m_dir.filePath(QStringLiteral("d.sqlite"));
        QString rollbackId;
        int phase = 0;
        {
            Console c(path);
            QVERIFY(c.session.setChecklistItem(0, QStringLiteral("technical/Tests pass"), true, kRita).ok);
            QVERIFY(c.session.recordApproval(0, kRita, true, QStringLiteral("go")).ok);
            c.run(1, 0.001);
            QVERIFY(c.session.advance(kRita).ok);
            c.run(5, 0.001);
            QVERIFY(c.session.rollback(kRita, QStringLiteral("looks wrong"), true).ok);
            QCOMPARE(c.session.currentPhase(), -1);
            c.run(5, 0.001);
            QVERIFY(c.session.setChecklistItem(0, QStringLiteral("technical/Tests pass"), true, kRita).ok);
            QVERIFY(c.session.recordApproval(0, kRita, true, QStringLiteral("go again")).ok);
            QVERIFY2(c.session.advance(kRita).ok, qPrintable(c.session.gate().missing()));
            c.run(5, 0.001);
            QVERIFY(c.session.recordApproval(1, kPaul, true, QStringLiteral("next")).ok);
            phase = c.session.currentPhase();
            for (const LedgerRecord& r : c.ledger->records())
                if (r.type == QLatin1String("rolled_back")) rollbackId = r.id;
        }
        QCOMPARE(phase, 0);
        QVERIFY(!rollbackId.isEmpty());
        { // Someone with the file removes the rollback.
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("delete"));
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("DELETE FROM records WHERE id = '%1'").arg(rollbackId)));
            QCOMPARE(q.numRowsAffected(), 1);
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("delete"));
        Console again(path);
        const QList<LedgerRecord> left = again.ledger->records();
        const LedgerReplay::Outcome out = LedgerReplay::rebuild(again.session, left);
        QVERIFY2(out.skipped.isEmpty(), qPrintable(out.skipped.join(QLatin1Char('\n'))));
        QCOMPARE(out.restored, int(left.size()));
        QVERIFY2(out.tampering.size() == 2, qPrintable(out.tampering.join(QLatin1Char('\n'))));
        QVERIFY2(out.tampering[0].startsWith(QStringLiteral("tampering: record seq ")) &&
                     out.tampering[0].contains(QStringLiteral("is missing (deleted?)")),
                 qPrintable(out.tampering[0]));
        QVERIFY2(out.tampering[1].contains(QStringLiteral("a rollback before it is missing")),
                 qPrintable(out.tampering[1]));
        QCOMPARE(again.session.currentPhase(), phase);
        QVERIFY(again.hasApproval(1, QStringLiteral("paul")));
    }

    void aDecisionNobodyCanSignIsRefused()
    {
        Console c(m_dir.filePath(QStringLiteral("c.sqlite")), false);
        c.recorder->addKey(QStringLiteral("rita"), keyOf("rita"));
        c.session.setActionGuard([&](const Actor& a, EventType) {
            return c.recorder->canSign(a.id) ? QString() : QStringLiteral("unlock %1's key first").arg(a.id);
        });
        QVERIFY(c.session.recordApproval(0, kRita, true, {}).ok);
        const ActionResult r = c.session.recordApproval(1, kPaul, true, {});
        QVERIFY(!r.ok);
        QCOMPARE(r.message, QStringLiteral("unlock paul's key first"));
        QCOMPARE(c.ledger->records().size(), 1);
        // The engine's own decision without an automation key: reported, never signed by someone else.
        QSignalSpy missed(c.recorder.get(), &LedgerRecorder::notRecorded);
        c.session.recordFlagOutcome(true, QStringLiteral("ok"), {});
        QCOMPARE(missed.size(), 1);
        QVERIFY(missed.first().at(1).toString().contains(QStringLiteral("no unlocked key for automation")));
    }
};

QTEST_GUILESS_MAIN(TestLedgerRecorder)
#include "tst_ledgerrecorder.moc"
