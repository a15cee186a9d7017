#pragma once

#include "engine/RolloutSession.h"
#include "net/HttpClient.h"
#include "runtime/ActionRunner.h"
#include "runtime/RolloutAssembly.h"

#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <memory>

namespace rollout::test {

// How many of a rollout's events are of `type`; the newest of them (null when none).
int count(const QList<RolloutEvent>& events, EventType type);
const RolloutEvent* last(const QList<RolloutEvent>& events, EventType type);

// One seed plan rehearsed end to end against the real servers (tests/integration/tst_seeds.cpp):
// the shipped plan file with its addresses pointed at this run's servers (each replacement is
// named and must match), a simulated service whose canary share follows the plan's own flag
// service (`rolloutctl simulate --share-from-plan`) and that Prometheus scrapes, the parts put
// together by RolloutAssembly exactly as `watch` does, with durations compressed by PlanRehearsal.
class SeedRun
{
public:
    explicit SeedRun(const QString& planPath); // below the source tree: resources/plans/x.yaml
    ~SeedRun();

    // Replaces every `from` in the plan's text; false (and a warning) when it does not occur.
    bool rewrite(const QByteArray& from, const QByteArray& to);
    QString writePlan(); // the rewritten plan, in this run's directory; its path
    QString planFile() const { return m_planFile; }
    QString path(const QString& name) const { return m_dir.filePath(name); }

    // Starts `rolloutctl simulate --listen 127.0.0.1:0 --prefix PREFIX ARGS…`, registers it with
    // the test Prometheus ($ROLLOUT_SEED_TARGETS_DIR/PREFIX.json) and waits until Prometheus has
    // scraped it. Empty on success, else why not.
    QString startSimulator(const QString& prefix, const QStringList& args,
                           const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment());
    QString simulatorUrl() const { return m_simUrl; }
    double simulatedShare() const; // what the simulated service gives the canary now (-1: no answer)
    bool injectFault(const QString& spec) const;

    // Starts tests/data/services/brain-app.py (seed 003's app) with `token`, its simulated clock
    // `speed`× the wall clock (a rehearsal's compression factor keeps the app on the plan's
    // calendar: its 5m dashboard window is a 5m `for` of the plan's); empty on success.
    QString startBrainApp(const QByteArray& token, double speed = 1.0);
    QString brainUrl() const { return m_brainUrl; }
    QJsonObject brainState() const;

    // The plan (rewritten, loaded, compressed `factor`×), its pager pointed at `pagerUrl`, put
    // together as `watch` does with a ledger in this run's directory and a key for each of the
    // plan's people and the automation.
    // `minInconclusiveMs`: the compressed inconclusive limit at least this long, where the plan's
    // flag service itself takes longer than the compressed limit to put a phase's flags in force
    // (a command backend running python per flag), as it never does at the plan's own pace.
    std::unique_ptr<RolloutAssembly> assemble(double factor, const QString& pagerUrl, QString* problem,
                                              qint64 minInconclusiveMs = 0);

    // Ticks every item of the gate into `phase` and signs each approval it asks for, as the plan's
    // people holding the roles; empty when every one was taken, else the first refusal.
    static QString signGate(RolloutSession& session, int phase);
    static Actor approverOf(const Plan& plan, int phase); // someone who may decide for `phase`

    // Signs the gate into each of phases 0..phases-1, waits until it opens (its minimum duration
    // over, its success criteria judged on the live metrics), advances, and waits until the plan's
    // flag services read back what the phase asks for. Fails the running test otherwise.
    void goThrough(RolloutAssembly& parts, int phases, qint64 gateTimeoutMs = 120000);
    // Waits for `trigger` to fire and its action list to finish; the steps (empty on time-out).
    QList<ActionRunner::StepResult> awaitActionList(RolloutAssembly& parts, const QString& trigger,
                                                    qint64 timeoutMs);

    // One Prometheus instant query: the first series' value (NaN when empty or failed).
    static double promValue(const QString& query);

private:
    QByteArray m_text;
    QTemporaryDir m_dir;
    QString m_planFile;
    QProcess m_sim;
    QProcess m_brain;
    QString m_simUrl, m_brainUrl, m_targetFile;
    SystemClock m_clock;
};

} // namespace rollout::test
