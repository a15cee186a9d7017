// Console benchmark (prints figures; not a test). Beside a bare baseline measured in the same run:
//  1. start to first painted frame: the console on its demo (plan, simulator, every widget) with
//     10 min and with 24 h of history on screen (every chart showing its whole span) vs a bare
//     QMainWindow holding one QCustomPlot — each a fresh process, from before fork/exec to its
//     first paint event; runs interleaved, median of 7 (goal ≤ 1.5×). Generating the simulated
//     history inside the child stands for a backfill the console does not wait for: its time is
//     measured in the child and taken off;
//  2. one chart frame with 8 series × 86,400 points (24 h at 1 Hz) on screen: append one sample
//     per series + replot, MetricChartWidget vs bare QCustomPlot with the same data (goal ≤ 1.3×);
//  3. RSS of the console process after 24 h of simulated data for the demo's metrics.
// Runs offscreen (QT_QPA_PLATFORM=offscreen is set when unset). `bench_console --start-only`
// stops after 1.
#include "MainWindow.h"
#include "MetricChartWidget.h"
#include "plan/PlanLoader.h"
#include "runtime/RolloutAssembly.h"
#include "runtime/RolloutRuntime.h"
#include "sim/DemoDriver.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QMainWindow>
#include <QProcess>
#include <QTemporaryDir>
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <qcustomplot.h>
#include <vector>

using namespace rollout;

namespace {

qint64 realtimeUs()
{
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return qint64(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

qint64 rssKb()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly)) return 0;
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith("VmRSS:")) return line.mid(6).trimmed().split(' ').first().toLongLong();
    return 0;
}

// Prints the wall clock at the first paint of `w` and the µs spent generating history, then quits.
class FirstPaint final : public QObject
{
public:
    qint64 generatedUs = 0;
    bool eventFilter(QObject*, QEvent* e) override
    {
        if (e->type() == QEvent::Paint && !m_done) {
            m_done = true;
            std::printf("%lld %lld\n", realtimeUs(), generatedUs);
            std::fflush(stdout);
            QMetaObject::invokeMethod(qApp, &QCoreApplication::quit, Qt::QueuedConnection);
        }
        return false;
    }

private:
    bool m_done = false;
};

Plan demoPlan()
{
    QFile file(QStringLiteral(":/demo/demo-plan.yaml"));
    if (!file.open(QIODevice::ReadOnly)) {
        QFile src(QStringLiteral(ROLLOUT_SOURCE_DIR "/resources/demo/demo-plan.yaml"));
        src.open(QIODevice::ReadOnly);
        return *PlanLoader::loadBytes(src.readAll(), QStringLiteral("demo-plan.yaml")).plan;
    }
    return *PlanLoader::loadBytes(file.readAll(), QStringLiteral("demo-plan.yaml")).plan;
}

// The demo rollout as the console puts it together, on a fresh ledger in `dir`.
std::unique_ptr<OpenedRollout> openDemo(const Clock& clock, const QTemporaryDir& dir)
{
    RolloutAssembly::Options parts;
    parts.ledgerPath = dir.filePath(QStringLiteral("ledger.sqlite"));
    parts.backgroundWriter = true;
    parts.notify = false;
    QString problem;
    auto opened = std::make_unique<OpenedRollout>();
    Plan plan = demoPlan();
    for (BackendSpec& b : plan.backends) // the demo's flagd file, in the temporary directory
        if (b.type == BackendType::FlagdFile) b.path = dir.filePath(QStringLiteral("flags.json"));
    opened->assembly = RolloutAssembly::build(std::move(plan), clock, std::move(parts), &problem);
    if (!opened->assembly) qFatal("%s", qPrintable(problem));
    return opened;
}

MainWindow::Options windowOptions(const Clock& clock, const QTemporaryDir& dir)
{
    MainWindow::Options o;
    o.clock = &clock;
    o.ledgerPath = dir.filePath(QStringLiteral("ledger.sqlite"));
    return o;
}

