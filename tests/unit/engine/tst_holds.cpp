// What holds a rollout for a person: a damaged history (nothing automatic, no flag but a person's
// rollback, until a person acknowledges) and confirmed drift (no promotion until a person
// re-applies the recorded state or rolls back); each survives a restart from the records.
#include "PlanFixture.h"
#include "core/Clock.h"
#include "engine/RolloutSession.h"
#include "metrics/TimeSeriesStore.h"

#include <QTest>

using namespace rollout;

namespace {

const QByteArray kPlan = R"(
rollout: hold-test
sources: {sim: {type: simulator}}
backends: {f: {type: flagd_file, path: flags.json}}
flags: [{key: feature, backend: f}]
metrics:
  error_rate: {source: sim, unit: ratio, interval: 1s, simulate: {signal: error_ratio}}
triggers:
  - {name: error rate critical, when: error_rate > 5%, for: 30s, kind: hard, action: rollback_to_zero}
phases:
  - {name: one, traffic: 1%, auto_promote: true}
  - {name: ten, traffic: 10%, auto_promote: true}
  - {name: all, traffic: 100%}
override_roles: [rm]
retry_after_rollback: 1h
people:
  - {id: rita, roles: [rm]}
  - {id: sam, roles: [sre]}
)";

const Actor kRita{QStringLiteral("rita"), QStringLiteral("rm")};
const Actor kSam{QStringLiteral("sam"), QStringLiteral("sre")};

struct Harness
{
    ManualClock clock{1'000'000};
    TimeSeriesStore store;
    RolloutSession session{test::loadPlan(kPlan), store, clock};
    QList<RolloutEvent> events;

    Harness()
    {
        QObject::connect(&session, &RolloutSession::eventRecorded, &session,
                         [this](const RolloutEvent& e) { events.append(e); });
    }
    void run(int seconds, double errorRate)
    {
        for (int i = 0; i < seconds; ++i) {
            clock.advanceMs(1000);
            store.append(QStringLiteral("error_rate"), {}, Sample{clock.nowMs(), errorRate});
            session.evaluate();
        }
    }
    int count(EventType t) const
    {
        int n = 0;
        for (const RolloutEvent& e : events)
            n += e.type == t;
        return n;
    }
    int damageAlert() const
    {
        for (const Alert& a : session.alerts())
            if (a.trigger == RolloutSession::kDamageHold && !a.acknowledged) return a.id;
        return 0;
    }
    // A second process rebuilt from what this one recorded.
    std::unique_ptr<RolloutSession> restored(TimeSeriesStore& samples) const
    {
        auto s = std::make_unique<RolloutSession>(test::loadPlan(kPlan), samples, clock);
        for (const RolloutEvent& e : events)
            s->restore(e);
        return s;
    }
};

} // namespace

