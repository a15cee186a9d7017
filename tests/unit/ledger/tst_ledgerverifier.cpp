// LedgerVerifier: a table of faults against a valid two-device ledger. Each fault must be named
// by its check with a reason and, when it is tampering, by its kind; every record the fault did
// not touch must stay valid, and a record after damage to its chain still counts. Then chains per
// device and rollout (format 2), and format-1 chains that run through several rollouts.
#include "ledger/Ed25519.h"
#include "ledger/LedgerVerifier.h"

#include <QTest>

using namespace rollout;

namespace {

enum class Fault
{
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
    ReplayedCopy,
    SameIdOtherBytes,
};

const QString kPlanHash = QStringLiteral("9f2c1e7a5b3d4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60");
const QString kOldPlanHash =
    QStringLiteral("1111111111111111111111111111111111111111111111111111111111111111");

Ed25519::KeyPair keyFrom(char seed)
{
    return *Ed25519::fromSeed(QByteArray(32, seed));
}

struct Fixture
{
    Ed25519::KeyPair ana = keyFrom('a'), bob = keyFrom('b'), bot = keyFrom('c'), mallory = keyFrom('m');
    Plan plan;
    QList<LedgerRecord> records;

    Fixture()
    {
        plan.rollout = QStringLiteral("checkout-v2");
        plan.sha256 = kPlanHash.toLatin1();
        plan.people.push_back({QStringLiteral("ana"),
                               QStringLiteral("Ana"),
                               {QStringLiteral("rm")},
                               Ed25519::encodePublicKey(ana.publicKey)});
        plan.people.push_back({QStringLiteral("bob"),
                               QStringLiteral("Bob"),
                               {QStringLiteral("sre")},
                               Ed25519::encodePublicKey(bob.publicKey)});
        plan.people.push_back({QStringLiteral("ci"),
                               QStringLiteral("CI"),
                               {QStringLiteral("automation")},
                               Ed25519::encodePublicKey(bot.publicKey)});

        add(QStringLiteral("dev-a"), QStringLiteral("ana"), QStringLiteral("rm"),
            QStringLiteral("checklist_item_set"), ana);
        add(QStringLiteral("dev-a"), QStringLiteral("ana"), QStringLiteral("rm"),
            QStringLiteral("approval_recorded"), ana);
        add(QStringLiteral("dev-b"), QStringLiteral("bob"), QStringLiteral("sre"),
            QStringLiteral("approval_recorded"), bob);
        add(QStringLiteral("dev-a"), QStringLiteral("automation"), QStringLiteral("automation"),
            QStringLiteral("phase_advanced"), bot);
        add(QStringLiteral("dev-a"), QStringLiteral("bob"), QStringLiteral("sre"),
            QStringLiteral("approval_recorded"), bob);
        add(QStringLiteral("dev-b"), QStringLiteral("bob"), QStringLiteral("sre"),
            QStringLiteral("note_added"), bob);
        add(QStringLiteral("dev-a"), QStringLiteral("ana"), QStringLiteral("rm"),
            QStringLiteral("rolled_back"), ana);
    }

    // The device's next record in `rollout`: chained to its last one there, one minute later.
    LedgerRecord next(const QString& device, const QString& actor, const QString& role, const QString& type,
                      const QString& rollout = {}) const
    {
        LedgerRecord r;
        r.id = QStringLiteral("rec-%1").arg(records.size() + 1);
        r.rollout = rollout.isEmpty() ? plan.rollout : rollout;
        r.planHash = kPlanHash;
        r.type = type;
        r.actor = actor;
        r.role = role;
        r.payload = QJsonObject{{QStringLiteral("approve"), true}, {QStringLiteral("phase"), 2}};
        r.device = device;
        r.sequence = 1;
        r.timestampMs = 1'700'000'000'000 + 60'000 * records.size();
        for (const LedgerRecord& p : records)
            if (p.device == device && p.rollout == r.rollout) {
                r.sequence = p.sequence + 1;
                r.previous = p.hash();
            }
        return r;
    }

    void add(const QString& device, const QString& actor, const QString& role, const QString& type,
             const Ed25519::KeyPair& key, const QString& rollout = {})
    {
        LedgerRecord r = next(device, actor, role, type, rollout);
        r.seal(key.publicKey, key.secretKey);
        records.append(r);
    }

