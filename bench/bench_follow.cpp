// Follow-mode benchmark (prints figures; not a test). Against the services of
// scripts/services.sh (PostgreSQL and Prometheus, as ROLLOUT_PG_* and ROLLOUT_PROMETHEUS_URL say):
// 20 rollouts driven by watch-like drivers (a RolloutRuntime each, holding the rollout's lease,
// polling its metrics from Prometheus, signing a decision now and then), followed by 50 headless
// followers (a RolloutRuntime each, its own ledger file, device and PostgreSQL connection).
// Three runs, each with fresh followers:
//   without follow mode — every follower runs its own engine and polls every metric (as each
//                         console did before follow mode);
//   follow, off screen  — followers follow: no metric query at all;
//   follow, on screen   — each follower has its rollout on screen: history by query_range,
//                         then the live tail.
// Reported: Prometheus queries per second (from Prometheus' own prometheus_http_requests_total),
// PostgreSQL connections (pg_stat_activity) and CPU (/proc/<pid>/stat of every server process),
// and the time from a decision signed by a driver to its arrival in a follower (p50/p99/max).
//   bench_follow [--rollouts N] [--followers N] [--seconds S] [--decisions-per-second D]
#include "ledger/Ed25519.h"
#include "ledger/SharedStore.h"
#include "net/HttpClient.h"
#include "plan/PlanLoader.h"
#include "runtime/RolloutRuntime.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTimer>
#include <QUuid>
#include <algorithm>
#include <cstdio>
#include <memory>
#include <unistd.h>

using namespace rollout;

namespace {

int argValue(const QStringList& args, const QString& name, int fallback)
{
    const qsizetype i = args.indexOf(name);
    return i >= 0 && i + 1 < args.size() ? args.at(i + 1).toInt() : fallback;
}

void runFor(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

bool waitUntil(const std::function<bool()>& done, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (!done()) {
        if (t.elapsed() > timeoutMs) return false;
        runFor(20);
    }
    return true;
}

QByteArray httpGet(HttpClient& http, const QString& url)
{
    QByteArray body;
    bool done = false;
    HttpRequest r;
    r.url = QUrl(url);
    QObject context;
    http.send(r, &context, [&](const HttpResponse& response) {
        body = response.body;
        done = true;
    });
    waitUntil([&] { return done; }, 15000);
    return body;
}

// Queries Prometheus has answered so far: instant and range API calls.
double prometheusQueries(HttpClient& http, const QString& base)
{
    const QByteArray text = httpGet(http, base + QStringLiteral("/metrics"));
    static const QRegularExpression line(
        QStringLiteral(
            R"re(^prometheus_http_requests_total\{[^}]*handler="/api/v1/(query|query_range)"[^}]*\} (\S+)$)re"),
        QRegularExpression::MultilineOption);
    double total = 0;
    for (auto it = line.globalMatch(QString::fromUtf8(text)); it.hasNext();)
        total += it.next().captured(2).toDouble();
    return total;
}

struct ServerSample
{
    int clientConnections = 0;      // client backends (pg_stat_activity, backend_type = client backend)
    int ourConnections = 0;         // of those, this benchmark's (application_name rollout-console)
    QHash<qint64, qint64> cpuTicks; // every server process: utime + stime
};

qint64 procTicks(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly)) return -1;
    const QByteArray s = f.readAll();
    const qsizetype close = s.lastIndexOf(')'); // the command may hold spaces
    const QList<QByteArray> fields = s.mid(close + 2).split(' ');
    // After the command: state is field 3 of stat(5), utime 14 and stime 15.
    return fields.size() > 12 ? fields.at(11).toLongLong() + fields.at(12).toLongLong() : -1;
}

