// Durability without blocking: with a background writer, the thread that decides (the console's
// UI thread) never runs an append; each record is reported only once it is on disk, in the order
// the decisions were taken, the chain intact; an advance claim still goes out after its record.
#include "PlanFixture.h"
#include "core/Clock.h"
#include "ledger/LedgerRecorder.h"
#include "ledger/LedgerVerifier.h"
#include "ledger/LedgerWriter.h"
#include "metrics/TimeSeriesStore.h"
#include "sim/DemoKeys.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace rollout;

class TestLedgerWriter final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY(Ed25519::initialize()); }

    void decisionsAreWrittenOffThisThreadInOrderAndReportedOnceDurable()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("ledger.sqlite"));
        SystemClock clock;
        TimeSeriesStore samples;
        RolloutSession session(
            test::loadPlan(test::sourceFile(QStringLiteral("resources/demo/demo-plan.yaml"))), samples,
            clock);
        QString problem;
        auto ledger = LocalLedger::open(path, clock, &problem);
        QVERIFY2(ledger, qPrintable(problem));
        LedgerRecorder recorder(session, *ledger);
        recorder.addKey(QStringLiteral("rm-demo"), DemoKeys::forPerson(QStringLiteral("rm-demo")));
        auto writer = LedgerWriter::open(path, clock, &problem);
        QVERIFY2(writer, qPrintable(problem));
        QThread* writerThread = writer->writerThread();
        QVERIFY(writerThread != QThread::currentThread());
        recorder.setWriter(std::move(writer));

        QSignalSpy recorded(&recorder, &LedgerRecorder::recorded);
        QSignalSpy durable(&recorder, &LedgerRecorder::durable);
        const Actor rm{QStringLiteral("rm-demo"), QStringLiteral("release-manager")};
        const int n = 40;
        for (int i = 0; i < n; ++i) {
            QVERIFY(session.addNote(rm, QStringLiteral("note %1").arg(i)).ok);
            // Asked, not yet reported: nothing is "stored" before the writer says it is durable.
            QCOMPARE(recorder.pendingWrites(), i + 1);
            QVERIFY(!recorder.isDurable());
        }
        QCOMPARE(recorded.size(), 0); // this thread has not returned to its loop: no append was reported here
        QTRY_COMPARE_WITH_TIMEOUT(recorded.size(), n, 30000);
        QVERIFY(recorder.isDurable());
        QVERIFY(durable.size() >= 1);
        for (int i = 0; i < n; ++i) {
            const LedgerRecord r = recorded.at(i).at(0).value<LedgerRecord>();
            QCOMPARE(r.sequence, qint64(i + 1));
            QCOMPARE(r.payload.value(QStringLiteral("note")).toString(), QStringLiteral("note %1").arg(i));
        }
        // On disk, readable by this thread's own connection, and the chain verifies.
        const QList<LedgerRecord> stored = ledger->records(session.plan().rollout);
        QCOMPARE(stored.size(), n);
        for (const RecordVerdict& v : LedgerVerifier::verify(stored, session.plan()))
            QVERIFY2(v.ok, qPrintable(v.id));
    }
};

QTEST_GUILESS_MAIN(TestLedgerWriter)
#include "tst_ledgerwriter.moc"
