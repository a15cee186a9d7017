#include "notify/PagerDutyNotifier.h"

#include "core/Backoff.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <QTimer>
#include <algorithm>
#include <spdlog/spdlog.h>

namespace rollout {

namespace {

const QString kTrigger = QStringLiteral("trigger");
const QString kAcknowledge = QStringLiteral("acknowledge");
const QString kResolve = QStringLiteral("resolve");

QString phaseName(const Plan& plan, int index)
{
    if (index < 0 || index >= int(plan.phases.size())) return QStringLiteral("none (every flag off)");
    return QStringLiteral("%1 \"%2\"").arg(index + 1).arg(plan.phases[std::size_t(index)].name);
}

QJsonObject valuesOf(const RolloutEvent& e)
{
    QJsonObject out;
    for (auto it = e.values.cbegin(); it != e.values.cend(); ++it)
        out.insert(it.key(), it.value());
    return out;
}

} // namespace

PagerDutyNotifier::PagerDutyNotifier(const Plan& plan, RolloutSession& session, Options options,
                                     QObject* parent)
    : QObject(parent), m_plan(plan), m_options(options)
{
    if (!plan.pager) return;
    m_configured = true;
    if (routingKey().isEmpty())
        m_problem = QStringLiteral("%1 is not set: nobody will be paged").arg(plan.pager->routingKeyEnv);
    if (!m_problem.isEmpty()) spdlog::warn("pager: {}", m_problem.toStdString());
    load();
    connect(&session, &RolloutSession::eventRecorded, this, &PagerDutyNotifier::onDecision);
}

void PagerDutyNotifier::load()
{
    if (m_options.statePath.isEmpty()) return;
    QFile f(m_options.statePath);
    if (!f.exists()) return;
    if (!f.open(QIODevice::ReadOnly)) {
        spdlog::warn("pager: cannot read {}: {}", m_options.statePath.toStdString(),
                     f.errorString().toStdString());
        return;
    }
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &error);
    if (!doc.isObject()) {
        // Never fatal: the incidents stay open at PagerDuty, where a person can resolve them.
        spdlog::warn("pager: {} is not a JSON object ({}): its open incidents are not known here",
                     m_options.statePath.toStdString(), error.errorString().toStdString());
        return;
    }
    for (const QJsonValue& key : doc.object().value(QStringLiteral("open")).toArray())
        if (key.isString()) m_open.insert(key.toString());
    m_afterRollback = doc.object().value(QStringLiteral("after_rollback")).toBool();
    if (!m_open.isEmpty())
        spdlog::info("pager: {} incident(s) opened before a restart are still open", m_open.size());
}

void PagerDutyNotifier::save() const
{
    if (m_options.statePath.isEmpty()) return;
    QJsonArray open;
    for (const QString& key : openIncidents())
        open.append(key);
    QSaveFile f(m_options.statePath);
    if (!f.open(QIODevice::WriteOnly) ||
        f.write(QJsonDocument(QJsonObject{{QStringLiteral("rollout"), m_plan.rollout},
                                          {QStringLiteral("open"), open},
                                          {QStringLiteral("after_rollback"), m_afterRollback}})
                    .toJson()) < 0 ||
        !f.commit())
        spdlog::warn("pager: cannot write {}: {}", m_options.statePath.toStdString(),
                     f.errorString().toStdString());
}

QStringList PagerDutyNotifier::openIncidents() const
{
    QStringList out(m_open.begin(), m_open.end());
    out.sort();
    return out;
}

QString PagerDutyNotifier::severityFor(const QString& priority)
{
    if (priority == QLatin1String("P0")) return QStringLiteral("critical");
    if (priority == QLatin1String("P1")) return QStringLiteral("error");
    if (priority == QLatin1String("P2")) return QStringLiteral("warning");
    return QStringLiteral("info");
}

QString PagerDutyNotifier::dedupKey(const Plan& plan, const QString& what)
{
    return QStringLiteral("rollout-console/%1/%2").arg(plan.rollout, what).left(255); // the API's limit
}

