#include "plan/ConnectionReaders.h"

#include <QRegularExpression>
#include <QUrl>

namespace rollout::ConnectionReaders {

namespace {

const QStringList kCalls = {QStringLiteral("enable"), QStringLiteral("disable"),
                            QStringLiteral("set_percentage"), QStringLiteral("set_segment"),
                            QStringLiteral("status")};

bool isVariableName(const QString& s)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]*$"));
    return re.match(s).hasMatch();
}

// An argument vector: a non-empty list of single values, the program first and not empty.
QStringList argv(YamlCursor& c, const YAML::Node& n, const QString& p)
{
    QStringList out;
    if (!n.IsSequence() || n.size() == 0) {
        c.error(n, p,
                n.IsScalar()
                    ? QStringLiteral("expected the command as a list of arguments, e.g. [kubectl, get, "
                                     "configmap, app-config, -o, json]; a command is never given to a shell, "
                                     "so \"%1\" cannot be split for you")
                          .arg(YamlCursor::scalar(n))
                    : QStringLiteral("expected the command as a list of arguments, program first"));
        return out;
    }
    for (std::size_t i = 0; i < n.size(); ++i) {
        if (!n[i].IsScalar()) {
            c.error(n[i], YamlCursor::index(p, int(i)), QStringLiteral("expected a single argument"));
            continue;
        }
        out.append(YamlCursor::scalar(n[i]));
    }
    if (!out.isEmpty() && out.first().trimmed().isEmpty())
        c.error(n[0], YamlCursor::index(p, 0), QStringLiteral("the program (the first argument) is empty"));
    return out;
}

QString jsonPointer(YamlCursor& c, const YAML::Node& map, const char* key, const QString& path)
{
    const QString s = c.string(map, key, path).value_or(QString());
    if (!s.isEmpty() && !s.startsWith(QLatin1Char('/')))
        c.error(map[key], YamlCursor::join(path, QLatin1String(key)),
                QStringLiteral("expected a JSON pointer starting with \"/\", got \"%1\"").arg(s));
    return s;
}

} // namespace

bool isCommandBackend(const YAML::Node& n)
{
    return n.IsMap() && n["type"].IsScalar() && YamlCursor::scalar(n["type"]) == QLatin1String("command");
}

BackendSpec readCommandBackend(YamlCursor& c, const QString& name, const YAML::Node& n, const QString& p)
{
    BackendSpec b;
    b.name = name;
    b.type = BackendType::Command;
    b.where = {n.Mark().line + 1, n.Mark().column + 1};
    if (!c.checkMap(n, p,
                    {QStringLiteral("type"), QStringLiteral("calls"), QStringLiteral("env"),
                     QStringLiteral("timeout")}))
        return b;
    b.timeoutMs = c.duration(n, "timeout", p).value_or(b.timeoutMs);
    if (b.timeoutMs <= 0)
        c.error(n["timeout"], YamlCursor::join(p, QStringLiteral("timeout")),
                QStringLiteral("a command's deadline must be longer than 0s"));
    b.env = c.stringMap(n, "env", p);
    for (auto it = b.env.cbegin(); it != b.env.cend(); ++it)
        if (!isVariableName(it.key()))
            c.error(n["env"], YamlCursor::join(p, QStringLiteral("env")),
                    QStringLiteral("\"%1\" is not an environment variable name").arg(it.key()));
    const YAML::Node calls = n["calls"];
    const QString cp = YamlCursor::join(p, QStringLiteral("calls"));
    if (calls.IsDefined() && !calls.IsNull() && !calls.IsMap())
        c.error(calls, cp,
                QStringLiteral("expected a mapping of operations (set_percentage, status, …) to commands"));
    if (calls.IsMap()) {
        for (auto it = calls.begin(); it != calls.end(); ++it) {
            const QString call = YamlCursor::scalar(it->first);
            const YAML::Node cn = it->second;
            const QString path = YamlCursor::join(cp, call);
            if (!kCalls.contains(call)) {
                c.error(cn, path,
                        QStringLiteral("unknown call \"%1\" (expected one of: %2)")
                            .arg(call, kCalls.join(QStringLiteral(", "))));
                continue;
            }
            const bool isStatus = call == QLatin1String("status");
            CommandCall command;
            if (cn.IsMap()) {
                // {run: [...]} and, for status, where its output holds the state.
                QStringList keys = {QStringLiteral("run")};
                if (isStatus)
                    keys += QStringList{QStringLiteral("enabled"), QStringLiteral("percent"),
                                        QStringLiteral("segments")};
                if (!c.checkMap(cn, path, keys)) continue;
                if (cn["run"].IsDefined())
                    command.argv = argv(c, cn["run"], YamlCursor::join(path, QStringLiteral("run")));
                else
                    c.error(cn, YamlCursor::join(path, QStringLiteral("run")),
                            QStringLiteral("required field \"run\" is missing"));
                if (isStatus) {
                    command.enabled = jsonPointer(c, cn, "enabled", path);
                    command.percent = jsonPointer(c, cn, "percent", path);
                    command.segments = jsonPointer(c, cn, "segments", path);
                }
            } else {
                command.argv = argv(c, cn, path);
            }
            if (isStatus && command.enabled.isEmpty() && command.percent.isEmpty())
                c.error(
                    cn, YamlCursor::join(path, QStringLiteral("enabled")),
                    QStringLiteral(
                        "a command backend's status needs \"enabled\" or \"percent\": the JSON pointer to "
                        "where its output holds the flag's state, e.g. {run: [kubectl, get, configmap, "
                        "app-config, -o, json], percent: /data/ROLLOUT_PCT}"));
            b.commands.insert(call, command);
        }
    }
    if (!b.commands.contains(QStringLiteral("set_percentage")) ||
        !b.commands.contains(QStringLiteral("status")))
        c.error(calls.IsDefined() ? calls : n, cp,
                QStringLiteral("a command backend needs at least the set_percentage and status commands"));
    return b;
}

