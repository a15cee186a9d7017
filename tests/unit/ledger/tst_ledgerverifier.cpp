// LedgerVerifier: a table of faults against a valid two-device ledger. Each fault must be named
// by its check with a reason, and every record the fault did not touch must stay valid.
#include "ledger/Ed25519.h"
#include "ledger/LedgerVerifier.h"

#include <QTest>

using namespace rollout;

namespace {

enum class Fault {
    None,
    DecisionChanged,
    ResignedByAnother,
    ActorChanged,
    DeletedFromMiddle,
    FirstRecordsMissing,
    PreviousReplaced,
    ReplayedFromAnotherRollout,
    BoundToOldPlan,
    KeyNotInPeople,
    RoleNotHeld,
    AutomationWithPersonKey,
    ClockBackwards,
    GarbageBody,
    DuplicateSeq,
};

const QString kPlanHash = QStringLiteral("9f2c1e7a5b3d4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60");
const QString kOldPlanHash = QStringLiteral("1111111111111111111111111111111111111111111111111111111111111111");

Ed25519::KeyPair keyFrom(char seed) { return *Ed25519::fromSeed(QByteArray(32, seed)); }

struct Fixture
{
    Ed25519::KeyPair ana = keyFrom('a'), bob = keyFrom('b'), bot = keyFrom('c'), mallory = keyFrom('m');
    Plan plan;
    QList<LedgerRecord> records;

    Fixture()
    {
        plan.rollout = QStringLiteral("checkout-v2");
        plan.sha256 = kPlanHash.toLatin1();
        plan.people.push_back({QStringLiteral("ana"), QStringLiteral("Ana"), {QStringLiteral("rm")}, Ed25519::encodePublicKey(ana.publicKey)});
        plan.people.push_back({QStringLiteral("bob"), QStringLiteral("Bob"), {QStringLiteral("sre")}, Ed25519::encodePublicKey(bob.publicKey)});
        plan.people.push_back({QStringLiteral("ci"), QStringLiteral("CI"), {QStringLiteral("automation")}, Ed25519::encodePublicKey(bot.publicKey)});

        add(QStringLiteral("dev-a"), QStringLiteral("ana"), QStringLiteral("rm"), QStringLiteral("checklist_item_set"), ana);
        add(QStringLiteral("dev-a"), QStringLiteral("ana"), QStringLiteral("rm"), QStringLiteral("approval_recorded"), ana);
        add(QStringLiteral("dev-b"), QStringLiteral("bob"), QStringLiteral("sre"), QStringLiteral("approval_recorded"), bob);
        add(QStringLiteral("dev-a"), QStringLiteral("automation"), QStringLiteral("automation"), QStringLiteral("phase_advanced"), bot);
        add(QStringLiteral("dev-a"), QStringLiteral("bob"), QStringLiteral("sre"), QStringLiteral("approval_recorded"), bob);
        add(QStringLiteral("dev-b"), QStringLiteral("bob"), QStringLiteral("sre"), QStringLiteral("note_added"), bob);
        add(QStringLiteral("dev-a"), QStringLiteral("ana"), QStringLiteral("rm"), QStringLiteral("rolled_back"), ana);
    }

    // The device's next record: chained to its last one, one minute later.
    LedgerRecord next(const QString& device, const QString& actor, const QString& role, const QString& type) const
    {
        LedgerRecord r;
        r.id = QStringLiteral("rec-%1").arg(records.size() + 1);
        r.rollout = plan.rollout;
        r.planHash = kPlanHash;
        r.type = type;
        r.actor = actor;
        r.role = role;
        r.payload = QJsonObject{{QStringLiteral("approve"), true}, {QStringLiteral("phase"), 2}};
        r.device = device;
        r.sequence = 1;
        r.timestampMs = 1'700'000'000'000 + 60'000 * records.size();
        for (const LedgerRecord& p : records)
            if (p.device == device) {
                r.sequence = p.sequence + 1;
                r.previous = p.hash();
            }
        return r;
    }

    void add(const QString& device, const QString& actor, const QString& role, const QString& type, const Ed25519::KeyPair& key)
    {
        LedgerRecord r = next(device, actor, role, type);
        r.seal(key.publicKey, key.secretKey);
        records.append(r);
    }

    // Re-signs record i after its fields were changed.
    void reseal(int i, const Ed25519::KeyPair& key) { records[i].seal(key.publicKey, key.secretKey); }
};

} // namespace

Q_DECLARE_METATYPE(Fault)