QByteArray PagerDutyNotifier::body(const QString& routingKey, const Event& e)
{
    QJsonObject o{{QStringLiteral("routing_key"), routingKey},
                  {QStringLiteral("event_action"), e.action},
                  {QStringLiteral("dedup_key"), e.dedupKey}};
    if (e.action == kTrigger) {
        QString summary = e.summary;
        if (summary.size() > 1024) summary = summary.left(1021) + QStringLiteral("..."); // the API's limit
        QJsonObject payload{{QStringLiteral("summary"), summary},
                            {QStringLiteral("source"), e.source},
                            {QStringLiteral("severity"), e.severity},
                            {QStringLiteral("timestamp"),
                             QDateTime::fromMSecsSinceEpoch(e.atMs, Qt::UTC).toString(Qt::ISODateWithMs)},
                            {QStringLiteral("component"), e.details.value(QStringLiteral("rollout"))},
                            {QStringLiteral("group"), e.details.value(QStringLiteral("environment"))},
                            {QStringLiteral("class"), e.details.value(QStringLiteral("class"))}};
        if (!e.details.isEmpty()) payload.insert(QStringLiteral("custom_details"), e.details);
        o.insert(QStringLiteral("payload"), payload);
        o.insert(QStringLiteral("client"), QStringLiteral("Rollout Console"));
    }
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

void PagerDutyNotifier::onDecision(const RolloutEvent& e)
{
    switch (e.type) {
    case EventType::TriggerFired: {
        if (e.dryRun) return;
        const std::vector<TriggerSpec> triggers = m_plan.triggersFor(e.fromPhase);
        const auto t = std::find_if(triggers.begin(), triggers.end(),
                                    [&](const TriggerSpec& s) { return s.name == e.trigger; });
        if (t == triggers.end() || !m_plan.pager->severities.contains(t->severity)) return;
        page(e, QStringLiteral("trigger/") + e.trigger, severityFor(t->severity),
             QStringLiteral("%1 (%2): %3 trigger \"%4\" fired in phase %5: %6")
                 .arg(m_plan.rollout, m_plan.environment, t->severity, e.trigger,
                      phaseName(m_plan, e.fromPhase), e.reason));
        return;
    }
    case EventType::Escalated: {
        // An action list's `escalate` step (or a failed step): paged at its severity when the
        // plan's pager takes that severity, one incident per trigger.
        if (!m_plan.pager->severities.contains(e.severity)) return;
        page(e, QStringLiteral("escalation/") + (e.trigger.isEmpty() ? QStringLiteral("rollout") : e.trigger),
             severityFor(e.severity),
             QStringLiteral("%1 (%2): %3 escalation%4: %5")
                 .arg(m_plan.rollout, m_plan.environment, e.severity,
                      e.trigger.isEmpty() ? QString() : QStringLiteral(" from \"%1\"").arg(e.trigger),
                      e.reason));
        return;
    }
    case EventType::RolledBack:
        m_afterRollback = true;
        save();
        return;
    case EventType::FlagsNotVerified:
        if (!m_afterRollback) return;
        page(e, QStringLiteral("rollback"), QStringLiteral("critical"),
             QStringLiteral("%1 (%2): rollback NOT verified, the flags may still expose users: %3")
                 .arg(m_plan.rollout, m_plan.environment, e.reason));
        return;
    case EventType::FlagsVerified:
        if (m_afterRollback) resolve(dedupKey(m_plan, QStringLiteral("rollback")));
        return;
    case EventType::AlertAcknowledged: {
        const QString key = dedupKey(m_plan, QStringLiteral("trigger/") + e.trigger);
        if (m_open.contains(key)) enqueue(Event{kAcknowledge, key, {}, {}, {}, e.atMs, {}});
        return;
    }
    case EventType::PhaseAdvanced:
    case EventType::Completed: {
        // The rollout moves on again: whatever paged is over.
        m_afterRollback = false;
        save();
        for (const QString& key : openIncidents())
            resolve(key);
        return;
    }
    default:
        return;
    }
}

void PagerDutyNotifier::page(const RolloutEvent& e, const QString& what, const QString& severity,
                             const QString& summary)
{
    Event ev;
    ev.action = kTrigger;
    ev.dedupKey = dedupKey(m_plan, what);
    ev.summary = summary;
    ev.severity = severity;
    ev.source = QStringLiteral("rollout-console %1 (%2)").arg(m_plan.rollout, m_plan.environment);
    ev.atMs = e.atMs;
    ev.details = QJsonObject{{QStringLiteral("rollout"), m_plan.rollout},
                             {QStringLiteral("environment"), m_plan.environment},
                             {QStringLiteral("class"), what.section(QLatin1Char('/'), 0, 0)},
                             {QStringLiteral("phase"), phaseName(m_plan, e.fromPhase)},
                             {QStringLiteral("reason"), e.reason}};
    if (!e.trigger.isEmpty()) ev.details.insert(QStringLiteral("trigger"), e.trigger);
    if (!e.values.isEmpty()) ev.details.insert(QStringLiteral("values"), valuesOf(e));
    m_open.insert(ev.dedupKey);
    save();
    enqueue(ev);
}

void PagerDutyNotifier::resolve(const QString& key)
{
    if (!m_open.remove(key)) return;
    save();
    enqueue(Event{kResolve, key, {}, {}, {}, QDateTime::currentMSecsSinceEpoch(), {}});
}

void PagerDutyNotifier::enqueue(const Event& e)
{
    // The oldest waiting event gives way (the one in flight stays).
    const std::size_t oldest = m_sending ? 1 : 0;
    while (m_queue.size() > oldest && int(m_queue.size()) >= std::max(1, m_options.maxQueued)) {
        const Event dropped = m_queue[oldest];
        m_queue.erase(m_queue.begin() + qsizetype(oldest));
        spdlog::warn("pager: too many events waiting, dropped {} {}", dropped.action.toStdString(),
                     dropped.dedupKey.toStdString());
        Q_EMIT failed(dropped.action, dropped.dedupKey,
                      QStringLiteral("dropped: more than %1 events were waiting").arg(m_options.maxQueued));
    }
    m_queue.push_back(e);
    pump();
}

void PagerDutyNotifier::pump()
{
    if (m_sending || m_queue.empty()) return;
    m_sending = true;
    post(1);
}

QString PagerDutyNotifier::routingKey() const
{
    return m_plan.pager ? qEnvironmentVariable(m_plan.pager->routingKeyEnv.toLocal8Bit().constData())
                        : QString();
}

QString PagerDutyNotifier::redacted(QString text) const
{
    const QString key = routingKey();
    if (key.size() >= 4) text.replace(key, QStringLiteral("[routing key]"));
    return text;
}

void PagerDutyNotifier::post(int attempt)
{
    const Event e = m_queue.front();
    auto done = [this, e](const QString& why, int attempts) {
        m_queue.pop_front();
        m_sending = false;
        if (why.isEmpty()) {
            spdlog::info("pager: {} {} accepted", e.action.toStdString(), e.dedupKey.toStdString());
            Q_EMIT delivered(e.action, e.dedupKey, attempts);
        } else {
            spdlog::warn("pager: {} {} failed: {}", e.action.toStdString(), e.dedupKey.toStdString(),
                         why.toStdString());
            Q_EMIT failed(e.action, e.dedupKey, why);
        }
        // The next event in order, from the event loop (never recursively).
        QTimer::singleShot(0, this, &PagerDutyNotifier::pump);
    };
    const QString key = routingKey();
    if (key.isEmpty()) {
        QTimer::singleShot(0, this, [done, env = m_plan.pager->routingKeyEnv] {
            done(QStringLiteral("%1 is not set: nothing was sent").arg(env), 0);
        });
        return;
    }
    HttpRequest req;
    req.method = "POST";
    req.url = QUrl(m_plan.pager->url);
    req.body = body(key, e);
    req.timeoutMs = m_options.requestTimeoutMs;
    req.maxBytes = 64 * 1024;
    req.headers.append({QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")});
    m_http.send(req, this, [this, e, attempt, done](const HttpResponse& r) {
        if (r.success()) return done({}, attempt);
        // Where it went is the plan's URL (no secret in it); what was sent is never shown.
        const QString where = redacted(r.describe(QUrl(m_plan.pager->url)));
        if (r.status == 400) {
            const QJsonObject answer = QJsonDocument::fromJson(r.body).object();
            QStringList errors;
            for (const QJsonValue& v : answer.value(QStringLiteral("errors")).toArray())
                errors.append(v.toString());
            QString why = QStringLiteral("PagerDuty refused the %1 event (HTTP 400").arg(e.action);
            if (answer.contains(QStringLiteral("status")))
                why += QStringLiteral(", ") + answer.value(QStringLiteral("status")).toString();
            why += QLatin1Char(')');
            if (answer.contains(QStringLiteral("message")))
                why += QStringLiteral(": ") + answer.value(QStringLiteral("message")).toString();
            if (!errors.isEmpty())
                why += QStringLiteral(": ") + errors.join(QStringLiteral("; "));
            else if (answer.isEmpty())
                why += QStringLiteral(": ") + QString::fromUtf8(r.body.left(200)).trimmed();
            return done(redacted(why), attempt);
        }
        const bool retry = !r.answered() || r.status == 429 || r.status >= 500;
        if (!retry || attempt >= m_options.attempts)
            return done(QStringLiteral("%1 (after %2 attempt(s))").arg(where).arg(attempt), attempt);
        qint64 backoff = Backoff::delayMs(m_options.firstBackoffMs, attempt, m_options.maxBackoffMs);
        if (r.retryAfterMs) backoff = std::min(std::max(backoff, *r.retryAfterMs), m_options.maxBackoffMs);
        spdlog::info("pager: {} {}: {}; retrying in {} ms", e.action.toStdString(), e.dedupKey.toStdString(),
                     where.toStdString(), backoff);
        QTimer::singleShot(int(backoff), this, [this, attempt] { post(attempt + 1); });
    });
}

} // namespace rollout
