// Watch benchmark (prints figures; not a test). Side by side against the same Prometheus and the
// same injected canary error spike (the closed-loop simulator scripts/services.sh starts):
//  - rolloutctl watch: spike → hard trigger (error_rate > 5% for 5s) → rollback through Unleash,
//    verified by reading back (the flags_verified record's time in the ledger);
//  - Prometheus' own alerting rule LoopCanaryErrorRateCritical (the same expression, for: 5s,
//    evaluated every 1 s): spike → state "firing" in /api/v1/alerts.
// Needs ROLLOUT_PROMETHEUS_URL, ROLLOUT_UNLEASH_URL, ROLLOUT_UNLEASH_ADMIN_TOKEN,
// ROLLOUT_LOOP_SIMULATOR_URL, ROLLOUT_LOOP_FLAG (scripts/services.sh start; source its env).
#include "core/Clock.h"
#include "flags/FlagBackendSet.h"
#include "ledger/KeyStore.h"
#include "ledger/LedgerRecorder.h"
#include "metrics/TimeSeriesStore.h"
#include "net/HttpClient.h"
#include "plan/PlanLoader.h"
#include "runtime/FlagSync.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDateTime>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTimer>
#include <QUuid>

#include <cstdio>
#include <sodium.h>

using namespace rollout;

