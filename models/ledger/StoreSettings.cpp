#include "ledger/StoreSettings.h"

#include "core/Settings.h"

#include <QFile>
#include <QHostAddress>
#include <sys/stat.h>

namespace rollout {

StoreSettings StoreSettings::fromEnvironment()
{
    StoreSettings s;
    s.host = qEnvironmentVariable("ROLLOUT_PG_HOST");
    bool ok = false;
    const int port = qEnvironmentVariableIntValue("ROLLOUT_PG_PORT", &ok);
    if (ok) s.port = port;
    s.database = qEnvironmentVariable("ROLLOUT_PG_DATABASE", QStringLiteral("rollout"));
    s.user = qEnvironmentVariable("ROLLOUT_PG_USER", QStringLiteral("rollout"));
    // The password from ROLLOUT_PG_PASSWORD, or from the 0600 file ROLLOUT_PG_PASSWORD_FILE names.
    s.passwordFile = qEnvironmentVariable("ROLLOUT_PG_PASSWORD_FILE");
    if (s.passwordFile.isEmpty() || qEnvironmentVariableIsSet("ROLLOUT_PG_PASSWORD"))
        s.passwordEnv = QStringLiteral("ROLLOUT_PG_PASSWORD");
    if (const auto mode = parseSslMode(qEnvironmentVariable("ROLLOUT_PG_SSLMODE"))) s.sslMode = *mode;
    return s;
}

StoreSettings StoreSettings::fromSettings(const Settings& settings)
{
    if (qEnvironmentVariableIsSet("ROLLOUT_PG_HOST")) return fromEnvironment();
    StoreSettings s;
    s.host = settings.text(Settings::Key::StoreHost);
    s.port = settings.number(Settings::Key::StorePort);
    s.database = settings.text(Settings::Key::StoreDatabase);
    s.user = settings.text(Settings::Key::StoreUser);
    s.passwordFile = settings.text(Settings::Key::StorePasswordFile);
    s.passwordEnv = s.passwordFile.isEmpty() ? settings.text(Settings::Key::StorePasswordEnv) : QString();
    if (const auto mode = parseSslMode(settings.text(Settings::Key::StoreSslMode))) s.sslMode = *mode;
    return s;
}

QString StoreSettings::endpoint() const
{
    return QStringLiteral("%1:%2").arg(host).arg(port);
}

std::optional<QString> StoreSettings::password(QString* problem) const
{
    if (!passwordEnv.isEmpty()) {
        const QByteArray name = passwordEnv.toLocal8Bit();
        if (!qEnvironmentVariableIsSet(name.constData())) {
            *problem =
                QStringLiteral("the environment variable %1 that should hold the store password is not set")
                    .arg(passwordEnv);
            return std::nullopt;
        }
        return qEnvironmentVariable(name.constData());
    }
    if (!passwordFile.isEmpty()) return readPasswordFile(passwordFile, problem);
    return QString();
}

std::optional<QString> StoreSettings::readPasswordFile(const QString& path, QString* problem)
{
    // stat() rather than QFileInfo::permissions(): the latter folds the owner's bits into the
    // "user" ones for the current process and cannot say what group and others may do.
    struct stat st
    {
    };
    const QByteArray native = QFile::encodeName(path);
    if (::stat(native.constData(), &st) != 0) {
        *problem =
            QStringLiteral("cannot read the store password file %1: it does not exist or is not reachable")
                .arg(path);
        return std::nullopt;
    }
    if (!S_ISREG(st.st_mode)) {
        *problem = QStringLiteral("the store password file %1 is not a regular file").arg(path);
        return std::nullopt;
    }
    const unsigned mode = unsigned(st.st_mode) & 07777u;
    if ((mode & 077u) != 0) {
        *problem =
            QStringLiteral(
                "permissions %1 for the store password file %2 are too open: it must be readable by its "
                "owner only (chmod 600 %2)")
                .arg(mode, 4, 8, QLatin1Char('0'))
                .arg(path);
        return std::nullopt;
    }
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *problem = QStringLiteral("cannot read the store password file %1: %2").arg(path, f.errorString());
        return std::nullopt;
    }
    // The first line, without its line ending: `echo secret > file` must work.
    QByteArray line = f.readLine();
    while (line.endsWith('\n') || line.endsWith('\r'))
        line.chop(1);
    return QString::fromUtf8(line);
}

bool StoreSettings::isLoopback(const QString& host)
{
    QString h = host.trimmed();
    if (h.startsWith(QLatin1Char('/')))
        return true; // libpq: a host starting with a slash is a socket directory
    if (h.startsWith(QLatin1Char('[')) && h.endsWith(QLatin1Char(']'))) h = h.mid(1, h.size() - 2);
    if (h.endsWith(QLatin1Char('.'))) h.chop(1);
    if (h.compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0) return true;
    const QHostAddress address(h);
    return !address.isNull() && address.isLoopback();
}

StoreSettings::SslMode StoreSettings::defaultSslMode(const QString& host)
{
    return isLoopback(host) ? SslMode::Prefer : SslMode::Require;
}

QString StoreSettings::sslModeName(SslMode mode)
{
    switch (mode) {
    case SslMode::Disable:
        return QStringLiteral("disable");
    case SslMode::Prefer:
        return QStringLiteral("prefer");
    case SslMode::Require:
        return QStringLiteral("require");
    case SslMode::VerifyFull:
        return QStringLiteral("verify-full");
    }
    return QStringLiteral("prefer");
}

std::optional<StoreSettings::SslMode> StoreSettings::parseSslMode(const QString& text)
{
    for (SslMode m : {SslMode::Disable, SslMode::Prefer, SslMode::Require, SslMode::VerifyFull})
        if (text == sslModeName(m)) return m;
    return std::nullopt;
}

} // namespace rollout
