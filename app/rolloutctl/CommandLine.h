#pragma once

#include "../HelpText.h"
#include "Commands.h"

#include <QCommandLineParser>
#include <QTextStream>
#include <optional>

namespace rolloutctl {

// Parses one command's arguments. Returns an exit code when the command should stop here
// (--help printed: 0; a usage error printed: 2), nullopt to go on.
inline std::optional<int> parseArguments(QCommandLineParser& parser, const QString& command,
                                         const QStringList& args)
{
    parser.addHelpOption();
    const QString name = QStringLiteral("rolloutctl ") + command;
    QStringList argv = args;
    argv.prepend(name); // parse() skips the first argument: the program
    if (!parser.parse(argv)) {
        QTextStream(stderr) << name << ": " << parser.errorText() << "\n\n" << helpTextFor(parser, name);
        return Usage;
    }
    if (parser.isSet(QStringLiteral("help")) || parser.isSet(QStringLiteral("help-all"))) {
        QTextStream(stdout) << helpTextFor(parser, name);
        return Ok;
    }
    return std::nullopt;
}

// Left-aligned columns for terminal tables.
class TextTable
{
public:
    explicit TextTable(QStringList header) { m_rows.append(std::move(header)); }
    void add(QStringList row) { m_rows.append(std::move(row)); }
    QString render() const
    {
        QList<int> widths;
        for (const QStringList& r : m_rows)
            for (int i = 0; i < r.size(); ++i) {
                if (widths.size() <= i) widths.append(0);
                widths[i] = std::max(widths[i], int(r[i].size()));
            }
        QString out;
        for (int n = 0; n < m_rows.size(); ++n) {
            const QStringList& r = m_rows[n];
            QString line;
            for (int i = 0; i < r.size(); ++i)
                line += (i + 1 < r.size() ? r[i].leftJustified(widths[i] + 2) : r[i]);
            out += line.trimmed() + QLatin1Char('\n');
            if (n == 0) {
                int total = 0;
                for (int w : widths)
                    total += w + 2;
                out += QString(total - 2, QLatin1Char('-')) + QLatin1Char('\n');
            }
        }
        return out;
    }

private:
    QList<QStringList> m_rows;
};

} // namespace rolloutctl
