#include "plan/YamlCursor.h"

#include "plan/Duration.h"

#include <QSet>
#include <algorithm>
#include <cmath>

namespace rollout {

namespace {

int editDistance(const QString& a, const QString& b)
{
    std::vector<int> prev(b.size() + 1), cur(b.size() + 1);
    for (int j = 0; j <= b.size(); ++j)
        prev[j] = j;
    for (int i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (int j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

QString closest(const QString& key, const QStringList& allowed)
{
    QString best;
    int bestDistance = 3; // only suggest near misses
    for (const QString& a : allowed) {
        const int d = editDistance(key, a);
        if (d < bestDistance) {
            bestDistance = d;
            best = a;
        }
    }
    return best;
}

const char* kindName(const YAML::Node& n)
{
    switch (n.Type()) {
    case YAML::NodeType::Map:
        return "a mapping";
    case YAML::NodeType::Sequence:
        return "a list";
    case YAML::NodeType::Scalar:
        return "a single value";
    case YAML::NodeType::Null:
        return "nothing";
    default:
        return "nothing";
    }
}

} // namespace

void YamlCursor::error(const YAML::Mark& at, const QString& path, const QString& message)
{
    PlanError e;
    e.file = m_file;
    if (!at.is_null()) {
        e.line = at.line + 1;
        e.column = at.column + 1;
    }
    e.path = path;
    e.message = message;
    m_errors.append(e);
}

void YamlCursor::error(const YAML::Node& at, const QString& path, const QString& message)
{
    error(at.IsDefined() ? at.Mark() : YAML::Mark::null_mark(), path, message);
}

void YamlCursor::errorAtColumn(const YAML::Node& at, int offset, const QString& path, const QString& message)
{
    YAML::Mark m = at.Mark();
    // Point inside a plain one-line scalar; quoted or folded scalars keep the node's own column.
    if (!m.is_null() && at.Tag() == "?") m.column += offset;
    error(m, path, message);
}

bool YamlCursor::checkMap(const YAML::Node& node, const QString& path, const QStringList& allowed)
{
    if (!node.IsMap()) {
        error(node, path, QStringLiteral("expected a mapping, got %1").arg(QLatin1String(kindName(node))));
        return false;
    }
    QSet<QString> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
        const QString key = scalar(it->first);
        if (seen.contains(key)) {
            error(it->first, join(path, key), QStringLiteral("duplicate key \"%1\"").arg(key));
            continue;
        }
        seen.insert(key);
        if (!allowed.contains(key)) {
            const QString hint = closest(key, allowed);
            error(it->first, join(path, key),
                  hint.isEmpty() ? QStringLiteral("unknown key \"%1\" (expected one of: %2)")
                                       .arg(key, allowed.join(QStringLiteral(", ")))
                                 : QStringLiteral("unknown key \"%1\"; did you mean \"%2\"?").arg(key, hint));
        }
    }
    return true;
}

bool YamlCursor::checkSequence(const YAML::Node& node, const QString& path)
{
    if (node.IsSequence()) return true;
    error(node, path, QStringLiteral("expected a list, got %1").arg(QLatin1String(kindName(node))));
    return false;
}

std::optional<QString> YamlCursor::string(const YAML::Node& map, const char* key, const QString& path,
                                          bool required)
{
    const YAML::Node n = map[key];
    const QString p = join(path, QLatin1String(key));
    if (!n.IsDefined() || n.IsNull()) {
        if (required)
            error(map, p, QStringLiteral("required field \"%1\" is missing").arg(QLatin1String(key)));
        return std::nullopt;
    }
    if (!n.IsScalar()) {
        error(n, p, QStringLiteral("expected text, got %1").arg(QLatin1String(kindName(n))));
        return std::nullopt;
    }
    return scalar(n);
}

std::optional<double> YamlCursor::number(const YAML::Node& map, const char* key, const QString& path,
                                         bool required)
{
    const auto s = string(map, key, path, required);
    if (!s) return std::nullopt;
    bool ok = false;
    const double v = s->toDouble(&ok);
    if (!ok || !std::isfinite(v)) {
        error(map[key], join(path, QLatin1String(key)),
              QStringLiteral("expected a number, got \"%1\"").arg(*s));
        return std::nullopt;
    }
    return v;
}

std::optional<bool> YamlCursor::boolean(const YAML::Node& map, const char* key, const QString& path)
{
    const auto s = string(map, key, path);
    if (!s) return std::nullopt;
    const QString v = s->toLower();
    if (v == QLatin1String("true") || v == QLatin1String("yes")) return true;
    if (v == QLatin1String("false") || v == QLatin1String("no")) return false;
    error(map[key], join(path, QLatin1String(key)),
          QStringLiteral("expected true or false, got \"%1\"").arg(*s));
    return std::nullopt;
}

std::optional<qint64> YamlCursor::duration(const YAML::Node& map, const char* key, const QString& path,
                                           bool required)
{
    const auto s = string(map, key, path, required);
    if (!s) return std::nullopt;
    QString why;
    const auto ms = Duration::parseMs(*s, &why);
    if (!ms) error(map[key], join(path, QLatin1String(key)), why);
    return ms;
}

std::optional<double> YamlCursor::percent(const YAML::Node& map, const char* key, const QString& path,
                                          bool required)
{
    const auto s = string(map, key, path, required);
    if (!s) return std::nullopt;
    QString t = s->trimmed();
    if (t.endsWith(QLatin1Char('%'))) t.chop(1);
    bool ok = false;
    const double v = t.toDouble(&ok);
    const QString p = join(path, QLatin1String(key));
    if (!ok || !std::isfinite(v)) {
        error(map[key], p, QStringLiteral("expected a percentage such as 10%, got \"%1\"").arg(*s));
        return std::nullopt;
    }
    if (v < 0.0 || v > 100.0) {
        error(map[key], p, QStringLiteral("a percentage must be between 0% and 100%, got %1").arg(*s));
        return std::nullopt;
    }
    return v;
}

QStringList YamlCursor::stringList(const YAML::Node& map, const char* key, const QString& path)
{
    const YAML::Node n = map[key];
    const QString p = join(path, QLatin1String(key));
    if (!n.IsDefined() || n.IsNull()) return {};
    if (n.IsScalar()) return {scalar(n)};
    if (!checkSequence(n, p)) return {};
    QStringList out;
    for (std::size_t i = 0; i < n.size(); ++i) {
        if (!n[i].IsScalar()) {
            error(n[i], index(p, int(i)),
                  QStringLiteral("expected text, got %1").arg(QLatin1String(kindName(n[i]))));
            continue;
        }
        out.append(scalar(n[i]));
    }
    return out;
}

QMap<QString, QString> YamlCursor::stringMap(const YAML::Node& map, const char* key, const QString& path)
{
    const YAML::Node n = map[key];
    const QString p = join(path, QLatin1String(key));
    QMap<QString, QString> out;
    if (!n.IsDefined() || n.IsNull()) return out;
    if (!n.IsMap()) {
        error(
            n, p,
            QStringLiteral("expected a mapping of names to values, got %1").arg(QLatin1String(kindName(n))));
        return out;
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
        if (!it->second.IsScalar()) {
            error(it->second, join(p, scalar(it->first)), QStringLiteral("expected a single value"));
            continue;
        }
        out.insert(scalar(it->first), scalar(it->second));
    }
    return out;
}

QString PlanError::toString() const
{
    QString where = file;
    if (line > 0) where += QStringLiteral(":%1:%2").arg(line).arg(column);
    return path.isEmpty() ? QStringLiteral("%1: %2").arg(where, message)
                          : QStringLiteral("%1: %2: %3").arg(where, path, message);
}

} // namespace rollout
