#include "plan/YamlHints.h"

#include <QList>

namespace rollout {

QString YamlHints::explain(const QByteArray& bytes, int line, int column, const QString& yamlMessage)
{
    if (line < 0 || column < 0) return {};
    const QList<QByteArray> lines = bytes.split('\n');
    if (line >= lines.size()) return {};
    const QString text = QString::fromUtf8(lines[line]);
    if (column >= text.size()) return {};
    // Inside {…}: an opening brace before the error that is not closed before it.
    const int open = text.lastIndexOf(QLatin1Char('{'), column);
    if (open < 0) return {};
    const int close = text.indexOf(QLatin1Char('}'), open);
    if (close >= 0 && close < column) return {};
    // The value the error stands in: from after ": " (or "{", ",") to the next "," or "}".
    int start = column;
    while (start > open + 1) {
        const QChar c = text[start - 1];
        if (c == QLatin1Char(',') || c == QLatin1Char('{')) break;
        if (c == QLatin1Char(' ') && start >= 2 && text[start - 2] == QLatin1Char(':')) break;
        --start;
    }
    int end = column;
    while (end < text.size() && text[end] != QLatin1Char(',') && text[end] != QLatin1Char('}'))
        ++end;
    const QString value = text.mid(start, end - start).trimmed();
    const bool special = value.contains(QLatin1Char('?')) || value.contains(QLatin1Char('#')) ||
                         value.contains(QLatin1String("://"));
    if (!special || !(yamlMessage.contains(QLatin1String("unknown token")) ||
                      yamlMessage.contains(QLatin1String("end of map")) || value.contains(QLatin1Char('?'))))
        return {};
    QString quoted = value;
    quoted.replace(QLatin1Char('"'), QLatin1String("\\\""));
    return QStringLiteral("; inside {…} the value %1 needs quotes (\"?\", \":\" and \"#\" mean something "
                          "there): write \"%2\"")
        .arg(value, quoted);
}

} // namespace rollout
