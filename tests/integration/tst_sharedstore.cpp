// Against the real PostgreSQL 15 scripts/services.sh started (ROLLOUT_PG_*): push and pull keep
// the signed bytes, pushes are idempotent, history cannot be rewritten through the store, rows
// rewritten behind its back come back as they are (for the verifier to catch), exactly one of
// two racing consoles advances a phase, and the push queue loses and doubles nothing.
#include "LedgerChain.h"
#include "RequireServers.h"
#include "StoreTamper.h"
#include "ledger/PushQueue.h"
#include "ledger/SharedStore.h"
#include "ledger/SharedStoreWorker.h"

#include <QElapsedTimer>
#include <QFile>
#include <QSet>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>
#include <barrier>
#include <thread>

using namespace rollout;
using namespace rollout::test;

namespace {

QString uniqueRollout(const char* what)
{
    return QStringLiteral("%1-%2").arg(QLatin1String(what),
                                       QUuid::createUuid().toString(QUuid::WithoutBraces));
}

int closedPort()
{
    QTcpServer s;
    if (!s.listen(QHostAddress::LocalHost, 0)) return 1;
    return s.serverPort(); // closed again when `s` goes
}

QList<StoredRecord> pullAll(SharedStore& store, const QString& rollout)
{
    qint64 cursor = 0;
    QString error;
    QList<StoredRecord> out = store.pull(rollout, 0, &cursor, &error);
    if (!error.isEmpty()) qWarning("pull: %s", qPrintable(error));
    return out;
}

const StoredRecord* byId(const QList<StoredRecord>& records, const QString& id)
{
    for (const StoredRecord& s : records)
        if (s.record.id == id) return &s;
    return nullptr;
}

QJsonObject decision(const char* d)
{
    return QJsonObject{{QStringLiteral("decision"), QLatin1String(d)}};
}

} // namespace

class TestSharedStore final : public QObject
{
    Q_OBJECT
    StoreSettings m_settings;

    StoreSettings unreachableSettings() const
    {
        StoreSettings s = m_settings;
        s.port = closedPort();
        return s;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_settings = StoreSettings::fromEnvironment();
        if (!m_settings.isSet()) ROLLOUT_SKIP_OR_FAIL("run through scripts/test.sh: ROLLOUT_PG_HOST unset");
        QVERIFY(Ed25519::initialize());
        SharedStore store(m_settings);
        QCOMPARE(store.open(), QString());
    }

    void pushPullRoundTripKeepsTheBytes()
    {
        SharedStore store(m_settings);
        const QString rollout = uniqueRollout("roundtrip");
        LedgerChain chain(rollout, QStringLiteral("rita"));
        const QList<LedgerRecord> records = chain.take(5);
        const PushResult pushed = store.push(records);
        QVERIFY2(pushed.ok(), qPrintable(pushed.error));
        QCOMPARE(pushed.stored.size(), 5);
        QVERIFY(pushed.alreadyThere.isEmpty() && pushed.refused.isEmpty());

        qint64 cursor = -1;
        QString error;
        const QList<StoredRecord> pulled = store.pull(rollout, 0, &cursor, &error);
        QCOMPARE(error, QString());
        QCOMPARE(pulled.size(), 5);
        for (int i = 0; i < 5; ++i) {
            const StoredRecord& s = pulled.at(i);
            QCOMPARE(s.record.id, records.at(i).id);
            QCOMPARE(s.record.body, records.at(i).body);
            QCOMPARE(s.record.signature, records.at(i).signature);
            QVERIFY(s.bodyParses);
            QCOMPARE(s.problem, QString());
            QVERIFY(s.record.signatureValid());
            QVERIFY(s.receivedAt.isValid());
            if (i) QVERIFY(s.cursor > pulled.at(i - 1).cursor);
        }
        QCOMPARE(cursor, pulled.last().cursor);

        // From the cursor on: nothing, until one more arrives.
        qint64 next = -1;
        QVERIFY(store.pull(rollout, cursor, &next).isEmpty());
        QCOMPARE(next, cursor);
        const LedgerRecord sixth = chain.next();
        QVERIFY(store.push({sixth}).ok());
        const QList<StoredRecord> more = store.pull(rollout, cursor, &next);
        QCOMPARE(more.size(), 1);
        QCOMPARE(more.first().record.body, sixth.body);
        // With a limit, page by page.
        qint64 page = 0;
        QCOMPARE(store.pull(rollout, 0, &page, nullptr, 4).size(), 4);
        QCOMPARE(store.pull(rollout, page, &page, nullptr, 4).size(), 2);
    }

