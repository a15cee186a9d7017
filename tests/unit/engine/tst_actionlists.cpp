// A trigger's action list in the engine: its rollback and segment steps are decided when it
// fires, in order, and the whole list is handed on (actionsDue) for the runner; a soft trigger's
// list still alerts a person; step outcomes and escalations are decisions the ledger keeps.
#include "PlanFixture.h"
#include "core/Clock.h"
#include "engine/RolloutSession.h"
#include "ledger/EventCodec.h"
#include "metrics/TimeSeriesStore.h"

#include <QJsonObject>
#include <QTest>

using namespace rollout;

namespace {

const QByteArray kPlan = R"(
rollout: action-lists
sources: {sim: {type: simulator}}
backends: {f: {type: flagd_file, path: flags.json}}
flags: [{key: feature, backend: f}]
metrics:
  errors: {source: sim, unit: ratio, interval: 1s, simulate: {signal: gauge, mean: 0.001}}
  latency: {source: sim, unit: s, interval: 1s, simulate: {signal: gauge, mean: 0.2}}
triggers:
  - name: spike
    when: errors > 5%
    for: 10s
    kind: hard
    severity: P0
    actions: [{hold_segment: beta_users}, rollback_to_zero, {escalate: P0, message: page the on-call}]
  - {name: slow, when: latency > 1s, for: 10s, kind: soft, severity: P2, actions: [{escalate: P2}]}
phases:
  - {name: one, traffic: 10%}
  - {name: two, traffic: 50%}
people:
  - {id: rita, roles: [rm]}
)";

struct Harness
{
    ManualClock clock{1'000'000};
    TimeSeriesStore store;
    RolloutSession session;
    QList<RolloutEvent> events;

    Harness() : session(test::loadPlan(kPlan), store, clock)
    {
        QObject::connect(&session, &RolloutSession::eventRecorded, &session,
                         [this](const RolloutEvent& e) { events.append(e); });
    }
    void run(int seconds, double errors, double latency)
    {
        for (int i = 0; i < seconds; ++i) {
            clock.advanceMs(1000);
            store.append(QStringLiteral("errors"), {}, Sample{clock.nowMs(), errors});
            store.append(QStringLiteral("latency"), {}, Sample{clock.nowMs(), latency});
            session.evaluate();
        }
    }
    QList<EventType> types() const
    {
        QList<EventType> out;
        for (const RolloutEvent& e : events)
            out.append(e.type);
        return out;
    }
};

} // namespace

class TestActionLists final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void aHardTriggersListDecidesItsRolloutStepsInOrder()
    {
        Harness h;
        const Actor rita{QStringLiteral("rita"), QStringLiteral("rm")};
        h.run(2, 0.001, 0.2);
        QVERIFY(h.session.advance(rita).ok);
        h.run(2, 0.001, 0.2);
        QVERIFY(h.session.advance(rita).ok);
        QCOMPARE(h.session.currentPhase(), 1);
        QStringList due;
        std::size_t steps = 0;
        QObject::connect(&h.session, &RolloutSession::actionsDue, &h.session,
                         [&](const QString& trigger, const QString& severity, const QString&,
                             const std::vector<ActionStep>& list) {
                             due.append(trigger + QLatin1Char('/') + severity);
                             steps = list.size();
                         });
        h.events.clear();
        h.run(15, 0.30, 0.2);
        QCOMPARE(due, QStringList{QStringLiteral("spike/P0")});
        QCOMPARE(steps, std::size_t(3));
        const QList<EventType> t = h.types();
        const qsizetype fired = t.indexOf(EventType::TriggerFired);
        QVERIFY(fired >= 0);
        // The list's order: the segment first, then the rollback (to zero, not to phase one).
        QCOMPARE(t.indexOf(EventType::SegmentHeld), fired + 1);
        QCOMPARE(t.indexOf(EventType::RolledBack), fired + 2);
        QCOMPARE(h.events[fired + 2].toPhase, -1);
        QCOMPARE(h.events[fired + 2].trigger, QStringLiteral("spike"));
        QVERIFY(h.events[fired + 2].automatic);
        QCOMPARE(h.session.heldSegments(), QStringList{QStringLiteral("beta_users")});
        QCOMPARE(h.session.currentPhase(), -1);
        QVERIFY(!t.contains(EventType::AlertRaised)); // the rollback is the decision
    }

    void aSoftTriggersListStillAlertsAPerson()
    {
        Harness h;
        const Actor rita{QStringLiteral("rita"), QStringLiteral("rm")};
        h.run(2, 0.001, 0.2);
        QVERIFY(h.session.advance(rita).ok);
        QStringList due;
        QObject::connect(&h.session, &RolloutSession::actionsDue, &h.session,
                         [&](const QString& trigger, const QString&, const QString&,
                             const std::vector<ActionStep>&) { due.append(trigger); });
        h.run(15, 0.001, 3.0);
        QCOMPARE(due, QStringList{QStringLiteral("slow")});
        QVERIFY(h.types().contains(EventType::AlertRaised));
        QCOMPARE(h.session.currentPhase(), 0); // nothing rolled back
    }

    void stepsAndEscalationsAreRecordedAndRoundTrip()
    {
        Harness h;
        h.session.recordActionStep(QStringLiteral("spike"),
                                   QStringLiteral("3 of 5: call admin.emergency-stop"),
                                   QStringLiteral("failed"), QStringLiteral("HTTP 500"));
        h.session.recordEscalation(QStringLiteral("spike"), QStringLiteral("P0"),
                                   QStringLiteral("step 3 failed"));
        QCOMPARE(h.events.size(), 2);
        for (const RolloutEvent& e : h.events) {
            QVERIFY(EventCodec::isRecorded(e.type));
            QString problem;
            const auto back = EventCodec::fromRecord(toString(e.type), EventCodec::toPayload(e), e.actor,
                                                     e.role, e.atMs, &problem);
            QVERIFY2(back, qPrintable(problem));
            QCOMPARE(back->step, e.step);
            QCOMPARE(back->outcome, e.outcome);
            QCOMPARE(back->severity, e.severity);
            QCOMPARE(back->trigger, e.trigger);
            QCOMPARE(back->describe(), e.describe());
        }
        QCOMPARE(toString(EventType::Escalated), QStringLiteral("escalated"));
        QVERIFY2(h.events[0].describe().contains(QStringLiteral("FAILED")),
                 qPrintable(h.events[0].describe()));
        QVERIFY2(h.events[1].describe().startsWith(QStringLiteral("ESCALATED P0")),
                 qPrintable(h.events[1].describe()));
        // A step record without its step is refused, not half-read.
        QJsonObject p = EventCodec::toPayload(h.events[0]);
        p.remove(QStringLiteral("step"));
        QString problem;
        QVERIFY(!EventCodec::fromRecord(QStringLiteral("action_step"), p, QStringLiteral("automation"),
                                        QStringLiteral("automation"), 1, &problem));
        QVERIFY(problem.contains(QStringLiteral("action_step")));
    }
};

QTEST_GUILESS_MAIN(TestActionLists)
#include "tst_actionlists.moc"
