#include "runtime/ActionRunner.h"

#include "flags/HttpAdminBackend.h"
#include "runtime/FlagSync.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace rollout {

namespace {
const QString kVerified = QStringLiteral("verified");
const QString kDone = QStringLiteral("done");
const QString kFailed = QStringLiteral("failed");
} // namespace

ActionRunner::ActionRunner(RolloutSession& session, QObject* parent) : QObject(parent), m_session(session)
{
    qRegisterMetaType<rollout::ActionRunner::StepResult>();
    connect(&m_session, &RolloutSession::eventRecorded, this, &ActionRunner::onDecision);
    connect(&m_session, &RolloutSession::actionsDue, this, &ActionRunner::runList);
}

void ActionRunner::runList(const QString& trigger, const QString& severity, const QString& reason,
                           const std::vector<ActionStep>& steps)
{
    enqueue(List{trigger, severity, reason, steps, 0, false, false}, true);
}

void ActionRunner::onDecision(const RolloutEvent& e)
{
    if (e.type != EventType::RolledBack || m_session.plan().rollbackActions.empty()) return;
    QString severity;
    for (const TriggerSpec& t : m_session.plan().triggersFor(e.fromPhase))
        if (t.name == e.trigger) severity = t.severity;
    enqueue(List{e.trigger, severity, e.reason, m_session.plan().rollbackActions, 0, false, true}, false);
}

void ActionRunner::enqueue(List list, bool first)
{
    // A trigger's own list is announced after the rollback it decided (and the plan's
    // rollback_actions that rollback queued): it goes first, since it holds that rollback's step.
    if (first)
        m_waiting.push_front(std::move(list));
    else
        m_waiting.push_back(std::move(list));
    if (m_running || m_scheduled) return;
    m_scheduled = true;
    QTimer::singleShot(0, this, [this] {
        m_scheduled = false;
        startNext();
    });
}

void ActionRunner::startNext()
{
    if (m_running || m_waiting.empty()) return;
    m_list = std::move(m_waiting.front());
    m_waiting.pop_front();
    m_running = true;
    m_results.clear();
    // After a rollback: the flags first (its write and read-back), then the plan's steps.
    if (m_list.afterRollback && m_flags && !m_flags->idle()) {
        whenFlagsSettle(m_options.verifyDeadlineMs, [this] { runStep(); });
        return;
    }
    runStep();
}

void ActionRunner::whenFlagsSettle(qint64 deadlineMs, std::function<void()> then)
{
    const quint64 token = ++m_stepToken;
    auto conn = std::make_shared<QMetaObject::Connection>();
    auto check = [this, token, conn, then] {
        if (token != m_stepToken) {
            QObject::disconnect(*conn);
            return;
        }
        if (m_flags && !m_flags->idle()) return;
        QObject::disconnect(*conn);
        ++m_stepToken; // the deadline below is late now
        then();
    };
    // As in waitForFlags: idle is judged a turn after the operation finished.
    *conn = connect(m_flags, &FlagSync::operationFinished, this,
                    [this, check] { QTimer::singleShot(0, this, check); });
    QTimer::singleShot(int(deadlineMs), this, [this, token, conn, then] {
        if (token != m_stepToken) return;
        QObject::disconnect(*conn);
        ++m_stepToken;
        then(); // a write still running is FlagSync's to fail and escalate, at its own deadline
    });
}

void ActionRunner::runStep()
{
    if (m_list.next >= m_list.steps.size()) {
        m_running = false;
        Q_EMIT listFinished(listName(), m_results);
        startNext();
        return;
    }
    const ActionStep& s = m_list.steps[m_list.next];
    ++m_stepToken;
    if (m_list.stopped) {
        finishStep(QStringLiteral("not run"),
                   QStringLiteral("an earlier step failed and said on_failure: stop"));
        return;
    }
    switch (s.kind) {
    case ActionStep::Kind::Rollback:
    case ActionStep::Kind::RollbackToZero:
    case ActionStep::Kind::HoldSegment:
        if (!m_flags) {
            finishStep(kDone,
                       QStringLiteral("decided and recorded; no flag service is attached to read it back"));
            return;
        }
        waitForFlags(m_options.verifyDeadlineMs);
        return;
    case ActionStep::Kind::Call:
        call(s);
        return;
    case ActionStep::Kind::Notify:
        notify(s);
        return;
    case ActionStep::Kind::Escalate: {
        const QString severity = !s.severity.isEmpty()        ? s.severity
                                 : !m_list.severity.isEmpty() ? m_list.severity
                                                              : QStringLiteral("P1");
        const QString why =
            s.message.isEmpty() ? QStringLiteral("%1: %2").arg(listName(), m_list.reason) : s.message;
        m_session.recordEscalation(m_list.trigger, severity, why);
        finishStep(kDone, QStringLiteral("escalated at %1").arg(severity));
        return;
    }
    }
}

