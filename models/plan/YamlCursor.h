#pragma once

#include "plan/PlanError.h"

#include <QMap>
#include <QStringList>
#include <optional>
#include <yaml-cpp/yaml.h>

namespace rollout {

// Typed, error-collecting reads from a yaml-cpp tree. Each read names the field path and the
// node's position, so every message points at file:line:column; reads never throw and every
// error is kept, so that a plan's problems are all reported at once.
class YamlCursor
{
public:
    explicit YamlCursor(QString fileName) : m_file(std::move(fileName)) {}

    // Reports keys not in `allowed` (with a "did you mean" when one is close) and duplicate keys.
    // Returns false (and reports) when `node` is not a mapping.
    bool checkMap(const YAML::Node& node, const QString& path, const QStringList& allowed);
    bool checkSequence(const YAML::Node& node, const QString& path);

    std::optional<QString> string(const YAML::Node& map, const char* key, const QString& path,
                                  bool required = false);
    std::optional<double> number(const YAML::Node& map, const char* key, const QString& path,
                                 bool required = false);
    std::optional<bool> boolean(const YAML::Node& map, const char* key, const QString& path);
    std::optional<qint64> duration(const YAML::Node& map, const char* key, const QString& path,
                                   bool required = false);
    // A percentage written as 25 or "25%", between 0 and 100.
    std::optional<double> percent(const YAML::Node& map, const char* key, const QString& path,
                                  bool required = false);
    // A scalar or a list of scalars, as a list.
    QStringList stringList(const YAML::Node& map, const char* key, const QString& path);
    // A mapping of scalars to scalars.
    QMap<QString, QString> stringMap(const YAML::Node& map, const char* key, const QString& path);

    void error(const YAML::Node& at, const QString& path, const QString& message);
    void error(const YAML::Mark& at, const QString& path, const QString& message);
    void errorAtColumn(const YAML::Node& at, int offset, const QString& path, const QString& message);

    static QString scalar(const YAML::Node& n) { return QString::fromStdString(n.Scalar()); }
    static QString join(const QString& path, const QString& key)
    {
        return path.isEmpty() ? key : path + QLatin1Char('.') + key;
    }
    static QString index(const QString& path, int i) { return path + QStringLiteral("[%1]").arg(i); }

    const PlanErrors& errors() const { return m_errors; }
    const QString& fileName() const { return m_file; }

private:
    QString m_file;
    PlanErrors m_errors;
};

} // namespace rollout
