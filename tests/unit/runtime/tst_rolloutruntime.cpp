// The runtime judges each poll's answer as it arrives: a hard trigger does not wait for the
// next engine tick (with a 1 s tick and 1 s polls in step, that wait was a whole second).
#include "FakeHttpServer.h"
#include "PlanFixture.h"
#include "core/Clock.h"
#include "runtime/RolloutRuntime.h"

#include <QDateTime>
#include <QTest>

using namespace rollout;
using Reply = test::FakeHttpServer::Reply;

class TestRolloutRuntime final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void aBreachingAnswerIsJudgedWithoutWaitingForTheTick()
    {
        test::FakeHttpServer server([](const QByteArray&, const QByteArray&, const QByteArray&) -> Reply {
            const QByteArray t =
                QByteArray::number(double(QDateTime::currentMSecsSinceEpoch()) / 1000.0, 'f', 3);
            return Reply{
                200,
                R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[)" + t +
                    R"(,"0.08"]}]}})",
                {},
                false,
                false,
                0};
        });
        const Plan plan = test::loadPlan(QString::fromUtf8(R"yaml(
rollout: judged-on-arrival
sources: {prom: {type: prometheus, url: "%1", timeout: 1s}}
backends: {f: {type: flagd_file, path: f.json}}
flags: [{key: k, backend: f}]
metrics:
  error_rate: {source: prom, query: "sum(rate(errors_total[1m])) / sum(rate(requests_total[1m]))", unit: ratio, interval: 1s}
triggers:
  - {name: errors, when: error_rate > 5%, for: 0s, kind: hard, action: rollback}
phases:
  - {name: one, traffic: 1%}
  - {name: two, traffic: 10%}
)yaml")
                                             .arg(server.url())
                                             .toUtf8());
        SystemClock clock;
        RolloutRuntime runtime(plan, clock);
        QVERIFY(runtime.session().advance(Actor{QStringLiteral("rm"), QStringLiteral("rm")}).ok);
        runtime.start(60000); // the tick is a minute away
        QTRY_COMPARE_WITH_TIMEOUT(runtime.session().currentPhase(), -1, 5000);
        runtime.stop();
    }
};

QTEST_GUILESS_MAIN(TestRolloutRuntime)
#include "tst_rolloutruntime.moc"