    void pushIsIdempotent()
    {
        SharedStore store(m_settings);
        const QString rollout = uniqueRollout("idempotent");
        LedgerChain chain(rollout, QStringLiteral("rita"));
        const QList<LedgerRecord> first = chain.take(3);
        QCOMPARE(store.push(first).stored.size(), 3);
        const PushResult again = store.push(first);
        QVERIFY(again.ok());
        QVERIFY(again.stored.isEmpty());
        QCOMPARE(again.alreadyThere.size(), 3);

        const QList<LedgerRecord> second = chain.take(2);
        const PushResult mixed = store.push(first.mid(1) + second + second.mid(0, 1)); // one twice in a batch
        QVERIFY(mixed.ok());
        QCOMPARE(mixed.stored.size(), 2);
        QCOMPARE(mixed.alreadyThere.size(), 3);
        QCOMPARE(pullAll(store, rollout).size(), 5);
    }

    void aDifferentRecordUnderAnExistingIdIsRefused()
    {
        SharedStore store(m_settings);
        const QString rollout = uniqueRollout("rewrite");
        LedgerChain chain(rollout, QStringLiteral("rita"));
        const LedgerRecord original = chain.next(QStringLiteral("approval_recorded"), decision("go"));
        QVERIFY(store.push({original}).ok());

        // Same id, other decision, validly signed by the same key: still refused.
        LedgerRecord rewritten = original;
        rewritten.payload = decision("stop");
        rewritten = LedgerChain::resigned(rewritten, chain.keys());
        // Another id in the same device's slot.
        LedgerRecord sameSlot = original;
        sameSlot.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
        sameSlot = LedgerChain::resigned(sameSlot, chain.keys());
        const LedgerRecord innocent = chain.next();

        const PushResult r = store.push({rewritten, sameSlot, innocent});
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(r.stored, QStringList{innocent.id}); // one conflict does not block the others
        QCOMPARE(r.refused.size(), 2);
        QCOMPARE(r.refused.at(0).id, original.id);
        QVERIFY2(r.refused.at(0).why.contains(QStringLiteral("tampering")) &&
                     r.refused.at(0).why.contains(original.id),
                 qPrintable(r.refused.at(0).why));
        QCOMPARE(r.refused.at(1).id, sameSlot.id);
        QVERIFY2(r.refused.at(1).why.contains(QStringLiteral("sequence 1")), qPrintable(r.refused.at(1).why));

        const QList<StoredRecord> stored = pullAll(store, rollout);
        QCOMPARE(stored.size(), 2);
        QCOMPARE(byId(stored, original.id)->record.body, original.body);
    }

    // Schema 2: a device's chain is per rollout, so two rollouts of one device both have a seq 1;
    // within one rollout the place stays unique.
    void oneDeviceTwoRolloutsBothStartAtSeq1()
    {
        SharedStore store(m_settings);
        const QString device = QUuid::createUuid().toString(QUuid::WithoutBraces);
        LedgerChain x(uniqueRollout("device-x"), QStringLiteral("rita"), device),
            y(uniqueRollout("device-y"), QStringLiteral("rita"), device);
        const LedgerRecord first = x.next(), other = y.next();
        QCOMPARE(first.sequence, 1);
        QCOMPARE(other.sequence, 1);
        const PushResult r = store.push({first, other});
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(r.stored.size(), 2);
        LedgerRecord sameSlot = first;
        sameSlot.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
        sameSlot = LedgerChain::resigned(sameSlot, x.keys());
        const PushResult refused = store.push({sameSlot});
        QCOMPARE(refused.refused.size(), 1);
        QVERIFY2(refused.refused.first().why.contains(QStringLiteral("sequence 1 of rollout")),
                 qPrintable(refused.refused.first().why));
    }

