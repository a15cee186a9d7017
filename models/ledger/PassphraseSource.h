#pragma once

#include <QByteArray>
#include <QString>
#include <optional>
#include <sys/types.h>

namespace rollout {

// Where a key's passphrase comes from: an environment variable the user names, or the
// controlling terminal with echo off. Never the command line, where `ps` and shell history
// would show it. The caller wipes the returned bytes (sodium_memzero) when done.
class PassphraseSource final
{
public:
    // The value of `variable`; fails when it is unset or empty. The variable is then taken out
    // of the environment (child processes do not inherit it) and the environment's own copy of
    // the value is overwritten with zeros (/proc/PID/environ no longer shows it): the returned
    // bytes are the only copy. Call it before starting threads that read the environment.
    static std::optional<QByteArray> fromEnvironment(const QString& variable, QString* problem);
    // The file an environment (and the passphrase in it) was read from — systemd's
    // EnvironmentFile, named to `watch` by ROLLOUT_ENV_FILE — must be a regular file owned by
    // `uid` or root, that neither group nor others may read, write or execute (mode 0600 or
    // 0400). Fails naming the file and, for loose permissions, its mode.
    static bool checkEnvironmentFile(const QString& path, QString* problem);
    static bool checkEnvironmentFile(const QString& path, uid_t uid, QString* problem);
    // Asks on /dev/tty with echo off. `confirm` asks a second time and refuses a mismatch.
    // Fails, saying to use --passphrase-env, when there is no terminal.
    static std::optional<QByteArray> fromTerminal(const QString& prompt, bool confirm, QString* problem);
    // The environment when `variable` is not empty, else the terminal.
    static std::optional<QByteArray> obtain(const QString& variable, const QString& prompt, bool confirm,
                                            QString* problem);
};

} // namespace rollout
