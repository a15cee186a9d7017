// Watch benchmark (prints figures; not a test), measured from outside the watch process. Side by
// side against the same Prometheus and the same injected canary error spike (the closed-loop
// simulator scripts/services.sh starts), over N runs (bench_watch [N], default 3):
//  - Prometheus' own alerting rule LoopCanaryErrorRateCritical (error_rate > 5% for 5s, evaluated
//    every 1 s): spike → state "firing" in /api/v1/alerts;
//  - rolloutctl watch (default tick) with the same expression as a hard trigger: spike → the flag
//    switched off as Unleash's Admin API reads it (GET …/features/KEY, polled here, not our
//    ledger), and as SDKs see it (the client API /api/client/features, which Unleash caches per
//    revision, refreshed about once a second);
//  - when the rule's condition first became true: a query_range of the rule's own expression at a
//    0.1 s step, so each side's "held for" (firing − first true) can be read.
// Needs ROLLOUT_PROMETHEUS_URL, ROLLOUT_UNLEASH_URL, ROLLOUT_UNLEASH_ADMIN_TOKEN,
// ROLLOUT_UNLEASH_CLIENT_TOKEN, ROLLOUT_LOOP_SIMULATOR_URL, ROLLOUT_LOOP_FLAG (scripts/services.sh
// start; source its env). ROLLOUTCTL names the rolloutctl to run (default: the one built beside);
// ROLLOUT_BENCH_KEEP=DIR keeps each watch's log (ms timestamps) there.
#include "core/Clock.h"
#include "flags/FlagBackendSet.h"
#include "flags/UnleashFeature.h"
#include "ledger/KeyStore.h"
#include "ledger/LedgerRecorder.h"
#include "metrics/TimeSeriesStore.h"
#include "net/HttpClient.h"
#include "plan/PlanLoader.h"
#include "runtime/FlagSync.h"
#include "sim/UnleashShare.h"

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
#include <QUrlQuery>
#include <QUuid>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sodium.h>

using namespace rollout;