    void appendOnlyForTheRolloutRole()
    {
        SharedStore store(m_settings);
        const QString rollout = uniqueRollout("appendonly");
        LedgerChain chain(rollout, QStringLiteral("rita"));
        const LedgerRecord r = chain.next();
        QVERIFY(store.push({r}).ok());

        const QString name = QStringLiteral("appendonly-%1").arg(QUuid::createUuid().toString());
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), name);
            db.setHostName(m_settings.host);
            db.setPort(m_settings.port);
            db.setDatabaseName(m_settings.database);
            db.setUserName(m_settings.user);
            db.setPassword(qEnvironmentVariable("ROLLOUT_PG_PASSWORD"));
            QVERIFY2(db.open(), qPrintable(db.lastError().text()));
            QSqlQuery q(db);
            const QStringList statements = {
                QStringLiteral("UPDATE ledger_records SET type = 'rolled_back' WHERE id = '%1'").arg(r.id),
                QStringLiteral("UPDATE ledger_records SET body = body || 'x'::bytea WHERE id = '%1'")
                    .arg(r.id),
                QStringLiteral("DELETE FROM ledger_records WHERE id = '%1'").arg(r.id),
                QStringLiteral("TRUNCATE ledger_records, phase_transitions"),
            };
            for (const QString& sql : statements) {
                QVERIFY2(!q.exec(sql), qPrintable(sql));
                QVERIFY2(q.lastError().text().contains(QStringLiteral("append-only")),
                         qPrintable(q.lastError().text()));
            }
        }
        QSqlDatabase::removeDatabase(name);
        const QList<StoredRecord> stored = pullAll(store, rollout);
        QCOMPARE(stored.size(), 1);
        QCOMPARE(stored.first().record.body, r.body);
    }

    void tamperedRowsComeBackAsTheyAre()
    {
        StoreTamper tamper;
        QString why;
        if (!tamper.open(&why)) ROLLOUT_SKIP_OR_FAIL(qPrintable(why));
        SharedStore store(m_settings);
        const QString rollout = uniqueRollout("tampered");
        LedgerChain chain(rollout, QStringLiteral("rita"));
        QList<LedgerRecord> r;
        for (int i = 0; i < 7; ++i)
            r.append(chain.next(QStringLiteral("approval_recorded"), decision("go")));
        QVERIFY(store.push(r).ok());
        LedgerChain other(uniqueRollout("other"), QStringLiteral("sam"));
        const LedgerRecord foreign = other.next(QStringLiteral("approval_recorded"), decision("go"));
        QVERIFY(store.push({foreign}).ok());

        // r0, r6 untouched; r1 decision changed; r2 signature of r3; r3 re-signed by another key;
        // r4 deleted (a hole in the chain); r5 body no longer JSON; a copy of another rollout's record.
        QVERIFY2(tamper.replaceInBody(r[1].id, "\"decision\":\"go\"", "\"decision\":\"stop\""),
                 qPrintable(tamper.lastError()));
        QVERIFY2(tamper.setSignature(r[2].id, r[3].signature), qPrintable(tamper.lastError()));
        const Ed25519::KeyPair mallory = Ed25519::generate();
        LedgerRecord forged = r[3];
        forged.payload = decision("stop");
        forged = LedgerChain::resigned(forged, mallory);
        QVERIFY2(tamper.setSigned(r[3].id, forged.body, forged.signature), qPrintable(tamper.lastError()));
        QVERIFY2(tamper.deleteRecord(r[4].id), qPrintable(tamper.lastError()));
        QVERIFY2(tamper.setBody(r[5].id, QByteArrayLiteral("{\"v\":1,\"id\":")),
                 qPrintable(tamper.lastError()));
        const QString copyId = QUuid::createUuid().toString(QUuid::WithoutBraces);
        QVERIFY2(tamper.insertCopy(foreign, copyId, rollout), qPrintable(tamper.lastError()));

        const QList<StoredRecord> pulled = pullAll(store, rollout);
        QCOMPARE(pulled.size(), 7); // 7 - 1 deleted + 1 copied

        for (int i : {0, 6}) {
            const StoredRecord* s = byId(pulled, r[i].id);
            QVERIFY(s && s->record.body == r[i].body && s->record.signature == r[i].signature &&
                    s->problem.isEmpty());
        }
        const StoredRecord* changed = byId(pulled, r[1].id);
        QVERIFY(changed && changed->bodyParses);
        QVERIFY(changed->record.body != r[1].body);
        QCOMPARE(changed->record.payload, decision("stop"));
        QVERIFY(!changed->record.signatureValid());

        const StoredRecord* swapped = byId(pulled, r[2].id);
        QVERIFY(swapped && swapped->record.body == r[2].body);
        QVERIFY(swapped->record.signature != r[2].signature);
        QVERIFY(!swapped->record.signatureValid());

        // Valid signature, wrong key: only the plan's people tell this one apart.
        const StoredRecord* resigned = byId(pulled, r[3].id);
        QVERIFY(resigned && resigned->record.body != r[3].body &&
                resigned->record.signature != r[3].signature);
        QVERIFY(resigned->record.signatureValid());
        QVERIFY(resigned->record.publicKey != r[3].publicKey);

        QVERIFY(!byId(pulled, r[4].id));
        QList<qint64> sequences;
        for (const StoredRecord& s : pulled)
            if (s.record.device == chain.device()) sequences.append(s.record.sequence);
        QCOMPARE(sequences, (QList<qint64>{1, 2, 3, 4, 6, 7}));
        const StoredRecord* seven = byId(pulled, r[6].id);
        QVERIFY(seven->record.previous == r[5].hash() &&
                seven->record.previous != byId(pulled, r[5].id)->record.hash());

        const StoredRecord* garbled = byId(pulled, r[5].id);
        QVERIFY(garbled && !garbled->bodyParses);
        QVERIFY(garbled->problem.contains(QStringLiteral("does not parse")));
        QCOMPARE(garbled->record.body, QByteArrayLiteral("{\"v\":1,\"id\":"));
        QCOMPARE(garbled->record.signature, r[5].signature);
        QCOMPARE(garbled->record.sequence, 6);
        QCOMPARE(garbled->record.device, chain.device());

        // The copy is found under this rollout, but its signed body names the other one.
        const StoredRecord* copied = nullptr;
        for (const StoredRecord& s : pulled)
            if (s.record.body == foreign.body) copied = &s;
        QVERIFY(copied);
        QCOMPARE(copied->record.rollout, foreign.rollout);
        QVERIFY(copied->record.signatureValid());
        QVERIFY2(copied->problem.contains(QStringLiteral("rollout")) &&
                     copied->problem.contains(QStringLiteral("id")),
                 qPrintable(copied->problem));
    }

    void claimTransitionBasics()
    {
        SharedStore store(m_settings);
        const QString rollout = uniqueRollout("claim");
        LedgerChain rita(rollout, QStringLiteral("rita")), sam(rollout, QStringLiteral("sam"));
        const LedgerRecord first = rita.next(QStringLiteral("phase_advanced"), {}, 1'700'000'000'000);
        const TransitionOutcome won = store.claimTransition(first, QString());
        QVERIFY2(won.ok(), qPrintable(won.error));
        QVERIFY(won.won);
        QVERIFY(store.claimTransition(first, QString()).won); // idempotent: a lost answer retried

        const LedgerRecord late = sam.next(QStringLiteral("phase_advanced"));
        const TransitionOutcome lost = store.claimTransition(late, QString());
        QVERIFY2(lost.ok(), qPrintable(lost.error));
        QVERIFY(!lost.won);
        QCOMPARE(lost.winnerId, first.id);
        QCOMPARE(lost.winnerActor, QStringLiteral("rita"));
        QCOMPARE(lost.winnerTimestampMs, 1'700'000'000'000);

        const LedgerRecord second = sam.next(QStringLiteral("phase_advanced"));
        QVERIFY(store.claimTransition(second, first.id).won);
        const LedgerRecord stray = sam.next(QStringLiteral("phase_advanced"));
        const TransitionOutcome unknown =
            store.claimTransition(stray, late.id); // late never became a transition
        QVERIFY(!unknown.won);
        QVERIFY2(unknown.error.contains(QStringLiteral("not a phase transition")), qPrintable(unknown.error));

        // Nothing of the losers is stored.
        const QList<StoredRecord> stored = pullAll(store, rollout);
        QCOMPARE(stored.size(), 2);
        QVERIFY(byId(stored, first.id) && byId(stored, second.id));
    }

    void exactlyOneOfTwoRacingClaimsWins()
    {
        constexpr int Rounds = 50;
        const QString rollout = uniqueRollout("race");
        LedgerChain chains[2] = {LedgerChain(rollout, QStringLiteral("rita")),
                                 LedgerChain(rollout, QStringLiteral("sam"))};
        TransitionOutcome outcomes[2][Rounds];
        LedgerRecord records[2][Rounds];
        QString predecessor;
        QStringList winners;
        int round = 0;
        std::barrier start(2);
        std::barrier end(2, [&]() noexcept {
            if (outcomes[0][round].won != outcomes[1][round].won) {
                predecessor = records[outcomes[0][round].won ? 0 : 1][round].id;
                winners.append(predecessor);
            }
            ++round;
        });
        auto side = [&](int me) {
            SharedStore store(m_settings); // its own connection, on this thread
            for (int i = 0; i < Rounds; ++i) {
                records[me][i] = chains[me].next(QStringLiteral("phase_advanced"),
                                                 QJsonObject{{QStringLiteral("round"), i}});
                start.arrive_and_wait();
                outcomes[me][i] = store.claimTransition(records[me][i], predecessor);
                end.arrive_and_wait();
            }
        };
        std::thread a(side, 0), b(side, 1);
        a.join();
        b.join();

        for (int i = 0; i < Rounds; ++i) {
            const TransitionOutcome& x = outcomes[0][i];
            const TransitionOutcome& y = outcomes[1][i];
            QVERIFY2(x.ok() && y.ok(), qPrintable(x.error + y.error));
            QVERIFY2(x.won != y.won,
                     qPrintable(QStringLiteral("round %1: %2 and %3").arg(i).arg(x.won).arg(y.won)));
            const int w = x.won ? 0 : 1;
            const TransitionOutcome& loser = outcomes[1 - w][i];
            QCOMPARE(loser.winnerId, records[w][i].id);
            QCOMPARE(loser.winnerActor, records[w][i].actor);
            QCOMPARE(loser.winnerTimestampMs, records[w][i].timestampMs);
        }
        SharedStore store(m_settings);
        const QList<StoredRecord> stored = pullAll(store, rollout);
        QCOMPARE(stored.size(), Rounds);
        QStringList ids;
        for (const StoredRecord& s : stored)
            ids.append(s.record.id);
        QCOMPARE(ids, winners);
    }

    void closedPortIsUnreachableWithinTheConnectTimeout()
    {
        const StoreSettings settings = unreachableSettings();
        SharedStore store(settings);
        QElapsedTimer t;
        t.start();
        const QString error = store.open();
        QVERIFY(t.elapsed() < (SharedStore::ConnectTimeoutSeconds + 1) * 1000);
        QVERIFY2(error.startsWith(QStringLiteral("store unreachable: 127.0.0.1:%1: ").arg(settings.port)),
                 qPrintable(error));
        LedgerChain chain(uniqueRollout("down"), QStringLiteral("rita"));
        const PushResult r = store.push(chain.take(2));
        QVERIFY(r.unreachable && r.confirmed().isEmpty());
        QString pullError;
        QVERIFY(store.pull(QStringLiteral("x"), 0, nullptr, &pullError).isEmpty());
        QVERIFY(pullError.startsWith(QStringLiteral("store unreachable")));
    }

    void passwordFromA0600File()
    {
        QTemporaryDir dir;
        StoreSettings s = m_settings;
        s.passwordEnv.clear();
        s.passwordFile = dir.filePath(QStringLiteral("pg-password"));
        QFile f(s.passwordFile);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(qEnvironmentVariable("ROLLOUT_PG_PASSWORD").toUtf8() + '\n');
        f.close();
        QVERIFY(f.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup));
        SharedStore loose(s);
        const QString refused = loose.open();
        QVERIFY2(refused.contains(s.passwordFile) && refused.contains(QStringLiteral("too open")),
                 qPrintable(refused));
        QVERIFY(f.setPermissions(QFile::ReadOwner | QFile::WriteOwner));
        SharedStore tight(s);
        QCOMPARE(tight.open(), QString());

        // A wrong password: refused by the server, and the message does not repeat it.
        qputenv("ROLLOUT_TEST_WRONG_PG_PASSWORD", "hunter2-not-it");
        StoreSettings wrong = m_settings;
        wrong.passwordEnv = QStringLiteral("ROLLOUT_TEST_WRONG_PG_PASSWORD");
        SharedStore bad(wrong);
        const QString error = bad.open();
        QVERIFY2(error.startsWith(QStringLiteral("store unreachable")) &&
                     !error.contains(QStringLiteral("hunter2")),
                 qPrintable(error));
        qunsetenv("ROLLOUT_TEST_WRONG_PG_PASSWORD");
    }

    void queueWaitsForTheStoreAndLosesNothing()
    {
        const QString rollout = uniqueRollout("queue");
        LedgerChain chain(rollout, QStringLiteral("rita"));
        const QList<LedgerRecord> local = chain.take(23);
        QSet<QString> pushed;
        QStringList markedOrder;
        SharedStore store(unreachableSettings());
        PushQueue queue(
            [&] {
                QList<LedgerRecord> out;
                for (const LedgerRecord& r : local)
                    if (!pushed.contains(r.id)) out.append(r);
                return out;
            },
            [&](const QStringList& ids) {
                for (const QString& id : ids)
                    pushed.insert(id);
                markedOrder += ids;
            },
            store);
        queue.setBatchSize(5);
        queue.setBackoff(20, 50);
        QSignalSpy unreachable(&queue, &PushQueue::storeUnreachable);
        QSignalSpy drained(&queue, &PushQueue::drained);

        queue.drain();
        QCOMPARE(unreachable.size(), 1);
        QVERIFY2(unreachable.first().first().toString().startsWith(
                     QStringLiteral("store unreachable: 127.0.0.1:")),
                 qPrintable(unreachable.first().first().toString()));
        QVERIFY(pushed.isEmpty());
        QVERIFY(queue.retryPending());
        QCOMPARE(queue.scheduledRetryMs(), 20);
        // The retry comes by itself, later each time, capped.
        QVERIFY(unreachable.wait(5000));
        QCOMPARE(queue.scheduledRetryMs(), 40);
        QVERIFY(unreachable.wait(5000));
        QCOMPARE(queue.scheduledRetryMs(), 50);
        QVERIFY(pushed.isEmpty());
        QVERIFY(drained.isEmpty());

        store.setSettings(m_settings); // the store is back
        QVERIFY(drained.wait(5000));
        QCOMPARE(drained.first().first().toInt(), 23);
        QCOMPARE(pushed.size(), 23);
        QCOMPARE(markedOrder.size(), 23); // each marked once
        QVERIFY(!queue.retryPending());

        SharedStore check(m_settings);
        const QList<StoredRecord> stored = pullAll(check, rollout);
        QCOMPARE(stored.size(), 23);
        QSet<QString> ids;
        for (const StoredRecord& s : stored)
            ids.insert(s.record.id);
        QCOMPARE(ids, pushed);
    }

    void aCrashBeforeMarkingPushesAgainWithoutDuplicates()
    {
        const QString rollout = uniqueRollout("crash");
        LedgerChain chain(rollout, QStringLiteral("rita"));
        const QList<LedgerRecord> local = chain.take(12);
        QSet<QString> pushed;
        bool crashed = true; // the first markPushed never happens
        SharedStore store(m_settings);
        PushQueue queue(
            [&] {
                QList<LedgerRecord> out;
                for (const LedgerRecord& r : local)
                    if (!pushed.contains(r.id)) out.append(r);
                return out;
            },
            [&](const QStringList& ids) {
                if (crashed) return;
                for (const QString& id : ids)
                    pushed.insert(id);
            },
            store);
        queue.setBatchSize(5);
        QSignalSpy drained(&queue, &PushQueue::drained);
        queue.drain();
        QCOMPARE(drained.size(), 1);
        QVERIFY(pushed.isEmpty());

        // Restarted: everything is pending again; the store already has it all.
        crashed = false;
        SharedStore probe(m_settings);
        const PushResult again = probe.push(local.mid(0, 3));
        QCOMPARE(again.alreadyThere.size(), 3);
        queue.drain();
        QCOMPARE(drained.size(), 2);
        QCOMPARE(drained.last().first().toInt(), 12);
        QCOMPARE(pushed.size(), 12);
        QCOMPARE(pullAll(store, rollout).size(), 12);
    }

    void queueReportsTamperingAndMarksTheRest()
    {
        const QString rollout = uniqueRollout("queue-tamper");
        LedgerChain chain(rollout, QStringLiteral("rita"));
        SharedStore store(m_settings);
        const LedgerRecord original = chain.next(QStringLiteral("approval_recorded"), decision("go"));
        QVERIFY(store.push({original}).ok());
        LedgerRecord rewritten = original;
        rewritten.payload = decision("stop");
        rewritten = LedgerChain::resigned(rewritten, chain.keys());
        const QList<LedgerRecord> local = QList<LedgerRecord>{rewritten} + chain.take(3);
        QStringList marked;
        PushQueue queue([&] { return local; }, [&](const QStringList& ids) { marked += ids; }, store);
        QSignalSpy tampering(&queue, &PushQueue::tampering);
        QSignalSpy drained(&queue, &PushQueue::drained);
        queue.drain();
        QCOMPARE(tampering.size(), 1);
        QCOMPARE(tampering.first().at(0).toString(), original.id);
        QCOMPARE(drained.size(), 1);
        QCOMPARE(drained.first().first().toInt(), 3);
        QCOMPARE(marked.size(), 3);
        QVERIFY(!marked.contains(original.id));
    }

    void workerAnswersOnTheCallersThread()
    {
        const QString rollout = uniqueRollout("worker");
        LedgerChain chain(rollout, QStringLiteral("rita"));
        const QList<LedgerRecord> records = chain.take(4);
        SharedStoreWorker worker(m_settings);
        std::optional<PushResult> pushed;
        QList<StoredRecord> pulled;
        qint64 cursor = 0;
        bool pulledDone = false;
        QObject ctx;
        connect(&worker, &SharedStoreWorker::pushed, &ctx, [&](const PushResult& r) {
            QVERIFY(QThread::currentThread() == thread());
            pushed = r;
        });
        connect(&worker, &SharedStoreWorker::pulled, &ctx,
                [&](const QString& name, const QList<StoredRecord>& rs, qint64 c, const QString& error) {
                    QCOMPARE(name, rollout);
                    QCOMPARE(error, QString());
                    pulled = rs;
                    cursor = c;
                    pulledDone = true;
                });
        worker.push(records);
        worker.pull(rollout, 0); // queued behind the push: sees its records
        QTRY_VERIFY_WITH_TIMEOUT(pushed.has_value() && pulledDone, 10000);
        QCOMPARE(pushed->stored.size(), 4);
        QCOMPARE(pulled.size(), 4);
        QCOMPARE(pulled.last().record.body, records.last().body);
        QCOMPARE(cursor, pulled.last().cursor);

        std::optional<TransitionOutcome> claimed;
        connect(&worker, &SharedStoreWorker::transitionClaimed, &ctx,
                [&](const QString&, const TransitionOutcome& o) { claimed = o; });
        worker.claimTransition(chain.next(QStringLiteral("phase_advanced")), QString());
        QTRY_VERIFY_WITH_TIMEOUT(claimed.has_value(), 10000);
        QVERIFY2(claimed->won, qPrintable(claimed->error));
    }
};

QTEST_GUILESS_MAIN(TestSharedStore)
#include "tst_sharedstore.moc"