PagerSpec readPager(YamlCursor& c, const YAML::Node& n, const QString& p)
{
    PagerSpec pager;
    pager.where = {n.Mark().line + 1, n.Mark().column + 1};
    if (!c.checkMap(n, p,
                    {QStringLiteral("type"), QStringLiteral("routing_key_env"), QStringLiteral("url"),
                     QStringLiteral("severities")}))
        return pager;
    if (const auto type = c.string(n, "type", p, true); type && *type != QLatin1String("pagerduty"))
        c.error(n["type"], YamlCursor::join(p, QStringLiteral("type")),
                QStringLiteral("unknown value \"%1\" (expected one of: pagerduty)").arg(*type));
    pager.routingKeyEnv = c.string(n, "routing_key_env", p, true).value_or(QString());
    if (!pager.routingKeyEnv.isEmpty() && !isVariableName(pager.routingKeyEnv))
        c.error(
            n["routing_key_env"], YamlCursor::join(p, QStringLiteral("routing_key_env")),
            QStringLiteral("expected the name of the environment variable that holds the routing key (e.g. "
                           "PD_ROUTING_KEY), never the key itself"));
    if (const auto url = c.string(n, "url", p)) {
        const QUrl parsed(*url, QUrl::StrictMode);
        if (!parsed.isValid() ||
            (parsed.scheme() != QLatin1String("https") && parsed.scheme() != QLatin1String("http")) ||
            parsed.host().isEmpty())
            c.error(n["url"], YamlCursor::join(p, QStringLiteral("url")),
                    QStringLiteral(
                        "expected an http(s) URL such as https://events.pagerduty.com/v2/enqueue, got \"%1\"")
                        .arg(*url));
        pager.url = *url;
    }
    if (n["severities"].IsDefined()) {
        pager.severities = c.stringList(n, "severities", p);
        static const QStringList known = {QStringLiteral("P0"), QStringLiteral("P1"), QStringLiteral("P2"),
                                          QStringLiteral("P3")};
        for (const QString& s : std::as_const(pager.severities))
            if (!known.contains(s))
                c.error(n["severities"], YamlCursor::join(p, QStringLiteral("severities")),
                        QStringLiteral("expected P0, P1, P2 or P3, got \"%1\"").arg(s));
    }
    return pager;
}

} // namespace rollout::ConnectionReaders
