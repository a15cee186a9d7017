// Other environments' flags (seed 002): the development and staging sets are written when the
// rollout starts, through the same runner as the production flags, and read back; a flag that
// does not read back is recorded as failed and escalated. And a flag's own cohort in a phase
// (seed 001) reaches the flag service, read back with it.
#include "FakeFlagBackend.h"
#include "PlanFixture.h"
#include "core/Clock.h"
#include "metrics/TimeSeriesStore.h"
#include "runtime/FlagSync.h"

#include <QSignalSpy>
#include <QTest>

using namespace rollout;
using test::FakeFlagBackend;

namespace {

const QByteArray kPlan = R"(
rollout: environments
environments: [production, staging, development]
sources: {sim: {type: simulator}}
backends: {u: {type: unleash, url: UNLEASH_URL, token_env: T}}
flags:
  - {key: arch, backend: u, environments: {development: on, staging: 50%}}
  - {key: verbose, backend: u, environments: {development: on, staging: off}}
  - {key: llm, backend: u}
metrics:
  error_rate: {source: sim, unit: ratio, interval: 1s, simulate: {signal: error_ratio}}
phases:
  - {name: devs, traffic: 20%, cohort: {roles: [admin, pm, developer]}, cohorts: {llm: {roles: [admin]}}}
  - {name: all, traffic: 100%}
)";

// The URL is put in here: moc reads two slashes inside a raw string as a comment and loses the class.
Plan plan()
{
    QByteArray text = kPlan;
    text.replace("UNLEASH_URL", QByteArrayLiteral("http:") + QByteArrayLiteral("//127.0.0.1:1"));
    return test::loadPlan(text);
}

const Actor kRm{QStringLiteral("rm"), QStringLiteral("rm")};

struct Harness
{
    ManualClock clock{1'000'000};
    TimeSeriesStore store;
    RolloutSession session{plan(), store, clock};
    QMap<QString, FakeFlagBackend*> fakes; // environment → its service
    std::unique_ptr<FlagSync> sync;
    QList<RolloutEvent> events;

    static FlagBackendSet fakeSet(const QString& env, QMap<QString, FakeFlagBackend*>& fakes,
                                  const QStringList& flags)
    {
        FlagBackendSet set;
        auto b = std::make_unique<FakeFlagBackend>(QStringLiteral("u"));
        b->setDelayMs(10);
        fakes.insert(env, b.get());
        set.add(std::move(b));
        for (const QString& f : flags)
            set.assign(f, QStringLiteral("u"));
        return set;
    }

    Harness()
    {
        sync = std::make_unique<FlagSync>(
            session, fakeSet(QStringLiteral("production"), fakes,
                             {QStringLiteral("arch"), QStringLiteral("verbose"), QStringLiteral("llm")}));
        sync->setDeadlineMs(500);
        for (const QString& env : {QStringLiteral("staging"), QStringLiteral("development")})
            sync->addEnvironment(env,
                                 fakeSet(env, fakes, {QStringLiteral("arch"), QStringLiteral("verbose")}));
        QObject::connect(&session, &RolloutSession::eventRecorded, &session,
                         [this](const RolloutEvent& e) { events.append(e); });
    }
    QList<RolloutEvent> of(EventType t) const
    {
        QList<RolloutEvent> out;
        for (const RolloutEvent& e : events)
            if (e.type == t) out.append(e);
        return out;
    }
};

} // namespace

