// `rolloutctl ledger verify`, run as a user would (build/app/rolloutctl), on a ledger where one
// device took part in two rollouts: each rollout's ledger verifies on its own, also with the
// records a format-1 console wrote elsewhere first; a deleted record is named as tampering, in
// its rollout only; an export verifies on its own.
#include "RequireServers.h"
#include "TestKeys.h"
#include "core/Clock.h"
#include "ledger/LocalLedger.h"

#include <QCryptographicHash>
#include <QFile>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>
#include <cstdio>

using namespace rollout;

namespace {

Ed25519::KeyPair ana()
{
    return test::seededKey("verify command ana");
}

QByteArray planYaml(const QString& rollout)
{
    return QStringLiteral(R"(
rollout: %1
sources: {sim: {type: simulator}}
backends: {f: {type: flagd_file, path: flags.json}}
flags: [{key: feature, backend: f}]
metrics:
  error_rate: {source: sim, unit: ratio, interval: 1s, simulate: {signal: error_ratio}}
phases:
  - {name: one, traffic: 1%, approvals: [{role: rm}]}
people:
  - {id: ana, roles: [rm], key: "%2"}
)")
        .arg(rollout, Ed25519::encodePublicKey(ana().publicKey))
        .toUtf8();
}

struct Run
{
    int exit = -1;
    QString out, err;
};

} // namespace