    // Re-signs record i after its fields were changed.
    void reseal(int i, const Ed25519::KeyPair& key) { records[i].seal(key.publicKey, key.secretKey); }
};

} // namespace

Q_DECLARE_METATYPE(Fault)
Q_DECLARE_METATYPE(Tampering)

namespace {

QString seen(const RecordVerdict& v)
{
    QStringList out;
    for (const RecordVerdict::Failure& x : v.failures)
        out.append(x.check + QStringLiteral(": ") + x.why);
    return out.join(QStringLiteral("; "));
}

// A format-1 record: the chain ran per device, through every rollout (what builds before format 2 wrote).
LedgerRecord v1(const QString& id, const QString& rollout, const QString& device, qint64 seq,
                const QString& previous, const Ed25519::KeyPair& key, qint64 ts)
{
    LedgerRecord r;
    r.version = 1;
    r.id = id;
    r.rollout = rollout;
    r.planHash = kPlanHash;
    r.type = QStringLiteral("note_added");
    r.actor = QStringLiteral("ana");
    r.role = QStringLiteral("rm");
    r.payload = QJsonObject{{QStringLiteral("note"), id}};
    r.device = device;
    r.sequence = seq;
    r.previous = previous;
    r.timestampMs = ts;
    r.seal(key.publicKey, key.secretKey);
    return r;
}

} // namespace

