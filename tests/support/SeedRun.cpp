#include "SeedRun.h"

#include "Await.h"
#include "PlanFixture.h"
#include "TestKeys.h"
#include "ledger/LedgerRecorder.h"
#include "plan/PlanLoader.h"
#include "plan/PlanRehearsal.h"
#include "runtime/FlagSync.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>
#include <QUrl>
#include <algorithm>
#include <cmath>

namespace rollout::test {

namespace {

// Reads `process`'s stdout until a line starting with `prefix` (its readiness line) or the deadline.
QString readinessLine(QProcess& process, const QByteArray& prefix, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    QByteArray seen;
    while (!deadline.hasExpired()) {
        while (process.canReadLine()) {
            const QByteArray line = process.readLine().trimmed();
            seen += line + '\n';
            if (line.startsWith(prefix)) return QString::fromUtf8(line);
        }
        if (process.state() == QProcess::NotRunning) break;
        process.waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime())));
    }
    qWarning("no \"%s\" line; stdout: %s stderr: %s", prefix.constData(), seen.constData(),
             process.readAllStandardError().constData());
    return {};
}

void stop(QProcess& p)
{
    if (p.state() == QProcess::NotRunning) return;
    p.terminate();
    if (!p.waitForFinished(5000)) {
        p.kill();
        p.waitForFinished(5000);
    }
}

} // namespace

int count(const QList<RolloutEvent>& events, EventType type)
{
    return int(std::count_if(events.begin(), events.end(),
                             [type](const RolloutEvent& e) { return e.type == type; }));
}

const RolloutEvent* last(const QList<RolloutEvent>& events, EventType type)
{
    for (auto it = events.rbegin(); it != events.rend(); ++it)
        if (it->type == type) return &*it;
    return nullptr;
}

SeedRun::SeedRun(const QString& planPath) : m_text(sourceFile(planPath)) {}

SeedRun::~SeedRun()
{
    stop(m_sim);
    stop(m_brain);
    if (!m_targetFile.isEmpty()) QFile::remove(m_targetFile);
}

bool SeedRun::rewrite(const QByteArray& from, const QByteArray& to)
{
    if (!m_text.contains(from)) {
        qWarning("the plan has no \"%s\" to point at the test servers", from.constData());
        return false;
    }
    m_text.replace(from, to);
    return true;
}

QString SeedRun::writePlan()
{
    m_planFile = m_dir.filePath(QStringLiteral("plan.yaml"));
    QFile f(m_planFile);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(m_text) != m_text.size()) return {};
    return m_planFile;
}

QString SeedRun::startSimulator(const QString& prefix, const QStringList& args,
                                const QProcessEnvironment& env)
{
    const QString targets = qEnvironmentVariable("ROLLOUT_SEED_TARGETS_DIR");
    if (targets.isEmpty())
        return QStringLiteral("ROLLOUT_SEED_TARGETS_DIR is unset: run through scripts/test.sh");
    m_sim.setProcessEnvironment(env);
    m_sim.setProcessChannelMode(QProcess::SeparateChannels);
    m_sim.start(QStringLiteral(ROLLOUT_BINARY_DIR "/app/rolloutctl"),
                QStringList{QStringLiteral("simulate"), QStringLiteral("--listen"),
                            QStringLiteral("127.0.0.1:0"), QStringLiteral("--prefix"), prefix} +
                    args);
    const QString line = readinessLine(m_sim, "serving simulated metrics on ", 20000);
    if (line.isEmpty()) return QStringLiteral("the simulator did not start");
    const QUrl url(line.section(QLatin1Char(' '), 4, 4));
    m_simUrl = QStringLiteral("http://127.0.0.1:%1").arg(url.port());
    m_targetFile = targets + QLatin1Char('/') + prefix + QStringLiteral(".json");
    QFile f(m_targetFile + QStringLiteral(".tmp"));
    const QByteArray target =
        QStringLiteral("[{\"targets\": [\"127.0.0.1:%1\"], \"labels\": {\"seed\": \"%2\"}}]\n")
            .arg(url.port())
            .arg(prefix)
            .toUtf8();
    if (!f.open(QIODevice::WriteOnly) || f.write(target) != target.size())
        return QStringLiteral("target file");
    f.close();
    QFile::remove(m_targetFile);
    if (!QFile::rename(f.fileName(), m_targetFile)) return QStringLiteral("cannot write ") + m_targetFile;
    // Prometheus reads the target file and scrapes the simulator (about a second each): wait for it.
    const QString up = QStringLiteral("up{job=\"seeds\", instance=\"127.0.0.1:%1\"}").arg(url.port());
    QDeadlineTimer deadline(60000);
    while (promValue(up) != 1.0) {
        if (deadline.hasExpired())
            return QStringLiteral("Prometheus never scraped %1 (%2)").arg(m_simUrl, up);
        QTest::qWait(200);
    }
    return {};
}