class TestLedgerVerifyCommand final : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_rolloutctl = QStringLiteral(ROLLOUT_BINARY_DIR "/app/rolloutctl");
    QString m_db;
    QMap<QString, QString> m_plans;  // rollout -> plan file
    QMap<QString, QString> m_hashes; // rollout -> sha256 of the plan file

    Run run(const QStringList& args)
    {
        QProcess p;
        p.start(m_rolloutctl, args);
        p.waitForFinished(30000);
        Run r{p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
              QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
        if (qEnvironmentVariableIsSet("ROLLOUT_PRINT_OUTPUT")) // what a user sees
            std::fprintf(stderr, "$ rolloutctl %s\n%s%s(exit %d)\n", qPrintable(args.join(QLatin1Char(' '))),
                         qPrintable(r.out), qPrintable(r.err), r.exit);
        return r;
    }

    LedgerRecord note(const QString& rollout, const QString& text)
    {
        LedgerRecord r;
        r.rollout = rollout;
        r.planHash = m_hashes.value(rollout);
        r.type = QStringLiteral("approval_recorded");
        r.actor = QStringLiteral("ana");
        r.role = QStringLiteral("rm");
        r.payload = QJsonObject{{QStringLiteral("to_phase"), 0},
                                {QStringLiteral("decision"), QStringLiteral("approve")},
                                {QStringLiteral("note"), text}};
        return r;
    }

private Q_SLOTS:
    void initTestCase()
    {
        if (!QFile::exists(m_rolloutctl)) ROLLOUT_SKIP_OR_FAIL("build the rolloutctl target first");
        QVERIFY(Ed25519::initialize());
        QVERIFY(m_dir.isValid());
        for (const QString& rollout : {QStringLiteral("checkout-v2"), QStringLiteral("search-v3")}) {
            const QString path = m_dir.filePath(rollout + QStringLiteral(".yaml"));
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            const QByteArray yaml = planYaml(rollout);
            f.write(yaml);
            m_plans.insert(rollout, path);
            m_hashes.insert(rollout, QString::fromLatin1(
                                         QCryptographicHash::hash(yaml, QCryptographicHash::Sha256).toHex()));
        }
        // One device, the two rollouts interleaved, as a console that ran both would write them.
        m_db = m_dir.filePath(QStringLiteral("ledger.sqlite"));
        ManualClock clock(1'700'000'000'000);
        QString problem;
        auto ledger = LocalLedger::open(m_db, clock, &problem);
        QVERIFY2(ledger, qPrintable(problem));
        const Ed25519::KeyPair k = ana();
        int i = 0;
        for (const QString& rollout :
             {QStringLiteral("search-v3"), QStringLiteral("checkout-v2"), QStringLiteral("search-v3"),
              QStringLiteral("checkout-v2"), QStringLiteral("checkout-v2"), QStringLiteral("search-v3")}) {
            clock.advanceMs(60000);
            QVERIFY2(ledger->append(note(rollout, QStringLiteral("decision %1").arg(++i)), k.publicKey,
                                    k.secretKey, &problem),
                     qPrintable(problem));
        }
        // A console of a build before format 2, pulled from the shared store: its chain ran through
        // rollouts this ledger never saw, so its records here start at seq 16.
        const QString console = QUuid::createUuid().toString(QUuid::WithoutBraces);
        QString previous = QStringLiteral("0").repeated(64);
        for (int seq = 16; seq <= 17; ++seq) {
            LedgerRecord r =
                note(QStringLiteral("checkout-v2"), QStringLiteral("from the console %1").arg(seq));
            r.version = 1;
            r.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
            r.device = console;
            r.sequence = seq;
            r.previous = previous;
            r.timestampMs = clock.nowMs() + seq * 1000;
            r.seal(k.publicKey, k.secretKey);
            previous = r.hash();
            QCOMPARE(ledger->insertPulled(r, &problem), LocalLedger::InsertOutcome::Inserted);
        }
    }

    void eachRolloutVerifiesOnItsOwn()
    {
        for (const QString& rollout : m_plans.keys()) {
            const Run r = run({QStringLiteral("ledger"), QStringLiteral("verify"), m_plans.value(rollout),
                               QStringLiteral("--db"), m_db});
            QVERIFY2(r.exit == 0, qPrintable(rollout + QLatin1Char('\n') + r.out + r.err));
            QVERIFY2(!r.out.contains(QStringLiteral("FAILED")) &&
                         !r.out.contains(QStringLiteral("TAMPERING")),
                     qPrintable(r.out));
            const int expected = rollout == QLatin1String("checkout-v2") ? 5 : 3;
            QVERIFY2(r.out.contains(
                         QStringLiteral("%1 records of rollout %2, 0 failed").arg(expected).arg(rollout)),
                     qPrintable(r.out));
        }
        // The format-1 console's chain starts at seq 16 here: a note that says why, not a failure.
        const Run r = run({QStringLiteral("ledger"), QStringLiteral("verify"),
                           m_plans.value(QStringLiteral("checkout-v2")), QStringLiteral("--db"), m_db});
        QVERIFY2(r.out.contains(QStringLiteral("records seq 1–15 of device")) &&
                     r.out.contains(QStringLiteral("a version-1 chain runs through every rollout")),
                 qPrintable(r.out));
    }

    void anExportVerifiesOnItsOwn()
    {
        const QString file = m_dir.filePath(QStringLiteral("search.jsonl"));
        const QString plan = m_plans.value(QStringLiteral("search-v3"));
        const Run e = run({QStringLiteral("ledger"), QStringLiteral("export"), plan, QStringLiteral("--db"),
                           m_db, QStringLiteral("--output"), file});
        QVERIFY2(e.exit == 0, qPrintable(e.err));
        QVERIFY2(e.err.contains(QStringLiteral("wrote 3 records")),
                 qPrintable(e.err)); // its own records only
        const Run v = run({QStringLiteral("ledger"), QStringLiteral("verify"), plan,
                           QStringLiteral("--from-export"), file});
        QVERIFY2(v.exit == 0, qPrintable(v.out + v.err));
    }

    // Last: it damages the file.
    void aDeletedRecordIsNamedAsTamperingInItsRolloutOnly()
    {
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("tamper"));
            db.setDatabaseName(m_db);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("DELETE FROM records WHERE rollout = 'checkout-v2' AND seq = 2")));
            QCOMPARE(q.numRowsAffected(), 1);
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("tamper"));
        const Run bad = run({QStringLiteral("ledger"), QStringLiteral("verify"),
                             m_plans.value(QStringLiteral("checkout-v2")), QStringLiteral("--db"), m_db});
        QCOMPARE(bad.exit, 1);
        QVERIFY2(bad.out.contains(QStringLiteral("TAMPERING (deleted) chain: record seq 2 of device")) &&
                     bad.out.contains(QStringLiteral("is missing (deleted?): seq jumps 1 → 3")),
                 qPrintable(bad.out));
        QVERIFY2(bad.out.contains(QStringLiteral("TAMPERING: 1 deleted")), qPrintable(bad.out));
        const Run good = run({QStringLiteral("ledger"), QStringLiteral("verify"),
                              m_plans.value(QStringLiteral("search-v3")), QStringLiteral("--db"), m_db});
        QVERIFY2(good.exit == 0, qPrintable(good.out));
    }
};

QTEST_GUILESS_MAIN(TestLedgerVerifyCommand)
#include "tst_ledgerverifycommand.moc"
