// LocalLedger: the device's SQLite ledger — chain on append, reopen, pragmas, migrations,
// pulled records (duplicate vs conflict), push bookkeeping, and durability across SIGKILL.
#include "core/Clock.h"
#include "ledger/Ed25519.h"
#include "ledger/LedgerVerifier.h"
#include "ledger/LocalLedger.h"

#include <QCoreApplication>
#include <QFile>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <cstdio>
#include <thread>

using namespace rollout;

namespace {

const char* const kChildFlag = "--append-and-wait";
// SHA-256 of the plan the decisions refer to (any 64 hex digits will do here).
const char* const kPlanHash = "5d1b3f0c2a9e8d7c6b5a49382716f5e4d3c2b1a09f8e7d6c5b4a392817f6e5d4";

LedgerRecord decision(const QString& type, const QString& actor = QStringLiteral("ana"))
{
    LedgerRecord r;
    r.rollout = QStringLiteral("checkout-v2");
    r.planHash = QString::fromLatin1(kPlanHash);
    r.type = type;
    r.actor = actor;
    r.role = QStringLiteral("rm");
    r.payload = QJsonObject{{QStringLiteral("phase"), 2}, {QStringLiteral("approve"), true}};
    return r;
}

// Runs in a child process: appends one record, prints its id, then waits to be killed.
int appendAndWait(const QString& path)
{
    QCoreApplication::setApplicationName(QStringLiteral("tst_localledger_child"));
    Ed25519::initialize();
    SystemClock clock;
    QString problem;
    std::unique_ptr<LocalLedger> ledger = LocalLedger::open(path, clock, &problem);
    if (!ledger) {
        std::fprintf(stderr, "%s\n", qPrintable(problem));
        return 3;
    }
    const Ed25519::KeyPair keys = Ed25519::generate();
    const std::optional<LedgerRecord> r = ledger->append(decision(QStringLiteral("approval_recorded")), keys.publicKey, keys.secretKey, &problem);
    if (!r) {
        std::fprintf(stderr, "%s\n", qPrintable(problem));
        return 4;
    }
    std::printf("%s\n", qPrintable(r->id));
    std::fflush(stdout);
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}

} // namespace

