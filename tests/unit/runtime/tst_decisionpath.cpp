// One ordered path for every decision (DecisionPath): record → apply → notify → show. A flag
// write never starts before its decision is durable, whatever order the parts were built in; a
// rollback is never held up by a locked key (this device's key signs it, its person countersigns);
// a decision that cannot be recorded moves no flag, unless it only lowers exposure.
#include "FakeFlagBackend.h"
#include "PlanFixture.h"
#include "TestKeys.h"
#include "core/Clock.h"
#include "ledger/DecisionChecks.h"
#include "ledger/DeviceKey.h"
#include "ledger/LedgerReplay.h"
#include "ledger/LedgerVerifier.h"
#include "ledger/LocalLedger.h"
#include "metrics/TimeSeriesStore.h"
#include "runtime/RolloutAssembly.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace rollout;

namespace {

Ed25519::KeyPair keyOf(const char* who)
{
    return test::seededKey(QByteArray("path key ") + who);
}

QByteArray planYaml()
{
    return QStringLiteral(R"(
rollout: path-test
sources: {sim: {type: simulator}}
backends: {f: {type: flagd_file, path: flags.json}}
flags: [{key: feature, backend: f}]
metrics:
  error_rate: {source: sim, unit: ratio, interval: 1s, simulate: {signal: error_ratio}}
phases:
  - {name: one, traffic: 1%}
  - {name: two, traffic: 10%}
  - {name: three, traffic: 50%}
people:
  - {id: rita, roles: [rm], key: "%1"}
  - {id: sam, roles: [sre], key: "%2"}
  - {id: automation, roles: [automation], key: "%3"}
)")
        .arg(Ed25519::encodePublicKey(keyOf("rita").publicKey),
             Ed25519::encodePublicKey(keyOf("sam").publicKey),
             Ed25519::encodePublicKey(keyOf("automation").publicKey))
        .toUtf8();
}

const Actor kRita{QStringLiteral("rita"), QStringLiteral("rm")};
const Actor kSam{QStringLiteral("sam"), QStringLiteral("sre")};

struct Harness
{
    ManualClock clock{1'700'000'000'000};
    QTemporaryDir dir;
    test::FakeFlagBackend* fake = nullptr;
    std::unique_ptr<RolloutAssembly> assembly;

    // `keys`: who has an unlocked key here; `device`: a device key in the key folder.
    Harness(QStringList keys, bool device, bool background = true)
    {
        FlagBackendSet set;
        auto b = std::make_unique<test::FakeFlagBackend>(QStringLiteral("f"));
        fake = b.get();
        fake->setDelayMs(5);
        set.add(std::move(b));
        set.assign(QStringLiteral("feature"), QStringLiteral("f"));
        RolloutAssembly::Options o;
        o.ledgerPath = dir.filePath(QStringLiteral("ledger.sqlite"));
        o.backgroundWriter = background;
        o.flags = std::move(set);
        o.autoStart = false;
        if (device) o.deviceKeyDirectory = dir.filePath(QStringLiteral("keys"));
        o.addKeys = [keys](LedgerRecorder& r) {
            for (const QString& k : keys)
                r.addKey(k, keyOf(k.toLatin1().constData()));
        };
        QString problem;
        assembly = RolloutAssembly::build(test::loadPlan(planYaml()), clock, std::move(o), &problem);
        if (!assembly) qFatal("%s", qPrintable(problem));
    }
    RolloutRuntime& runtime() { return assembly->runtime(); }
    RolloutSession& session() { return runtime().session(); }
    // The ledger as another process reads it: only what is on disk.
    QList<LedgerRecord> onDisk() const
    {
        QString problem;
        auto ledger = LocalLedger::open(dir.filePath(QStringLiteral("ledger.sqlite")), clock, &problem);
        return ledger ? ledger->records(QStringLiteral("path-test")) : QList<LedgerRecord>{};
    }
    QList<RecordVerdict> verdicts() const
    {
        return LedgerVerifier::verify(onDisk(), assembly->runtime().plan());
    }
    bool settled() { return runtime().decisions().settled() && runtime().flags()->idle(); }
};

int countType(const QList<LedgerRecord>& records, const QString& type)
{
    int n = 0;
    for (const LedgerRecord& r : records)
        n += r.type == type;
    return n;
}

} // namespace