class TestEnvironmentFlags final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void theOtherEnvironmentsAreSetWhenTheRolloutStartsAndReadBack()
    {
        Harness h;
        QSignalSpy done(h.sync.get(), &FlagSync::environmentFinished);
        QVERIFY(h.session.advance(kRm).ok);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 2, 5000);
        const FakeFlagBackend* staging = h.fakes.value(QStringLiteral("staging"));
        const FakeFlagBackend* dev = h.fakes.value(QStringLiteral("development"));
        QVERIFY(staging->state(QStringLiteral("arch")).matches(FlagSetting{true, 50.0}));
        QVERIFY(!staging->state(QStringLiteral("verbose")).enabled);
        QVERIFY(dev->state(QStringLiteral("arch")).matches(FlagSetting{true, 100.0}));
        QVERIFY(dev->state(QStringLiteral("verbose")).matches(FlagSetting{true, 100.0}));
        QCOMPARE(staging->calls(QStringLiteral("llm")), 0); // no fixed setting there: untouched
        const QList<RolloutEvent> steps = h.of(EventType::ActionStepDone);
        QCOMPARE(steps.size(), 2);
        for (const RolloutEvent& e : steps) {
            QCOMPARE(e.outcome, QStringLiteral("verified"));
            QVERIFY2(e.step.startsWith(QStringLiteral("environment ")), qPrintable(e.step));
            QVERIFY2(e.reason.contains(QStringLiteral("2 of 2")), qPrintable(e.reason));
        }
        QVERIFY(h.of(EventType::Escalated).isEmpty());
        // Only when the rollout starts: the next phase leaves them alone.
        QTRY_VERIFY_WITH_TIMEOUT(h.sync->idle(), 5000);
        const int before = staging->calls(QStringLiteral("arch"));
        QVERIFY(h.session.advance(kRm).ok);
        QTRY_VERIFY_WITH_TIMEOUT(h.sync->idle() && h.session.flagsApplied(), 5000);
        QCOMPARE(staging->calls(QStringLiteral("arch")), before);
    }

    void aFlagThatDoesNotReadBackIsEscalated()
    {
        Harness h;
        h.fakes.value(QStringLiteral("staging"))
            ->script(QStringLiteral("arch"), {FakeFlagBackend::Fault::Permanent});
        QSignalSpy done(h.sync.get(), &FlagSync::environmentFinished);
        h.sync->applyEnvironments(QStringLiteral("by hand"));
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 2, 5000);
        QStringList outcomes;
        for (const RolloutEvent& e : h.of(EventType::ActionStepDone))
            outcomes.append(e.step.section(QLatin1Char(' '), 1, 1) + QLatin1Char('=') + e.outcome);
        outcomes.sort();
        QCOMPARE(outcomes,
                 (QStringList{QStringLiteral("development=verified"), QStringLiteral("staging=failed")}));
        const QList<RolloutEvent> esc = h.of(EventType::Escalated);
        QCOMPARE(esc.size(), 1);
        QVERIFY2(esc[0].reason.contains(QStringLiteral("environment staging")), qPrintable(esc[0].reason));
    }

    void aFlagsOwnCohortIsWrittenAndReadBack()
    {
        Harness h;
        QVERIFY(h.session.advance(kRm).ok);
        QTRY_VERIFY_WITH_TIMEOUT(h.sync->idle() && h.session.flagsApplied(), 5000);
        const FakeFlagBackend* prod = h.fakes.value(QStringLiteral("production"));
        QCOMPARE(prod->state(QStringLiteral("llm")).audience, QStringList{QStringLiteral("admin")});
        QCOMPARE(prod->state(QStringLiteral("llm")).audienceContext, QStringLiteral("role"));
        QCOMPARE(prod->state(QStringLiteral("arch")).audience.size(), 3);
        // Someone opens llm to everyone behind the rollout's back: that is drift, not a match.
        FlagState opened = prod->state(QStringLiteral("llm"));
        opened.audience.clear();
        h.fakes.value(QStringLiteral("production"))->setState(QStringLiteral("llm"), opened);
        QVERIFY(!opened.matches(h.session.currentFlags().value(QStringLiteral("llm"))));
        QSignalSpy read(h.sync.get(), &FlagSync::readFinished);
        h.sync->readAll();
        QTRY_VERIFY_WITH_TIMEOUT(h.session.drifting(), 5000);
        QVERIFY2(h.session.driftSummary().contains(QStringLiteral("llm")),
                 qPrintable(h.session.driftSummary()));
    }
};

QTEST_GUILESS_MAIN(TestEnvironmentFlags)
#include "tst_environmentflags.moc"