namespace {

QString env(const char* n) { return qEnvironmentVariable(n); }

HttpResponse exchange(const QByteArray& method, const QString& url, const QByteArray& body = {}, const QByteArray& auth = {})
{
    HttpClient http;
    HttpRequest req;
    req.method = method;
    req.url = QUrl(url);
    req.body = body;
    if (!auth.isEmpty()) req.headers.append({QByteArrayLiteral("Authorization"), auth});
    if (!body.isEmpty()) req.headers.append({QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")});
    QEventLoop loop;
    HttpResponse out;
    http.send(req, &loop, [&](const HttpResponse& r) {
        out = r;
        loop.quit();
    });
    loop.exec();
    return out;
}

bool alertFiring(const QString& prom)
{
    const HttpResponse r = exchange("GET", prom + QStringLiteral("/api/v1/alerts"));
    for (const QJsonValue& a : QJsonDocument::fromJson(r.body).object().value(QStringLiteral("data")).toObject().value(QStringLiteral("alerts")).toArray())
        if (a.toObject().value(QStringLiteral("labels")).toObject().value(QStringLiteral("alertname")).toString() == QLatin1String("LoopCanaryErrorRateCritical")
            && a.toObject().value(QStringLiteral("state")).toString() == QLatin1String("firing"))
            return true;
    return false;
}

void pump(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const QString prom = env("ROLLOUT_PROMETHEUS_URL"), unleash = env("ROLLOUT_UNLEASH_URL"), sim = env("ROLLOUT_LOOP_SIMULATOR_URL"),
                  flag = env("ROLLOUT_LOOP_FLAG");
    if (prom.isEmpty() || unleash.isEmpty() || sim.isEmpty() || flag.isEmpty()) {
        std::printf("bench_watch: skipped (start the servers: scripts/services.sh start; source its env)\n");
        return 0;
    }
    if (!Ed25519::initialize()) return 1;
    QTemporaryDir dir;
    KeyStore keys(dir.filePath(QStringLiteral("keys")));
    keys.setLimits(crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
    QString problem;
    keys.create(QStringLiteral("automation"), QStringLiteral("automation"), "bench", &problem);
    const Ed25519::KeyPair rm = *Ed25519::fromSeed(QCryptographicHash::hash("bench rm", QCryptographicHash::Sha256));
    const QString planPath = dir.filePath(QStringLiteral("plan.yaml"));
    const QByteArray yaml = QStringLiteral(
                                "rollout: bench-watch-%1\nenvironment: development\n"
                                "sources: {prom: {type: prometheus, url: \"%2\", timeout: 5s}}\n"
                                "backends: {unleash: {type: unleash, url: \"%3\", token_env: ROLLOUT_UNLEASH_ADMIN_TOKEN, project: default}}\n"
                                "flags: [{key: %4, backend: unleash}]\n"
                                "metrics:\n  error_rate:\n    source: prom\n    unit: ratio\n    interval: 1s\n    canary: {cohort: canary}\n"
                                "    query: sum by (cohort) (rate(loop_errors_total[10s])) / sum by (cohort) (rate(loop_requests_total[10s]))\n"
                                "triggers:\n  - {name: error rate critical, when: error_rate > 5%, for: 5s, kind: hard, action: rollback}\n"
                                "phases:\n  - {name: half, traffic: 50%}\n  - {name: all, traffic: 100%}\n"
                                "people:\n  - {id: rm, roles: [rm], key: \"%5\"}\n  - {id: automation, roles: [automation], key: \"%6\"}\n")
                                .arg(QUuid::createUuid().toString(QUuid::Id128).left(8), prom, unleash, flag, Ed25519::encodePublicKey(rm.publicKey),
                                     keys.info(QStringLiteral("automation"), &problem)->publicKey)
                                .toUtf8();
    QFile f(planPath);
    f.open(QIODevice::WriteOnly);
    f.write(yaml);
    f.close();
    const Plan plan = *PlanLoader::loadBytes(yaml, planPath).plan;
    exchange("POST", unleash + QStringLiteral("/api/admin/projects/default/features"), QStringLiteral("{\"name\":\"%1\",\"type\":\"release\"}").arg(flag).toUtf8(),
             qgetenv("ROLLOUT_UNLEASH_ADMIN_TOKEN"));
    exchange("POST", sim + QStringLiteral("/-/clear"));

    // Start the rollout at 50% (signed by rm), as a console would.
    const QString db = dir.filePath(QStringLiteral("ledger.sqlite"));
    {
        SystemClock clock;
        TimeSeriesStore samples;
        RolloutSession session(plan, samples, clock);
        auto ledger = LocalLedger::open(db, clock, &problem);
        LedgerRecorder recorder(session, *ledger);
        recorder.addKey(QStringLiteral("rm"), rm);
        FlagSync flags(session, *FlagBackendSet::fromPlan(plan, &problem));
        bool done = false;
        QObject::connect(&flags, &FlagSync::operationFinished, &flags, [&] { done = true; });
        session.advance(Actor{QStringLiteral("rm"), QStringLiteral("rm")});
        while (!done) pump(20);
    }
    QProcess watch;
    QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
    e.insert(QStringLiteral("ROLLOUT_BENCH_PASS"), QStringLiteral("bench"));
    e.remove(QStringLiteral("ROLLOUT_PG_HOST"));   // the shared store is not what is measured
    watch.setProcessEnvironment(e);
    watch.start(QCoreApplication::applicationDirPath() + QStringLiteral("/../app/rolloutctl"),
                {QStringLiteral("watch"), planPath, QStringLiteral("--db"), db, QStringLiteral("--keys-dir"), dir.filePath(QStringLiteral("keys")),
                 QStringLiteral("--passphrase-env"), QStringLiteral("ROLLOUT_BENCH_PASS"), QStringLiteral("--tick"), QStringLiteral("250")});
    QByteArray out;
    while (!out.contains("watching") && watch.state() != QProcess::NotRunning) {
        pump(50);
        out += watch.readAllStandardOutput();
    }
    pump(15000);   // let the canary's 10 s rate window fill with traffic at 50%
    const qint64 spikeMs = QDateTime::currentMSecsSinceEpoch();
    exchange("POST", sim + QStringLiteral("/-/fault?spec=canary-error-spike@0s"));
    qint64 promMs = 0;
    QElapsedTimer limit;
    limit.start();
    while ((!promMs || watch.state() != QProcess::NotRunning) && limit.elapsed() < 120000) {
        if (!promMs && alertFiring(prom)) promMs = QDateTime::currentMSecsSinceEpoch();
        pump(100);
    }
    exchange("POST", sim + QStringLiteral("/-/clear"));
    qint64 watchMs = 0;
    SystemClock clock;
    auto ledger = LocalLedger::open(db, clock, &problem);
    for (const LedgerRecord& r : ledger->records(plan.rollout))
        if (r.type == QLatin1String("flags_verified") && r.timestampMs > spikeMs && !watchMs) watchMs = r.timestampMs;
    std::printf("== watch vs Prometheus alerting (same Prometheus, same spike, error_rate > 5%% for 5s, 1 s scrape/evaluation) ==\n");
    std::printf("spike → rolloutctl watch rolled back, verified in Unleash: %s\n",
                watchMs ? qPrintable(QStringLiteral("%1 s").arg(double(watchMs - spikeMs) / 1000.0, 0, 'f', 1)) : "did not happen");
    std::printf("spike → Prometheus alert LoopCanaryErrorRateCritical firing: %s\n",
                promMs ? qPrintable(QStringLiteral("%1 s").arg(double(promMs - spikeMs) / 1000.0, 0, 'f', 1)) : "did not fire");
    std::printf("(watch exit code %d)\n", watch.exitCode());
    return 0;
}
