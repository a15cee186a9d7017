// The big red button through the whole decision path (prints figures; not a test): a person's
// rollback decided → signed and on disk (the console's writer thread) → Unleash written and read
// back → notified, timed two ways over 200 rounds against the local Unleash
// (ROLLOUT_UNLEASH_URL and ROLLOUT_UNLEASH_ADMIN_TOKEN: scripts/services.sh start):
//   - from outside: from the call until a separate client polling Unleash's admin API (every 2 ms)
//     sees the flag off, as a user with the Unleash UI would;
//   - the engine's own: until the read-back is recorded (FlagsVerified).
// Once with the person's key unlocked, once with it locked (the device key signs).
#include "core/Clock.h"
#include "flags/UnleashFeature.h"
#include "net/HttpClient.h"
#include "plan/PlanLoader.h"
#include "runtime/RolloutAssembly.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTemporaryDir>
#include <QTimer>
#include <QUuid>
#include <algorithm>
#include <cstdio>
#include <vector>

using namespace rollout;

namespace {

double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, std::size_t(p * double(v.size() - 1) + 0.5))];
}

HttpResponse exchange(const QByteArray& method, const QString& url, const QByteArray& body = {})
{
    HttpClient http;
    HttpRequest req;
    req.method = method;
    req.url = QUrl(url);
    req.body = body;
    req.headers = {{"Authorization", qgetenv("ROLLOUT_UNLEASH_ADMIN_TOKEN")},
                   {"Content-Type", "application/json"}};
    QEventLoop loop;
    HttpResponse out;
    http.send(req, &loop, [&](const HttpResponse& r) {
        out = r;
        loop.quit();
    });
    loop.exec();
    return out;
}

void run(const QString& unleash, bool keyUnlocked, int rounds)
{
    const Ed25519::KeyPair sam = Ed25519::generate();
    const QString flag =
        QStringLiteral("bench-path-%1").arg(QUuid::createUuid().toString(QUuid::Id128).left(8));
    exchange("POST", unleash + QStringLiteral("/api/admin/projects/default/features"),
             QStringLiteral("{\"name\":\"%1\",\"type\":\"release\"}").arg(flag).toUtf8());
    const QByteArray yaml = QStringLiteral("rollout: %1\n"
                                           "environment: development\n"
                                           "sources: {sim: {type: simulator}}\n"
                                           "backends: {unleash: {type: unleash, url: \"%2\", token_env: "
                                           "ROLLOUT_UNLEASH_ADMIN_TOKEN, project: default}}\n"
                                           "flags: [{key: %1, backend: unleash, stickiness: userId}]\n"
                                           "metrics:\n  error_rate: {source: sim, unit: ratio, interval: 1s, "
                                           "simulate: {signal: error_ratio}}\n"
                                           "override_roles: [sre]\n"
                                           "retry_after_rollback: 0s\n"
                                           "phases:\n  - {name: half, traffic: 50%}\n"
                                           "people:\n  - {id: sam, roles: [sre], key: \"%3\"}\n")
                                .arg(flag, unleash, Ed25519::encodePublicKey(sam.publicKey))
                                .toUtf8();
    PlanLoadResult loaded = PlanLoader::loadBytes(yaml, QStringLiteral("bench.yaml"));
    if (!loaded.plan) {
        std::printf("plan: %s\n", qPrintable(loaded.errors.first().toString()));
        return;
    }
    QTemporaryDir dir;
    SystemClock clock;
    RolloutAssembly::Options o;
    o.ledgerPath = dir.filePath(QStringLiteral("ledger.sqlite"));
    o.backgroundWriter = true; // as the console
    o.autoStart = false;
    o.notify = false;
    o.deviceKeyDirectory = dir.filePath(QStringLiteral("keys"));
    o.addKeys = [&](LedgerRecorder& r) { r.addKey(QStringLiteral("sam"), sam); };
    QString problem;
    auto assembly = RolloutAssembly::build(std::move(*loaded.plan), clock, std::move(o), &problem);
    if (!assembly) {
        std::printf("assembly: %s\n", qPrintable(problem));
        return;
    }
    RolloutRuntime& runtime = assembly->runtime();
    RolloutSession& session = runtime.session();
    runtime.start(3'600'000);
    const Actor person{QStringLiteral("sam"), QStringLiteral("sre")};
    auto settle = [&](int timeoutMs) {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < timeoutMs &&
               !(runtime.decisions().settled() && runtime.flags()->idle() && session.flagsApplied()))
            QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    };
    auto offOutside = [&] {
        const HttpResponse r =
            exchange("GET", unleash + QStringLiteral("/api/admin/projects/default/features/") + flag);
        QString why;
        const auto f = UnleashFeature::parse(r.body, QStringLiteral("development"), &why);
        return f && !f->state().setting().enabled;
    };
    std::vector<double> outside, engine;
    int notOff = 0;
    for (int i = 0; i < rounds; ++i) {
        // Up again (not timed): with the key, an override by sam.
        runtime.recorder()->addKey(QStringLiteral("sam"), sam);
        if (!session.overridePhase(person, 0, QStringLiteral("bench: up again")).ok) break;
        settle(10000);
        if (!keyUnlocked) runtime.recorder()->removeKey(QStringLiteral("sam")); // locked again
        bool verified = false;
        QMetaObject::Connection c =
            QObject::connect(&runtime, &RolloutRuntime::eventAppended, &runtime, [&](const RolloutEvent& e) {
                if (e.type == EventType::FlagsVerified) verified = true;
            });
        QElapsedTimer t;
        t.start();
        session.rollback(person, QStringLiteral("bench"), true);
        qint64 seenOff = -1, recordedMs = -1;
        while (t.elapsed() < 10000 && (seenOff < 0 || recordedMs < 0)) {
            if (seenOff < 0 && offOutside()) seenOff = t.nsecsElapsed();
            if (recordedMs < 0 && verified) recordedMs = t.nsecsElapsed();
            QCoreApplication::processEvents(QEventLoop::AllEvents, 2);
        }
        QObject::disconnect(c);
        if (seenOff < 0)
            ++notOff;
        else
            outside.push_back(double(seenOff) / 1e6);
        if (recordedMs >= 0) engine.push_back(double(recordedMs) / 1e6);
        settle(10000);
    }
    runtime.stop();
    if (outside.empty() || engine.empty()) {
        std::printf("%s: no measurement (%d not off)\n", keyUnlocked ? "key unlocked" : "key locked", notOff);
        return;
    }
    std::printf("rollback, person's key %-8s  flag off seen from outside: p50 %6.1f ms  p99 %6.1f ms   "
                "read-back recorded: p50 %6.1f ms  p99 %6.1f ms   (%zu rounds, %d never seen off)\n",
                keyUnlocked ? "unlocked" : "locked", percentile(outside, 0.5), percentile(outside, 0.99),
                percentile(engine, 0.5), percentile(engine, 0.99), outside.size(), notOff);
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const QString url = qEnvironmentVariable("ROLLOUT_UNLEASH_URL");
    if (url.isEmpty() || qEnvironmentVariableIsEmpty("ROLLOUT_UNLEASH_ADMIN_TOKEN")) {
        std::printf(
            "skipped: set ROLLOUT_UNLEASH_URL and ROLLOUT_UNLEASH_ADMIN_TOKEN (scripts/services.sh start)\n");
        return 0;
    }
    const int rounds = argc > 1 ? std::max(1, QString::fromLocal8Bit(argv[1]).toInt()) : 200;
    run(url, true, rounds);
    run(url, false, rounds);
    return 0;
}