double SeedRun::simulatedShare() const
{
    const HttpResponse r = exchange("GET", m_simUrl + QStringLiteral("/-/truth"));
    return QJsonDocument::fromJson(r.body)
        .object()
        .value(QStringLiteral("canary_share_percent"))
        .toDouble(-1);
}

bool SeedRun::injectFault(const QString& spec) const
{
    return exchange("POST", m_simUrl + QStringLiteral("/-/fault?spec=") + spec).success();
}

QString SeedRun::startBrainApp(const QByteArray& token, double speed)
{
    m_brain.start(QStringLiteral("python3"),
                  {QStringLiteral(ROLLOUT_SOURCE_DIR "/tests/data/services/brain-app.py"),
                   QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"), QStringLiteral("--token"),
                   QString::fromUtf8(token), QStringLiteral("--speed"), QString::number(speed)});
    const QString line = readinessLine(m_brain, "listening on ", 20000);
    if (line.isEmpty()) return QStringLiteral("brain-app.py did not start");
    m_brainUrl = line.section(QLatin1Char(' '), 2, 2);
    return {};
}

QJsonObject SeedRun::brainState() const
{
    return QJsonDocument::fromJson(exchange("GET", m_brainUrl + QStringLiteral("/-/state")).body).object();
}

std::unique_ptr<RolloutAssembly> SeedRun::assemble(double factor, const QString& pagerUrl, QString* problem,
                                                   qint64 minInconclusiveMs)
{
    const PlanLoadResult loaded = PlanLoader::loadFile(m_planFile);
    if (!loaded.plan) {
        *problem = loaded.errors.value(0).toString();
        return nullptr;
    }
    Plan plan = PlanRehearsal::compress(*loaded.plan, factor);
    if (plan.pager) plan.pager->url = pagerUrl;
    plan.inconclusiveLimitMs = std::max(plan.inconclusiveLimitMs, minInconclusiveMs);
    QStringList people{QStringLiteral("automation")};
    for (const Person& p : plan.people)
        people.append(p.id);
    RolloutAssembly::Options parts;
    parts.ledgerPath = m_dir.filePath(QStringLiteral("ledger.db"));
    parts.notify = true;
    parts.autoStart = false;
    parts.flagHealthEveryMs = 2000;
    parts.addKeys = [people](LedgerRecorder& recorder) {
        for (const QString& id : people)
            recorder.addKey(id, seededKey(id.toUtf8()));
    };
    return RolloutAssembly::build(std::move(plan), m_clock, std::move(parts), problem);
}

Actor SeedRun::approverOf(const Plan& plan, int phase)
{
    const PhaseSpec& ph = plan.phases[std::size_t(phase)];
    for (const ApprovalRequirement& req : ph.approvals)
        for (const Person& p : plan.people)
            if (p.roles.contains(req.role)) return Actor{p.id, req.role};
    return Actor{plan.people.front().id, plan.people.front().roles.value(0)};
}

QString SeedRun::signGate(RolloutSession& session, int phase)
{
    const Plan& plan = session.plan();
    const Actor ticker = approverOf(plan, phase);
    for (const QString& item : session.gateItems(phase)) {
        const auto r = session.setChecklistItem(phase, item, true, ticker);
        if (!r.ok) return QStringLiteral("tick \"%1\": %2").arg(item, r.message);
    }
    for (const ApprovalRequirement& req : plan.phases[std::size_t(phase)].approvals)
        for (const Person& p : plan.people) {
            if (!p.roles.contains(req.role)) continue;
            const auto r =
                session.recordApproval(phase, Actor{p.id, req.role}, true, QStringLiteral("rehearsal"));
            if (!r.ok) return QStringLiteral("approve as %1 (%2): %3").arg(p.id, req.role, r.message);
            break;
        }
    return {};
}

