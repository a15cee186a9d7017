// What a record decided, checked by LedgerVerifier beyond its signer: a device key signs only what
// lowers exposure or reports (never an advance, never a "rollback" upwards); an advance whose own
// gate was not open does not count; a device-signed rollback awaits its person's countersignature.
#include "LedgerChain.h"
#include "ledger/DecisionChecks.h"
#include "ledger/LedgerVerifier.h"

#include <QJsonArray>
#include <QTest>

using namespace rollout;

namespace {

const QString kRollout = QStringLiteral("checks");

struct Fixture
{
    test::LedgerChain rita{kRollout, QStringLiteral("rita")};
    test::LedgerChain device{kRollout, QStringLiteral("rita"), QStringLiteral("laptop-7")};
    Plan plan;

    Fixture()
    {
        plan.rollout = kRollout;
        plan.sha256 = QByteArray("5c0ffee0").repeated(8);
        plan.people.push_back({QStringLiteral("rita"),
                               QStringLiteral("Rita"),
                               {QStringLiteral("release-manager")},
                               Ed25519::encodePublicKey(rita.keys().publicKey)});
    }
    static QJsonObject move(int from, int to, bool deviceSigned)
    {
        QJsonObject o{{QStringLiteral("from_phase"), from}, {QStringLiteral("to_phase"), to}};
        if (deviceSigned) {
            o.insert(QStringLiteral("device_signed"), true);
            o.insert(QStringLiteral("signature_pending"), QStringLiteral("rita"));
        }
        return o;
    }
    RecordVerdict verdictOf(const QList<LedgerRecord>& records, const QString& id) const
    {
        for (const RecordVerdict& v : LedgerVerifier::verify(records, plan))
            if (v.id == id) return v;
        return {};
    }
};

} // namespace

class TestDecisionChecks final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void aDeviceSignedRollbackCountsAndAwaitsItsPerson()
    {
        Fixture f;
        const LedgerRecord rb = f.device.next(QStringLiteral("rolled_back"), Fixture::move(2, -1, true));
        const RecordVerdict v = f.verdictOf({rb}, rb.id);
        QVERIFY2(v.ok, qPrintable(v.failures.isEmpty() ? QString() : v.failures.first().why));
        QVERIFY(countsForGate(v));
        const QString notes = v.notes.join(QLatin1Char(' '));
        QVERIFY2(notes.contains(QStringLiteral("rolled back by rita on laptop-7")) &&
                     notes.contains(QStringLiteral("rita's signature pending")),
                 qPrintable(notes));

        // Her countersignature completes it.
        const LedgerRecord cs = f.rita.next(QStringLiteral("countersigned"),
                                            QJsonObject{{QStringLiteral("from_phase"), -1},
                                                        {QStringLiteral("to_phase"), -1},
                                                        {QStringLiteral("countersigns"), rb.id}});
        const QList<RecordVerdict> both = LedgerVerifier::verify({rb, cs}, f.plan);
        QVERIFY(both[1].ok);
        QVERIFY(both[0].notes.join(QLatin1Char(' ')).contains(QStringLiteral("countersigned by rita")));
        QVERIFY(DecisionChecks::pendingCountersignatures(both, QStringLiteral("rita")).isEmpty());
        QCOMPARE(DecisionChecks::pendingCountersignatures(LedgerVerifier::verify({rb}, f.plan),
                                                          QStringLiteral("rita")),
                 QStringList{rb.id});
    }

    void aDeviceKeyMayNotRaiseExposure_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<int>("from");
        QTest::addColumn<int>("to");
        QTest::newRow("an advance") << QStringLiteral("phase_advanced") << 0 << 1;
        QTest::newRow("an override") << QStringLiteral("phase_overridden") << -1 << 2;
        QTest::newRow("a rollback upwards") << QStringLiteral("rolled_back") << 0 << 1;
        QTest::newRow("an approval") << QStringLiteral("approval_recorded") << 0 << 0;
        QTest::newRow("an acknowledgement") << QStringLiteral("alert_acknowledged") << 0 << 0;
    }
    void aDeviceKeyMayNotRaiseExposure()
    {
        QFETCH(QString, type);
        QFETCH(int, from);
        QFETCH(int, to);
        Fixture f;
        const LedgerRecord r = f.device.next(type, Fixture::move(from, to, true));
        const RecordVerdict v = f.verdictOf({r}, r.id);
        QVERIFY(!v.ok);
        QVERIFY(v.failed(QStringLiteral("signer")));
        QVERIFY(!countsForGate(v));
        QCOMPARE(v.tampering().size(), 1);
        QCOMPARE(toString(v.tampering().first().tampering), toString(Tampering::ForeignKey));
    }

    void anObservationMayBeDeviceSigned()
    {
        Fixture f;
        QJsonObject p = Fixture::move(1, 1, false);
        p.insert(QStringLiteral("device_signed"), true);
        const LedgerRecord r = f.device.next(QStringLiteral("flags_verified"), p);
        QVERIFY(f.verdictOf({r}, r.id).ok);
    }

    void anAdvanceWhoseGateWasNotOpenDoesNotCount()
    {
        Fixture f;
        auto advance = [&](const QString& state) {
            QJsonObject p = Fixture::move(0, 1, false);
            QJsonObject check{{QStringLiteral("kind"), QStringLiteral("criterion")},
                              {QStringLiteral("label"), QStringLiteral("error_rate < 1%")},
                              {QStringLiteral("state"), state},
                              {QStringLiteral("detail"), QStringLiteral("0.4% [0.1%, 2.1%] on 4 of 1000")}};
            p.insert(QStringLiteral("gate"), QJsonObject{{QStringLiteral("checks"), QJsonArray{check}}});
            return f.rita.next(QStringLiteral("phase_advanced"), p);
        };
        const LedgerRecord good = advance(QStringLiteral("met"));
        const LedgerRecord bad = advance(QStringLiteral("inconclusive"));
        const QList<RecordVerdict> v = LedgerVerifier::verify({good, bad}, f.plan);
        QVERIFY(v[0].ok);
        QVERIFY(!v[1].ok);
        QVERIFY(v[1].failed(QStringLiteral("gate")));
        QVERIFY2(v[1].failures.first().why.contains(QStringLiteral("error_rate < 1%")),
                 qPrintable(v[1].failures.first().why));
    }
};

QTEST_GUILESS_MAIN(TestDecisionChecks)
#include "tst_decisionchecks.moc"