class TestHolds final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void damageHoldsEveryAutomaticDecisionUntilAPersonAcknowledges()
    {
        Harness h;
        QVERIFY(h.session.advance(kRita).ok);
        QCOMPARE(h.session.currentPhase(), 0);
        h.session.holdForDamage({QStringLiteral("rec-1")}, QStringLiteral("record rec-1 was changed"));
        QVERIFY(h.session.held());
        QVERIFY(h.session.holdReason().contains(QStringLiteral("rec-1")));
        QCOMPARE(h.count(EventType::Escalated), 1);
        QCOMPARE(h.events.last().severity, QStringLiteral("P1"));
        // Healthy for a long time: no automatic promotion…
        h.run(120, 0.001);
        QCOMPARE(h.session.currentPhase(), 0);
        QVERIFY(!h.session.gate().open);
        QVERIFY(!h.session.advance(kRita).ok);
        QVERIFY(!h.session.overridePhase(kRita, 2, QStringLiteral("force it")).ok);
        // …and a spike past its trigger's duration rolls nothing back automatically either.
        h.run(120, 0.5);
        QCOMPARE(h.session.currentPhase(), 0);
        QCOMPARE(h.count(EventType::RolledBack), 0);
        // The same damage found again (a restart, the next pull) raises nothing new.
        h.session.holdForDamage({QStringLiteral("rec-1")}, QStringLiteral("record rec-1 was changed"));
        QCOMPARE(h.count(EventType::AlertRaised), 1);
        // A person may roll back; it does not lift the hold.
        QVERIFY(h.session.rollback(kSam, QStringLiteral("held, and bad"), true).ok);
        QCOMPARE(h.session.currentPhase(), -1);
        QVERIFY(h.session.held());
        // The acknowledgement does.
        QVERIFY(h.session.acknowledgeAlert(h.damageAlert(), kSam, QStringLiteral("checked the store")).ok);
        QVERIFY(!h.session.held());
        h.session.holdForDamage({QStringLiteral("rec-1")}, QStringLiteral("record rec-1 was changed"));
        QVERIFY(!h.session.held()); // acknowledged damage is not raised again
        h.session.holdForDamage({QStringLiteral("rec-2")}, QStringLiteral("record rec-2 is missing"));
        QVERIFY(h.session.held()); // new damage is
    }

    void aHoldSurvivesARestartAndSoDoesItsAcknowledgement()
    {
        Harness h;
        QVERIFY(h.session.advance(kRita).ok);
        h.session.holdForDamage({QStringLiteral("rec-9")}, QStringLiteral("record rec-9 is a copy"));
        TimeSeriesStore samples;
        QVERIFY(h.restored(samples)->held());
        QVERIFY(h.session.acknowledgeAlert(h.damageAlert(), kRita, {}).ok);
        auto again = h.restored(samples);
        QVERIFY(!again->held());
        again->holdForDamage({QStringLiteral("rec-9")}, QStringLiteral("record rec-9 is a copy"));
        QVERIFY(!again->held());
    }

    void confirmedDriftHoldsPromotionUntilAPersonReappliesOrRollsBack()
    {
        Harness h;
        QVERIFY(h.session.advance(kRita).ok);
        h.session.recordFlagOutcome(true, QStringLiteral("applied"), {{QStringLiteral("feature"), 1.0}});
        h.session.recordDrift(true, QStringLiteral("feature is 50% in unleash; the rollout says 1%"),
                              {{QStringLiteral("feature"), 50.0}});
        QVERIFY(h.session.driftHeld());
        h.run(60, 0.001);
        QCOMPARE(h.session.currentPhase(), 0); // auto_promote held
        QVERIFY(h.session.gate().missing().contains(QStringLiteral("behind the rollout's back")));
        // Someone puts the flag back by hand: the drift ends, the hold does not.
        h.session.recordDrift(false, QStringLiteral("agrees"), {{QStringLiteral("feature"), 1.0}});
        QVERIFY(h.session.driftHeld());
        TimeSeriesStore samples;
        QVERIFY(h.restored(samples)->driftHeld());
        QVERIFY(h.session.reapplyFlags(kSam, QStringLiteral("checked")).ok);
        QVERIFY(!h.session.driftHeld());
        QVERIFY(!h.session.flagsApplied()); // the recorded state is written again
        QCOMPARE(toString(h.events.last().type), toString(EventType::FlagsReapplied));
        QVERIFY(!h.restored(samples)->driftHeld());
        h.session.recordFlagOutcome(true, QStringLiteral("applied"), {{QStringLiteral("feature"), 1.0}});
        h.run(1, 0.001);
        QCOMPARE(h.session.currentPhase(), 1); // promotes again

        // A rollback lifts it too.
        h.session.recordFlagOutcome(true, QStringLiteral("applied"), {{QStringLiteral("feature"), 10.0}});
        h.session.recordDrift(true, QStringLiteral("feature is off"), {{QStringLiteral("feature"), 0.0}});
        QVERIFY(h.session.driftHeld());
        QVERIFY(h.session.rollback(kSam, QStringLiteral("drifted"), false).ok);
        QVERIFY(!h.session.driftHeld());
        QVERIFY(!h.session.reapplyFlags(kSam, {}).ok); // nothing drifted now
    }

    void anOverrideRecordsWhatItSkipped()
    {
        Harness h;
        QVERIFY(h.session.advance(kRita).ok);
        h.run(40, 0.5); // the trigger rolls back to zero
        QCOMPARE(h.session.currentPhase(), -1);
        QVERIFY(h.session.overridePhase(kRita, 1, QStringLiteral("we know")).ok);
        const RolloutEvent& e = h.events.last();
        QCOMPARE(toString(e.type), toString(EventType::PhaseOverridden));
        QVERIFY(e.gate.present);
        QVERIFY2(e.gate.skipped.join(QLatin1Char(' ')).contains(QStringLiteral("waiting period")),
                 qPrintable(e.gate.skipped.join(QLatin1Char(' '))));
    }
};

QTEST_GUILESS_MAIN(TestHolds)
#include "tst_holds.moc"