ServerSample sampleServer(QSqlDatabase& db)
{
    ServerSample s;
    QSqlQuery q(db);
    q.exec(QStringLiteral("SELECT pid, backend_type, application_name FROM pg_stat_activity"));
    while (q.next()) {
        const qint64 pid = q.value(0).toLongLong();
        if (q.value(1).toString() == QLatin1String("client backend")) {
            ++s.clientConnections;
            if (q.value(2).toString() == QLatin1String("rollout-console")) ++s.ourConnections;
        }
        const qint64 t = procTicks(pid);
        if (t >= 0) s.cpuTicks.insert(pid, t);
    }
    // The postmaster is no row of pg_stat_activity: its pid is the parent of any backend.
    q.exec(QStringLiteral("SELECT pg_backend_pid()"));
    if (q.next()) {
        QFile f(QStringLiteral("/proc/%1/stat").arg(q.value(0).toLongLong()));
        if (f.open(QIODevice::ReadOnly)) {
            const QByteArray st = f.readAll();
            const QList<QByteArray> fields = st.mid(st.lastIndexOf(')') + 2).split(' ');
            const qint64 parent = fields.value(1).toLongLong();
            const qint64 t = procTicks(parent);
            if (t >= 0) s.cpuTicks.insert(parent, t);
        }
    }
    return s;
}

double serverCpuSeconds(const ServerSample& a, const ServerSample& b)
{
    qint64 ticks = 0;
    for (auto it = b.cpuTicks.begin(); it != b.cpuTicks.end(); ++it)
        ticks += it.value() - a.cpuTicks.value(it.key(), 0); // a process that started meanwhile counts whole
    return double(ticks) / double(sysconf(_SC_CLK_TCK));
}

double percentile(QList<qint64> v, double p)
{
    if (v.isEmpty()) return 0;
    std::sort(v.begin(), v.end());
    const qsizetype i = std::min<qsizetype>(v.size() - 1, qsizetype(p * double(v.size() - 1) + 0.5));
    return double(v.at(i));
}

QByteArray planYaml(const QString& rollout, const QString& prometheus, const QString& flagFile,
                    const QString& automationKey, const QString& rmKey)
{
    return QStringLiteral("rollout: %1\n"
                          "sources: {prom: {type: prometheus, url: \"%2\", timeout: 5s}}\n"
                          "backends: {f: {type: flagd_file, path: \"%3\"}}\n"
                          "flags: [{key: k, backend: f}]\n"
                          "metrics:\n"
                          "  requests: {source: prom, unit: count, interval: 1s, query: "
                          "\"sum(rate(sim_requests_total[10s]))\"}\n"
                          "  errors: {source: prom, unit: count, interval: 1s, query: "
                          "\"sum(rate(sim_errors_total[10s]))\"}\n"
                          "  scraped: {source: prom, unit: count, interval: 1s, query: \"sum(up)\"}\n"
                          "triggers:\n"
                          "  - {name: never, when: scraped < -1, for: 5s, kind: hard, action: rollback}\n"
                          "phases:\n"
                          "  - {name: one, traffic: 10%}\n"
                          "  - {name: two, traffic: 100%}\n"
                          "people:\n"
                          "  - {id: rm, roles: [rm], key: \"%4\"}\n"
                          "  - {id: automation, roles: [automation], key: \"%5\"}\n")
        .arg(rollout, prometheus, flagFile, rmKey, automationKey)
        .toUtf8();
}

