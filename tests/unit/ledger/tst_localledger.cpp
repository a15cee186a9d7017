// LocalLedger: the device's SQLite ledger — chain on append, reopen, pragmas, migrations,
// pulled records (duplicate vs conflict), push bookkeeping, and durability across SIGKILL.
#include "core/Clock.h"
#include "ledger/Ed25519.h"
#include "ledger/LedgerVerifier.h"
#include "ledger/LocalLedger.h"

#include <QCoreApplication>
#include <QFile>
#include <QMap>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlError>
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

LedgerRecord decision(const QString& type, const QString& actor = QStringLiteral("ana"),
                      const QString& rollout = QStringLiteral("checkout-v2"))
{
    LedgerRecord r;
    r.rollout = rollout;
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
    const std::optional<LedgerRecord> r = ledger->append(decision(QStringLiteral("approval_recorded")),
                                                         keys.publicKey, keys.secretKey, &problem);
    if (!r) {
        std::fprintf(stderr, "%s\n", qPrintable(problem));
        return 4;
    }
    std::printf("%s\n", qPrintable(r->id));
    std::fflush(stdout);
    for (;;)
        std::this_thread::sleep_for(std::chrono::seconds(1));
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
            auto r = ledger->append(decision(QStringLiteral("approval_recorded")), k.publicKey, k.secretKey,
                                    &problem);
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
        for (const LedgerRecord& r : made)
            QVERIFY(r.signatureValid());

        const QList<LedgerRecord> stored = ledger->records();
        QCOMPARE(stored.size(), 3);
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(stored[i].id, made[i].id);
            QCOMPARE(stored[i].body, made[i].body); // the exact signed bytes come back
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
            lastHash =
                ledger->append(decision(QStringLiteral("note_added")), k.publicKey, k.secretKey, &problem)
                    ->hash();
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
        QCOMPARE(
            a->append(decision(QStringLiteral("note_added")), k.publicKey, k.secretKey, &problem)->sequence,
            1);
        QCOMPARE(
            b->append(decision(QStringLiteral("note_added")), k.publicKey, k.secretKey, &problem)->sequence,
            2);
        QCOMPARE(
            a->append(decision(QStringLiteral("note_added")), k.publicKey, k.secretKey, &problem)->sequence,
            3);
    }

    // Format 2: each rollout's records make a chain of their own on the device, whatever else
    // the device signed in between, so a rollout's ledger verifies with nothing else.
    void chainsPerDeviceAndRollout()
    {
        ManualClock clock(1'700'000'000'000);
        QString problem;
        auto ledger = LocalLedger::open(m_path, clock, &problem);
        QVERIFY2(ledger, qPrintable(problem));
        const Ed25519::KeyPair k = Ed25519::generate();
        const QString x = QStringLiteral("checkout-v2"), y = QStringLiteral("search-v3");
        QMap<QString, QList<LedgerRecord>> made;
        for (const QString& rollout : {x, y, y, x, y, x, x}) {
            clock.advanceMs(1000);
            const auto r =
                ledger->append(decision(QStringLiteral("note_added"), QStringLiteral("ana"), rollout),
                               k.publicKey, k.secretKey, &problem);
            QVERIFY2(r, qPrintable(problem));
            QCOMPARE(r->version, LedgerRecord::FormatVersion);
            made[rollout].append(*r);
        }
        for (const QString& rollout : {x, y}) {
            const QList<LedgerRecord>& chain = made[rollout];
            for (int i = 0; i < chain.size(); ++i) {
                QCOMPARE(chain[i].sequence, i + 1);
                QCOMPARE(chain[i].previous, i ? chain[i - 1].hash() : QString());
            }
            Plan plan;
            plan.rollout = rollout;
            plan.sha256 = kPlanHash;
            plan.people.push_back({QStringLiteral("ana"),
                                   QStringLiteral("Ana"),
                                   {QStringLiteral("rm")},
                                   Ed25519::encodePublicKey(k.publicKey)});
            for (const RecordVerdict& v : LedgerVerifier::verify(ledger->records(rollout), plan))
                QVERIFY2(v.ok && v.notes.isEmpty(),
                         qPrintable(v.id + QLatin1Char(' ') +
                                    (v.failures.isEmpty() ? v.notes.value(0) : v.failures.first().why)));
        }
        // A pulled record of another device may take the same (seq, rollout) as ours; one that takes
        // the place of another record of its own chain is a fork.
        auto other = LocalLedger::open(m_dir.filePath(QStringLiteral("other-%1.sqlite").arg(m_count)), clock,
                                       &problem);
        const LedgerRecord theirs =
            *other->append(decision(QStringLiteral("note_added"), QStringLiteral("ana"), y), k.publicKey,
                           k.secretKey, &problem);
        QCOMPARE(ledger->insertPulled(theirs, &problem), LocalLedger::InsertOutcome::Inserted);
        LedgerRecord fork = theirs;
        fork.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
        fork.seal(k.publicKey, k.secretKey);
        QCOMPARE(ledger->insertPulled(fork, &problem), LocalLedger::InsertOutcome::Conflict);
        QVERIFY2(problem.contains(QStringLiteral("forked")) && problem.contains(y), qPrintable(problem));
    }

    // A file written before format 2 (schema 1, records unique per device and seq) is migrated in
    // place: every record kept byte for byte, and each rollout's chain goes on from its last record.
    void migratesASchema1File()
    {
        const Ed25519::KeyPair k = Ed25519::generate();
        const QString device = QUuid::createUuid().toString(QUuid::WithoutBraces);
        const QString x = QStringLiteral("checkout-v2"), y = QStringLiteral("search-v3");
        QList<LedgerRecord> old;
        QString previous;
        for (const QString& rollout : {x, y, x}) { // one format-1 chain through both rollouts
            LedgerRecord r = decision(QStringLiteral("note_added"), QStringLiteral("ana"), rollout);
            r.version = 1;
            r.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
            r.device = device;
            r.sequence = old.size() + 1;
            r.previous = previous;
            r.timestampMs = 1'600'000'000'000 + old.size() * 1000;
            r.seal(k.publicKey, k.secretKey);
            previous = r.hash();
            old.append(r);
        }
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("schema1"));
            db.setDatabaseName(m_path);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")));
            QVERIFY(q.exec(QStringLiteral(
                "CREATE TABLE records (id TEXT PRIMARY KEY, device TEXT NOT NULL, seq INTEGER NOT NULL, "
                "rollout TEXT NOT NULL,"
                " plan_sha256 TEXT NOT NULL, type TEXT NOT NULL, actor TEXT NOT NULL, ts_ms INTEGER NOT NULL,"
                " body BLOB NOT NULL, signature BLOB NOT NULL, origin TEXT NOT NULL CHECK (origin IN "
                "('local', 'pulled')),"
                " pushed INTEGER NOT NULL DEFAULT 0, UNIQUE (device, seq))")));
            QVERIFY(q.exec(QStringLiteral("CREATE INDEX records_by_time ON records (ts_ms, device, seq)")));
            QVERIFY(q.exec(QStringLiteral("CREATE INDEX records_by_rollout ON records (rollout, ts_ms)")));
            QVERIFY(
                q.exec(QStringLiteral("CREATE INDEX records_unpushed ON records (pushed) WHERE pushed = 0")));
            QVERIFY(q.exec(
                QStringLiteral("INSERT INTO meta (key, value) VALUES ('device_id', '%1')").arg(device)));
            for (const LedgerRecord& r : old) {
                q.prepare(QStringLiteral("INSERT INTO records (id, device, seq, rollout, plan_sha256, type, "
                                         "actor, ts_ms, body, signature, origin, pushed)"
                                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'local', 1)"));
                for (const QVariant& v :
                     {QVariant(r.id), QVariant(r.device), QVariant(r.sequence), QVariant(r.rollout),
                      QVariant(r.planHash), QVariant(r.type), QVariant(r.actor), QVariant(r.timestampMs),
                      QVariant(r.body), QVariant(r.signature)})
                    q.addBindValue(v);
                QVERIFY2(q.exec(), qPrintable(q.lastError().text()));
            }
            QVERIFY(q.exec(QStringLiteral("PRAGMA user_version = 1")));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("schema1"));

        ManualClock clock(1'700'000'000'000);
        QString problem;
        auto ledger = LocalLedger::open(m_path, clock, &problem);
        QVERIFY2(ledger, qPrintable(problem));
        QCOMPARE(ledger->pragma(QStringLiteral("user_version")), QString::number(LocalLedger::SchemaVersion));
        QCOMPARE(ledger->deviceId(), device);
        const QList<LedgerRecord> kept = ledger->records();
        QCOMPARE(kept.size(), 3);
        for (int i = 0; i < 3; ++i)
            QCOMPARE(kept[i].body, old[i].body);
        QVERIFY(ledger->unpushed().isEmpty());
        // Rollout x goes on from its last format-1 record (seq 3); rollout y from its (seq 2).
        const auto nx = ledger->append(decision(QStringLiteral("note_added"), QStringLiteral("ana"), x),
                                       k.publicKey, k.secretKey, &problem);
        const auto ny = ledger->append(decision(QStringLiteral("note_added"), QStringLiteral("ana"), y),
                                       k.publicKey, k.secretKey, &problem);
        const auto fresh = ledger->append(
            decision(QStringLiteral("note_added"), QStringLiteral("ana"), QStringLiteral("new-one")),
            k.publicKey, k.secretKey, &problem);
        QVERIFY2(nx && ny && fresh, qPrintable(problem));
        QCOMPARE(nx->sequence, 4);
        QCOMPARE(nx->previous, old[2].hash());
        QCOMPARE(ny->sequence, 3);
        QCOMPARE(ny->previous, old[1].hash());
        QCOMPARE(fresh->sequence, 1);
        Plan plan;
        plan.rollout = x;
        plan.sha256 = kPlanHash;
        plan.people.push_back({QStringLiteral("ana"),
                               QStringLiteral("Ana"),
                               {QStringLiteral("rm")},
                               Ed25519::encodePublicKey(k.publicKey)});
        // Rollout x alone: the format-1 gap (seq 2 is rollout y's) is a note; everything verifies.
        for (const RecordVerdict& v : LedgerVerifier::verify(ledger->records(x), plan))
            QVERIFY2(v.ok && countsForGate(v),
                     qPrintable(v.id + QLatin1Char(' ') +
                                (v.failures.isEmpty() ? QString() : v.failures.first().why)));
    }

    void pragmasAreSet()
    {
        ManualClock clock;
        QString problem;
        auto ledger = LocalLedger::open(m_path, clock, &problem);
        QVERIFY2(ledger, qPrintable(problem));
        QCOMPARE(ledger->pragma(QStringLiteral("journal_mode")), QStringLiteral("wal"));
        QCOMPARE(ledger->pragma(QStringLiteral("synchronous")), QStringLiteral("2")); // FULL
        QCOMPARE(ledger->pragma(QStringLiteral("foreign_keys")), QStringLiteral("1"));
        QCOMPARE(ledger->pragma(QStringLiteral("user_version")), QString::number(LocalLedger::SchemaVersion));
    }

    void migratesAnEmptyFile()
    {
        {
            QFile f(m_path);
            QVERIFY(f.open(QIODevice::WriteOnly)); // zero bytes: SQLite treats it as a new database
        }
        ManualClock clock;
        QString problem;
        auto ledger = LocalLedger::open(m_path, clock, &problem);
        QVERIFY2(ledger, qPrintable(problem));
        QCOMPARE(ledger->pragma(QStringLiteral("user_version")), QString::number(LocalLedger::SchemaVersion));
        QVERIFY(!ledger->deviceId().isEmpty());
        const Ed25519::KeyPair k = Ed25519::generate();
        QVERIFY2(ledger->append(decision(QStringLiteral("note_added")), k.publicKey, k.secretKey, &problem),
                 qPrintable(problem));
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
        QVERIFY2(problem.contains(QStringLiteral("not a database")),
                 qPrintable(problem)); // SQLite's own words
    }

    void insertPulledDuplicateAndConflict()
    {
        ManualClock clock(5000);
        QString problem;
        auto other = LocalLedger::open(m_dir.filePath(QStringLiteral("other-%1.sqlite").arg(m_count)), clock,
                                       &problem);
        auto mine = LocalLedger::open(m_path, clock, &problem);
        QVERIFY2(other && mine, qPrintable(problem));
        const Ed25519::KeyPair k = Ed25519::generate();
        const LedgerRecord theirs =
            *other->append(decision(QStringLiteral("approval_recorded")), k.publicKey, k.secretKey, &problem);

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
        QCOMPARE(mine->records().first().body, theirs.body); // nothing overwritten

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
        auto other = LocalLedger::open(m_dir.filePath(QStringLiteral("other-%1.sqlite").arg(m_count)), clock,
                                       &problem);
        auto mine = LocalLedger::open(m_path, clock, &problem);
        QVERIFY2(other && mine, qPrintable(problem));
        const Ed25519::KeyPair k = Ed25519::generate();
        QStringList ids;
        for (int i = 0; i < 3; ++i)
            ids.append(
                mine->append(decision(QStringLiteral("note_added")), k.publicKey, k.secretKey, &problem)->id);
        QCOMPARE(mine->insertPulled(*other->append(decision(QStringLiteral("note_added")), k.publicKey,
                                                   k.secretKey, &problem)),
                 LocalLedger::InsertOutcome::Inserted);

        QList<LedgerRecord> pending = mine->unpushed();
        QCOMPARE(pending.size(), 3); // pulled records came from the shared ledger: never pushed back
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
        plan.people.push_back({QStringLiteral("ana"),
                               QStringLiteral("Ana"),
                               {QStringLiteral("rm")},
                               Ed25519::encodePublicKey(k.publicKey)});
        for (int i = 0; i < 4; ++i) {
            clock.advanceMs(60'000);
            QVERIFY(ledger->append(decision(QStringLiteral("approval_recorded")), k.publicKey, k.secretKey,
                                   &problem));
        }
        const QList<RecordVerdict> verdicts = LedgerVerifier::verify(ledger->records(), plan);
        QCOMPARE(verdicts.size(), 4);
        for (const RecordVerdict& v : verdicts) {
            QVERIFY2(v.ok, v.failures.isEmpty() ? "" : qPrintable(v.failures.first().why));
            QVERIFY(countsForGate(v));
        }
        if (qEnvironmentVariableIsSet("ROLLOUT_PRINT_RECORD")) // the worked example in docs/ledger-format.md
            for (const LedgerRecord& r : ledger->records().mid(0, 2))
                std::printf("body: %s\nsignature: %s\nsha256: %s\n", r.body.constData(),
                            r.signature.toBase64().constData(), qPrintable(r.hash()));
    }

    void survivesSigkillRightAfterAppend()
    {
        QProcess child;
        child.start(QCoreApplication::applicationFilePath(), {QString::fromLatin1(kChildFlag), m_path});
        QVERIFY(child.waitForStarted());
        QVERIFY2(child.waitForReadyRead(15000),
                 qPrintable(QString::fromLocal8Bit(child.readAllStandardError())));
        const QString id = QString::fromLatin1(child.readLine().trimmed());
        child.kill(); // SIGKILL: no destructors, no close, no checkpoint
        QVERIFY(child.waitForFinished(5000));
        QCOMPARE(child.exitStatus(), QProcess::CrashExit);
        QVERIFY(!id.isEmpty());
        QVERIFY(QFile::exists(m_path +
                              QStringLiteral("-wal"))); // the record lives in the WAL, not yet checkpointed

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