class TestLocalLedger final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QVERIFY(Ed25519::initialize()); }

    void init()
    {
        QVERIFY(m_dir.isValid());
        m_path = m_dir.filePath(QStringLiteral("ledger-%1.sqlite").arg(++m_count));
    }

    void appendBuildsTheChain()
    {
        ManualClock clock(1'700'000'000'000);
        QString problem;
        auto ledger = LocalLedger::open(m_path, clock, &problem);
        QVERIFY2(ledger, qPrintable(problem));
        QVERIFY(!QUuid::fromString(ledger->deviceId()).isNull());
        const Ed25519::KeyPair k = Ed25519::generate();

        QList<LedgerRecord> made;
        for (int i = 0; i < 3; ++i) {
            clock.advanceMs(1000);
            auto r = ledger->append(decision(QStringLiteral("approval_recorded")), k.publicKey, k.secretKey, &problem);
            QVERIFY2(r, qPrintable(problem));
            made.append(*r);
        }
        QCOMPARE(made[0].sequence, 1);
        QCOMPARE(made[0].previous, QString());
        QCOMPARE(made[1].sequence, 2);
        QCOMPARE(made[1].previous, made[0].hash());
        QCOMPARE(made[2].previous, made[1].hash());
        QCOMPARE(made[2].timestampMs, 1'700'000'003'000);
        QCOMPARE(made[2].device, ledger->deviceId());
        QCOMPARE(made[2].id, made[2].id.toLower());
        QVERIFY(!made[2].id.contains(QLatin1Char('{')));
        for (const LedgerRecord& r : made) QVERIFY(r.signatureValid());

        const QList<LedgerRecord> stored = ledger->records();
        QCOMPARE(stored.size(), 3);
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(stored[i].id, made[i].id);
            QCOMPARE(stored[i].body, made[i].body);          // the exact signed bytes come back
            QCOMPARE(stored[i].signature, made[i].signature);
        }
        QCOMPARE(ledger->records(QStringLiteral("checkout-v2")).size(), 3);
        QCOMPARE(ledger->records(QStringLiteral("other")).size(), 0);
    }

    void aMismatchedKeyPairIsRefused()
    {
        ManualClock clock;
        QString problem;
        auto ledger = LocalLedger::open(m_path, clock, &problem);
        QVERIFY(ledger);
        const Ed25519::KeyPair a = Ed25519::generate(), b = Ed25519::generate();
        QVERIFY(!ledger->append(decision(QStringLiteral("note_added")), a.publicKey, b.secretKey, &problem));
        QVERIFY2(problem.contains(m_path), qPrintable(problem));
        QCOMPARE(ledger->records().size(), 0);
    }

    void reopenKeepsDeviceAndSequence()
    {
        ManualClock clock(1000);
        QString problem, device, lastHash;
        const Ed25519::KeyPair k = Ed25519::generate();
        {
            auto ledger = LocalLedger::open(m_path, clock, &problem);
            QVERIFY2(ledger, qPrintable(problem));
            device = ledger->deviceId();
            ledger->append(decision(QStringLiteral("note_added")), k.publicKey, k.secretKey, &problem);
            lastHash = ledger->append(decision(QStringLiteral("note_added")), k.publicKey, k.secretKey, &problem)->hash();
        }
        auto again = LocalLedger::open(m_path, clock, &problem);
        QVERIFY2(again, qPrintable(problem));
        QCOMPARE(again->deviceId(), device);
        auto r = again->append(decision(QStringLiteral("note_added")), k.publicKey, k.secretKey, &problem);
        QVERIFY2(r, qPrintable(problem));
        QCOMPARE(r->sequence, 3);
        QCOMPARE(r->previous, lastHash);
    }

    void twoInstancesOnOneFileShareTheChain()
    {
        // The console and rolloutctl open the same file: sequence numbers must never collide.
        ManualClock clock(1000);
        QString problem;
        auto a = LocalLedger::open(m_path, clock, &problem);
        auto b = LocalLedger::open(m_path, clock, &problem);
        QVERIFY2(a && b, qPrintable(problem));
        QCOMPARE(a->deviceId(), b->deviceId());
        const Ed25519::KeyPair k = Ed25519::generate();
        QCOMPARE(a->append(decision(QStringLiteral("note_added")), k.publicKey, k.secretKey, &problem)->sequence, 1);
        QCOMPARE(b->append(decision(QStringLiteral("note_added")), k.publicKey, k.secretKey, &problem)->sequence, 2);
        QCOMPARE(a->append(decision(QStringLiteral("note_added")), k.publicKey, k.secretKey, &problem)->sequence, 3);
    }

    void pragmasAreSet()
    {
        ManualClock clock;
        QString problem;
        auto ledger = LocalLedger::open(m_path, clock, &problem);
        QVERIFY2(ledger, qPrintable(problem));
        QCOMPARE(ledger->pragma(QStringLiteral("journal_mode")), QStringLiteral("wal"));
        QCOMPARE(ledger->pragma(QStringLiteral("synchronous")), QStringLiteral("2"));   // FULL
        QCOMPARE(ledger->pragma(QStringLiteral("foreign_keys")), QStringLiteral("1"));
        QCOMPARE(ledger->pragma(QStringLiteral("user_version")), QString::number(LocalLedger::SchemaVersion));
    }

    void migratesAnEmptyFile()
    {
        {
            QFile f(m_path);
            QVERIFY(f.open(QIODevice::WriteOnly));   // zero bytes: SQLite treats it as a new database
        }
        ManualClock clock;
        QString problem;
        auto ledger = LocalLedger::open(m_path, clock, &problem);
        QVERIFY2(ledger, qPrintable(problem));
        QCOMPARE(ledger->pragma(QStringLiteral("user_version")), QStringLiteral("1"));
        QVERIFY(!ledger->deviceId().isEmpty());
        const Ed25519::KeyPair k = Ed25519::generate();
        QVERIFY2(ledger->append(decision(QStringLiteral("note_added")), k.publicKey, k.secretKey, &problem), qPrintable(problem));
    }

    void refusesANewerSchema()
    {
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("newer"));
            db.setDatabaseName(m_path);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("CREATE TABLE future (x)")));
            QVERIFY(q.exec(QStringLiteral("PRAGMA user_version = 7")));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("newer"));
        ManualClock clock;
        QString problem;
        QVERIFY(!LocalLedger::open(m_path, clock, &problem));
        QVERIFY2(problem.contains(QStringLiteral("newer")), qPrintable(problem));
        QVERIFY2(problem.contains(QStringLiteral("version 7")), qPrintable(problem));
        QVERIFY2(problem.contains(m_path), qPrintable(problem));
    }

    void refusesAFileThatIsNotSqlite()
    {
        {
            QFile f(m_path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray(4096, 'x'));
        }
        ManualClock clock;
        QString problem;
        QVERIFY(!LocalLedger::open(m_path, clock, &problem));
        QVERIFY2(problem.contains(m_path), qPrintable(problem));
        QVERIFY2(problem.contains(QStringLiteral("not a database")), qPrintable(problem));   // SQLite's own words
    }

    void insertPulledDuplicateAndConflict()
    {
        ManualClock clock(5000);
        QString problem;
        auto other = LocalLedger::open(m_dir.filePath(QStringLiteral("other-%1.sqlite").arg(m_count)), clock, &problem);
        auto mine = LocalLedger::open(m_path, clock, &problem);
        QVERIFY2(other && mine, qPrintable(problem));
        const Ed25519::KeyPair k = Ed25519::generate();
        const LedgerRecord theirs = *other->append(decision(QStringLiteral("approval_recorded")), k.publicKey, k.secretKey, &problem);

        QCOMPARE(mine->insertPulled(theirs, &problem), LocalLedger::InsertOutcome::Inserted);
        QCOMPARE(mine->insertPulled(theirs, &problem), LocalLedger::InsertOutcome::Duplicate);

        // Same id, different bytes (validly re-signed, so only the comparison can catch it).
        LedgerRecord altered = theirs;
        altered.payload[QStringLiteral("approve")] = false;
        altered.seal(k.publicKey, k.secretKey);
        QVERIFY(altered.signatureValid());
        QCOMPARE(mine->insertPulled(altered, &problem), LocalLedger::InsertOutcome::Conflict);
        QVERIFY2(problem.contains(QStringLiteral("altered")), qPrintable(problem));
        QCOMPARE(mine->records().size(), 1);
        QCOMPARE(mine->records().first().body, theirs.body);   // nothing overwritten

        // Another id in a slot of the chain that is taken: a fork.
        LedgerRecord fork = theirs;
        fork.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
        fork.seal(k.publicKey, k.secretKey);
        QCOMPARE(mine->insertPulled(fork, &problem), LocalLedger::InsertOutcome::Conflict);
        QVERIFY2(problem.contains(QStringLiteral("forked")), qPrintable(problem));

        // Bytes that were changed without re-signing never get in.
        LedgerRecord tampered = theirs;
        tampered.body.replace("true", "false");
        tampered.id = QStringLiteral("x");
        QCOMPARE(mine->insertPulled(tampered, &problem), LocalLedger::InsertOutcome::Rejected);
        LedgerRecord garbage;
        garbage.body = "not json";
        QCOMPARE(mine->insertPulled(garbage, &problem), LocalLedger::InsertOutcome::Rejected);
        QCOMPARE(mine->records().size(), 1);
    }

    void unpushedAndMarkPushed()
    {
        ManualClock clock(5000);
        QString problem;
        auto other = LocalLedger::open(m_dir.filePath(QStringLiteral("other-%1.sqlite").arg(m_count)), clock, &problem);
        auto mine = LocalLedger::open(m_path, clock, &problem);
        QVERIFY2(other && mine, qPrintable(problem));
        const Ed25519::KeyPair k = Ed25519::generate();
        QStringList ids;
        for (int i = 0; i < 3; ++i) ids.append(mine->append(decision(QStringLiteral("note_added")), k.publicKey, k.secretKey, &problem)->id);
        QCOMPARE(mine->insertPulled(*other->append(decision(QStringLiteral("note_added")), k.publicKey, k.secretKey, &problem)),
                 LocalLedger::InsertOutcome::Inserted);

        QList<LedgerRecord> pending = mine->unpushed();
        QCOMPARE(pending.size(), 3);   // pulled records came from the shared ledger: never pushed back
        QCOMPARE(pending[0].id, ids[0]);
        QCOMPARE(pending[2].id, ids[2]);
        QVERIFY2(mine->markPushed({ids[0], ids[1]}, &problem), qPrintable(problem));
        pending = mine->unpushed();
        QCOMPARE(pending.size(), 1);
        QCOMPARE(pending[0].id, ids[2]);
        QVERIFY(mine->markPushed({}, &problem));
        QCOMPARE(mine->records().size(), 4);
    }

    void storedRecordsVerify()
    {
        // What the ledger stores is what the verifier accepts.
        ManualClock clock(1'700'000'000'000);
        QString problem;
        auto ledger = LocalLedger::open(m_path, clock, &problem);
        QVERIFY2(ledger, qPrintable(problem));
        const Ed25519::KeyPair k = *Ed25519::fromSeed(QByteArray(32, '\x07'));
        Plan plan;
        plan.rollout = QStringLiteral("checkout-v2");
        plan.sha256 = kPlanHash;
        plan.people.push_back({QStringLiteral("ana"), QStringLiteral("Ana"), {QStringLiteral("rm")}, Ed25519::encodePublicKey(k.publicKey)});
        for (int i = 0; i < 4; ++i) {
            clock.advanceMs(60'000);
            QVERIFY(ledger->append(decision(QStringLiteral("approval_recorded")), k.publicKey, k.secretKey, &problem));
        }
        const QList<RecordVerdict> verdicts = LedgerVerifier::verify(ledger->records(), plan);
        QCOMPARE(verdicts.size(), 4);
        for (const RecordVerdict& v : verdicts) {
            QVERIFY2(v.ok, v.failures.isEmpty() ? "" : qPrintable(v.failures.first().why));
            QVERIFY(countsForGate(v));
        }
        if (qEnvironmentVariableIsSet("ROLLOUT_PRINT_RECORD"))   // the worked example in docs/ledger-format.md
            for (const LedgerRecord& r : ledger->records().mid(0, 2))
                std::printf("body: %s\nsignature: %s\nsha256: %s\n", r.body.constData(), r.signature.toBase64().constData(), qPrintable(r.hash()));
    }

    void survivesSigkillRightAfterAppend()
    {
        QProcess child;
        child.start(QCoreApplication::applicationFilePath(), {QString::fromLatin1(kChildFlag), m_path});
        QVERIFY(child.waitForStarted());
        QVERIFY2(child.waitForReadyRead(15000), qPrintable(QString::fromLocal8Bit(child.readAllStandardError())));
        const QString id = QString::fromLatin1(child.readLine().trimmed());
        child.kill();   // SIGKILL: no destructors, no close, no checkpoint
        QVERIFY(child.waitForFinished(5000));
        QCOMPARE(child.exitStatus(), QProcess::CrashExit);
        QVERIFY(!id.isEmpty());
        QVERIFY(QFile::exists(m_path + QStringLiteral("-wal")));   // the record lives in the WAL, not yet checkpointed

        ManualClock clock;
        QString problem;
        auto ledger = LocalLedger::open(m_path, clock, &problem);
        QVERIFY2(ledger, qPrintable(problem));
        const QList<LedgerRecord> all = ledger->records();
        QCOMPARE(all.size(), 1);
        QCOMPARE(all.first().id, id);
        QVERIFY(all.first().signatureValid());
    }

private:
    QTemporaryDir m_dir;
    QString m_path;
    int m_count = 0;
};

int main(int argc, char** argv)
{
    if (argc == 3 && qstrcmp(argv[1], kChildFlag) == 0) {
        QCoreApplication app(argc, argv);
        return appendAndWait(QString::fromLocal8Bit(argv[2]));
    }
    QCoreApplication app(argc, argv);
    TestLocalLedger test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_localledger.moc"
