// Flag benchmark (prints figures; not a test): rollback latency from the call to the verified
// read-back, p50 / p99 over 200 rollbacks, against a flagd file and against the local Unleash
// (ROLLOUT_UNLEASH_URL and ROLLOUT_UNLEASH_ADMIN_TOKEN, when set: scripts/services.sh start).
// A rollback here is one phase back (50% → 25%, a strategy write) and, separately, to zero (the
// environment switched off); the way up again between two rollbacks is not measured.
#include "flags/FlagdFileBackend.h"
#include "flags/UnleashBackend.h"
#include "net/HttpClient.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTemporaryDir>
#include <QUuid>
#include <algorithm>
#include <cstdio>
#include <vector>

using namespace rollout;

namespace {

FlagResult call(const std::function<void(QObject*, FlagBackend::Done)>& f)
{
    QEventLoop loop;
    FlagResult out;
    f(&loop, [&](const FlagResult& r) {
        out = r;
        loop.quit();
    });
    loop.exec();
    return out;
}

double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, std::size_t(p * double(v.size() - 1) + 0.5))];
}

// `rounds` times: set `up` (not timed), then roll back to `down` and time it to the read-back.
void measure(FlagBackend& backend, const QString& flag, FlagSetting up, FlagSetting down, const char* label,
             int rounds = 200)
{
    std::vector<double> ms;
    int failures = 0;
    for (int i = 0; i < rounds; ++i) {
        if (!call([&](QObject* c, auto d) {
                 backend.apply(flag, up, QStringLiteral("userId"), c, d);
             }).verified)
            ++failures;
        QElapsedTimer t;
        t.start();
        const FlagResult r =
            call([&](QObject* c, auto d) { backend.apply(flag, down, QStringLiteral("userId"), c, d); });
        ms.push_back(double(t.nsecsElapsed()) / 1e6);
        if (!r.verified) ++failures;
    }
    std::printf("%-44s p50 %7.2f ms   p99 %7.2f ms   max %7.2f ms   (%d rollbacks, %d not verified)\n", label,
                percentile(ms, 0.5), percentile(ms, 0.99), *std::max_element(ms.begin(), ms.end()), rounds,
                failures);
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QTemporaryDir dir;
    FlagdFileBackend flagd(QStringLiteral("flagd"), dir.filePath(QStringLiteral("flags.flagd.json")));
    measure(flagd, QStringLiteral("new-checkout"), {true, 50.0}, {true, 25.0},
            "flagd file, 50% → 25% (fsync'd, read back)");
    measure(flagd, QStringLiteral("new-checkout"), {true, 50.0}, {false, 0.0}, "flagd file, 50% → off");

    const QString url = qEnvironmentVariable("ROLLOUT_UNLEASH_URL");
    if (url.isEmpty() || qEnvironmentVariableIsEmpty("ROLLOUT_UNLEASH_ADMIN_TOKEN")) {
        std::printf("Unleash: skipped (set ROLLOUT_UNLEASH_URL and ROLLOUT_UNLEASH_ADMIN_TOKEN, e.g. via "
                    "scripts/services.sh start)\n");
        return 0;
    }
    const QString flag = QStringLiteral("bench-%1").arg(QUuid::createUuid().toString(QUuid::Id128).left(8));
    {
        HttpClient http;
        HttpRequest req;
        req.method = "POST";
        req.url = QUrl(url + QStringLiteral("/api/admin/projects/default/features"));
        req.body = QStringLiteral("{\"name\":\"%1\",\"type\":\"release\"}").arg(flag).toUtf8();
        req.headers = {{"Authorization", qgetenv("ROLLOUT_UNLEASH_ADMIN_TOKEN")},
                       {"Content-Type", "application/json"}};
        QEventLoop loop;
        http.send(req, &loop, [&](const HttpResponse&) { loop.quit(); });
        loop.exec();
    }
    UnleashBackend::Options o;
    o.url = QUrl(url);
    o.environment = QStringLiteral("development");
    o.tokenEnv = QStringLiteral("ROLLOUT_UNLEASH_ADMIN_TOKEN");
    UnleashBackend unleash(QStringLiteral("unleash"), o);
    measure(unleash, flag, {true, 50.0}, {true, 25.0}, "Unleash 7.5.1, 50% → 25% (GET, PUT, GET)");
    measure(unleash, flag, {true, 50.0}, {false, 0.0}, "Unleash 7.5.1, 50% → off (GET, POST off, GET)");
    return 0;
}
