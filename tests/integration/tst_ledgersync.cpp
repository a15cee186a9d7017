// Two consoles kept in step through the real PostgreSQL scripts/services.sh started (ROLLOUT_PG_*):
// one's decisions reach the other's session, a store that is down loses and doubles nothing, and
// what was altered in the store, or copied in from another rollout, is reported and never applied.
// Then a hostile database owner (session_replication_role = replica: past the append-only
// triggers) changes, copies, deletes, reorders and forges records: each is named as tampering of
// its kind on pull, and the authentic records around the damage are still applied.
#include "LedgerChain.h"
#include "PlanFixture.h"
#include "RequireServers.h"
#include "StoreTamper.h"
#include "TestKeys.h"
#include "core/Clock.h"
#include "ledger/LedgerRecorder.h"
#include "ledger/LedgerReplay.h"
#include "ledger/LedgerSync.h"
#include "metrics/TimeSeriesStore.h"

#include <QSet>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

using namespace rollout;
using namespace rollout::test;

namespace {

constexpr int kWaitMs = 20000;
// Rounds in these tests are driven by syncNow(); the timer never fires within a test.
constexpr LedgerSyncOptions kOptions{60000, 500, 240000};

Ed25519::KeyPair keyOf(const char* who)
{
    return test::seededKey(QByteArray("test key ") + who);
}

QString uniqueRollout(const char* what)
{
    return QStringLiteral("sync-%1-%2")
        .arg(QLatin1String(what), QUuid::createUuid().toString(QUuid::WithoutBraces));
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
triggers:
  - {name: error rate critical, when: error_rate > 5%, for: 1m, kind: hard, action: rollback}
phases:
  - {name: one, traffic: 1%, min_duration: 10m, checklist: go, approvals: [{role: rm}]}
  - {name: two, traffic: 10%, min_duration: 10m, approvals: [{role: rm}, {role: pm, mandatory: true}]}
checklists:
  go: {technical: [Tests pass]}
people:
  - {id: rita, roles: [rm], key: "%2"}
  - {id: paul, roles: [pm], key: "%3"}
  - {id: automation, roles: [automation], key: "%4"}
)")
        .arg(rollout, Ed25519::encodePublicKey(keyOf("rita").publicKey),
             Ed25519::encodePublicKey(keyOf("paul").publicKey),
             Ed25519::encodePublicKey(keyOf("automation").publicKey))
        .toUtf8();
}

enum class Hostile
{
    ChangeRollback,
    CopyUnderNewId,
    DeleteRollback,
    Reorder,
    ForeignKey
};

const Actor kRita{QStringLiteral("rita"), QStringLiteral("rm")};
const Actor kPaul{QStringLiteral("paul"), QStringLiteral("pm")};
const QString kItem = QStringLiteral("technical/Tests pass");

int closedPort()
{
    QTcpServer s;
    if (!s.listen(QHostAddress::LocalHost, 0)) return 1;
    return s.serverPort(); // closed again when `s` goes
}

// One console as it starts: a session rebuilt from its ledger file, a recorder with the people's
// keys, and a sync (not started) against the store.
struct Console
{
    ManualClock clock;
    TimeSeriesStore store;
    RolloutSession session;
    std::unique_ptr<LocalLedger> ledger;
    std::unique_ptr<LedgerRecorder> recorder;
    std::unique_ptr<LedgerSync> sync;

    Console(const QString& path, const QByteArray& yaml, const StoreSettings& settings,
            qint64 startMs = 1'700'000'000'000, LedgerSyncOptions options = kOptions)
        : clock(startMs), session(test::loadPlan(yaml), store, clock)
    {
        QString problem;
        ledger = LocalLedger::open(path, clock, &problem);
        if (!ledger) qFatal("%s", qPrintable(problem));
        LedgerReplay::rebuild(session, ledger->records(session.plan().rollout));
        recorder = std::make_unique<LedgerRecorder>(session, *ledger);
        for (const char* who : {"rita", "paul", "automation"})
            recorder->addKey(QLatin1String(who), keyOf(who));
        sync = std::make_unique<LedgerSync>(*ledger, session, settings, options);
    }
    QStringList ids() const
    {
        QStringList out;
        for (const LedgerRecord& r : ledger->records(session.plan().rollout))
            out.append(r.id);
        return out;
    }
    bool approvedBy(int phase, const QString& who) const
    {
        for (const ApprovalEntry& a : session.approvals(phase))
            if (a.actor == who) return a.approve;
        return false;
    }
    bool hasApprovalFrom(int phase, const QString& who) const
    {
        for (const ApprovalEntry& a : session.approvals(phase))
            if (a.actor == who) return true;
        return false;
    }
};

