#pragma once

#include <QString>
#include <optional>

namespace rollout {

// Where the shared PostgreSQL ledger store is and how to log in to it. The password itself is
// never held here: only where to find it (an environment variable's name, or a file that must be
// readable by its owner only, as ssh insists for keys). It is read at connect time, handed to the
// driver, and never logged or put in a message.
struct StoreSettings final
{
    enum class SslMode
    {
        Disable,
        Prefer,
        Require,
        VerifyFull
    };

    QString host;
    int port = 5432;
    QString database;
    QString user;
    QString passwordEnv;  // name of an environment variable holding the password
    QString passwordFile; // path of a file holding the password (mode 0600 or stricter)
    // Unset: defaultSslMode(host) — require, except on a loopback host or a unix socket, where
    // prefer stays (a local server seldom has a certificate, and nothing crosses a network).
    // An explicit setting (ROLLOUT_PG_SSLMODE, the console's settings) always wins.
    std::optional<SslMode> sslMode;

    // ROLLOUT_PG_HOST / _PORT / _DATABASE / _USER, password from ROLLOUT_PG_PASSWORD (what
    // scripts/services.sh exports; used by the tests, the benchmark and rolloutctl).
    static StoreSettings fromEnvironment();
    // The console's settings (Settings), with the environment's ROLLOUT_PG_* taking precedence.
    static StoreSettings fromSettings(const class Settings& settings);

    // "host:port", for messages.
    QString endpoint() const;
    // True when a host is set (tests skip when the environment names no store).
    bool isSet() const { return !host.isEmpty(); }

    // The password from passwordEnv, else passwordFile, else empty (trust/peer authentication).
    // nullopt with `problem` set (never containing the password) when it cannot be read.
    std::optional<QString> password(QString* problem) const;
    // Reads the first line of `path`; refuses a file that group or others may read or write.
    static std::optional<QString> readPasswordFile(const QString& path, QString* problem);

    // What the connection uses: the explicit mode, else defaultSslMode(host).
    SslMode effectiveSslMode() const { return sslMode.value_or(defaultSslMode(host)); }
    static SslMode defaultSslMode(const QString& host);
    // localhost, 127.0.0.0/8, ::1 (also [::1] and ::ffff:127.x.y.z), or a unix-socket directory (/…).
    static bool isLoopback(const QString& host);

    static QString sslModeName(SslMode mode); // libpq's spelling: disable, prefer, require, verify-full
    static std::optional<SslMode> parseSslMode(const QString& text);
};

} // namespace rollout