namespace {

const QString kRule = QStringLiteral("LoopCanaryErrorRateCritical");

QString env(const char* n)
{
    return qEnvironmentVariable(n);
}

HttpResponse exchange(const QByteArray& method, const QString& url, const QByteArray& body = {},
                      const QByteArray& auth = {})
{
    HttpClient http;
    HttpRequest req;
    req.method = method;
    req.url = QUrl(url);
    req.body = body;
    req.timeoutMs = 5000;
    if (!auth.isEmpty()) req.headers.append({QByteArrayLiteral("Authorization"), auth});
    if (!body.isEmpty())
        req.headers.append({QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")});
    QEventLoop loop;
    HttpResponse out;
    http.send(req, &loop, [&](const HttpResponse& r) {
        out = r;
        loop.quit();
    });
    loop.exec();
    return out;
}

QJsonObject json(const HttpResponse& r)
{
    return QJsonDocument::fromJson(r.body).object();
}

void pump(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

// The rule's alert, if Prometheus holds one (pending or firing).
struct AlertState
{
    QString state; // "", "pending", "firing"
    qint64 activeAtMs = 0;
};

AlertState alert(const QString& prom)
{
    for (const QJsonValue& a : json(exchange("GET", prom + QStringLiteral("/api/v1/alerts")))
                                   .value(QStringLiteral("data"))
                                   .toObject()
                                   .value(QStringLiteral("alerts"))
                                   .toArray()) {
        const QJsonObject o = a.toObject();
        if (o.value(QStringLiteral("labels")).toObject().value(QStringLiteral("alertname")).toString() !=
            kRule)
            continue;
        const QDateTime at =
            QDateTime::fromString(o.value(QStringLiteral("activeAt")).toString(), Qt::ISODateWithMs);
        return AlertState{o.value(QStringLiteral("state")).toString(),
                          at.isValid() ? at.toMSecsSinceEpoch() : 0};
    }
    return {};
}

// The rule's expression and `for`, as Prometheus loaded them (so the two can never drift apart).
bool ruleOf(const QString& prom, QString* expr, double* forSeconds)
{
    for (const QJsonValue& g : json(exchange("GET", prom + QStringLiteral("/api/v1/rules")))
                                   .value(QStringLiteral("data"))
                                   .toObject()
                                   .value(QStringLiteral("groups"))
                                   .toArray())
        for (const QJsonValue& r : g.toObject().value(QStringLiteral("rules")).toArray())
            if (r.toObject().value(QStringLiteral("name")).toString() == kRule) {
                *expr = r.toObject().value(QStringLiteral("query")).toString();
                *forSeconds = r.toObject().value(QStringLiteral("duration")).toDouble();
                return true;
            }
    return false;
}

// The start of the run of true points of `expr` (evaluated every 0.1 s) that lasts until `toMs`.
qint64 conditionTrueSince(const QString& prom, const QString& expr, qint64 fromMs, qint64 toMs)
{
    QUrlQuery q;
    q.addQueryItem(QStringLiteral("query"), QString::fromLatin1(QUrl::toPercentEncoding(expr)));
    q.addQueryItem(QStringLiteral("start"), QString::number(double(fromMs) / 1000.0, 'f', 3));
    q.addQueryItem(QStringLiteral("end"), QString::number(double(toMs) / 1000.0, 'f', 3));
    q.addQueryItem(QStringLiteral("step"), QStringLiteral("0.1"));
    const QJsonArray result =
        json(exchange("GET", prom + QStringLiteral("/api/v1/query_range?") + q.query(QUrl::FullyEncoded)))
            .value(QStringLiteral("data"))
            .toObject()
            .value(QStringLiteral("result"))
            .toArray();
    if (result.isEmpty()) return 0;
    // A comparison filters: a point exists exactly where the condition was true.
    qint64 since = 0, previous = 0;
    for (const QJsonValue& p : result.first().toObject().value(QStringLiteral("values")).toArray()) {
        const qint64 t = qint64(std::llround(p.toArray().at(0).toDouble() * 1000.0));
        if (!since || t - previous > 150) since = t; // a gap: the condition was false in between
        previous = t;
    }
    return since;
}

// Whether the flag is off in the environment as the Admin API reads it; nullopt when unreadable.
std::optional<bool> adminOff(const QString& unleash, const QString& flag)
{
    const HttpResponse r =
        exchange("GET", unleash + QStringLiteral("/api/admin/projects/default/features/") + flag, {},
                 qgetenv("ROLLOUT_UNLEASH_ADMIN_TOKEN"));
    QString problem;
    const auto f =
        r.success() ? UnleashFeature::parse(r.body, QStringLiteral("development"), &problem) : std::nullopt;
    if (!f) return std::nullopt;
    return !f->enabled || (!f->strategyId.isEmpty() && f->rollout == 0.0);
}

// Whether SDKs are told the flag is off (the all-features client API an SDK polls).
std::optional<bool> sdkOff(const QString& unleash, const QString& flag)
{
    const HttpResponse r = exchange("GET", unleash + QStringLiteral("/api/client/features"), {},
                                    qgetenv("ROLLOUT_UNLEASH_CLIENT_TOKEN"));
    if (!r.success()) return std::nullopt;
    for (const QJsonValue& f : json(r).value(QStringLiteral("features")).toArray())
        if (f.toObject().value(QStringLiteral("name")).toString() == flag) {
            const UnleashShareResult s =
                UnleashShare::parse(QJsonDocument(f.toObject()).toJson(QJsonDocument::Compact));
            if (!s.ok()) return std::nullopt;
            return s.percent == 0.0;
        }
    return true; // not served at all: off
}

struct Run
{
    qint64 conditionMs = 0; // each relative to the spike; 0: did not happen
    qint64 activeAtMs = 0;
    qint64 promMs = 0;
    qint64 adminMs = 0;
    qint64 sdkMs = 0;
    int exitCode = -1;
};

QString secs(qint64 ms)
{
    return ms ? QStringLiteral("%1 s").arg(double(ms) / 1000.0, 0, 'f', 2) : QStringLiteral("-");
}

double percentile(QList<qint64> v, double p)
{
    std::sort(v.begin(), v.end());
    if (v.isEmpty()) return std::nan("");
    const double rank = p * double(v.size() - 1);
    const auto lo = qsizetype(std::floor(rank)), hi = qsizetype(std::ceil(rank));
    return (double(v[lo]) + (double(v[hi]) - double(v[lo])) * (rank - double(lo))) / 1000.0;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const QString prom = env("ROLLOUT_PROMETHEUS_URL"), unleash = env("ROLLOUT_UNLEASH_URL"),
                  sim = env("ROLLOUT_LOOP_SIMULATOR_URL"), flag = env("ROLLOUT_LOOP_FLAG");
    if (prom.isEmpty() || unleash.isEmpty() || sim.isEmpty() || flag.isEmpty()) {
        std::printf("bench_watch: skipped (start the servers: scripts/services.sh start; source its env)\n");
        return 0;
    }
    const int runs = argc > 1 ? std::max(1, QString::fromLocal8Bit(argv[1]).toInt()) : 3;
    const QString ctl = env("ROLLOUTCTL").isEmpty()
                            ? QCoreApplication::applicationDirPath() + QStringLiteral("/../app/rolloutctl")
                            : env("ROLLOUTCTL");
    QString ruleExpr;
    double ruleFor = 0;
    if (!ruleOf(prom, &ruleExpr, &ruleFor)) {
        std::printf("bench_watch: Prometheus has no rule %s\n", qPrintable(kRule));
        return 1;
    }
    if (!Ed25519::initialize()) return 1;
    QTemporaryDir dir;
    KeyStore keys(dir.filePath(QStringLiteral("keys")));
    keys.setLimits(crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
    QString problem;
    keys.create(QStringLiteral("automation"), QStringLiteral("automation"), "bench", &problem);
    const Ed25519::KeyPair rm =
        *Ed25519::fromSeed(QCryptographicHash::hash("bench rm", QCryptographicHash::Sha256));
    exchange("POST", unleash + QStringLiteral("/api/admin/projects/default/features"),
             QStringLiteral("{\"name\":\"%1\",\"type\":\"release\"}").arg(flag).toUtf8(),
             qgetenv("ROLLOUT_UNLEASH_ADMIN_TOKEN"));

    std::printf("== spike -> rollback, measured from outside: rolloutctl watch vs Prometheus' rule %s ==\n",
                qPrintable(kRule));
    std::printf("rule: %s for %gs (1 s scrape and evaluation); watch: the same as a hard trigger, metric "
                "polled every 1 s\n",
                qPrintable(ruleExpr), ruleFor);
    std::printf(
        "times from the spike; \"held\" from when the condition first became true (query_range at 0.1 s)\n");
    QList<Run> done;
    for (int n = 1; n <= runs; ++n) {
        exchange("POST", sim + QStringLiteral("/-/clear"));
        // The last run's alert must be gone (the canary at 0% makes the expression empty).
        QElapsedTimer wait;
        wait.start();
        while (!alert(prom).state.isEmpty() && wait.elapsed() < 60000)
            pump(250);

        const QString planPath = dir.filePath(QStringLiteral("plan-%1.yaml").arg(n));
        const QByteArray yaml =
            QStringLiteral("rollout: bench-watch-%1\nenvironment: development\n"
                           "sources: {prom: {type: prometheus, url: \"%2\", timeout: 5s}}\n"
                           "backends: {unleash: {type: unleash, url: \"%3\", token_env: "
                           "ROLLOUT_UNLEASH_ADMIN_TOKEN, project: default}}\n"
                           "flags: [{key: %4, backend: unleash}]\n"
                           "metrics:\n  error_rate:\n    source: prom\n    unit: ratio\n    interval: 1s\n   "
                           " canary: {cohort: canary}\n"
                           "    query: sum by (cohort) (rate(loop_errors_total[10s])) / sum by (cohort) "
                           "(rate(loop_requests_total[10s]))\n"
                           "triggers:\n  - {name: error rate critical, when: error_rate > 5%, for: 5s, kind: "
                           "hard, action: rollback}\n"
                           "phases:\n  - {name: half, traffic: 50%}\n  - {name: all, traffic: 100%}\n"
                           "people:\n  - {id: rm, roles: [rm], key: \"%5\"}\n  - {id: automation, roles: "
                           "[automation], key: \"%6\"}\n")
                .arg(QUuid::createUuid().toString(QUuid::Id128).left(8), prom, unleash, flag,
                     Ed25519::encodePublicKey(rm.publicKey),
                     keys.info(QStringLiteral("automation"), &problem)->publicKey)
                .toUtf8();
        QFile f(planPath);
        f.open(QIODevice::WriteOnly);
        f.write(yaml);
        f.close();
        const Plan plan = *PlanLoader::loadBytes(yaml, planPath).plan;

        // Start the rollout at 50% (signed by rm), as a console would.
        const QString db = dir.filePath(QStringLiteral("ledger-%1.sqlite").arg(n));
        {
            SystemClock clock;
            TimeSeriesStore samples;
            RolloutSession session(plan, samples, clock);
            auto ledger = LocalLedger::open(db, clock, &problem);
            LedgerRecorder recorder(session, *ledger);
            recorder.addKey(QStringLiteral("rm"), rm);
            FlagSync flags(session, *FlagBackendSet::fromPlan(plan, &problem));
            bool started = false;
            QObject::connect(&flags, &FlagSync::operationFinished, &flags, [&] { started = true; });
            session.advance(Actor{QStringLiteral("rm"), QStringLiteral("rm")});
            while (!started)
                pump(20);
        }
        QProcess watch;
        QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
        e.insert(QStringLiteral("ROLLOUT_BENCH_PASS"), QStringLiteral("bench"));
        e.insert(QStringLiteral("XDG_STATE_HOME"),
                 dir.filePath(QStringLiteral("state-%1").arg(n))); // the watch's log, with ms
        e.remove(QStringLiteral("ROLLOUT_PG_HOST"));               // the shared store is not what is measured
        watch.setProcessEnvironment(e);
        watch.setProcessChannelMode(QProcess::MergedChannels);
        // The default tick (1 s), as a user runs it.
        watch.start(ctl, {QStringLiteral("watch"), planPath, QStringLiteral("--db"), db,
                          QStringLiteral("--keys-dir"), dir.filePath(QStringLiteral("keys")),
                          QStringLiteral("--passphrase-env"), QStringLiteral("ROLLOUT_BENCH_PASS")});
        QByteArray out;
        while (!out.contains("watching") && watch.state() != QProcess::NotRunning) {
            pump(50);
            out += watch.readAll();
        }
        pump(15000); // let the canary's 10 s rate window fill with traffic at 50%
        out += watch.readAll();
        if (watch.state() == QProcess::NotRunning || !alert(prom).state.isEmpty()) {
            std::printf("run %d: not measured (watch %s, alert %s)\n%s\n", n,
                        watch.state() == QProcess::NotRunning ? "exited" : "running",
                        qPrintable(alert(prom).state), out.constData());
            continue;
        }

        const qint64 spikeMs = QDateTime::currentMSecsSinceEpoch();
        exchange("POST", sim + QStringLiteral("/-/fault?spec=canary-error-spike@0s"));
        Run r;
        QElapsedTimer limit;
        limit.start();
        while ((!r.promMs || !r.adminMs || !r.sdkMs) && limit.elapsed() < 90000) {
            const qint64 before = QDateTime::currentMSecsSinceEpoch();
            if (!r.promMs) {
                const AlertState a = alert(prom);
                if (a.state == QLatin1String("firing")) {
                    r.promMs = before - spikeMs;
                    r.activeAtMs = a.activeAtMs - spikeMs;
                }
            }
            if (!r.adminMs && adminOff(unleash, flag).value_or(false)) r.adminMs = before - spikeMs;
            if (!r.sdkMs && sdkOff(unleash, flag).value_or(false)) r.sdkMs = before - spikeMs;
            pump(20);
        }
        if (r.promMs) {
            const qint64 since = conditionTrueSince(prom, ruleExpr, spikeMs, spikeMs + r.promMs);
            if (since) r.conditionMs = since - spikeMs;
        }
        exchange("POST", sim + QStringLiteral("/-/clear"));
        watch.waitForFinished(15000);
        if (watch.state() != QProcess::NotRunning) {
            watch.terminate();
            watch.waitForFinished(5000);
        }
        r.exitCode = watch.exitCode();
        std::printf(
            "run %d: condition true %s; Prometheus pending %s, firing %s (held %s); watch: off in Unleash "
            "admin %s (held %s), "
            "in the SDK view %s; watch - Prometheus %+.2f s; watch exit %d\n",
            n, qPrintable(secs(r.conditionMs)), qPrintable(secs(r.activeAtMs)), qPrintable(secs(r.promMs)),
            qPrintable(r.conditionMs && r.promMs ? secs(r.promMs - r.conditionMs) : QStringLiteral("-")),
            qPrintable(secs(r.adminMs)),
            qPrintable(r.conditionMs && r.adminMs ? secs(r.adminMs - r.conditionMs) : QStringLiteral("-")),
            qPrintable(secs(r.sdkMs)), double(r.adminMs - r.promMs) / 1000.0, r.exitCode);
        std::fflush(stdout);
        done.append(r);
        if (!qEnvironmentVariableIsEmpty("ROLLOUT_BENCH_KEEP"))
            QFile::copy(dir.filePath(QStringLiteral("state-%1/rollout-console/rolloutctl.log").arg(n)),
                        env("ROLLOUT_BENCH_KEEP") + QStringLiteral("/watch-%1.log").arg(n));
    }
    QList<qint64> firing, admin, sdk, diff, heldProm, heldWatch;
    for (const Run& r : done) {
        if (r.promMs) firing.append(r.promMs);
        if (r.adminMs) admin.append(r.adminMs);
        if (r.sdkMs) sdk.append(r.sdkMs);
        if (r.promMs && r.adminMs) diff.append(r.adminMs - r.promMs);
        if (r.conditionMs && r.promMs) heldProm.append(r.promMs - r.conditionMs);
        if (r.conditionMs && r.adminMs) heldWatch.append(r.adminMs - r.conditionMs);
    }
    auto line = [](const char* what, const QList<qint64>& v) {
        if (v.isEmpty())
            std::printf("%-52s never\n", what);
        else
            std::printf("%-52s p50 %6.2f s   max %6.2f s   (%lld runs)\n", what, percentile(v, 0.5),
                        percentile(v, 1.0), qint64(v.size()));
    };
    std::printf("-- over %lld run(s) --\n", qint64(done.size()));
    line("spike -> Prometheus rule firing", firing);
    line("spike -> watch's rollback read in Unleash (admin)", admin);
    line("spike -> watch's rollback in Unleash's SDK view", sdk);
    line("watch (admin) - Prometheus", diff);
    line("Prometheus held (firing - condition true)", heldProm);
    line("watch held (Unleash off - condition true)", heldWatch);
    return 0;
}