// A whole round that started after this call (not the one perhaps in flight, which may have
// read the ledger before the caller's latest record).
bool freshRound(LedgerSync& sync)
{
    QSignalSpy finished(&sync, &LedgerSync::roundFinished);
    const int needed = sync.isSyncing() ? 2 : 1;
    sync.syncNow();
    return QTest::qWaitFor([&] { return finished.count() >= needed; }, kWaitMs);
}

int sumOf(const QSignalSpy& spy)
{
    int sum = 0;
    for (const QList<QVariant>& args : spy)
        sum += args.at(0).toInt();
    return sum;
}

QStringList texts(const QSignalSpy& spy, int at)
{
    QStringList out;
    for (const QList<QVariant>& args : spy)
        out.append(args.at(at).toString());
    return out;
}

} // namespace

Q_DECLARE_METATYPE(Hostile)

class TestLedgerSync final : public QObject
{
    Q_OBJECT
    StoreSettings m_settings;
    QTemporaryDir m_dir;

    QString ledgerPath(const char* name) const
    {
        return m_dir.filePath(QLatin1String(name) + QUuid::createUuid().toString(QUuid::Id128) +
                              QStringLiteral(".sqlite"));
    }

    // Rows the store holds for `rollout`, and how many distinct ids among them.
    std::pair<int, int> storedRows(const QString& rollout)
    {
        const QString name = QStringLiteral("count-%1").arg(QUuid::createUuid().toString());
        std::pair<int, int> out{-1, -1};
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), name);
            db.setHostName(m_settings.host);
            db.setPort(m_settings.port);
            db.setDatabaseName(m_settings.database);
            db.setUserName(m_settings.user);
            db.setPassword(qEnvironmentVariable("ROLLOUT_PG_PASSWORD"));
            if (db.open()) {
                QSqlQuery q(db);
                q.prepare(QStringLiteral(
                    "SELECT count(*), count(DISTINCT id) FROM ledger_records WHERE rollout = ?"));
                q.addBindValue(rollout);
                if (q.exec() && q.next())
                    out = {q.value(0).toInt(), q.value(1).toInt()};
                else
                    qWarning("count: %s", qPrintable(q.lastError().text()));
            } else {
                qWarning("count: %s", qPrintable(db.lastError().text()));
            }
        }
        QSqlDatabase::removeDatabase(name);
        return out;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_settings = StoreSettings::fromEnvironment();
        if (!m_settings.isSet()) ROLLOUT_SKIP_OR_FAIL("run through scripts/test.sh: ROLLOUT_PG_HOST unset");
        QVERIFY(Ed25519::initialize());
        QVERIFY(m_dir.isValid());
    }

    void decisionsReachTheOtherConsole()
    {
        const QByteArray yaml = planYaml(uniqueRollout("two"));
        Console a(ledgerPath("a"), yaml, m_settings), b(ledgerPath("b"), yaml, m_settings, 1'700'000'100'000);
        QSignalSpy aApplied(a.sync.get(), &LedgerSync::applied), bApplied(b.sync.get(), &LedgerSync::applied);
        QSignalSpy aRejected(a.sync.get(), &LedgerSync::rejected),
            bRejected(b.sync.get(), &LedgerSync::rejected);
        QSignalSpy bHealth(b.sync.get(), &LedgerSync::storeHealth);
        a.sync->start();
        b.sync->start();

        QVERIFY(a.session.setChecklistItem(0, kItem, true, kRita).ok);
        a.clock.advanceMs(1000);
        QVERIFY(a.session.recordApproval(0, kRita, true, QStringLiteral("go")).ok);
        QCOMPARE(a.ledger->unpushed().size(), 2);
        QVERIFY(freshRound(*a.sync));
        QVERIFY(a.ledger->unpushed().isEmpty());

        QVERIFY(freshRound(*b.sync));
        QCOMPARE(b.session.tickedItems(0).value(kItem), QStringLiteral("rita"));
        QVERIFY(b.approvedBy(0, QStringLiteral("rita")));
        const GateStatus signOff = b.session.gate(); // what B's sign-off view shows
        QCOMPARE(signOff.toPhase, 0);
        QCOMPARE(signOff.checklistDone, 1);
        QCOMPARE(signOff.approvalsDone, signOff.approvalsNeeded);
        for (const QString& id : a.ids())
            QVERIFY(b.ids().contains(id));
        QCOMPARE(sumOf(bApplied), 2);
        QVERIFY(bRejected.isEmpty());
        QVERIFY(!bHealth.isEmpty() && bHealth.last().at(0).toBool());

        // And back: B's decision reaches A; A's own records coming back are not applied again.
        QVERIFY(b.session.recordApproval(1, kPaul, true, QStringLiteral("mandatory go")).ok);
        QVERIFY(freshRound(*b.sync));
        QVERIFY(b.ledger->unpushed().isEmpty());
        QVERIFY(freshRound(*a.sync));
        QVERIFY(a.approvedBy(1, QStringLiteral("paul")));
        QCOMPARE(sumOf(aApplied), 1);
        QVERIFY(aRejected.isEmpty());
        QCOMPARE(storedRows(a.session.plan().rollout), std::make_pair(3, 3));
    }

    void aStoreThatIsDownLosesAndDoublesNothing()
    {
        const QByteArray yaml = planYaml(uniqueRollout("down"));
        StoreSettings down = m_settings;
        down.port = closedPort();
        LedgerSyncOptions twoAtATime = kOptions;
        twoAtATime.batchSize = 2; // three records: two pushes in one round
        Console a(ledgerPath("a"), yaml, down, 1'700'000'000'000, twoAtATime);
        QVERIFY(a.session.setChecklistItem(0, kItem, true, kRita).ok);
        QVERIFY(a.session.recordApproval(0, kRita, true, QStringLiteral("go")).ok);
        QCOMPARE(a.ledger->unpushed().size(), 2);

        QSignalSpy health(a.sync.get(), &LedgerSync::storeHealth);
        a.sync->start();
        QTRY_VERIFY_WITH_TIMEOUT(!health.isEmpty(), kWaitMs);
        QCOMPARE(health.last().at(0).toBool(), false);
        QVERIFY2(health.last().at(1).toString().startsWith(QStringLiteral("store unreachable")),
                 qPrintable(health.last().at(1).toString()));
        QCOMPARE(a.ledger->unpushed().size(), 2);
        QCOMPARE(a.sync->nextDelayMs(), 2 * kOptions.intervalMs); // backing off
        QVERIFY(a.session.recordApproval(1, kRita, true, QStringLiteral("next")).ok);
        QVERIFY(freshRound(*a.sync));
        QCOMPARE(a.sync->nextDelayMs(), kOptions.maxBackoffMs); // doubled again, at the cap
        QCOMPARE(a.ledger->unpushed().size(), 3);
        QCOMPARE(health.size(), 1); // the same news is not repeated

        a.sync->setSettings(m_settings);
        QTRY_VERIFY_WITH_TIMEOUT(a.ledger->unpushed().isEmpty(), kWaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(health.last().at(0).toBool(), kWaitMs);
        QCOMPARE(a.sync->nextDelayMs(), kOptions.intervalMs);
        QVERIFY(freshRound(*a.sync));
        QCOMPARE(storedRows(a.session.plan().rollout), std::make_pair(3, 3));
    }

    void aValidlySignedRecordByTheWrongKeyIsNeverApplied()
    {
        // Mallory's console signs "rita's" approval with a key of its own: the signature holds, the
        // ledger keeps it, and only the verifier (the plan's people) stops it reaching the session.
        const QByteArray yaml = planYaml(uniqueRollout("signer"));
        Console m(ledgerPath("m"), yaml, m_settings), b(ledgerPath("b"), yaml, m_settings, 1'700'000'100'000);
        m.recorder->addKey(QStringLiteral("rita"), Ed25519::generate());
        QVERIFY(m.session.recordApproval(0, kRita, true, QStringLiteral("go")).ok);
        const QString id = m.ids().first();
        QVERIFY(freshRound(*m.sync));
        QVERIFY(m.ledger->unpushed().isEmpty());

        QSignalSpy bRejected(b.sync.get(), &LedgerSync::rejected),
            bApplied(b.sync.get(), &LedgerSync::applied);
        QVERIFY(freshRound(*b.sync));
        QVERIFY(b.ids().contains(id)); // kept as evidence
        QCOMPARE(bRejected.size(), 1);
        QCOMPARE(bRejected.first().at(0).toString(), id);
        const QStringList reasons = bRejected.first().at(1).toStringList();
        QVERIFY2(reasons.filter(QStringLiteral("signer:")).size() == 1,
                 qPrintable(reasons.join(QLatin1Char('\n'))));
        QVERIFY(!b.hasApprovalFrom(0, QStringLiteral("rita")));
        QCOMPARE(sumOf(bApplied), 0);
    }

    void anApprovalAlteredInTheStoreIsNeverApplied()
    {
        StoreTamper tamper;
        QString why;
        if (!tamper.open(&why)) ROLLOUT_SKIP_OR_FAIL(qPrintable(why));
        const QByteArray yaml = planYaml(uniqueRollout("tampered"));
        Console a(ledgerPath("a"), yaml, m_settings), b(ledgerPath("b"), yaml, m_settings, 1'700'000'100'000);
        QSignalSpy aTampering(a.sync.get(), &LedgerSync::tampering);
        QVERIFY(a.session.recordApproval(0, kRita, false, QStringLiteral("no-go: tests red")).ok);
        const QString id = a.ids().first();
        QVERIFY(freshRound(*a.sync));
        QVERIFY(a.ledger->unpushed().isEmpty());

        // Before B first pulls: the rejection becomes an approval in the store.
        QVERIFY2(tamper.replaceInBody(id, "\"decision\":\"reject\"", "\"decision\":\"approve\""),
                 qPrintable(tamper.lastError()));

        QSignalSpy bRejected(b.sync.get(), &LedgerSync::rejected),
            bApplied(b.sync.get(), &LedgerSync::applied);
        QVERIFY(freshRound(*b.sync));
        QCOMPARE(bRejected.size(), 1);
        QCOMPARE(bRejected.first().at(0).toString(), id);
        const QStringList reasons = bRejected.first().at(1).toStringList();
        QVERIFY2(reasons.join(QLatin1Char('\n')).contains(QStringLiteral("signature:")),
                 qPrintable(reasons.join(QLatin1Char('\n'))));
        QVERIFY(!b.hasApprovalFrom(0, QStringLiteral("rita")));
        QVERIFY(!b.ids().contains(id));
        QCOMPARE(sumOf(bApplied), 0);
        QVERIFY(freshRound(*b.sync)); // and not reported again
        QCOMPARE(bRejected.size(), 1);

        // A's cursor is past that row: a rewrite in place shows at A's next start, which pulls
        // from the beginning; A holds the original, so the store's copy was altered.
        QVERIFY(freshRound(*a.sync));
        QVERIFY(aTampering.isEmpty());
        a.sync = std::make_unique<LedgerSync>(*a.ledger, a.session, m_settings, kOptions);
        QSignalSpy aTamperingAgain(a.sync.get(), &LedgerSync::tampering);
        QVERIFY(freshRound(*a.sync));
        QCOMPARE(aTamperingAgain.size(), 1);
        QCOMPARE(aTamperingAgain.first().at(0).toString(), id);
        QVERIFY2(aTamperingAgain.first().at(1).toString().startsWith(
                     QStringLiteral("tampering: record %1 was changed in the shared store").arg(id)),
                 qPrintable(aTamperingAgain.first().at(1).toString()));
        QVERIFY(!a.approvedBy(0, QStringLiteral("rita")));
    }

    void aRecordCopiedFromAnotherRolloutIsNeverApplied()
    {
        StoreTamper tamper;
        QString why;
        if (!tamper.open(&why)) ROLLOUT_SKIP_OR_FAIL(qPrintable(why));
        const QByteArray yaml = planYaml(uniqueRollout("copied"));
        Console other(ledgerPath("o"), planYaml(uniqueRollout("elsewhere")), m_settings);
        QVERIFY(other.session.recordApproval(0, kRita, true, QStringLiteral("go there")).ok);
        QVERIFY(freshRound(*other.sync));
        QVERIFY(other.ledger->unpushed().isEmpty());
        const LedgerRecord foreign = other.ledger->records().first();

        Console b(ledgerPath("b"), yaml, m_settings);
        QVERIFY2(tamper.insertCopy(foreign, QUuid::createUuid().toString(QUuid::WithoutBraces),
                                   b.session.plan().rollout),
                 qPrintable(tamper.lastError()));
        QSignalSpy bRejected(b.sync.get(), &LedgerSync::rejected),
            bApplied(b.sync.get(), &LedgerSync::applied);
        QVERIFY(freshRound(*b.sync));
        QCOMPARE(bRejected.size(), 1);
        QCOMPARE(bRejected.first().at(0).toString(), foreign.id);
        const QStringList reasons = bRejected.first().at(1).toStringList();
        QVERIFY2(reasons.filter(QStringLiteral("rollout:")).size() == 1,
                 qPrintable(reasons.join(QLatin1Char('\n'))));
        QVERIFY2(reasons.filter(QStringLiteral("store:")).size() == 1,
                 qPrintable(reasons.join(QLatin1Char('\n'))));
        QVERIFY(!b.hasApprovalFrom(0, QStringLiteral("rita")));
        QVERIFY(b.ids().isEmpty());
        QCOMPARE(sumOf(bApplied), 0);
    }

    void aHostileDatabaseOwner_data()
    {
        QTest::addColumn<Hostile>("attack");
        QTest::newRow("a rollback's payload changed") << Hostile::ChangeRollback;
        QTest::newRow("a record copied under a new id") << Hostile::CopyUnderNewId;
        QTest::newRow("the rollback deleted") << Hostile::DeleteRollback;
        QTest::newRow("two records reordered") << Hostile::Reorder;
        QTest::newRow("a record signed by a key outside the plan") << Hostile::ForeignKey;
    }

    void aHostileDatabaseOwner()
    {
        QFETCH(Hostile, attack);
        StoreTamper tamper;
        QString why;
        if (!tamper.open(&why)) ROLLOUT_SKIP_OR_FAIL(qPrintable(why));
        const QByteArray yaml = planYaml(uniqueRollout("hostile"));
        Console a(ledgerPath("a"), yaml, m_settings);
        const QString rollout = a.session.plan().rollout;
        // Console A: a start, a rollback to zero, a second start, and paul's sign-off for phase two.
        QVERIFY(a.session.setChecklistItem(0, kItem, true, kRita).ok);
        QVERIFY(a.session.recordApproval(0, kRita, true, QStringLiteral("go")).ok);
        a.clock.advanceMs(1000);
        QVERIFY(a.session.advance(kRita).ok);
        a.clock.advanceMs(60000);
        QVERIFY(a.session.rollback(kRita, QStringLiteral("checkout errors"), true).ok);
        a.clock.advanceMs(60000);
        QVERIFY(a.session.setChecklistItem(0, kItem, true, kRita).ok);
        QVERIFY(a.session.recordApproval(0, kRita, true, QStringLiteral("fixed")).ok);
        a.clock.advanceMs(1000);
        QVERIFY2(a.session.advance(kRita).ok, qPrintable(a.session.gate().missing()));
        a.clock.advanceMs(1000);
        QVERIFY(a.session.recordApproval(1, kPaul, true, QStringLiteral("go")).ok);
        QCOMPARE(a.session.currentPhase(), 0);
        QVERIFY(freshRound(*a.sync));
        QVERIFY(a.ledger->unpushed().isEmpty());
        const QList<LedgerRecord> mine = a.ledger->records(rollout);
        QCOMPARE(mine.size(), 8);
        auto nth = [&](const char* type, int n) {
            for (const LedgerRecord& r : mine)
                if (r.type == QLatin1String(type) && n-- == 0) return r;
            return LedgerRecord{};
        };
        const LedgerRecord rollback = nth("rolled_back", 0);
        QCOMPARE(rollback.sequence, 4);

        // The owner, past the append-only trigger.
        int authentic = int(mine.size()); // what B must apply
        QString expected, id;             // the tampering B must name, and the row it names
        switch (attack) {
        case Hostile::ChangeRollback:
            QVERIFY2(tamper.replaceInBody(rollback.id, "\"to_phase\":-1", "\"to_phase\":0"),
                     qPrintable(tamper.lastError()));
            expected = QStringLiteral("tampering: record %1 was changed in the shared store (its signature "
                                      "does not match its body)")
                           .arg(rollback.id);
            id = rollback.id;
            authentic -= 1;
            break;
        case Hostile::CopyUnderNewId: {
            const LedgerRecord approval = nth("approval_recorded", 0);
            id = QUuid::createUuid().toString(QUuid::WithoutBraces);
            QVERIFY2(tamper.insertCopy(approval, id, rollout), qPrintable(tamper.lastError()));
            expected = QStringLiteral("tampering: record %1 is a copy of record %2 under a new id")
                           .arg(id, approval.id);
            break;
        }
        case Hostile::DeleteRollback:
            QVERIFY2(tamper.deleteRecord(rollback.id), qPrintable(tamper.lastError()));
            expected = QStringLiteral("tampering: record seq 4 of device %1 in rollout %2 is missing "
                                      "(deleted?): seq jumps 3 → 5")
                           .arg(a.ledger->deviceId(), rollout);
            id = nth("checklist_item_set", 1).id; // the record after the gap
            authentic -= 1;
            break;
        case Hostile::Reorder: {
            const LedgerRecord tick = nth("checklist_item_set", 1), approval = nth("approval_recorded", 1);
            QVERIFY2(tamper.swapSeq(tick.id, approval.id), qPrintable(tamper.lastError()));
            expected = QStringLiteral("tampering: record %1 was moved in the shared store: its row says seq "
                                      "%2, its signed body seq %3")
                           .arg(tick.id)
                           .arg(approval.sequence)
                           .arg(tick.sequence);
            id = tick.id;
            break;
        }
        case Hostile::ForeignKey: {
            // Paul's approval turned into a rejection, signed with a key nobody in the plan holds.
            LedgerRecord forged = nth("approval_recorded", 2);
            QCOMPARE(forged.actor, QStringLiteral("paul"));
            forged.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
            forged.device = QUuid::createUuid().toString(QUuid::WithoutBraces);
            forged.sequence = 1;
            forged.previous.clear();
            forged.timestampMs += 5000;
            forged.payload[QStringLiteral("decision")] = QStringLiteral("reject");
            forged = LedgerChain::resigned(forged, Ed25519::generate());
            QVERIFY2(tamper.insertRecord(forged), qPrintable(tamper.lastError()));
            expected = QStringLiteral("tampering: record %1 (approval_recorded by \"paul\") is signed by a "
                                      "key that is not in the plan")
                           .arg(forged.id);
            id = forged.id;
            break;
        }
        }

        // Console B, new, pulls the rollout.
        Console b(ledgerPath("b"), yaml, m_settings, 1'700'000'900'000);
        QSignalSpy tampering(b.sync.get(), &LedgerSync::tampering),
            applied(b.sync.get(), &LedgerSync::applied);
        QSignalSpy rejected(b.sync.get(), &LedgerSync::rejected);
        QVERIFY(freshRound(*b.sync));
        const QStringList whys = texts(tampering, 1);
        for (const QString& w : whys)
            QVERIFY2(w.startsWith(QStringLiteral("tampering: ")), qPrintable(w));
        const auto found =
            std::find_if(whys.begin(), whys.end(), [&](const QString& w) { return w.startsWith(expected); });
        const qsizetype named = found == whys.end() ? -1 : found - whys.begin();
        QVERIFY2(
            named >= 0,
            qPrintable(
                QStringLiteral("expected \"%1\" among:\n%2").arg(expected, whys.join(QLatin1Char('\n')))));
        QCOMPARE(tampering.at(named).at(0).toString(), id);
        // The authentic records around the damage are applied: B stands where A stands.
        QCOMPARE(sumOf(applied), authentic);
        QCOMPARE(b.session.currentPhase(), a.session.currentPhase());
        QVERIFY(b.approvedBy(1, QStringLiteral("paul")));
        QCOMPARE(b.session.approvals(0).size(), 1);
        if (attack == Hostile::ChangeRollback || attack == Hostile::DeleteRollback) {
            // The lost rollback is followed down before the advance signed after it.
            QVERIFY2(whys.filter(QStringLiteral("a rollback before it is missing")).size() == 1,
                     qPrintable(whys.join(QLatin1Char('\n'))));
            QVERIFY(!b.ids().contains(rollback.id));
        }
        if (attack == Hostile::ChangeRollback || attack == Hostile::ForeignKey)
            QVERIFY(texts(rejected, 0).contains(id));
        // Reported once: another round names nothing new.
        const qsizetype before = tampering.size();
        QVERIFY(freshRound(*b.sync));
        QCOMPARE(tampering.size(), before);

        // A, restarted, pulls from the start: it holds the originals, and sees what became of them.
        if (attack == Hostile::ChangeRollback || attack == Hostile::DeleteRollback) {
            a.sync = std::make_unique<LedgerSync>(*a.ledger, a.session, m_settings, kOptions);
            QSignalSpy aTampering(a.sync.get(), &LedgerSync::tampering);
            QVERIFY(freshRound(*a.sync));
            const QStringList aWhys = texts(aTampering, 1);
            QVERIFY2(aTampering.size() == 1 && aTampering.first().at(0).toString() == rollback.id,
                     qPrintable(aWhys.join(QLatin1Char('\n'))));
            QVERIFY2(
                aWhys.first().contains(attack == Hostile::DeleteRollback
                                           ? QStringLiteral("is missing from the shared store (deleted?)")
                                           : QStringLiteral("was changed in the shared store")),
                qPrintable(aWhys.first()));
            QCOMPARE(a.session.currentPhase(), 0);
        }
    }

    void aRestartedConsoleDoesNotApplyRecordsTwice()
    {
        const QByteArray yaml = planYaml(uniqueRollout("restart"));
        const QString bPath = ledgerPath("b");
        Console a(ledgerPath("a"), yaml, m_settings);
        QVERIFY(a.session.setChecklistItem(0, kItem, true, kRita).ok);
        QVERIFY(a.session.recordApproval(0, kRita, true, QStringLiteral("go")).ok);
        QVERIFY(freshRound(*a.sync));
        {
            Console b(bPath, yaml, m_settings, 1'700'000'100'000);
            QSignalSpy applied(b.sync.get(), &LedgerSync::applied);
            QVERIFY(freshRound(*b.sync));
            QCOMPARE(sumOf(applied), 2);
        }
        // B again over the same file: replayed at start, pulled from the start, applied once only.
        Console b(bPath, yaml, m_settings, 1'700'000'200'000);
        QCOMPARE(b.session.tickedItems(0).value(kItem), QStringLiteral("rita"));
        QVERIFY(b.approvedBy(0, QStringLiteral("rita")));
        QSignalSpy applied(b.sync.get(), &LedgerSync::applied), rejected(b.sync.get(), &LedgerSync::rejected);
        b.sync->start();
        QVERIFY(freshRound(*b.sync));
        QCOMPARE(sumOf(applied), 0);
        QVERIFY(rejected.isEmpty());

        // What arrives after the restart is applied as before.
        QVERIFY(a.session.recordApproval(1, kPaul, true, QStringLiteral("go")).ok);
        QVERIFY(freshRound(*a.sync));
        QVERIFY(freshRound(*b.sync));
        QCOMPARE(sumOf(applied), 1);
        QVERIFY(b.approvedBy(1, QStringLiteral("paul")));
    }
};

QTEST_GUILESS_MAIN(TestLedgerSync)
#include "tst_ledgersync.moc"
