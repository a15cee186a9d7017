#include "plan/PlanLoader.h"

#include "plan/ConditionReader.h"
#include "plan/ConnectionReaders.h"
#include "plan/PlanActionReader.h"
#include "plan/PlanValidator.h"
#include "plan/YamlCursor.h"
#include "plan/YamlHints.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QSet>
#include <cmath>
#include <limits>

namespace rollout {

namespace {

using Strings = QStringList;

// The schema, one reader per section. Field names and meanings: docs/plan-format.md.
class PlanReader
{
public:
    explicit PlanReader(YamlCursor& cursor) : c(cursor), m_conditions(cursor, m_badUnits) {}

    Plan read(const YAML::Node& root)
    {
        Plan plan;
        if (!c.checkMap(root, {},
                        {QStringLiteral("rollout"),
                         QStringLiteral("description"),
                         QStringLiteral("environment"),
                         QStringLiteral("environments"),
                         QStringLiteral("sources"),
                         QStringLiteral("backends"),
                         QStringLiteral("flags"),
                         QStringLiteral("metrics"),
                         QStringLiteral("triggers"),
                         QStringLiteral("phases"),
                         QStringLiteral("checklists"),
                         QStringLiteral("people"),
                         QStringLiteral("notify"),
                         QStringLiteral("retry_after_rollback"),
                         QStringLiteral("inconclusive_limit"),
                         QStringLiteral("criteria_grace"),
                         QStringLiteral("judgement"),
                         QStringLiteral("override_roles"),
                         QStringLiteral("auto_start"),
                         QStringLiteral("budgets"),
                         QStringLiteral("pager"),
                         QStringLiteral("rollback_actions")}))
            return plan;
        plan.rollout = c.string(root, "rollout", {}, true).value_or(QString());
        plan.description = c.string(root, "description", {}).value_or(QString());
        plan.environment = c.string(root, "environment", {}).value_or(QStringLiteral("production"));
        plan.environments = c.stringList(root, "environments", {});
        if (!plan.environments.contains(plan.environment)) plan.environments.prepend(plan.environment);
        plan.retryAfterRollbackMs = c.duration(root, "retry_after_rollback", {}).value_or(0);
        plan.overrideRoles = c.stringList(root, "override_roles", {});
        plan.autoStart = c.boolean(root, "auto_start", {}).value_or(false);
        plan.inconclusiveLimitMs =
            c.duration(root, "inconclusive_limit", {}).value_or(plan.inconclusiveLimitMs);
        plan.criteriaGraceMs = c.duration(root, "criteria_grace", {}).value_or(plan.criteriaGraceMs);
        plan.judgement = m_conditions.readJudgement(root["judgement"], QStringLiteral("judgement"));

        forEachInMap(root["sources"], QStringLiteral("sources"),
                     [&](const QString& name, const YAML::Node& n, const QString& p) {
                         plan.sources.push_back(readSource(name, n, p));
                     });
        forEachInMap(root["backends"], QStringLiteral("backends"),
                     [&](const QString& name, const YAML::Node& n, const QString& p) {
                         plan.backends.push_back(readBackend(name, n, p));
                     });
        forEachInList(root["flags"], QStringLiteral("flags"),
                      [&](const YAML::Node& n, const QString& p) { plan.flags.push_back(readFlag(n, p)); });
        forEachInMap(root["metrics"], QStringLiteral("metrics"),
                     [&](const QString& name, const YAML::Node& n, const QString& p) {
                         plan.metrics.push_back(readMetric(name, n, p));
                     });
        m_plan = &plan; // conditions below look metric units up here
        m_conditions.setPlan(&plan);
        plan.budgets = m_conditions.readBudgets(root["budgets"], QStringLiteral("budgets"));
        forEachInList(root["triggers"], QStringLiteral("triggers"),
                      [&](const YAML::Node& n, const QString& p) {
                          plan.triggers.push_back(readTrigger(n, p, false));
                      });
        plan.rollbackActions =
            PlanActionReader(c).steps(root["rollback_actions"], QStringLiteral("rollback_actions"));
        if (!root["phases"].IsDefined())
            c.error(root, QStringLiteral("phases"), QStringLiteral("required field \"phases\" is missing"));
        forEachInList(root["phases"], QStringLiteral("phases"),
                      [&](const YAML::Node& n, const QString& p) { plan.phases.push_back(readPhase(n, p)); });
        forEachInMap(root["checklists"], QStringLiteral("checklists"),
                     [&](const QString& name, const YAML::Node& n, const QString& p) {
                         plan.checklists.push_back(readChecklist(name, n, p));
                     });
        forEachInList(root["people"], QStringLiteral("people"), [&](const YAML::Node& n, const QString& p) {
            if (!c.checkMap(n, p,
                            {QStringLiteral("id"), QStringLiteral("name"), QStringLiteral("roles"),
                             QStringLiteral("key")}))
                return;
            Person person;
            person.id = c.string(n, "id", p, true).value_or(QString());
            person.name = c.string(n, "name", p).value_or(person.id);
            person.roles = c.stringList(n, "roles", p);
            person.publicKey = c.string(n, "key", p).value_or(QString());
            if (person.roles.isEmpty())
                c.error(n, YamlCursor::join(p, QStringLiteral("roles")),
                        QStringLiteral("a person needs at least one role"));
            plan.people.push_back(person);
        });
        forEachInList(root["notify"], QStringLiteral("notify"), [&](const YAML::Node& n, const QString& p) {
            if (!c.checkMap(n, p, {QStringLiteral("webhook_env"), QStringLiteral("on")})) return;
            Notification note;
            note.webhookEnv = c.string(n, "webhook_env", p, true).value_or(QString());
            note.on = c.stringList(n, "on", p);
            static const Strings events = {QStringLiteral("advanced"),    QStringLiteral("alert"),
                                           QStringLiteral("rolled_back"), QStringLiteral("rollback_failed"),
                                           QStringLiteral("paused"),      QStringLiteral("completed"),
                                           QStringLiteral("override"),    QStringLiteral("drift"),
                                           QStringLiteral("tampering"),   QStringLiteral("escalated")};
            for (const QString& e : note.on)
                if (!events.contains(e))
                    c.error(n["on"], YamlCursor::join(p, QStringLiteral("on")),
                            QStringLiteral("unknown event \"%1\" (expected one of: %2)")
                                .arg(e, events.join(QStringLiteral(", "))));
            plan.notify.push_back(note);
        });
        if (root["pager"].IsDefined() && !root["pager"].IsNull())
            plan.pager = ConnectionReaders::readPager(c, root["pager"], QStringLiteral("pager"));
        return plan;
    }

private:
    template <typename F> void forEachInMap(const YAML::Node& n, const QString& path, F f)
    {
        if (!n.IsDefined() || n.IsNull()) return;
        if (!n.IsMap()) {
            c.error(n, path, QStringLiteral("expected a mapping of names to definitions"));
            return;
        }
        for (auto it = n.begin(); it != n.end(); ++it) {
            const QString name = YamlCursor::scalar(it->first);
            f(name, it->second, YamlCursor::join(path, name));
        }
    }

