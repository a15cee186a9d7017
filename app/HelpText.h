#pragma once

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QStringList>

// QCommandLineParser's help text starts "Usage: <argv[0] as run> [options] …": the path the
// binary was started by, and never a subcommand. This puts `usageName` ("rolloutctl watch",
// "rollout-console") in its place, so that every usage line says what to type.
inline QString helpTextFor(const QCommandLineParser& parser, const QString& usageName)
{
    const QString text = parser.helpText();
    const QString usage = QStringLiteral("Usage: ");
    if (!text.startsWith(usage)) return text;
    qsizetype eol = text.indexOf(QLatin1Char('\n'));
    if (eol < 0) eol = text.size();
    const QString first = text.left(eol);
    // What Qt wrote for the program: its first argument (no QCoreApplication: a placeholder).
    QStringList candidates;
    if (QCoreApplication::instance() && !QCoreApplication::arguments().isEmpty())
        candidates.append(QCoreApplication::arguments().constFirst());
    candidates.append(QStringLiteral("<executable_name>"));
    for (const QString& program : std::as_const(candidates))
        if (!program.isEmpty() && first.startsWith(usage + program))
            return usage + usageName + first.mid(usage.size() + program.size()) + text.mid(eol);
    // Anything else: the program is the first word after "Usage: ".
    const qsizetype space = first.indexOf(QLatin1Char(' '), usage.size());
    return usage + usageName + (space < 0 ? QString() : first.mid(space)) + text.mid(eol);
}