struct Node
{
    std::unique_ptr<RolloutRuntime> runtime;
};

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const int rollouts = argValue(args, QStringLiteral("--rollouts"), 20);
    const int followers = argValue(args, QStringLiteral("--followers"), 50);
    const int seconds = argValue(args, QStringLiteral("--seconds"), 20);
    const int decisionsPerSecond = argValue(args, QStringLiteral("--decisions-per-second"), 4);
    std::printf("== follow-mode benchmark: %d rollouts driven, %d followers, %d s per run ==\n", rollouts,
                followers, seconds);
    const StoreSettings settings = StoreSettings::fromEnvironment();
    const QString prometheus = qEnvironmentVariable("ROLLOUT_PROMETHEUS_URL");
    if (!settings.isSet() || prometheus.isEmpty()) {
        std::printf(
            "skipped: ROLLOUT_PG_HOST or ROLLOUT_PROMETHEUS_URL is unset (source $ROLLOUT_SERVICES_DIR/env "
            "after scripts/services.sh start postgres prometheus)\n");
        return 0;
    }
    if (!Ed25519::initialize()) return 1;
    qInstallMessageHandler([](QtMsgType type, const QMessageLogContext&, const QString& msg) {
        if (type >= QtCriticalMsg) std::fprintf(stderr, "%s\n", qPrintable(msg));
    });

    QSqlDatabase stats = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), QStringLiteral("bench-stats"));
    stats.setHostName(settings.host);
    stats.setPort(settings.port);
    stats.setDatabaseName(settings.database);
    stats.setUserName(settings.user);
    stats.setPassword(qEnvironmentVariable("ROLLOUT_PG_PASSWORD"));
    stats.setConnectOptions(QStringLiteral("application_name=bench-stats"));
    if (!stats.open()) {
        std::printf("error: cannot connect to %s\n", qPrintable(settings.endpoint()));
        return 1;
    }
    QSqlQuery maxConn(stats);
    maxConn.exec(QStringLiteral("SHOW max_connections"));
    maxConn.next();
    std::printf("PostgreSQL %s, max_connections %s; Prometheus %s\n", qPrintable(settings.endpoint()),
                qPrintable(maxConn.value(0).toString()), qPrintable(prometheus));

    QTemporaryDir dir;
    const Ed25519::KeyPair automation = Ed25519::generate();
    const Ed25519::KeyPair rm = Ed25519::generate();
    const QString run = QUuid::createUuid().toString(QUuid::Id128).left(8);
    SystemClock wallClock;
    QList<Plan> plans;
    for (int i = 0; i < rollouts; ++i) {
        const QString rollout = QStringLiteral("bench-follow-%1-%2").arg(run).arg(i);
        PlanLoadResult loaded = PlanLoader::loadBytes(
            planYaml(rollout, prometheus, dir.filePath(QStringLiteral("flags-%1.json").arg(i)),
                     Ed25519::encodePublicKey(automation.publicKey), Ed25519::encodePublicKey(rm.publicKey)),
            QStringLiteral("bench.yaml"));
        if (!loaded.plan) {
            std::printf("error: the benchmark's plan does not load: %s\n",
                        qPrintable(loaded.errors.value(0).toString()));
            return 1;
        }
        plans.append(*loaded.plan);
    }
    int ledgers = 0;
    auto makeRuntime = [&](const Plan& plan, const QString& person, const Ed25519::KeyPair& key) {
        auto runtime = std::make_unique<RolloutRuntime>(plan, wallClock);
        QString problem;
        std::optional<FlagBackendSet> backends = FlagBackendSet::fromPlan(plan, &problem);
        runtime->attachFlags(std::move(*backends));
        runtime->attachLedger(LocalLedger::open(
            dir.filePath(QStringLiteral("ledger-%1.sqlite").arg(++ledgers)), wallClock, &problem));
        runtime->recorder()->addKey(person, key);
        runtime->attachStore(settings);
        return runtime;
    };

    // The drivers: each takes its rollout's lease, starts its rollout and polls its metrics.
    std::vector<std::unique_ptr<RolloutRuntime>> drivers;
    for (const Plan& plan : plans) {
        drivers.push_back(makeRuntime(plan, QStringLiteral("automation"), automation));
        drivers.back()->recorder()->addKey(QStringLiteral("rm"), rm);
        drivers.back()->attachDriveLease(QStringLiteral("automation"), QStringLiteral("bench"));
        drivers.back()->start(1000);
    }
    if (!waitUntil(
            [&] {
                return std::all_of(drivers.begin(), drivers.end(), [](const auto& d) {
                    return d->lease()->state() == DriveLease::State::Driving;
                });
            },
            30000)) {
        std::printf("error: not every driver got its lease\n");
        return 1;
    }
    for (auto& d : drivers)
        d->advance(Actor{QStringLiteral("rm"), QStringLiteral("rm")}, [](const ActionResult& r) {
            if (!r.ok) std::printf("warning: a start was refused: %s\n", qPrintable(r.message));
        });
    HttpClient http;
    runFor(3000); // the first polls and the flags settle

    struct Result
    {
        QString name;
        double queriesPerSecond = 0;
        int connections = 0;
        int ourConnections = 0;
        double serverCpuPercent = 0;
        double clientCpuPercent = 0;
        QList<qint64> latencies;
        int decisions = 0;
    };
    enum class Mode
    {
        Own,
        FollowOff,
        FollowOn
    };
    auto measure = [&](Mode mode, const QString& name) {
        Result result;
        result.name = name;
        std::vector<std::unique_ptr<RolloutRuntime>> fs;
        QHash<QString, qint64> signedAt; // record id → signed, for the decisions of this run
        for (int j = 0; j < followers; ++j) {
            fs.push_back(makeRuntime(plans.at(j % rollouts), QStringLiteral("rm"), rm));
            RolloutRuntime* f = fs.back().get();
            if (mode != Mode::Own) {
                DriveLease::Options o;
                o.autoTakeOver = false;
                f->attachDriveLease(QStringLiteral("rm"), QStringLiteral("console"), o);
                f->setOnScreen(mode == Mode::FollowOn);
            }
            QObject::connect(f->sync(), &LedgerSync::recordApplied, f,
                             [&result, &signedAt](const LedgerRecord& r, const RolloutEvent&) {
                                 if (signedAt.contains(r.id))
                                     result.latencies.append(QDateTime::currentMSecsSinceEpoch() -
                                                             r.timestampMs);
                             });
            f->start(1000);
        }
        // Every follower caught up with what its rollout holds, and knows who drives.
        waitUntil(
            [&] {
                return std::all_of(fs.begin(), fs.end(), [&](const auto& f) {
                    return f->session().currentPhase() == 0 &&
                           (mode == Mode::Own || f->lease()->state() == DriveLease::State::Following);
                });
            },
            60000);
        runFor(2000);
        QObject thisRun; // the connections of this run
        for (auto& d : drivers)
            QObject::connect(d->recorder(), &LedgerRecorder::recorded, &thisRun,
                             [&signedAt](const LedgerRecord& r) { signedAt.insert(r.id, r.timestampMs); });
        QTimer decide;
        QObject::connect(&decide, &QTimer::timeout, &decide, [&] {
            RolloutRuntime& d = *drivers.at(std::size_t(QRandomGenerator::global()->bounded(rollouts)));
            d.session().addNote(Actor::automation(),
                                QStringLiteral("benchmark decision %1").arg(result.decisions++));
        });
        const ServerSample before = sampleServer(stats);
        const double queriesBefore = prometheusQueries(http, prometheus);
        const clock_t cpuBefore = clock();
        QElapsedTimer wall;
        wall.start();
        decide.start(1000 / std::max(1, decisionsPerSecond));
        runFor(seconds * 1000);
        decide.stop();
        runFor(1500); // the last decisions arrive
        const double elapsed = double(wall.elapsed()) / 1000.0;
        const double queriesAfter = prometheusQueries(http, prometheus);
        const ServerSample after = sampleServer(stats);
        result.queriesPerSecond = (queriesAfter - queriesBefore) / elapsed;
        result.connections = after.clientConnections;
        result.ourConnections = after.ourConnections;
        result.serverCpuPercent = 100.0 * serverCpuSeconds(before, after) / elapsed;
        result.clientCpuPercent = 100.0 * double(clock() - cpuBefore) / double(CLOCKS_PER_SEC) / elapsed;
        for (auto& f : fs)
            f->stop();
        fs.clear();
        runFor(500);
        return result;
    };

    QList<Result> results;
    results.append(measure(Mode::Own, QStringLiteral("without follow mode")));
    results.append(measure(Mode::FollowOff, QStringLiteral("follow, off screen")));
    results.append(measure(Mode::FollowOn, QStringLiteral("follow, on screen")));

    std::printf("\n%-22s %10s %12s %12s %12s %8s %8s %8s %9s\n", "run", "prom q/s", "pg conns", "pg CPU %",
                "client CPU %", "p50 ms", "p99 ms", "max ms", "arrivals");
    for (const Result& r : results)
        std::printf("%-22s %10.1f %5d (%4d) %12.1f %12.1f %8.0f %8.0f %8.0f %9lld\n", qPrintable(r.name),
                    r.queriesPerSecond, r.connections, r.ourConnections, r.serverCpuPercent,
                    r.clientCpuPercent, percentile(r.latencies, 0.5), percentile(r.latencies, 0.99),
                    percentile(r.latencies, 1.0), qint64(r.latencies.size()));
    std::printf(
        "\nprom q/s: instant + range queries Prometheus answered per second, every client included.\n"
        "pg conns: client backends at the end of the run (this benchmark's in brackets: %d drivers + "
        "the followers).\n"
        "pg CPU %%: user + system time of every PostgreSQL process, per wall second (100 = one core).\n"
        "p50/p99/max: a note signed by a driver (%d/s) to its arrival in each follower of that rollout.\n",
        rollouts, decisionsPerSecond);
    for (auto& d : drivers)
        d->stop();
    return 0;
}
