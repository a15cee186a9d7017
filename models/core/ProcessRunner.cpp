#include "core/ProcessRunner.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QPointer>
#include <QProcess>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTimer>
#include <algorithm>
#include <memory>

#ifdef Q_OS_UNIX
#include <csignal>
#include <sys/types.h>
#include <unistd.h>
#endif

namespace rollout {

namespace {

const qint64 kMaxErrBytes = 64 * 1024;

QString seconds(qint64 ms)
{
    return ms % 1000 == 0 ? QStringLiteral("%1 s").arg(ms / 1000) : QStringLiteral("%1 ms").arg(ms);
}

// Kills the command and everything it started: it leads its own process group, `group`.
void killGroup(QProcess* p, qint64 group)
{
#ifdef Q_OS_UNIX
    if (group > 0) ::kill(-pid_t(group), SIGKILL);
#else
    Q_UNUSED(group);
#endif
    if (p->state() != QProcess::NotRunning) p->kill();
}

} // namespace

QString ProcessOutcome::display(const QStringList& argv)
{
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_@%+=:,./-]+$"));
    QStringList out;
    for (const QString& a : argv) {
        if (plain.match(a).hasMatch()) {
            out.append(a);
            continue;
        }
        QString q = a;
        q.replace(QLatin1Char('\\'), QLatin1String("\\\\"));
        q.replace(QLatin1Char('"'), QLatin1String("\\\""));
        out.append(QLatin1Char('"') + q + QLatin1Char('"'));
    }
    QString text = out.join(QLatin1Char(' '));
    if (text.size() > 240) text = text.left(237) + QStringLiteral("...");
    return text;
}

QString ProcessOutcome::failure() const
{
    if (success()) return {};
    const QString cmd = QStringLiteral("\"%1\"").arg(command);
    QString errText = QString::fromUtf8(err).trimmed();
    if (errText.size() > 300) errText = errText.left(297) + QStringLiteral("...");
    const QString stderrPart =
        errText.isEmpty() ? QStringLiteral(" (no stderr)") : QStringLiteral(": ") + errText;
    if (!started) return QStringLiteral("%1 could not be started: %2").arg(cmd, startError);
    if (timedOut) {
        QString s = QStringLiteral("%1 did not finish within %2 and was killed").arg(cmd, seconds(timeoutMs));
        if (!errText.isEmpty()) s += QStringLiteral("; stderr so far: ") + errText;
        return s;
    }
    if (tooLarge) return QStringLiteral("%1 printed more than the output cap and was killed").arg(cmd);
    if (crashed) return QStringLiteral("%1 was ended by a signal%2").arg(cmd, stderrPart);
    return QStringLiteral("%1 exited with status %2%3").arg(cmd).arg(exitCode).arg(stderrPart);
}

QString ProcessRunner::resolveProgram(const Request& request)
{
    if (request.argv.isEmpty() || request.argv.first().isEmpty()) return {};
    const QString program = request.argv.first();
    if (program.contains(QLatin1Char('/'))) {
        const QString path = QDir::isAbsolutePath(program) || request.workingDirectory.isEmpty()
                                 ? program
                                 : QDir(request.workingDirectory).absoluteFilePath(program);
        const QFileInfo info(path);
        return info.isFile() && info.isExecutable() ? info.absoluteFilePath() : QString();
    }
    QStringList paths;
    if (request.env.contains(QStringLiteral("PATH")))
        paths = request.env.value(QStringLiteral("PATH")).split(QLatin1Char(':'), Qt::SkipEmptyParts);
    return QStandardPaths::findExecutable(program, paths);
}