    template <typename F> void forEachInList(const YAML::Node& n, const QString& path, F f)
    {
        if (!n.IsDefined() || n.IsNull()) return;
        if (!c.checkSequence(n, path)) return;
        for (std::size_t i = 0; i < n.size(); ++i)
            f(n[i], YamlCursor::index(path, int(i)));
    }

    template <typename E>
    std::optional<E> choice(const YAML::Node& map, const char* key, const QString& path,
                            const QList<std::pair<QString, E>>& options, bool required = false)
    {
        const auto s = c.string(map, key, path, required);
        if (!s) return std::nullopt;
        QStringList names;
        for (const auto& [name, value] : options) {
            if (*s == name) return value;
            names.append(name);
        }
        c.error(map[key], YamlCursor::join(path, QLatin1String(key)),
                QStringLiteral("unknown value \"%1\" (expected one of: %2)")
                    .arg(*s, names.join(QStringLiteral(", "))));
        return std::nullopt;
    }

    SourceSpec readSource(const QString& name, const YAML::Node& n, const QString& p)
    {
        SourceSpec s;
        s.name = name;
        s.where = {n.Mark().line + 1, n.Mark().column + 1};
        if (!c.checkMap(n, p,
                        {QStringLiteral("type"), QStringLiteral("url"), QStringLiteral("path"),
                         QStringLiteral("token_env"), QStringLiteral("username_env"),
                         QStringLiteral("password_env"), QStringLiteral("tls_verify"),
                         QStringLiteral("timeout")}))
            return s;
        const auto type = choice<SourceType>(n, "type", p,
                                             {{QStringLiteral("simulator"), SourceType::Simulator},
                                              {QStringLiteral("prometheus"), SourceType::Prometheus},
                                              {QStringLiteral("json_http"), SourceType::JsonHttp},
                                              {QStringLiteral("json_lines"), SourceType::JsonLines}},
                                             true);
        s.type = type.value_or(SourceType::Simulator);
        if (!type) m_badSources.insert(name);
        s.url = c.string(n, "url", p).value_or(QString());
        s.path = c.string(n, "path", p).value_or(QString());
        s.tokenEnv = c.string(n, "token_env", p).value_or(QString());
        s.usernameEnv = c.string(n, "username_env", p).value_or(QString());
        s.passwordEnv = c.string(n, "password_env", p).value_or(QString());
        s.tlsVerify = c.boolean(n, "tls_verify", p).value_or(true);
        s.timeoutMs = c.duration(n, "timeout", p).value_or(s.timeoutMs);
        if ((s.type == SourceType::Prometheus || s.type == SourceType::JsonHttp) && s.url.isEmpty())
            c.error(n, YamlCursor::join(p, QStringLiteral("url")),
                    QStringLiteral("a %1 source needs a url").arg(toString(s.type)));
        if (s.type == SourceType::JsonLines && s.path.isEmpty())
            c.error(n, YamlCursor::join(p, QStringLiteral("path")),
                    QStringLiteral("a json_lines source needs the path of the log file"));
        return s;
    }