class TestLedgerVerifier final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QVERIFY(Ed25519::initialize()); }

    void faults_data()
    {
        QTest::addColumn<Fault>("fault");
        QTest::addColumn<int>("bad"); // index of the record that must fail; -1: none
        QTest::addColumn<QString>("check");
        QTest::addColumn<QString>("reason");
        QTest::addColumn<Tampering>("kind"); // what tampering the failure shows, if any
        QTest::addColumn<bool>("counts"); // the bad record still counts (only the chain around it is damaged)

        const QString inA = QStringLiteral("device dev-a in rollout checkout-v2");
        QTest::newRow("valid chain") << Fault::None << -1 << QString() << QString() << Tampering::None
                                     << true;
        QTest::newRow("decision changed in body") << Fault::DecisionChanged << 1 << "signature"
                                                  << "does not match the body" << Tampering::Changed << false;
        QTest::newRow("re-signed by another person")
            << Fault::ResignedByAnother << 1 << "signer"
            << "the record names actor \"ana\" but key" << Tampering::None << false;
        QTest::newRow("actor changed") << Fault::ActorChanged << 1 << "signer"
                                       << "names actor \"bob\" but key" << Tampering::None << false;
        QTest::newRow("deleted from the middle")
            << Fault::DeletedFromMiddle << 3 << "chain"
            << QStringLiteral("record seq 3 of %1 is missing (deleted?): seq jumps 2 → 4").arg(inA)
            << Tampering::Deleted << true;
        QTest::newRow("first records missing")
            << Fault::FirstRecordsMissing << 1 << "chain"
            << QStringLiteral("records seq 1–2 of %1 are missing (deleted?): the chain starts at seq 3")
                   .arg(inA)
            << Tampering::Deleted << true;
        QTest::newRow("previous replaced")
            << Fault::PreviousReplaced << 6 << "chain"
            << QStringLiteral("is not the hash of seq 4 of %1").arg(inA) << Tampering::Reordered << true;
        QTest::newRow("replayed from another rollout")
            << Fault::ReplayedFromAnotherRollout << 7 << "rollout"
            << "replayed from another rollout" << Tampering::Copied << false;
        QTest::newRow("bound to an old plan version")
            << Fault::BoundToOldPlan << 7 << "plan"
            << "made under plan version 111111111111" << Tampering::None << false;
        QTest::newRow("key not in people") << Fault::KeyNotInPeople << 7 << "signer"
                                           << "is not in the plan's people" << Tampering::ForeignKey << false;
        QTest::newRow("role not held")
            << Fault::RoleNotHeld << 7 << "signer"
            << "\"ana\" does not hold the role \"sre\"" << Tampering::None << false;
        QTest::newRow("automation with a person's key") << Fault::AutomationWithPersonKey << 7 << "signer"
                                                        << "role \"automation\"" << Tampering::None << false;
        QTest::newRow("clock went backwards")
            << Fault::ClockBackwards << 7 << "clock"
            << QStringLiteral("the clock went backwards on %1").arg(inA) << Tampering::None << false;
        QTest::newRow("garbage body") << Fault::GarbageBody << 7 << "shape"
                                      << "not a JSON object" << Tampering::Changed << false;
        QTest::newRow("duplicate seq") << Fault::DuplicateSeq << 7 << "chain"
                                       << "more than one record with seq 5" << Tampering::Reordered << true;
        QTest::newRow("the same record twice") << Fault::ReplayedCopy << 7 << "duplicate"
                                               << "a replayed copy" << Tampering::Copied << false;
        QTest::newRow("an id over other bytes")
            << Fault::SameIdOtherBytes << 7 << "duplicate"
            << "same id rec-2 with different bytes" << Tampering::Changed << false;
    }

    void faults()
    {
        QFETCH(Fault, fault);
        QFETCH(int, bad);
        QFETCH(QString, check);
        QFETCH(QString, reason);
        QFETCH(Tampering, kind);
        QFETCH(bool, counts);

        Fixture f;
        const QString a = QStringLiteral("dev-a");
        switch (fault) {
        case Fault::None:
            break;
        case Fault::DecisionChanged:
            QVERIFY(f.records[1].body.contains("\"approve\":true"));
            f.records[1].body.replace("\"approve\":true", "\"approve\":false");
            break;
        case Fault::ResignedByAnother:
            f.reseal(1, f.bob);
            break;
        case Fault::ActorChanged:
            f.records[1].actor = QStringLiteral("bob");
            f.reseal(1, f.ana);
            break;
        case Fault::DeletedFromMiddle:
            f.records.removeAt(3);
            break; // dev-a seq 3
        case Fault::FirstRecordsMissing:
            f.records.remove(0, 2);
            break; // dev-a seq 1 and 2
        case Fault::PreviousReplaced:
            f.records[6].previous = f.records[0].hash(); // dev-a seq 5 now points at seq 1, not seq 4
            f.reseal(6, f.ana);
            break;
        case Fault::ReplayedFromAnotherRollout: {
            LedgerRecord r = f.next(QStringLiteral("dev-c"), QStringLiteral("ana"), QStringLiteral("rm"),
                                    QStringLiteral("approval_recorded"));
            r.rollout = QStringLiteral("search-v3");
            r.seal(f.ana.publicKey, f.ana.secretKey);
            f.records.append(r);
            break;
        }
        case Fault::BoundToOldPlan: {
            LedgerRecord r =
                f.next(a, QStringLiteral("ana"), QStringLiteral("rm"), QStringLiteral("approval_recorded"));
            r.planHash = kOldPlanHash;
            r.seal(f.ana.publicKey, f.ana.secretKey);
            f.records.append(r);
            break;
        }
        case Fault::KeyNotInPeople:
            f.add(a, QStringLiteral("mallory"), QStringLiteral("rm"), QStringLiteral("approval_recorded"),
                  f.mallory);
            break;
        case Fault::RoleNotHeld:
            f.add(a, QStringLiteral("ana"), QStringLiteral("sre"), QStringLiteral("approval_recorded"),
                  f.ana);
            break;
        case Fault::AutomationWithPersonKey:
            f.add(a, QStringLiteral("automation"), QStringLiteral("automation"),
                  QStringLiteral("phase_advanced"), f.ana);
            break;
        case Fault::ClockBackwards: {
            LedgerRecord r =
                f.next(a, QStringLiteral("ana"), QStringLiteral("rm"), QStringLiteral("note_added"));
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
            LedgerRecord r = f.records[6]; // dev-a seq 5, a second version of it
            r.id = QStringLiteral("fork");
            r.type = QStringLiteral("note_added");
            r.seal(f.ana.publicKey, f.ana.secretKey);
            f.records.append(r);
            break;
        }
        case Fault::ReplayedCopy:
            f.records.append(f.records[4]);
            break; // byte for byte
        case Fault::SameIdOtherBytes: {
            LedgerRecord r =
                f.next(a, QStringLiteral("ana"), QStringLiteral("rm"), QStringLiteral("note_added"));
            r.id = f.records[1].id;
            r.seal(f.ana.publicKey, f.ana.secretKey);
            f.records.append(r);
            break;
        }
        }

        const QList<RecordVerdict> verdicts = LedgerVerifier::verify(f.records, f.plan);
        QCOMPARE(verdicts.size(), f.records.size());
        for (int i = 0; i < verdicts.size(); ++i) {
            const RecordVerdict& v = verdicts[i];
            if (i != bad) {
                // Nothing valid is lost: every record the fault did not touch still counts.
                QVERIFY2(v.ok && countsForGate(v),
                         qPrintable(
                             QStringLiteral("record %1 (%2) should be valid: %3").arg(i).arg(v.id, seen(v))));
                continue;
            }
            QVERIFY2(!v.ok, qPrintable(QStringLiteral("record %1 should fail").arg(i)));
            QCOMPARE(countsForGate(v), counts);
            QVERIFY2(v.failed(check),
                     qPrintable(QStringLiteral("expected check \"%1\", got: %2").arg(check, seen(v))));
            bool named = false;
            for (const RecordVerdict::Failure& x : v.failures)
                named |= x.check == check && x.why.contains(reason) && x.tampering == kind;
            QVERIFY2(named,
                     qPrintable(QStringLiteral("no \"%1\" reason containing \"%2\" of kind \"%3\" in: %4")
                                    .arg(check, reason, toString(kind), seen(v))));
            if (kind != Tampering::None) {
                QCOMPARE(v.tampering().size(), 1);
                QVERIFY2(
                    tamperingSentence(v, v.tampering().first()).startsWith(QStringLiteral("tampering: ")),
                    qPrintable(tamperingSentence(v, v.tampering().first())));
            } else {
                QVERIFY(v.tampering().isEmpty());
            }
        }
    }

    void tamperingSentencesNameTheKind()
    {
        Fixture f;
        f.records[1].body.replace("\"approve\":true", "\"approve\":false"); // changed
        f.records.removeAt(3);                                              // dev-a seq 3 deleted
        LedgerRecord forged = f.next(QStringLiteral("dev-a"), QStringLiteral("mallory"), QStringLiteral("rm"),
                                     QStringLiteral("note_added"));
        forged.id = QStringLiteral("forged");
        forged.seal(f.mallory.publicKey, f.mallory.secretKey); // a fresh key, no plan person's
        f.records.append(forged);
        QStringList sentences;
        for (const RecordVerdict& v : LedgerVerifier::verify(f.records, f.plan))
            for (const RecordVerdict::Failure& x : v.tampering())
                sentences.append(tamperingSentence(v, x));
        QCOMPARE(sentences.size(), 3);
        QVERIFY2(sentences[0].startsWith(
                     QStringLiteral("tampering: record rec-2 was changed (the Ed25519 signature")),
                 qPrintable(sentences[0]));
        QVERIFY2(sentences[1].startsWith(QStringLiteral(
                     "tampering: record seq 3 of device dev-a in rollout checkout-v2 is missing (deleted?)")),
                 qPrintable(sentences[1]));
        QVERIFY2(sentences[2].contains(QStringLiteral("is signed by a key that is not in the plan (key ")),
                 qPrintable(sentences[2]));
    }

    // The records after a deletion or a changed record verify on their own and count; the chain
    // failure sits on the gap (one record), not on everything after it.
    void damageIsReportedAtTheGapOnly()
    {
        Fixture f;
        for (int i = 0; i < 3; ++i)
            f.add(QStringLiteral("dev-a"), QStringLiteral("ana"), QStringLiteral("rm"),
                  QStringLiteral("approval_recorded"), f.ana);
        f.records.removeAt(3); // dev-a seq 3
        f.records[5].body.replace("\"approve\":true",
                                  "\"approve\":false"); // dev-a seq 5 (rolled_back) changed
        const QList<RecordVerdict> v = LedgerVerifier::verify(f.records, f.plan);
        int chainFailures = 0, counted = 0;
        for (const RecordVerdict& x : v) {
            chainFailures += x.failed(QStringLiteral("chain"));
            counted += countsForGate(x);
        }
        QCOMPARE(chainFailures, 1); // only dev-a seq 4, right after the gap
        QVERIFY(v[3].failed(QStringLiteral("chain")) && countsForGate(v[3]));
        QVERIFY(!countsForGate(v[5]));             // the changed one does not count…
        QVERIFY(v[6].ok && !v[6].notes.isEmpty()); // …and the one after it is not blamed for it
        QCOMPARE(counted, int(v.size()) - 1);
    }

    // Format 2: one device, two rollouts interleaved. Each rollout's records verify on their own.
    void twoRolloutsOnOneDeviceVerifyEachOnItsOwn()
    {
        Fixture f;
        const QString other = QStringLiteral("search-v3");
        const QString dev = QStringLiteral("dev-a");
        for (int i = 0; i < 3; ++i)
            f.add(dev, QStringLiteral("ana"), QStringLiteral("rm"), QStringLiteral("note_added"), f.ana,
                  other);
        f.add(dev, QStringLiteral("ana"), QStringLiteral("rm"), QStringLiteral("note_added"), f.ana);
        f.add(dev, QStringLiteral("ana"), QStringLiteral("rm"), QStringLiteral("note_added"), f.ana, other);
        QList<LedgerRecord> mine, theirs;
        for (const LedgerRecord& r : f.records)
            (r.rollout == other ? theirs : mine).append(r);
        QCOMPARE(theirs.first().sequence, 1);
        QCOMPARE(theirs.last().sequence, 4);
        for (const RecordVerdict& v : LedgerVerifier::verify(mine, f.plan))
            QVERIFY2(v.ok && v.notes.isEmpty(), qPrintable(v.id + QLatin1Char(' ') + seen(v)));
        Plan otherPlan = f.plan;
        otherPlan.rollout = other;
        for (const RecordVerdict& v : LedgerVerifier::verify(theirs, otherPlan))
            QVERIFY2(v.ok && v.notes.isEmpty(), qPrintable(v.id + QLatin1Char(' ') + seen(v)));
        // Both together: still two whole chains, the other rollout's records failing only "rollout".
        for (const RecordVerdict& v : LedgerVerifier::verify(f.records, f.plan)) {
            QVERIFY(!v.failed(QStringLiteral("chain")));
            QCOMPARE(v.failed(QStringLiteral("rollout")), v.record->rollout == other);
        }
        // A record deleted from the other rollout is a gap there, and nowhere else.
        theirs.removeAt(2);
        const QList<RecordVerdict> v = LedgerVerifier::verify(theirs, otherPlan);
        QVERIFY(v.last().failed(QStringLiteral("chain")));
        QVERIFY2(v.last().failures.first().why.contains(QStringLiteral(
                     "record seq 3 of device dev-a in rollout search-v3 is missing (deleted?)")),
                 qPrintable(seen(v.last())));
    }

    // Format 1: the chain runs through every rollout of the device. One rollout's records alone
    // have gaps that are records of the other rollout: a note, not a failure — unless the device's
    // whole ledger is there (its own file), where a gap is a deletion.
    void aVersion1ChainAcrossRolloutsIsANoteWithinOneRollout()
    {
        Fixture f;
        const QString dev = QStringLiteral("old-device");
        const QString x = f.plan.rollout, y = QStringLiteral("search-v3");
        QList<LedgerRecord> all;
        QString prev;
        const QStringList rollouts = {y, y, x, y, x, x};
        for (int i = 0; i < rollouts.size(); ++i) {
            all.append(v1(QStringLiteral("old-%1").arg(i + 1), rollouts[i], dev, i + 1, prev, f.ana,
                          1'600'000'000'000 + i * 1000));
            prev = all.last().hash();
        }
        QList<LedgerRecord> onlyX;
        for (const LedgerRecord& r : all)
            if (r.rollout == x) onlyX.append(r);
        const QList<RecordVerdict> v = LedgerVerifier::verify(onlyX, f.plan);
        for (const RecordVerdict& r : v)
            QVERIFY2(r.ok && countsForGate(r), qPrintable(r.id + QLatin1Char(' ') + seen(r)));
        QCOMPARE(v[0].notes.size(), 1);
        QVERIFY2(v[0].notes.first().startsWith(QStringLiteral(
                     "records seq 1–2 of device old-device are not among these records: a version-1 chain")),
                 qPrintable(v[0].notes.first()));
        QVERIFY2(v[1].notes.first().startsWith(
                     QStringLiteral("record seq 4 of device old-device is not among these records")),
                 qPrintable(v[1].notes.first()));
        QVERIFY(v[2].notes.isEmpty()); // seq 6 follows seq 5: its link is checked

        // The device's own whole ledger: a deleted format-1 record is a failure.
        LedgerVerifier::Options whole;
        whole.completeV1Devices.insert(dev);
        for (const RecordVerdict& r : LedgerVerifier::verify(all, f.plan, whole))
            QVERIFY(!r.failed(QStringLiteral("chain")));
        QList<LedgerRecord> holed = all;
        holed.removeAt(3);
        const QList<RecordVerdict> h = LedgerVerifier::verify(holed, f.plan, whole);
        QVERIFY2(h[3].failed(QStringLiteral("chain")) &&
                     h[3].failures.first().tampering == Tampering::Deleted,
                 qPrintable(seen(h[3])));
        // A broken link between two present format-1 records is a failure either way.
        QList<LedgerRecord> relinked = onlyX;
        relinked[2] = v1(QStringLiteral("old-6"), x, dev, 6, all[0].hash(), f.ana, 1'600'000'005'000);
        QVERIFY(LedgerVerifier::verify(relinked, f.plan)[2].failed(QStringLiteral("chain")));
    }

    // A device that wrote format-1 records goes on, after the upgrade, with a format-2 chain in the
    // same rollout: from its last format-1 record there (seq + 1, that record's hash).
    void aVersion2ChainGoesOnFromTheVersion1RecordsOfItsRollout()
    {
        Fixture f;
        const QString dev = QStringLiteral("upgraded");
        const QString x = f.plan.rollout, y = QStringLiteral("search-v3");
        QList<LedgerRecord> all;
        all.append(v1(QStringLiteral("u1"), x, dev, 1, QString(), f.ana, 1'600'000'000'000));
        all.append(v1(QStringLiteral("u2"), y, dev, 2, all[0].hash(), f.ana, 1'600'000'001'000));
        all.append(v1(QStringLiteral("u3"), x, dev, 3, all[1].hash(), f.ana, 1'600'000'002'000));
        LedgerRecord n = all[2];
        n.version = LedgerRecord::FormatVersion;
        n.id = QStringLiteral("u4");
        n.sequence = 4;
        n.previous = all[2].hash();
        n.timestampMs += 1000;
        n.seal(f.ana.publicKey, f.ana.secretKey);
        LedgerRecord m = n;
        m.id = QStringLiteral("u5");
        m.sequence = 5;
        m.previous = n.hash();
        m.seal(f.ana.publicKey, f.ana.secretKey);
        const QList<LedgerRecord> onlyX = {all[0], all[2], n, m};
        for (const RecordVerdict& r : LedgerVerifier::verify(onlyX, f.plan))
            QVERIFY2(r.ok, qPrintable(r.id + QLatin1Char(' ') + seen(r)));
        // Its format-1 predecessor deleted: the format-2 record names the one record missing.
        const QList<RecordVerdict> v = LedgerVerifier::verify({all[0], n, m}, f.plan);
        QVERIFY2(v[1].failed(QStringLiteral("chain")) &&
                     v[1].failures.first().why.contains(
                         QStringLiteral("record seq 3 of device upgraded in rollout checkout-v2 is missing")),
                 qPrintable(seen(v[1])));
        QVERIFY(countsForGate(v[1]) && v[2].ok);
    }

    void tamperedRecordDoesNotTaintItsSuccessor()
    {
        Fixture f;
        f.records[1].body.replace("\"approve\":true", "\"approve\":false");
        const QList<RecordVerdict> v = LedgerVerifier::verify(f.records, f.plan);
        QVERIFY(v[3].ok); // dev-a seq 3 follows the tampered record
        QVERIFY(!v[3].notes.isEmpty());
        QVERIFY(v[3].notes.first().contains(QStringLiteral("cannot be checked")));
    }

    void otherPlanVersionIsANoteForUnboundTypes()
    {
        Fixture f;
        LedgerRecord r = f.next(QStringLiteral("dev-a"), QStringLiteral("ana"), QStringLiteral("rm"),
                                QStringLiteral("note_added"));
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
        for (const RecordVerdict& v : LedgerVerifier::verify(f.records, f.plan))
            QVERIFY(v.ok);
    }

    void integrityChecks()
    {
        for (const char* c : {"shape", "signature", "duplicate", "chain", "clock"})
            QVERIFY(LedgerVerifier::isIntegrityCheck(QLatin1String(c)));
        for (const char* c : {"signer", "rollout", "plan"})
            QVERIFY(!LedgerVerifier::isIntegrityCheck(QLatin1String(c)));
    }
};

QTEST_GUILESS_MAIN(TestLedgerVerifier)
#include "tst_ledgerverifier.moc"
