// The home's summaries of rollouts not open: read from the ledger once per change (a new record,
// a plan edited, another person), not on every refresh; damage in a history shows it held.
#include "PlanFixture.h"
#include "TestKeys.h"
#include "core/Clock.h"
#include "ledger/LedgerRecorder.h"
#include "ledger/LocalLedger.h"
#include "metrics/TimeSeriesStore.h"
#include "viewmodels/RolloutDirectory.h"

#include <QFile>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace rollout;

namespace {

QByteArray planYaml()
{
    return QStringLiteral(R"(
rollout: directory-test
sources: {sim: {type: simulator}}
backends: {f: {type: flagd_file, path: flags.json}}
flags: [{key: feature, backend: f}]
metrics:
  error_rate: {source: sim, unit: ratio, interval: 1s, simulate: {signal: error_ratio}}
phases:
  - {name: one, traffic: 1%, checklist: go}
checklists:
  go: {technical: [Tests pass, Docs]}
people:
  - {id: rita, roles: [rm], key: "%1"}
)")
        .arg(Ed25519::encodePublicKey(test::seededKey("directory rita").publicKey))
        .toUtf8();
}

QString writePlan(const QTemporaryDir& dir)
{
    const QString path = dir.filePath(QStringLiteral("plan.yaml"));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(planYaml()) < 0) qFatal("cannot write %s", qPrintable(path));
    return path;
}

} // namespace

class TestRolloutDirectory final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void readsTheLedgerOnlyWhenSomethingChanged()
    {
        QTemporaryDir dir;
        const QString planPath = writePlan(dir);
        const QString ledgerPath = dir.filePath(QStringLiteral("ledger.sqlite"));
        ManualClock clock{1'700'000'000'000};
        const QList<RolloutDirectory::Source> sources{{planPath, QStringLiteral("recent plan")}};
        auto tick = [&](const QString& item) {
            TimeSeriesStore samples;
            RolloutSession session(test::loadPlan(planYaml()), samples, clock);
            QString problem;
            auto ledger = LocalLedger::open(ledgerPath, clock, &problem);
            QVERIFY2(ledger, qPrintable(problem));
            LedgerRecorder recorder(session, *ledger);
            recorder.addKey(QStringLiteral("rita"), test::seededKey("directory rita"));
            QVERIFY(
                session.setChecklistItem(0, item, true, Actor{QStringLiteral("rita"), QStringLiteral("rm")})
                    .ok);
        };
        tick(QStringLiteral("technical/Tests pass"));
        RolloutDirectory directory;
        QList<RolloutSummary> rows =
            directory.readCached(sources, ledgerPath, QStringLiteral("rita"), {}, clock);
        QCOMPARE(rows.size(), 1);
        QCOMPARE(directory.reads(), 1);
        clock.advanceMs(3000);
        rows = directory.readCached(sources, ledgerPath, QStringLiteral("rita"), {}, clock);
        QCOMPARE(directory.reads(), 1); // nothing changed: the last read answers
        tick(QStringLiteral("technical/Docs"));
        rows = directory.readCached(sources, ledgerPath, QStringLiteral("rita"), {}, clock);
        QCOMPARE(directory.reads(), 2); // a new record: read again
        directory.readCached(sources, ledgerPath, QStringLiteral("paul"), {}, clock);
        QCOMPARE(directory.reads(), 3); // another person
        clock.advanceMs(31'000);
        directory.readCached(sources, ledgerPath, QStringLiteral("paul"), {}, clock);
        QCOMPARE(directory.reads(), 4); // times in phase move with the clock
        QCOMPARE(rows.first().rollout, QStringLiteral("directory-test"));
    }

    void aDamagedHistoryIsShownHeld()
    {
        QTemporaryDir dir;
        const QString planPath = writePlan(dir);
        const QString ledgerPath = dir.filePath(QStringLiteral("ledger.sqlite"));
        ManualClock clock{1'700'000'000'000};
        {
            TimeSeriesStore samples;
            RolloutSession session(test::loadPlan(planYaml()), samples, clock);
            QString problem;
            auto ledger = LocalLedger::open(ledgerPath, clock, &problem);
            QVERIFY2(ledger, qPrintable(problem));
            LedgerRecorder recorder(session, *ledger);
            recorder.addKey(QStringLiteral("rita"), test::seededKey("directory rita"));
            const Actor rita{QStringLiteral("rita"), QStringLiteral("rm")};
            for (int i = 0; i < 3; ++i)
                QVERIFY(session.setChecklistItem(0, QStringLiteral("technical/Docs"), i % 2 == 0, rita).ok);
        }
        {
            QSqlDatabase db =
                QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("directory"));
            db.setDatabaseName(ledgerPath);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("DELETE FROM records WHERE seq = 2")));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("directory"));
        const QList<RolloutSummary> rows = RolloutDirectory::read(
            {{planPath, QStringLiteral("recent plan")}}, ledgerPath, QStringLiteral("rita"), {}, clock);
        QCOMPARE(rows.size(), 1);
        QCOMPARE(toString(rows.first().state), toString(RolloutState::Alert));
    }
};

QTEST_GUILESS_MAIN(TestRolloutDirectory)
#include "tst_rolloutdirectory.moc"