    BackendSpec readBackend(const QString& name, const YAML::Node& n, const QString& p)
    {
        if (ConnectionReaders::isCommandBackend(n))
            return ConnectionReaders::readCommandBackend(c, name, n, p);
        BackendSpec b;
        b.name = name;
        b.where = {n.Mark().line + 1, n.Mark().column + 1};
        if (!c.checkMap(n, p,
                        {QStringLiteral("type"), QStringLiteral("url"), QStringLiteral("path"),
                         QStringLiteral("token_env"), QStringLiteral("project"),
                         QStringLiteral("environment"), QStringLiteral("calls"),
                         QStringLiteral("operations")}))
            return b;
        b.type = choice<BackendType>(n, "type", p,
                                     {{QStringLiteral("flagd_file"), BackendType::FlagdFile},
                                      {QStringLiteral("unleash"), BackendType::Unleash},
                                      {QStringLiteral("http_admin"), BackendType::HttpAdmin},
                                      {QStringLiteral("command"), BackendType::Command}},
                                     true)
                     .value_or(BackendType::FlagdFile);
        b.url = c.string(n, "url", p).value_or(QString());
        b.path = c.string(n, "path", p).value_or(QString());
        b.tokenEnv = c.string(n, "token_env", p).value_or(QString());
        b.project = c.string(n, "project", p).value_or(b.project);
        b.environment = c.string(n, "environment", p).value_or(QString());
        forEachInMap(
            n["calls"], YamlCursor::join(p, QStringLiteral("calls")),
            [&](const QString& call, const YAML::Node& cn, const QString& cp) {
                static const Strings known = {QStringLiteral("enable"), QStringLiteral("disable"),
                                              QStringLiteral("set_percentage"), QStringLiteral("set_segment"),
                                              QStringLiteral("status")};
                if (!known.contains(call)) {
                    c.error(cn, cp,
                            QStringLiteral("unknown call \"%1\" (expected one of: %2)")
                                .arg(call, known.join(QStringLiteral(", "))));
                    return;
                }
                // Only the status call reads anything back, so only it says where the answer is.
                const bool isStatus = call == QLatin1String("status");
                Strings keys = {QStringLiteral("method"), QStringLiteral("path"), QStringLiteral("body")};
                if (isStatus)
                    keys += Strings{QStringLiteral("enabled"), QStringLiteral("percent"),
                                    QStringLiteral("segments")};
                if (!c.checkMap(cn, cp, keys)) return;
                HttpCall h;
                h.method = c.string(cn, "method", cp).value_or(h.method).toUpper();
                h.path = c.string(cn, "path", cp, true).value_or(QString());
                h.body = c.string(cn, "body", cp).value_or(QString());
                if (isStatus) {
                    h.enabled = jsonPointer(cn, "enabled", cp);
                    h.percent = jsonPointer(cn, "percent", cp);
                    h.segments = jsonPointer(cn, "segments", cp);
                    if (b.type == BackendType::HttpAdmin && h.enabled.isEmpty() && h.percent.isEmpty())
                        c.error(
                            cn, YamlCursor::join(cp, QStringLiteral("enabled")),
                            QStringLiteral(
                                "an http_admin status call needs \"enabled\" or \"percent\": the JSON "
                                "pointer to where "
                                "its answer holds the flag's state, e.g. enabled: /flags/{flag}/enabled"));
                }
                b.calls.insert(call, h);
            });
        b.operations = PlanActionReader(c).operations(n["operations"],
                                                      YamlCursor::join(p, QStringLiteral("operations")));
        if (!b.operations.isEmpty() && b.type != BackendType::HttpAdmin)
            c.error(n["operations"], YamlCursor::join(p, QStringLiteral("operations")),
                    QStringLiteral("only an http_admin backend has operations"));
        if ((b.type == BackendType::Unleash || b.type == BackendType::HttpAdmin) && b.url.isEmpty())
            c.error(n, YamlCursor::join(p, QStringLiteral("url")),
                    QStringLiteral("a %1 backend needs a url").arg(toString(b.type)));
        if (b.type == BackendType::FlagdFile && b.path.isEmpty())
            c.error(n, YamlCursor::join(p, QStringLiteral("path")),
                    QStringLiteral("a flagd_file backend needs the path of the flag file"));
        if (b.type == BackendType::HttpAdmin && (!b.calls.contains(QStringLiteral("set_percentage")) ||
                                                 !b.calls.contains(QStringLiteral("status"))))
            c.error(
                n, YamlCursor::join(p, QStringLiteral("calls")),
                QStringLiteral("an http_admin backend needs at least the set_percentage and status calls"));
        return b;
    }