void ActionRunner::finishStep(const QString& outcome, const QString& detail)
{
    ++m_stepToken; // whatever was still waiting for this step is late now
    const ActionStep& s = m_list.steps[m_list.next];
    const QString step =
        QStringLiteral("%1 of %2: %3").arg(m_list.next + 1).arg(m_list.steps.size()).arg(s.describe());
    const StepResult r{listName(), step, outcome, detail};
    m_results.append(r);
    m_session.recordActionStep(m_list.trigger, step, outcome, detail);
    if (outcome == kFailed) {
        const QString severity = m_list.severity.isEmpty() ? QStringLiteral("P1") : m_list.severity;
        m_session.recordEscalation(m_list.trigger, severity,
                                   QStringLiteral("%1 step %2 failed: %3").arg(listName(), step, detail));
        if (s.stopOnFailure) m_list.stopped = true;
    }
    Q_EMIT stepFinished(r);
    ++m_list.next;
    // The next step on the next turn of the event loop: a step that finished inside a signal
    // of the engine never runs the next one inside it.
    QTimer::singleShot(0, this, [this] { runStep(); });
}

void ActionRunner::waitForFlags(qint64 deadlineMs)
{
    const quint64 token = m_stepToken;
    auto conn = std::make_shared<QMetaObject::Connection>();
    auto check = [this, token, conn] {
        if (token != m_stepToken) {
            QObject::disconnect(*conn);
            return;
        }
        if (!m_flags || !m_flags->idle()) return;
        QObject::disconnect(*conn);
        const QString summary = m_flags->lastReport().summary();
        if (m_session.flagsApplied())
            finishStep(kVerified, QStringLiteral("read back: %1").arg(summary));
        else
            finishStep(kFailed, QStringLiteral("the flags did not read back as decided: %1").arg(summary));
    };
    // FlagSync records the outcome, then starts what waits: idle is judged a turn later.
    *conn = connect(m_flags, &FlagSync::operationFinished, this,
                    [this, check] { QTimer::singleShot(0, this, check); });
    QTimer::singleShot(0, this, check);
    QTimer::singleShot(int(deadlineMs), this, [this, token, conn, deadlineMs] {
        if (token != m_stepToken) return;
        QObject::disconnect(*conn);
        finishStep(kFailed,
                   QStringLiteral("the flags were not read back within %1 s").arg(deadlineMs / 1000));
    });
}

void ActionRunner::call(const ActionStep& s)
{
    HttpAdminBackend* admin = nullptr;
    if (m_flags)
        for (FlagBackend* b : m_flags->backends().backends())
            if (b->name() == s.backend) admin = qobject_cast<HttpAdminBackend*>(b);
    if (!admin) {
        finishStep(
            kFailed,
            QStringLiteral(
                "backend %1 is not an http_admin service this process reaches (no flag services attached?)")
                .arg(s.backend));
        return;
    }
    QString flag;
    for (const FlagSpec& f : m_session.plan().flags)
        if (f.backend == s.backend && flag.isEmpty()) flag = f.key;
    const quint64 token = m_stepToken;
    admin->operate(
        s.operation, flag, s.body, this, [this, token](const HttpAdminBackend::OperationResult& r) {
            if (token != m_stepToken) return;
            finishStep(r.verified ? kVerified : r.accepted && !r.checked ? kDone : kFailed, r.message);
        });
}

void ActionRunner::notify(const ActionStep& s)
{
    const QByteArray url = qgetenv(s.webhookEnv.toLocal8Bit().constData());
    if (url.isEmpty()) {
        finishStep(kFailed, QStringLiteral("%1 is not set: nothing was sent").arg(s.webhookEnv));
        return;
    }
    const Plan& plan = m_session.plan();
    const QString text = s.message.isEmpty()
                             ? QStringLiteral("🚨 %1 (%2): %3 — %4")
                                   .arg(plan.rollout, plan.environment, listName(), m_list.reason)
                             : QStringLiteral("%1 (%2): %3").arg(plan.rollout, plan.environment, s.message);
    HttpRequest req;
    req.method = "POST";
    req.url = QUrl(QString::fromUtf8(url));
    req.body = QJsonDocument(QJsonObject{{QStringLiteral("text"), text}}).toJson(QJsonDocument::Compact);
    req.headers.append({QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")});
    req.timeoutMs = m_options.requestTimeoutMs;
    const quint64 token = m_stepToken;
    const QString env = s.webhookEnv;
    m_http.send(req, this, [this, token, env](const HttpResponse& r) {
        if (token != m_stepToken) return;
        // The URL carries a secret: only the variable's name is shown.
        if (r.success())
            finishStep(kDone, QStringLiteral("posted to %1 (HTTP %2; a webhook cannot be read back)")
                                  .arg(env)
                                  .arg(r.status));
        else
            finishStep(
                kFailed,
                QStringLiteral("posting to %1 failed: %2")
                    .arg(env, r.describe(QUrl(QStringLiteral("webhook"))).section(QStringLiteral(": "), 1)));
    });
}

} // namespace rollout