// Signs the gate into each of phases 0..count-1, waits until it opens (its minimum duration
// over, its success criteria judged on the live metrics), advances, and waits until the plan's
// flag service reads back what the phase asks for.
void SeedRun::goThrough(RolloutAssembly& parts, int phases, qint64 gateTimeoutMs)
{
    RolloutRuntime& rt = parts.runtime();
    RolloutSession& s = rt.session();
    QElapsedTimer t;
    for (int p = 0; p < phases; ++p) {
        t.start();
        const QString refused = signGate(s, p);
        QVERIFY2(refused.isEmpty(), qPrintable(refused));
        QTRY_VERIFY2_WITH_TIMEOUT(
            s.gate().open && s.gate().toPhase == p,
            qPrintable(QStringLiteral("gate into phase %1: %2").arg(p + 1).arg(s.gate().missing())),
            gateTimeoutMs);
        const qint64 gateMs = t.elapsed();
        std::optional<ActionResult> result;
        rt.advance(approverOf(s.plan(), p), [&](const ActionResult& r) { result = r; });
        QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 30000);
        QVERIFY2(result->ok, qPrintable(result->message));
        QCOMPARE(s.currentPhase(), p);
        QTRY_VERIFY2_WITH_TIMEOUT(s.flagsApplied() && rt.flags()->idle(),
                                  qPrintable(rt.flags()->lastReport().summary()), 60000);
        QVERIFY2(rt.flags()->lastReport().allVerified(), qPrintable(rt.flags()->lastReport().summary()));
        qInfo("phase %d \"%s\": gate open after %lld ms, flags verified after %lld ms: %s", p + 1,
              qPrintable(s.plan().phases[std::size_t(p)].name), gateMs, t.elapsed(),
              qPrintable(rt.flags()->lastReport().summary()));
    }
}

// Waits for `trigger` to fire and its action list to finish; every step must have succeeded
// (verified where it can be read back). Returns the steps.
QList<ActionRunner::StepResult> SeedRun::awaitActionList(RolloutAssembly& parts, const QString& trigger,
                                                         qint64 timeoutMs)
{
    QList<ActionRunner::StepResult> steps;
    RolloutRuntime& rt = parts.runtime();
    QObject ctx;
    bool finished = false;
    QObject::connect(&rt.actions(), &ActionRunner::listFinished, &ctx,
                     [&](const QString& list, const QList<ActionRunner::StepResult>& results) {
                         qInfo("action list \"%s\" finished", qPrintable(list));
                         if (list != trigger) return;
                         steps = results;
                         finished = true;
                     });
    QElapsedTimer t;
    t.start();
    (void)QTest::qWaitFor([&] { return finished; }, int(timeoutMs));
    if (!finished) {
        for (const RolloutEvent& e : rt.events())
            qInfo("  %s", qPrintable(e.describe()));
        qWarning("the action list of \"%s\" did not finish in %lld ms", qPrintable(trigger), timeoutMs);
        return {};
    }
    for (const ActionRunner::StepResult& r : steps)
        qInfo("  %s: %s — %s", qPrintable(r.step), qPrintable(r.outcome), qPrintable(r.detail));
    qInfo("\"%s\" fired and its action list finished %lld ms after the fault", qPrintable(trigger),
          t.elapsed());
    return steps;
}

double SeedRun::promValue(const QString& query)
{
    const QString prom = qEnvironmentVariable("ROLLOUT_PROMETHEUS_URL");
    const HttpResponse r = exchange("GET", prom + QStringLiteral("/api/v1/query?query=") +
                                               QString::fromLatin1(QUrl::toPercentEncoding(query)));
    const QJsonArray result = QJsonDocument::fromJson(r.body)
                                  .object()
                                  .value(QStringLiteral("data"))
                                  .toObject()
                                  .value(QStringLiteral("result"))
                                  .toArray();
    if (result.isEmpty()) return std::nan("");
    return result.first().toObject().value(QStringLiteral("value")).toArray().at(1).toString().toDouble();
}

} // namespace rollout::test
