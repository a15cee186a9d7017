#pragma once

#include <QByteArray>
#include <QString>
#include <optional>

namespace rollout {

// Where a key's passphrase comes from: an environment variable the user names, or the
// controlling terminal with echo off. Never the command line, where `ps` and shell history
// would show it. The caller wipes the returned bytes (sodium_memzero) when done.
class PassphraseSource final
{
public:
    // The value of `variable`; fails when it is unset or empty.
    static std::optional<QByteArray> fromEnvironment(const QString& variable, QString* problem);
    // Asks on /dev/tty with echo off. `confirm` asks a second time and refuses a mismatch.
    // Fails, saying to use --passphrase-env, when there is no terminal.
    static std::optional<QByteArray> fromTerminal(const QString& prompt, bool confirm, QString* problem);
    // The environment when `variable` is not empty, else the terminal.
    static std::optional<QByteArray> obtain(const QString& variable, const QString& prompt, bool confirm,
                                            QString* problem);
};

} // namespace rollout
