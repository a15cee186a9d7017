#pragma once

#include <QStringList>

// rolloutctl's commands. Each takes its own arguments (after the command name) and returns the
// process exit code: 0 ok, 1 failed, 2 usage, 5 refused (the engine said no: a closed gate, a
// role the plan does not give; nothing changed).
namespace rolloutctl {

enum Exit
{
    Ok = 0,
    Failed = 1,
    Usage = 2,
    Refused = 5
};

int validate(const QStringList& args);
int show(const QStringList& args);
int simulate(const QStringList& args);
int metrics(const QStringList& args);
int flags(const QStringList& args);
int setPhase(const QStringList& args);
int rollback(const QStringList& args);
int keys(const QStringList& args);
int ledger(const QStringList& args);
int watch(const QStringList& args);
int report(const QStringList& args);
int status(const QStringList& args);
int start(const QStringList& args);
int advance(const QStringList& args);
int approve(const QStringList& args);
int reject(const QStringList& args);
int tick(const QStringList& args);
int attest(const QStringList& args);
int pause(const QStringList& args);
int resume(const QStringList& args);
int acknowledge(const QStringList& args);
int countersign(const QStringList& args);
int reapply(const QStringList& args);

} // namespace rolloutctl