    // An optional JSON pointer (RFC 6901): empty, or starting with "/".
    QString jsonPointer(const YAML::Node& map, const char* key, const QString& path)
    {
        const QString s = c.string(map, key, path).value_or(QString());
        if (!s.isEmpty() && !s.startsWith(QLatin1Char('/')))
            c.error(map[key], YamlCursor::join(path, QLatin1String(key)),
                    QStringLiteral("expected a JSON pointer starting with \"/\", got \"%1\"").arg(s));
        return s;
    }

    std::optional<FlagSetting> flagSetting(const YAML::Node& n, const QString& p)
    {
        if (!n.IsScalar()) {
            c.error(n, p, QStringLiteral("expected on, off or a percentage"));
            return std::nullopt;
        }
        QString s = YamlCursor::scalar(n).trimmed().toLower();
        if (s == QLatin1String("on") || s == QLatin1String("true")) return FlagSetting{true, 100.0};
        if (s == QLatin1String("off") || s == QLatin1String("false")) return FlagSetting{false, 0.0};
        if (s.endsWith(QLatin1Char('%'))) s.chop(1);
        bool ok = false;
        const double v = s.toDouble(&ok);
        if (!ok || v < 0.0 || v > 100.0) {
            c.error(n, p,
                    QStringLiteral("expected on, off or a percentage between 0% and 100%, got \"%1\"")
                        .arg(YamlCursor::scalar(n)));
            return std::nullopt;
        }
        return FlagSetting{v > 0.0, v};
    }

    QMap<QString, FlagSetting> flagSettings(const YAML::Node& n, const QString& p)
    {
        QMap<QString, FlagSetting> out;
        forEachInMap(n, p, [&](const QString& key, const YAML::Node& v, const QString& vp) {
            if (auto s = flagSetting(v, vp)) out.insert(key, *s);
        });
        return out;
    }

    FlagSpec readFlag(const YAML::Node& n, const QString& p)
    {
        FlagSpec f;
        f.where = {n.Mark().line + 1, n.Mark().column + 1};
        if (!c.checkMap(n, p,
                        {QStringLiteral("key"), QStringLiteral("backend"), QStringLiteral("description"),
                         QStringLiteral("stickiness"), QStringLiteral("environments")}))
            return f;
        f.key = c.string(n, "key", p, true).value_or(QString());
        f.backend = c.string(n, "backend", p, true).value_or(QString());
        f.description = c.string(n, "description", p).value_or(QString());
        f.stickiness = c.string(n, "stickiness", p).value_or(f.stickiness);
        f.environments = flagSettings(n["environments"], YamlCursor::join(p, QStringLiteral("environments")));
        return f;
    }

