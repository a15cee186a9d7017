#pragma once

#include <QByteArray>
#include <QMap>
#include <QObject>
#include <QString>
#include <QStringList>
#include <functional>

namespace rollout {

// How one external command ended: started or not, in time or killed, its exit status and output.
struct ProcessOutcome
{
    QString command; // the argument vector as a person reads it: kubectl get configmap "a b"
    bool started = false;
    QString startError;    // why it could not be started (not found, not executable, …)
    bool timedOut = false; // killed at the deadline
    bool tooLarge = false; // killed: its output passed the cap
    bool crashed = false;  // ended by a signal
    int exitCode = -1;
    QByteArray out; // standard output (at most the cap)
    QByteArray err; // standard error (at most 64 KiB)
    qint64 elapsedMs = 0;
    qint64 timeoutMs = 0;

    bool success() const { return started && !timedOut && !tooLarge && !crashed && exitCode == 0; }
    // Why it did not succeed, one sentence naming the command: "\"kubectl get …\" exited with
    // status 1: error: not found", "… did not finish within 10 s and was killed". Empty on success.
    QString failure() const;
    // An argument vector for a message: each argument that needs it in double quotes.
    static QString display(const QStringList& argv);
};

// Runs one external command asynchronously: program and arguments as a vector, never through a
// shell; the environment inherited plus `env`; standard input closed. At `timeoutMs` the command
// and every process it started (its process group) are killed. `done` runs once, in `context`'s
// thread, and is dropped if `context` is gone (the command is then killed).
class ProcessRunner final
{
public:
    struct Request
    {
        QStringList argv;           // program first
        QMap<QString, QString> env; // added to (or replacing in) the inherited environment
        QString workingDirectory;   // empty: the current one
        qint64 timeoutMs = 10000;
        qint64 maxOutputBytes = 1024 * 1024;
    };
    static void run(const Request& request, QObject* context,
                    std::function<void(const ProcessOutcome&)> done);
    // The program as it will be started: a path with a slash resolved against the working
    // directory, a bare name looked up in PATH (the request's own PATH when it sets one), or
    // empty when there is no such executable.
    static QString resolveProgram(const Request& request);
};

} // namespace rollout
