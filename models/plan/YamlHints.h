#pragma once

#include <QByteArray>
#include <QString>

namespace rollout {

// What a YAML syntax error most likely means, in a plan author's words: yaml-cpp says "unknown
// token" where an unquoted URL with "?" stands inside {…} (a flow mapping, where "?" starts a
// key). Returns an addition to the message, or an empty string when nothing better is known.
class YamlHints
{
public:
    // `line` and `column` are yaml-cpp's 0-based mark of the error.
    static QString explain(const QByteArray& bytes, int line, int column, const QString& yamlMessage);
};

} // namespace rollout