class TestLedgerVerifier final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QVERIFY(Ed25519::initialize()); }

    void faults_data()
    {
        QTest::addColumn<Fault>("fault");
        QTest::addColumn<int>("bad");          // index of the record that must fail; -1: none
        QTest::addColumn<QString>("check");
        QTest::addColumn<QString>("reason");

        QTest::newRow("valid chain") << Fault::None << -1 << QString() << QString();
        QTest::newRow("decision changed in body") << Fault::DecisionChanged << 1 << "signature" << "does not match the body";
        QTest::newRow("re-signed by another person") << Fault::ResignedByAnother << 1 << "signer" << "the record names actor \"ana\" but key";
        QTest::newRow("actor changed") << Fault::ActorChanged << 1 << "signer" << "names actor \"bob\" but key";
        QTest::newRow("deleted from the middle") << Fault::DeletedFromMiddle << 3 << "chain" << "record 3 of device dev-a is missing: seq jumps 2 → 4";
        QTest::newRow("first records missing") << Fault::FirstRecordsMissing << 1 << "chain" << "records 1–2 of device dev-a are missing: the chain starts at seq 3";
        QTest::newRow("previous replaced") << Fault::PreviousReplaced << 6 << "chain" << "is not the hash of record 4 of device dev-a";
        QTest::newRow("replayed from another rollout") << Fault::ReplayedFromAnotherRollout << 7 << "rollout" << "replayed from another rollout";
        QTest::newRow("bound to an old plan version") << Fault::BoundToOldPlan << 7 << "plan" << "made under plan version 111111111111";
        QTest::newRow("key not in people") << Fault::KeyNotInPeople << 7 << "signer" << "is not in the plan's people";
        QTest::newRow("role not held") << Fault::RoleNotHeld << 7 << "signer" << "\"ana\" does not hold the role \"sre\"";
        QTest::newRow("automation with a person's key") << Fault::AutomationWithPersonKey << 7 << "signer" << "role \"automation\"";
        QTest::newRow("clock went backwards") << Fault::ClockBackwards << 7 << "clock" << "the clock went backwards on device dev-a";
        QTest::newRow("garbage body") << Fault::GarbageBody << 7 << "shape" << "not a JSON object";
        QTest::newRow("duplicate seq") << Fault::DuplicateSeq << 7 << "chain" << "more than one record with seq 5";
    }

    void faults()
    {
        QFETCH(Fault, fault);
        QFETCH(int, bad);
        QFETCH(QString, check);
        QFETCH(QString, reason);

        Fixture f;
        const QString a = QStringLiteral("dev-a");
        switch (fault) {
        case Fault::None: break;
        case Fault::DecisionChanged:
            QVERIFY(f.records[1].body.contains("\"approve\":true"));
            f.records[1].body.replace("\"approve\":true", "\"approve\":false");
            break;
        case Fault::ResignedByAnother: f.reseal(1, f.bob); break;
        case Fault::ActorChanged:
            f.records[1].actor = QStringLiteral("bob");
            f.reseal(1, f.ana);
            break;
        case Fault::DeletedFromMiddle: f.records.removeAt(3); break;   // dev-a seq 3
        case Fault::FirstRecordsMissing: f.records.remove(0, 2); break;   // dev-a seq 1 and 2
        case Fault::PreviousReplaced:
            f.records[6].previous = f.records[0].hash();   // dev-a seq 5 now points at seq 1, not seq 4
            f.reseal(6, f.ana);
            break;
        case Fault::ReplayedFromAnotherRollout: {
            LedgerRecord r = f.next(QStringLiteral("dev-c"), QStringLiteral("ana"), QStringLiteral("rm"), QStringLiteral("approval_recorded"));
            r.rollout = QStringLiteral("search-v3");
            r.seal(f.ana.publicKey, f.ana.secretKey);
            f.records.append(r);
            break;
        }
        case Fault::BoundToOldPlan: {
            LedgerRecord r = f.next(a, QStringLiteral("ana"), QStringLiteral("rm"), QStringLiteral("approval_recorded"));
            r.planHash = kOldPlanHash;
            r.seal(f.ana.publicKey, f.ana.secretKey);
            f.records.append(r);
            break;
        }
        case Fault::KeyNotInPeople: f.add(a, QStringLiteral("mallory"), QStringLiteral("rm"), QStringLiteral("approval_recorded"), f.mallory); break;
        case Fault::RoleNotHeld: f.add(a, QStringLiteral("ana"), QStringLiteral("sre"), QStringLiteral("approval_recorded"), f.ana); break;
        case Fault::AutomationWithPersonKey:
            f.add(a, QStringLiteral("automation"), QStringLiteral("automation"), QStringLiteral("phase_advanced"), f.ana);
            break;
        case Fault::ClockBackwards: {
            LedgerRecord r = f.next(a, QStringLiteral("ana"), QStringLiteral("rm"), QStringLiteral("note_added"));
            r.timestampMs = f.records[6].timestampMs - 5000;
            r.seal(f.ana.publicKey, f.ana.secretKey);
            f.records.append(r);
            break;
        }
        case Fault::GarbageBody: {
            LedgerRecord r;
            r.id = QStringLiteral("row-8");
            r.body = "{\"id\":\"x\",\"v\":1";
            r.signature = QByteArray(64, '\0');
            f.records.append(r);
            break;
        }
        case Fault::DuplicateSeq: {
            LedgerRecord r = f.records[6];   // dev-a seq 5, a second version of it
            r.id = QStringLiteral("fork");
            r.type = QStringLiteral("note_added");
            r.seal(f.ana.publicKey, f.ana.secretKey);
            f.records.append(r);
            break;
        }
        }

        const QList<RecordVerdict> verdicts = LedgerVerifier::verify(f.records, f.plan);
        QCOMPARE(verdicts.size(), f.records.size());
        for (int i = 0; i < verdicts.size(); ++i) {
            const RecordVerdict& v = verdicts[i];
            QStringList seen;
            for (const RecordVerdict::Failure& x : v.failures) seen.append(x.check + QStringLiteral(": ") + x.why);
            if (i != bad) {
                // Nothing valid is lost: every record the fault did not touch still counts.
                QVERIFY2(v.ok && countsForGate(v), qPrintable(QStringLiteral("record %1 (%2) should be valid: %3").arg(i).arg(v.id, seen.join(QStringLiteral("; ")))));
                continue;
            }
            QVERIFY2(!v.ok && !countsForGate(v), qPrintable(QStringLiteral("record %1 should fail").arg(i)));
            QVERIFY2(v.failed(check), qPrintable(QStringLiteral("expected check \"%1\", got: %2").arg(check, seen.join(QStringLiteral("; ")))));
            bool named = false;
            for (const RecordVerdict::Failure& x : v.failures) named |= x.check == check && x.why.contains(reason);
            QVERIFY2(named, qPrintable(QStringLiteral("no \"%1\" reason containing \"%2\" in: %3").arg(check, reason, seen.join(QStringLiteral("; ")))));
        }
    }

    void tamperedRecordDoesNotTaintItsSuccessor()
    {
        Fixture f;
        f.records[1].body.replace("\"approve\":true", "\"approve\":false");
        const QList<RecordVerdict> v = LedgerVerifier::verify(f.records, f.plan);
        QVERIFY(v[3].ok);   // dev-a seq 3 follows the tampered record
        QVERIFY(!v[3].notes.isEmpty());
        QVERIFY(v[3].notes.first().contains(QStringLiteral("cannot be checked")));
    }

    void otherPlanVersionIsANoteForUnboundTypes()
    {
        Fixture f;
        LedgerRecord r = f.next(QStringLiteral("dev-a"), QStringLiteral("ana"), QStringLiteral("rm"), QStringLiteral("note_added"));
        r.planHash = kOldPlanHash;
        r.seal(f.ana.publicKey, f.ana.secretKey);
        f.records.append(r);
        const QList<RecordVerdict> v = LedgerVerifier::verify(f.records, f.plan);
        QVERIFY(v.last().ok);
        QCOMPARE(v.last().notes.size(), 1);
        QVERIFY(v.last().notes.first().contains(QStringLiteral("plan version 111111111111")));
    }

    void orderOfInputDoesNotMatter()
    {
        Fixture f;
        std::reverse(f.records.begin(), f.records.end());
        for (const RecordVerdict& v : LedgerVerifier::verify(f.records, f.plan)) QVERIFY(v.ok);
    }

    void integrityChecks()
    {
        for (const char* c : {"shape", "signature", "chain", "clock"}) QVERIFY(LedgerVerifier::isIntegrityCheck(QLatin1String(c)));
        for (const char* c : {"signer", "rollout", "plan"}) QVERIFY(!LedgerVerifier::isIntegrityCheck(QLatin1String(c)));
    }
};

QTEST_GUILESS_MAIN(TestLedgerVerifier)
#include "tst_ledgerverifier.moc"