int child(const QString& what, qint64 historyMs)
{
    FirstPaint probe;
    if (what == QLatin1String("bare")) {
        QMainWindow w;
        auto* plot = new QCustomPlot(&w);
        plot->addGraph();
        w.setCentralWidget(plot);
        w.resize(1280, 800);
        plot->installEventFilter(&probe);
        w.show();
        return QApplication::exec();
    }
    SystemClock clock;
    QTemporaryDir dir;
    std::unique_ptr<OpenedRollout> opened = openDemo(clock, dir);
    DemoDriver driver(opened->assembly->runtime());
    QElapsedTimer generating;
    generating.start();
    driver.preroll(historyMs);
    probe.generatedUs = generating.nsecsElapsed() / 1000;
    // BENCH_TRACE=1: where the time goes before the first frame (stderr), and how many replots.
    const bool trace = qEnvironmentVariableIsSet("BENCH_TRACE");
    QElapsedTimer phase;
    phase.start();
    auto mark = [&](const char* step) {
        if (trace) std::fprintf(stderr, "  %-28s %7.1f ms\n", step, double(phase.nsecsElapsed()) / 1e6);
        phase.restart();
    };
    mark("history generated");
    MainWindow w(windowOptions(clock, dir));
    w.addRollout(std::move(opened));
    mark("MainWindow constructed");
    if (historyMs > 15 * 60 * 1000) // the whole history on screen, as a user zoomed out to it
        for (MetricChartWidget* c : w.findChildren<MetricChartWidget*>()) {
            c->setVisibleSpanMs(historyMs);
            c->refresh(clock.nowMs());
        }
    mark("span set");
    int replots = 0;
    QElapsedTimer replotting;
    qint64 replotNs = 0;
    if (trace)
        for (MetricChartWidget* c : w.findChildren<MetricChartWidget*>()) {
            QObject::connect(c->plot(), &QCustomPlot::beforeReplot, c, [&] { replotting.start(); });
            QObject::connect(c->plot(), &QCustomPlot::afterReplot, c, [&] {
                ++replots;
                replotNs += replotting.nsecsElapsed();
            });
        }
    w.resize(1280, 800);
    w.findChildren<MetricChartWidget*>().first()->plot()->installEventFilter(&probe);
    w.show();
    mark("shown");
    const int code = QApplication::exec();
    mark("first paint + quit");
    if (trace)
        std::fprintf(stderr, "  %d replots, %.1f ms replotting in all\n", replots, double(replotNs) / 1e6);
    return code;
}

struct Start
{
    double ms = -1;         // start → first paint, less the history generated in the child
    double generatedMs = 0; // that generation, for the record
};

Start startOnce(const QStringList& childArgs)
{
    QProcess p;
    const qint64 t0 = realtimeUs();
    p.start(QCoreApplication::applicationFilePath(), QStringList{QStringLiteral("--child")} + childArgs);
    p.waitForFinished(120000);
    const QList<QByteArray> out = p.readAllStandardOutput().trimmed().split(' ');
    const qint64 t1 = out.value(0).toLongLong();
    const qint64 generated = out.value(1).toLongLong();
    if (t1 <= t0) return {};
    return Start{double(t1 - t0 - generated) / 1000.0, double(generated) / 1000.0};
}