    MetricSpec readMetric(const QString& name, const YAML::Node& n, const QString& p)
    {
        MetricSpec m;
        m.name = name;
        m.where = {n.Mark().line + 1, n.Mark().column + 1};
        if (!c.checkMap(n, p,
                        {QStringLiteral("source"), QStringLiteral("query"), QStringLiteral("unit"),
                         QStringLiteral("bad"), QStringLiteral("interval"), QStringLiteral("canary"),
                         QStringLiteral("baseline"), QStringLiteral("simulate"),
                         QStringLiteral("description"), QStringLiteral("kind"), QStringLiteral("events"),
                         QStringLiteral("trials"), QStringLiteral("per"), QStringLiteral("judge")}))
            return m;
        m.thresholdOnly =
            choice<bool>(n, "judge", p,
                         {{QStringLiteral("threshold"), true}, {QStringLiteral("evidence"), false}})
                .value_or(false);
        m.source = c.string(n, "source", p, true).value_or(QString());
        m.query = c.string(n, "query", p).value_or(QString());
        m.eventsQuery = c.string(n, "events", p).value_or(QString());
        m.trialsQuery = c.string(n, "trials", p).value_or(QString());
        m.per = c.string(n, "per", p).value_or(QString());
        const auto kind = choice<MetricKind>(
            n, "kind", p,
            {{QStringLiteral("rate"), MetricKind::Rate}, {QStringLiteral("value"), MetricKind::Value}});
        if (m.eventsQuery.isEmpty() != m.trialsQuery.isEmpty())
            c.error(n[m.eventsQuery.isEmpty() ? "trials" : "events"],
                    YamlCursor::join(p, m.eventsQuery.isEmpty() ? QStringLiteral("events")
                                                                : QStringLiteral("trials")),
                    QStringLiteral("a rate's counts need both \"events\" and \"trials\" (two raw counters, "
                                   "e.g. errors and requests)"));
        if (kind == MetricKind::Value && (!m.eventsQuery.isEmpty() || !m.per.isEmpty()))
            c.error(n["kind"], YamlCursor::join(p, QStringLiteral("kind")),
                    QStringLiteral("\"events\", \"trials\" and \"per\" belong to a metric of kind: rate"));
        m.description = c.string(n, "description", p).value_or(QString());
        if (const auto u = c.string(n, "unit", p)) {
            const auto unit = ConditionParser::unitFromName(*u);
            if (unit)
                m.unit = *unit;
            else
                m_badUnits.insert(name);
            if (!unit)
                c.error(n["unit"], YamlCursor::join(p, QStringLiteral("unit")),
                        QStringLiteral("unknown unit \"%1\" (expected one of: none, ratio, percent, s, ms, "
                                       "bytes, MB, rps, per_hour, count, usd)")
                            .arg(*u));
        }
        m.bad = choice<BadDirection>(n, "bad", p,
                                     {{QStringLiteral("high"), BadDirection::High},
                                      {QStringLiteral("low"), BadDirection::Low},
                                      {QStringLiteral("neither"), BadDirection::Neither}})
                    .value_or(BadDirection::High);
        m.intervalMs = c.duration(n, "interval", p).value_or(m.intervalMs);
        if (m.intervalMs < 1000)
            c.error(n["interval"], YamlCursor::join(p, QStringLiteral("interval")),
                    QStringLiteral("a metric is polled at most once a second"));
        m.canary = c.stringMap(n, "canary", p);
        const YAML::Node b = n["baseline"];
        const QString bp = YamlCursor::join(p, QStringLiteral("baseline"));
        if (b.IsDefined() && !b.IsNull() &&
            c.checkMap(b, bp,
                       {QStringLiteral("query"), QStringLiteral("series"), QStringLiteral("captured"),
                        QStringLiteral("value")})) {
            int kinds = 0;
            if (const auto q = c.string(b, "query", bp)) {
                m.baseline.kind = BaselineSpec::Kind::Query;
                m.baseline.query = *q;
                ++kinds;
            }
            if (b["series"].IsDefined()) {
                m.baseline.kind = BaselineSpec::Kind::Series;
                m.baseline.series = c.stringMap(b, "series", bp);
                ++kinds;
            }
            if (c.boolean(b, "captured", bp).value_or(false)) {
                m.baseline.kind = BaselineSpec::Kind::Captured;
                ++kinds;
            }
            if (const auto v = c.string(b, "value", bp)) {
                QString why;
                const auto q = ConditionParser::parseQuantity(*v, m.unit, &why);
                if (q)
                    m.baseline.value = *q;
                else
                    c.error(b["value"], YamlCursor::join(bp, QStringLiteral("value")), why);
                m.baseline.kind = BaselineSpec::Kind::Fixed;
                ++kinds;
            }
            if (kinds != 1)
                c.error(b, bp,
                        QStringLiteral("a baseline is exactly one of: query, series, captured: true, value"));
        }
        const YAML::Node s = n["simulate"];
        const QString sp = YamlCursor::join(p, QStringLiteral("simulate"));
        if (s.IsDefined() && !s.IsNull() &&
            c.checkMap(s, sp,
                       {QStringLiteral("signal"), QStringLiteral("quantile"), QStringLiteral("mean"),
                        QStringLiteral("noise"), QStringLiteral("event")})) {
            static const Strings knownSignals = {
                QStringLiteral("error_ratio"),  QStringLiteral("latency_quantile"),
                QStringLiteral("request_rate"), QStringLiteral("memory"),
                QStringLiteral("cpu"),          QStringLiteral("cost"),
                QStringLiteral("gauge"),        QStringLiteral("events"),
                QStringLiteral("event_counter")};
            m.simulate.signal = c.string(s, "signal", sp, true).value_or(QString());
            if (!m.simulate.signal.isEmpty() && !knownSignals.contains(m.simulate.signal))
                c.error(s["signal"], YamlCursor::join(sp, QStringLiteral("signal")),
                        QStringLiteral("unknown signal \"%1\" (expected one of: %2)")
                            .arg(m.simulate.signal, knownSignals.join(QStringLiteral(", "))));
            m.simulate.quantile = c.number(s, "quantile", sp).value_or(m.simulate.quantile);
            m.simulate.mean = c.number(s, "mean", sp).value_or(0.0);
            m.simulate.noise = c.number(s, "noise", sp).value_or(0.0);
            m.simulate.event = c.string(s, "event", sp).value_or(QString());
        }
        // A rate is a proportion: stated, implied by its counters, or simulated as an error ratio.
        m.kind = kind.value_or(m.hasCounterQueries() || !m.per.isEmpty() || m.simulatesCounts()
                                   ? MetricKind::Rate
                                   : MetricKind::Value);
        if (m.kind == MetricKind::Rate && m.unit != Unit::Ratio && m.unit != Unit::Percent)
            c.error(n["unit"].IsDefined() ? n["unit"] : n, YamlCursor::join(p, QStringLiteral("unit")),
                    QStringLiteral("a rate is a proportion: its unit is ratio or percent"));
        return m;
    }

