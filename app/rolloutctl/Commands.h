#pragma once

#include <QStringList>

// rolloutctl's commands. Each takes its own arguments (after the command name) and returns the
// process exit code: 0 ok, 1 failed, 2 usage.
namespace rolloutctl {

enum Exit { Ok = 0, Failed = 1, Usage = 2 };

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

} // namespace rolloutctl