class TestDecisionPath final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void theSessionHasOneListenerThePath()
    {
        Harness h({QStringLiteral("rita")}, true);
        // Webhooks, pager, recorder, flags and action lists are all called by the path, in its
        // order; none of them listens to the session on its own.
        QCOMPARE(h.session().decisionListeners(), 1);
    }

    void aFlagWriteNeverStartsBeforeItsDecisionIsDurable()
    {
        Harness h({QStringLiteral("rita"), QStringLiteral("sam"), QStringLiteral("automation")}, true);
        QStringList seenAtWrite; // what was on disk each time a flag operation started
        QStringList problems;
        QObject::connect(
            h.runtime().flags(), &FlagSync::operationStarted, h.runtime().flags(),
            [&](const QString& why, const QList<FlagChange>&) {
                const QList<LedgerRecord> disk = h.onDisk();
                const RolloutSession& s = h.session();
                // The decision this write applies is on disk already.
                const QString want = s.state() == RolloutState::RolledBack ? QStringLiteral("rolled_back")
                                                                           : QStringLiteral("phase_advanced");
                if (countType(disk, want) == 0)
                    problems.append(QStringLiteral("\"%1\" started with no %2 on disk").arg(why, want));
                seenAtWrite.append(why);
            });
        bool shownBeforeRecorded = false;
        QObject::connect(&h.runtime(), &RolloutRuntime::eventAppended, &h.runtime(),
                         [&](const RolloutEvent& e) {
                             if (e.type == EventType::PhaseAdvanced &&
                                 countType(h.onDisk(), QStringLiteral("phase_advanced")) == 0)
                                 shownBeforeRecorded = true;
                         });
        h.runtime().start(3600 * 1000);
        QVERIFY(h.session().advance(kRita).ok);
        // Nothing is written yet: the record is on its way to disk (the writer's thread).
        QVERIFY(h.runtime().flags()->idle());
        QTRY_VERIFY(h.settled());
        QVERIFY(h.fake->state(QStringLiteral("feature")).matches(FlagSetting{true, 1.0}));
        QVERIFY(h.session().rollback(kSam, QStringLiteral("path test"), true).ok);
        QTRY_VERIFY(h.settled());
        QVERIFY(!h.fake->state(QStringLiteral("feature")).enabled);
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
        QVERIFY(!shownBeforeRecorded);
        QCOMPARE(seenAtWrite.size(), 2);
    }

    void aRollbackWithALockedKeyIsSignedByTheDeviceAndCountersignedLater()
    {
        Harness h({QStringLiteral("rita")}, true); // sam's key is locked; no automation key
        h.runtime().start(3600 * 1000);
        QVERIFY(h.session().advance(kRita).ok);
        QTRY_VERIFY(h.settled());
        QVERIFY(h.session().rollback(kSam, QStringLiteral("on-call"), true).ok);
        QTRY_VERIFY(h.settled());
        QVERIFY(!h.fake->state(QStringLiteral("feature")).enabled);
        QList<RecordVerdict> v = h.verdicts();
        const auto rb = std::find_if(v.begin(), v.end(), [](const RecordVerdict& x) {
            return x.record && x.record->type == QLatin1String("rolled_back");
        });
        QVERIFY(rb != v.end());
        QVERIFY2(rb->ok, qPrintable(rb->failures.isEmpty() ? QString() : rb->failures.first().why));
        QCOMPARE(rb->record->actor, QStringLiteral("sam"));
        QVERIFY(DecisionChecks::isDeviceSigned(*rb->record));
        QVERIFY2(rb->notes.join(QLatin1Char(' ')).contains(QStringLiteral("sam's signature pending")),
                 qPrintable(rb->notes.join(QLatin1Char(' '))));
        // The read-back after it is recorded too (this device observed it).
        QVERIFY(countType(h.onDisk(), QStringLiteral("flags_verified")) >= 2);
        for (const RecordVerdict& x : v)
            QVERIFY2(x.ok, qPrintable(x.id + QStringLiteral(": ") +
                                      (x.failures.isEmpty() ? QString() : x.failures.first().why)));
        QCOMPARE(DecisionChecks::pendingCountersignatures(v, QStringLiteral("sam")).size(), 1);

        // A new process on the same ledger stands rolled back.
        const QString id = rb->id;
        {
            TimeSeriesStore samples;
            RolloutSession again(test::loadPlan(planYaml()), samples, h.clock);
            LedgerReplay::rebuild(again, h.onDisk());
            QCOMPARE(toString(again.state()), toString(RolloutState::RolledBack));
        }
        // Sam unlocks and countersigns: an ordinary signed record.
        h.runtime().recorder()->addKey(QStringLiteral("sam"), keyOf("sam"));
        QVERIFY(h.session().countersign(kSam, id).ok);
        QTRY_VERIFY(h.settled());
        v = h.verdicts();
        QVERIFY(DecisionChecks::pendingCountersignatures(v, QStringLiteral("sam")).isEmpty());
        for (const RecordVerdict& x : v)
            if (x.id == id)
                QVERIFY(x.notes.join(QLatin1Char(' ')).contains(QStringLiteral("countersigned by sam")));
    }

    void aDeviceKeyNeverSignsWhatRaisesExposure()
    {
        Harness h({}, true); // nobody's key is unlocked
        h.runtime().start(3600 * 1000);
        const ActionResult r = h.session().advance(kRita);
        QVERIFY(!r.ok); // refused before anything is decided: rita's key is locked
        QVERIFY(r.message.contains(QStringLiteral("locked")));
        QTRY_VERIFY(h.settled());
        QCOMPARE(countType(h.onDisk(), QStringLiteral("phase_advanced")), 0);
        QVERIFY(h.fake->writes().isEmpty());
    }

    void anUnrecordedRollbackIsAppliedAllTheSameAndEscalated()
    {
        Harness h({QStringLiteral("rita")}, false); // no device key, no automation key
        h.runtime().start(3600 * 1000);
        QVERIFY(h.session().advance(kRita).ok);
        QTRY_VERIFY(h.settled());
        QSignalSpy unrecorded(&h.runtime().decisions(), &DecisionPath::unrecorded);
        QVERIFY(h.session().rollback(kSam, QStringLiteral("nobody can sign"), true).ok);
        QTRY_VERIFY(h.settled());
        QVERIFY(unrecorded.size() >= 1);
        QVERIFY(!h.fake->state(QStringLiteral("feature")).enabled); // it only lowers exposure: applied
        bool escalated = false;
        for (const RolloutEvent& e : h.runtime().events())
            escalated = escalated || (e.type == EventType::Escalated && e.severity == QLatin1String("P0") &&
                                      e.reason.contains(QStringLiteral("NOT RECORDED")));
        QVERIFY(escalated);
    }

    void aPromotionRecordsTheGateItOpenedOn()
    {
        Harness h({QStringLiteral("rita")}, false, false);
        h.runtime().start(3600 * 1000);
        QVERIFY(h.session().advance(kRita).ok);
        QTRY_VERIFY(h.settled());
        h.clock.advanceMs(60'000);
        QVERIFY(h.session().advance(kRita).ok);
        QTRY_VERIFY(h.settled());
        const QList<LedgerRecord> disk = h.onDisk();
        const auto second = std::find_if(disk.begin(), disk.end(), [](const LedgerRecord& r) {
            return r.type == QLatin1String("phase_advanced") &&
                   r.payload.value(QStringLiteral("to_phase")).toInt() == 1;
        });
        QVERIFY(second != disk.end());
        const QJsonObject gate = second->payload.value(QStringLiteral("gate")).toObject();
        QVERIFY(!gate.isEmpty());
        QCOMPARE(qint64(gate.value(QStringLiteral("time_in_phase_ms")).toDouble()), qint64(60'000));
        bool sawTime = false;
        for (const QJsonValue& c : gate.value(QStringLiteral("checks")).toArray()) {
            QCOMPARE(c.toObject().value(QStringLiteral("state")).toString(), QStringLiteral("met"));
            sawTime = sawTime || c.toObject().value(QStringLiteral("label")).toString() ==
                                     QLatin1String("time in phase");
        }
        QVERIFY(sawTime);
        for (const RecordVerdict& v : h.verdicts())
            QVERIFY(v.ok);
    }
};

QTEST_GUILESS_MAIN(TestDecisionPath)
#include "tst_decisionpath.moc"