    TriggerSpec readTrigger(const YAML::Node& n, const QString& p, bool inPhase)
    {
        TriggerSpec t;
        t.where = {n.Mark().line + 1, n.Mark().column + 1};
        if (!c.checkMap(n, p,
                        QStringList{QStringLiteral("name"), QStringLiteral("when"), QStringLiteral("for"),
                                    QStringLiteral("kind"), QStringLiteral("action"),
                                    QStringLiteral("unless"), QStringLiteral("severity"),
                                    QStringLiteral("description"), QStringLiteral("disabled"),
                                    QStringLiteral("dry_run"), QStringLiteral("on_inconclusive"),
                                    QStringLiteral("confidence"), QStringLiteral("actions")} +
                            ConditionReader::measurementKeys()))
            return t;
        t.name = c.string(n, "name", p, true).value_or(QString());
        t.disabled = c.boolean(n, "disabled", p).value_or(false);
        if (t.disabled && inPhase) return t; // switching a plan-wide trigger off needs only its name
        if (t.disabled)
            c.error(n["disabled"], YamlCursor::join(p, QStringLiteral("disabled")),
                    QStringLiteral("only a phase can switch a trigger off"));
        if (n["when"].IsDefined()) {
            if (auto w = m_conditions.condition(n["when"], YamlCursor::join(p, QStringLiteral("when")),
                                                QStringLiteral("trigger")))
                t.when = *w;
        } else {
            c.error(n, YamlCursor::join(p, QStringLiteral("when")),
                    QStringLiteral("required field \"when\" is missing"));
        }
        t.forMs = c.duration(n, "for", p).value_or(0);
        t.kind = choice<TriggerKind>(n, "kind", p,
                                     {{QStringLiteral("hard"), TriggerKind::Hard},
                                      {QStringLiteral("soft"), TriggerKind::Soft}},
                                     true)
                     .value_or(TriggerKind::Soft);
        const auto action =
            choice<TriggerAction>(n, "action", p,
                                  {{QStringLiteral("rollback"), TriggerAction::RollbackPrevious},
                                   {QStringLiteral("rollback_to_zero"), TriggerAction::RollbackToZero},
                                   {QStringLiteral("pause"), TriggerAction::Pause},
                                   {QStringLiteral("alert"), TriggerAction::Alert}});
        t.action = action.value_or(t.kind == TriggerKind::Hard ? TriggerAction::RollbackPrevious
                                                               : TriggerAction::Alert);
        PlanActionReader(c).triggerActions(t, n, p, action.has_value());
        if (t.kind == TriggerKind::Soft && action && *action != TriggerAction::Alert)
            c.error(
                n["action"], YamlCursor::join(p, QStringLiteral("action")),
                QStringLiteral(
                    "a soft trigger only alerts (a person decides); make it kind: hard to act on its own"));
        if (n["unless"].IsDefined())
            t.unless = m_conditions.condition(n["unless"], YamlCursor::join(p, QStringLiteral("unless")),
                                              QStringLiteral("guard"));
        t.severity = c.string(n, "severity", p).value_or(QString());
        if (!t.severity.isEmpty() && !QStringList{QStringLiteral("P0"), QStringLiteral("P1"),
                                                  QStringLiteral("P2"), QStringLiteral("P3")}
                                          .contains(t.severity))
            c.error(n["severity"], YamlCursor::join(p, QStringLiteral("severity")),
                    QStringLiteral("expected P0, P1, P2 or P3, got \"%1\"").arg(t.severity));
        t.description = c.string(n, "description", p).value_or(QString());
        t.dryRun = c.boolean(n, "dry_run", p).value_or(false);
        t.onInconclusive = m_conditions.inconclusivePolicy(n, p);
        t.confidence = m_conditions.confidence(n, "confidence", p);
        m_conditions.readTriggerMeasurement(n, p, t);
        return t;
    }