double median(std::vector<double> v)
{
    if (v.empty()) return -1;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Each kind once per round, interleaved, so that a busy machine slows them alike.
void startTimes(int runs)
{
    const QList<QStringList> kinds = {{QStringLiteral("bare"), QStringLiteral("0")},
                                      {QStringLiteral("console"), QString::number(10 * 60 * 1000)},
                                      {QStringLiteral("console"), QString::number(24LL * 3600 * 1000)}};
    std::vector<std::vector<double>> ms(std::size_t(kinds.size())), generated(std::size_t(kinds.size()));
    for (int i = 0; i < runs; ++i)
        for (int k = 0; k < kinds.size(); ++k) {
            const Start s = startOnce(kinds[k]);
            if (s.ms < 0) continue;
            ms[std::size_t(k)].push_back(s.ms);
            generated[std::size_t(k)].push_back(s.generatedMs);
        }
    const double bare = median(ms[0]);
    std::printf(
        "start → first painted frame (median of %d, interleaved): bare QMainWindow + QCustomPlot %.0f ms\n",
        runs, bare);
    const char* names[] = {"", "console, 10 min of history", "console, 24 h of history on screen"};
    for (int k = 1; k < kinds.size(); ++k) {
        std::printf("  %s: %.0f ms: %.2f× (goal ≤ 1.5×; history generated in %.0f ms, not counted)\n",
                    names[k], median(ms[std::size_t(k)]), median(ms[std::size_t(k)]) / bare,
                    median(generated[std::size_t(k)]));
        std::printf("    runs:");
        for (double v : ms[std::size_t(k)])
            std::printf(" %.0f", v);
        std::printf("\n");
    }
    std::printf("    bare runs:");
    for (double v : ms[0])
        std::printf(" %.0f", v);
    std::printf("\n");
}

constexpr int kSeries = 8;
constexpr int kPoints = 86'400;
constexpr qint64 kStart = 1'700'000'000'000;

double value(int s, int i)
{
    return 0.01 + 0.002 * s + 0.001 * std::sin(i * 0.01 + s);
}

// ms per frame over `frames` frames of: one new sample per series, then a replot.
double chartFrame(int frames)
{
    MetricSpec m;
    m.name = QStringLiteral("error_rate");
    m.unit = Unit::Ratio;
    Plan plan;
    plan.metrics = {m};
    TimeSeriesStore store;
    for (int s = 0; s < kSeries; ++s)
        for (int i = 0; i < kPoints; ++i)
            store.append(m.name, QStringLiteral("pod-%1").arg(s), Sample{kStart + i * 1000LL, value(s, i)});
    MetricChartWidget chart(plan.metrics.front(), plan, store);
    chart.setVisibleSpanMs(24LL * 3600 * 1000);
    chart.resize(800, 400);
    chart.show();
    qint64 now = kStart + kPoints * 1000LL;
    chart.refresh(now);
    chart.plot()->replot(QCustomPlot::rpImmediateRefresh);
    QElapsedTimer t;
    t.start();
    for (int f = 0; f < frames; ++f) {
        now += 1000;
        for (int s = 0; s < kSeries; ++s)
            store.append(m.name, QStringLiteral("pod-%1").arg(s), Sample{now, value(s, kPoints + f)});
        chart.refresh(now);
        chart.plot()->replot(QCustomPlot::rpImmediateRefresh);
    }
    return double(t.nsecsElapsed()) / 1e6 / frames;
}

double bareFrame(int frames)
{
    QCustomPlot plot;
    plot.resize(800, 400);
    for (int s = 0; s < kSeries; ++s) {
        QCPGraph* g = plot.addGraph();
        g->setAdaptiveSampling(true);
        QVector<double> k(kPoints), v(kPoints);
        for (int i = 0; i < kPoints; ++i) {
            k[i] = double(kStart + i * 1000LL) / 1000.0;
            v[i] = value(s, i) * 100.0;
        }
        g->setData(k, v, true);
    }
    plot.show();
    double now = double(kStart + kPoints * 1000LL) / 1000.0;
    plot.xAxis->setRange(now - 86400, now);
    plot.rescaleAxes();
    plot.replot(QCustomPlot::rpImmediateRefresh);
    QElapsedTimer t;
    t.start();
    for (int f = 0; f < frames; ++f) {
        now += 1;
        for (int s = 0; s < kSeries; ++s)
            plot.graph(s)->addData(now, value(s, kPoints + f) * 100.0);
        plot.xAxis->setRange(now - 86400, now + 5);
        bool ok = false;
        plot.yAxis->setRange(plot.graph(0)->getValueRange(ok));
        plot.replot(QCustomPlot::rpImmediateRefresh);
    }
    return double(t.nsecsElapsed()) / 1e6 / frames;
}

} // namespace

int main(int argc, char** argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const QStringList args = QCoreApplication::arguments();
    if (args.size() == 4 && args[1] == QLatin1String("--child")) return child(args[2], args[3].toLongLong());

    std::printf("== console benchmark (QT_QPA_PLATFORM=%s) ==\n", qgetenv("QT_QPA_PLATFORM").constData());
    startTimes(7);
    if (args.contains(QStringLiteral("--start-only"))) return 0;
    const double ours = chartFrame(200);
    const double plain = bareFrame(200);
    std::printf("chart frame, 8 series × 86,400 points, append + replot (mean of 200): MetricChartWidget "
                "%.2f ms, bare QCustomPlot %.2f ms: %.2f× (goal ≤ 1.3×)\n",
                ours, plain, ours / plain);

    // 24 h of the demo's metrics at 1 Hz, in the console's own store, with its window open.
    SystemClock clock;
    QTemporaryDir dir;
    const qint64 before = rssKb();
    std::unique_ptr<OpenedRollout> opened = openDemo(clock, dir);
    DemoDriver driver(opened->assembly->runtime());
    driver.preroll(24LL * 3600 * 1000);
    MainWindow w(windowOptions(clock, dir));
    w.addRollout(std::move(opened));
    w.show();
    QCoreApplication::processEvents();
    std::printf("RSS after 24 h of simulated data (demo: 4 metrics, canary + baseline, 1 Hz): %lld MB (+%lld "
                "MB for the data and window)\n",
                rssKb() / 1024, (rssKb() - before) / 1024);
    return 0;
}
