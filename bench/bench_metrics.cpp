// Metrics benchmark (prints figures; not a test): Prometheus answer parse cost per sample, one
// instant-query round trip against a local Prometheus (ROLLOUT_PROMETHEUS_URL, when set), and
// the RSS of a time-series store holding 24 h × 50 series at 1 Hz.
#include "metrics/PrometheusClient.h"
#include "metrics/PrometheusResponse.h"
#include "metrics/TimeSeriesStore.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <algorithm>
#include <cstdio>
#include <vector>

using namespace rollout;

namespace {

qint64 rssKb()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly)) return 0;
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith("VmRSS:")) return line.mid(6).trimmed().split(' ').first().toLongLong();
    return 0;
}

QByteArray matrix(int series, int points)
{
    QByteArray out = R"({"status":"success","data":{"resultType":"matrix","result":[)";
    for (int s = 0; s < series; ++s) {
        if (s) out += ',';
        out += R"({"metric":{"cohort":"c)" + QByteArray::number(s) + R"("},"values":[)";
        for (int p = 0; p < points; ++p) {
            if (p) out += ',';
            out += '[' + QByteArray::number(1700000000 + p) + R"(.5,")" +
                   QByteArray::number(0.001 * (p % 97), 'g', 6) + R"("])";
        }
        out += "]}";
    }
    return out + "]}}";
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    std::printf("== metrics benchmark ==\n");

    // 1. Parse cost per sample.
    const QByteArray body = matrix(10, 10'000);
    QElapsedTimer t;
    t.start();
    int rounds = 0;
    qint64 samples = 0;
    while (t.elapsed() < 2000) {
        const PromResponse r = PrometheusResponseParser::parse(body);
        for (const PromSeries& s : r.series)
            samples += s.samples.size();
        ++rounds;
    }
    std::printf("parse: %.0f ns per sample (%d rounds of a %.1f MB query_range answer, 100k samples)\n",
                double(t.nsecsElapsed()) / double(samples), rounds, double(body.size()) / 1e6);

    // 2. Instant-query round trip against the local Prometheus.
    const QString url = qEnvironmentVariable("ROLLOUT_PROMETHEUS_URL");
    if (url.isEmpty()) {
        std::printf(
            "round trip: skipped (ROLLOUT_PROMETHEUS_URL unset; run with scripts/services.sh start)\n");
    } else {
        SourceSpec src;
        src.name = QStringLiteral("prom");
        src.url = url;
        PrometheusClient client(src);
        std::vector<double> ms;
        for (int i = 0; i < 200; ++i) {
            QEventLoop loop;
            QElapsedTimer one;
            one.start();
            client.instant(QStringLiteral("sum by (cohort) (rate(sim_errors_total[1m])) / sum by (cohort) "
                                          "(rate(sim_requests_total[1m]))"),
                           QDateTime::currentMSecsSinceEpoch(), &loop,
                           [&](const PromOutcome&) { loop.quit(); });
            loop.exec();
            ms.push_back(double(one.nsecsElapsed()) / 1e6);
        }
        std::sort(ms.begin(), ms.end());
        std::printf("instant query round trip (error-ratio PromQL, 200 runs): p50 %.2f ms, p99 %.2f ms\n",
                    ms[100], ms[197]);
    }

    // 3. The store holding 24 h × 50 series at 1 Hz.
    const qint64 before = rssKb();
    {
        TimeSeriesStore store;
        QElapsedTimer fill;
        fill.start();
        for (int s = 0; s < 50; ++s)
            for (qint64 i = 0; i < 86'400; ++i)
                store.append(QStringLiteral("m%1").arg(s / 2),
                             s % 2 ? QStringLiteral("canary") : QStringLiteral("baseline"),
                             {i * 1000, double(i % 100)});
        const double fillMs = double(fill.nsecsElapsed()) / 1e6;
        QElapsedTimer q;
        q.start();
        const QList<Sample> w =
            store.window(QStringLiteral("m7"), QStringLiteral("canary"), 3600'000, 7200'000);
        std::printf("store: 24 h x 50 series at 1 Hz (4.32 M samples) filled in %.0f ms; RSS %lld MB for the "
                    "whole process (+%lld MB); "
                    "a 1 h window query %.3f ms (%lld points)\n",
                    fillMs, rssKb() / 1024, (rssKb() - before) / 1024, double(q.nsecsElapsed()) / 1e6,
                    qint64(w.size()));
    }
    return 0;
}