    CohortSpec readCohort(const YAML::Node& n, const QString& p)
    {
        CohortSpec cohort;
        if (!n.IsDefined() || n.IsNull()) return cohort;
        if (!c.checkMap(n, p,
                        {QStringLiteral("random"), QStringLiteral("sticky"), QStringLiteral("segments"),
                         QStringLiteral("roles")}))
            return cohort;
        int kinds = 0;
        if (c.boolean(n, "random", p).value_or(false)) {
            cohort.kind = CohortSpec::Kind::Random;
            ++kinds;
        }
        if (const auto s = c.string(n, "sticky", p)) {
            cohort.kind = CohortSpec::Kind::Sticky;
            cohort.attribute = *s;
            ++kinds;
        }
        if (n["segments"].IsDefined()) {
            cohort.kind = CohortSpec::Kind::Segments;
            cohort.segments = c.stringList(n, "segments", p);
            ++kinds;
        }
        if (n["roles"].IsDefined()) {
            cohort.kind = CohortSpec::Kind::Roles;
            cohort.roles = c.stringList(n, "roles", p);
            ++kinds;
        }
        if (kinds > 1) c.error(n, p, QStringLiteral("a cohort is one of: random, sticky, segments, roles"));
        return cohort;
    }

    PhaseSpec readPhase(const YAML::Node& n, const QString& p)
    {
        PhaseSpec ph;
        ph.where = {n.Mark().line + 1, n.Mark().column + 1};
        if (!c.checkMap(n, p,
                        {QStringLiteral("name"), QStringLiteral("description"), QStringLiteral("traffic"),
                         QStringLiteral("flags"), QStringLiteral("cohort"), QStringLiteral("min_duration"),
                         QStringLiteral("max_duration"), QStringLiteral("success"), QStringLiteral("attest"),
                         QStringLiteral("triggers"), QStringLiteral("checklist"), QStringLiteral("approvals"),
                         QStringLiteral("auto_promote"), QStringLiteral("optional"),
                         QStringLiteral("cohorts")}))
            return ph;
        ph.name = c.string(n, "name", p, true).value_or(QString());
        ph.description = c.string(n, "description", p).value_or(QString());
        // NaN marks "already reported" so that the ordering check does not pile on.
        ph.traffic = c.percent(n, "traffic", p, true).value_or(std::numeric_limits<double>::quiet_NaN());
        ph.flags = flagSettings(n["flags"], YamlCursor::join(p, QStringLiteral("flags")));
        ph.cohort = readCohort(n["cohort"], YamlCursor::join(p, QStringLiteral("cohort")));
        forEachInMap(n["cohorts"], YamlCursor::join(p, QStringLiteral("cohorts")),
                     [&](const QString& flag, const YAML::Node& cn, const QString& cp) {
                         ph.flagCohorts.insert(flag, readCohort(cn, cp));
                     });
        ph.minDurationMs = c.duration(n, "min_duration", p).value_or(0);
        ph.maxDurationMs = c.duration(n, "max_duration", p);
        forEachInList(n["success"], YamlCursor::join(p, QStringLiteral("success")),
                      [&](const YAML::Node& sn, const QString& sp) {
                          if (auto cond = m_conditions.criterion(sn, sp)) ph.success.push_back(*cond);
                      });
        ph.attest = c.stringList(n, "attest", p);
        forEachInList(n["triggers"], YamlCursor::join(p, QStringLiteral("triggers")),
                      [&](const YAML::Node& tn, const QString& tp) {
                          ph.triggers.push_back(readTrigger(tn, tp, true));
                      });
        ph.checklist = c.string(n, "checklist", p).value_or(QString());
        forEachInList(n["approvals"], YamlCursor::join(p, QStringLiteral("approvals")),
                      [&](const YAML::Node& an, const QString& ap) {
                          if (!c.checkMap(an, ap,
                                          {QStringLiteral("role"), QStringLiteral("count"),
                                           QStringLiteral("mandatory")}))
                              return;
                          ApprovalRequirement a;
                          a.role = c.string(an, "role", ap, true).value_or(QString());
                          const double count = c.number(an, "count", ap).value_or(1.0);
                          if (count < 1 || count != double(int(count)))
                              c.error(an["count"], YamlCursor::join(ap, QStringLiteral("count")),
                                      QStringLiteral("expected a whole number of approvals, at least 1"));
                          a.count = int(count);
                          a.mandatory = c.boolean(an, "mandatory", ap).value_or(false);
                          ph.approvals.push_back(a);
                      });
        ph.autoPromote = c.boolean(n, "auto_promote", p).value_or(false);
        ph.optional = c.boolean(n, "optional", p).value_or(false);
        return ph;
    }

