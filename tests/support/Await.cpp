#include "Await.h"

#include "flags/UnleashFeature.h"

#include <QTest>

namespace rollout::test {

QString unleashNow(const QString& url, const QString& flag, const QString& environment)
{
    const HttpResponse r =
        exchange("GET", url + QStringLiteral("/api/admin/projects/default/features/") + flag, {},
                 qgetenv("ROLLOUT_UNLEASH_ADMIN_TOKEN"));
    QString problem;
    const auto f = UnleashFeature::parse(r.body, environment, &problem);
    return f ? f->state().setting().describe() : QStringLiteral("unreadable: ") + problem;
}

HttpResponse exchange(const QByteArray& method, const QString& url, const QByteArray& body,
                      const QByteArray& authorization, qint64 timeoutMs)
{
    HttpClient http;
    HttpRequest req;
    req.method = method;
    req.url = QUrl(url);
    req.body = body;
    req.timeoutMs = timeoutMs;
    if (!authorization.isEmpty()) req.headers.append({QByteArrayLiteral("Authorization"), authorization});
    if (!body.isEmpty())
        req.headers.append({QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")});
    HttpResponse out;
    bool done = false;
    QObject ctx;
    http.send(req, &ctx, [&](const HttpResponse& r) {
        out = r;
        done = true;
    });
    if (!QTest::qWaitFor([&] { return done; }, int(timeoutMs + 1000)))
        qWarning("no answer from %s", qPrintable(url));
    return out;
}

FlagResult awaitFlag(const std::function<void(QObject*, FlagBackend::Done)>& call, qint64 timeoutMs)
{
    FlagResult out;
    bool done = false;
    QObject ctx;
    call(&ctx, [&](const FlagResult& r) {
        out = r;
        done = true;
    });
    if (!QTest::qWaitFor([&] { return done; }, int(timeoutMs))) {
        qWarning("no flag result within %lld ms", timeoutMs);
        out.message = QStringLiteral("test: no result");
    }
    return out;
}

FlagChangeReport awaitRun(FlagChangeRunner& runner, const QList<FlagChange>& changes,
                          const FlagChangeRunner::Options& options, qint64 timeoutMs)
{
    FlagChangeReport out;
    bool done = false;
    QObject ctx;
    runner.run(changes, options, &ctx, [&](const FlagChangeReport& r) {
        out = r;
        done = true;
    });
    if (!QTest::qWaitFor([&] { return done; }, int(timeoutMs)))
        qWarning("no report within %lld ms", timeoutMs);
    return out;
}

} // namespace rollout::test