void ProcessRunner::run(const Request& request, QObject* context,
                        std::function<void(const ProcessOutcome&)> done)
{
    struct State
    {
        ProcessOutcome outcome;
        QElapsedTimer clock;
        QPointer<QObject> context;
        std::function<void(const ProcessOutcome&)> done;
        bool finished = false;
        qint64 maxOut = 0;
        qint64 group = 0;
    };
    auto state = std::make_shared<State>();
    state->outcome.command = ProcessOutcome::display(request.argv);
    state->outcome.timeoutMs = request.timeoutMs;
    state->context = context;
    state->done = std::move(done);
    state->maxOut = request.maxOutputBytes;
    state->clock.start();

    auto finish = [state] {
        if (state->finished) return;
        state->finished = true;
        state->outcome.elapsedMs = state->clock.elapsed();
        if (state->context && state->done) state->done(state->outcome);
    };

    const QString program = resolveProgram(request);
    if (program.isEmpty()) {
        state->outcome.startError =
            request.argv.isEmpty() || request.argv.first().isEmpty()
                ? QStringLiteral("the command is empty")
                : QStringLiteral("no executable \"%1\" found%2")
                      .arg(request.argv.first(), request.argv.first().contains(QLatin1Char('/'))
                                                     ? QString()
                                                     : QStringLiteral(" in PATH"));
        // Never synchronously: the caller expects its answer later, like any other.
        QTimer::singleShot(0, context, finish);
        return;
    }

    auto* p = new QProcess();
    p->setProgram(program);
    p->setArguments(request.argv.mid(1));
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (auto it = request.env.cbegin(); it != request.env.cend(); ++it)
        env.insert(it.key(), it.value());
    p->setProcessEnvironment(env);
    if (!request.workingDirectory.isEmpty()) p->setWorkingDirectory(request.workingDirectory);
#ifdef Q_OS_UNIX
    p->setChildProcessModifier([] { ::setpgid(0, 0); });
#endif

    auto* deadline = new QTimer(p);
    deadline->setSingleShot(true);
    QObject::connect(deadline, &QTimer::timeout, p, [state, p] {
        state->outcome.timedOut = true;
        killGroup(p, state->group);
    });
    QObject::connect(p, &QProcess::readyReadStandardOutput, p, [state, p] {
        state->outcome.out += p->readAllStandardOutput();
        if (state->outcome.out.size() > state->maxOut && !state->outcome.tooLarge) {
            state->outcome.tooLarge = true;
            state->outcome.out.truncate(state->maxOut);
            killGroup(p, state->group);
        }
    });
    QObject::connect(p, &QProcess::readyReadStandardError, p, [state, p] {
        const QByteArray more = p->readAllStandardError();
        if (state->outcome.err.size() < kMaxErrBytes)
            state->outcome.err += more.left(kMaxErrBytes - state->outcome.err.size());
    });
    QObject::connect(p, &QProcess::errorOccurred, p, [state, p, finish](QProcess::ProcessError error) {
        if (error != QProcess::FailedToStart) return; // the others end in finished()
        state->outcome.startError = p->errorString();
        p->deleteLater();
        finish();
    });
    QObject::connect(p, &QProcess::finished, p,
                     [state, p, finish](int exitCode, QProcess::ExitStatus status) {
                         // Whatever a child left in the group dies with it.
                         killGroup(p, state->group);
                         if (!state->outcome.tooLarge) {
                             state->outcome.out += p->readAllStandardOutput();
                             if (state->outcome.out.size() > state->maxOut) {
                                 state->outcome.tooLarge = true;
                                 state->outcome.out.truncate(state->maxOut);
                             }
                         }
                         const QByteArray more = p->readAllStandardError();
                         if (state->outcome.err.size() < kMaxErrBytes)
                             state->outcome.err += more.left(kMaxErrBytes - state->outcome.err.size());
                         state->outcome.exitCode = exitCode;
                         state->outcome.crashed = status == QProcess::CrashExit && !state->outcome.timedOut &&
                                                  !state->outcome.tooLarge;
                         p->deleteLater();
                         finish();
                     });
    QObject::connect(p, &QProcess::started, p, [state, p, deadline, timeoutMs = request.timeoutMs] {
        state->outcome.started = true;
        state->group = p->processId();
        p->closeWriteChannel();
        deadline->start(int(std::max<qint64>(1, timeoutMs)));
    });
    // Whoever asked is gone: so is the command.
    if (context)
        QObject::connect(context, &QObject::destroyed, p, [state, p] {
            state->finished = true;
            killGroup(p, state->group);
        });
    p->start(QIODevice::ReadWrite);
}

} // namespace rollout