    Checklist readChecklist(const QString& name, const YAML::Node& n, const QString& p)
    {
        Checklist list;
        list.name = name;
        if (!n.IsMap()) {
            c.error(
                n, p,
                QStringLiteral("expected sections (technical, operational, …) each with a list of items"));
            return list;
        }
        for (auto it = n.begin(); it != n.end(); ++it) {
            ChecklistSection s;
            s.name = YamlCursor::scalar(it->first);
            const QString sp = YamlCursor::join(p, s.name);
            if (!c.checkSequence(it->second, sp)) continue;
            for (std::size_t i = 0; i < it->second.size(); ++i) {
                const YAML::Node item = it->second[i];
                if (!item.IsScalar() || YamlCursor::scalar(item).trimmed().isEmpty()) {
                    c.error(item, YamlCursor::index(sp, int(i)),
                            QStringLiteral("expected the text of a checklist item"));
                    continue;
                }
                s.items.append(YamlCursor::scalar(item));
            }
            if (s.items.isEmpty())
                c.error(it->second, sp, QStringLiteral("a checklist section needs at least one item"));
            list.sections.push_back(s);
        }
        return list;
    }

    YamlCursor& c;
    const Plan* m_plan = nullptr;
    QSet<QString> m_badUnits;     // metrics whose unit did not parse
    ConditionReader m_conditions; // conditions, criteria, budgets, judgement
public:
    QSet<QString> m_badSources; // sources whose type did not parse
};

} // namespace

PlanLoadResult PlanLoader::loadFile(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        PlanLoadResult r;
        r.errors.append({path, 0, 0, {}, QStringLiteral("cannot read the plan: %1").arg(f.errorString())});
        return r;
    }
    if (f.size() > 4 * 1024 * 1024) {
        PlanLoadResult r;
        r.errors.append(
            {path, 0, 0, {}, QStringLiteral("the plan is larger than 4 MiB; that is not a plan")});
        return r;
    }
    return loadBytes(f.readAll(), path);
}

PlanLoadResult PlanLoader::loadBytes(const QByteArray& bytes, const QString& fileName)
{
    PlanLoadResult result;
    YamlCursor cursor(fileName);
    YAML::Node root;
    try {
        root = YAML::Load(bytes.toStdString());
    } catch (const YAML::Exception& e) {
        const QString msg = QString::fromStdString(e.msg);
        cursor.error(e.mark, {},
                     QStringLiteral("not valid YAML: %1%2")
                         .arg(msg, YamlHints::explain(bytes, e.mark.line, e.mark.column, msg)));
        result.errors = cursor.errors();
        return result;
    }
    if (!root.IsDefined() || root.IsNull()) {
        cursor.error(YAML::Mark::null_mark(), {}, QStringLiteral("the plan is empty"));
        result.errors = cursor.errors();
        return result;
    }
    Plan plan;
    QSet<QString> badSources;
    try {
        PlanReader reader(cursor);
        plan = reader.read(root);
        badSources = reader.m_badSources;
    } catch (const YAML::Exception& e) { // yaml-cpp throws on a few malformed shapes; never let it escape
        cursor.error(e.mark, {},
                     QStringLiteral("cannot read the plan: %1").arg(QString::fromStdString(e.msg)));
    }
    if (root.IsMap()) PlanValidator::validate(plan, root, cursor, badSources);
    result.errors = cursor.errors();
    if (!result.errors.isEmpty()) return result;
    plan.fileName = QFileInfo(fileName).fileName();
    plan.sha256 = QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();
    result.plan = std::move(plan);
    return result;
}

} // namespace rollout
