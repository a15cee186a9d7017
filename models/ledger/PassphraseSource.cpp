#include "ledger/PassphraseSource.h"

#include <QFile>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

namespace rollout {

namespace {

// The terminal's settings while echo is off, so a signal handler can put them back: a Ctrl-C
// at the prompt must not leave the user's shell without echo.
int g_ttyFd = -1;
struct termios g_savedTermios
{
};

extern "C" void restoreTerminalAndReraise(int sig)
{
    if (g_ttyFd >= 0) ::tcsetattr(g_ttyFd, TCSAFLUSH, &g_savedTermios);
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
constexpr std::size_t kMaxPassphrase = 1023;

bool fail(QString* problem, const QString& text)
{
    if (problem) *problem = text;
    return false;
}

void wipe(QByteArray& b)
{
    if (!b.isEmpty()) sodium_memzero(b.data(), std::size_t(b.size()));
}

void writeAll(int fd, const QByteArray& text)
{
    qsizetype done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.constData() + done, std::size_t(text.size() - done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        done += n;
    }
}

// One line from the terminal, echo off. nullopt on EOF before a newline, or a line too long.
std::optional<QByteArray> readHidden(int fd, const QString& prompt, QString* problem)
{
    struct termios noEcho = g_savedTermios;
    noEcho.c_lflag &= ~tcflag_t(ECHO);
    noEcho.c_lflag |= ICANON;
    struct sigaction handler
    {
    };
    handler.sa_handler = restoreTerminalAndReraise;
    sigemptyset(&handler.sa_mask);
    struct sigaction previous[std::size(kSignals)]{};
    g_ttyFd = fd;
    for (std::size_t i = 0; i < std::size(kSignals); ++i)
        ::sigaction(kSignals[i], &handler, &previous[i]);
    writeAll(fd, prompt.toLocal8Bit());
    ::tcsetattr(fd, TCSAFLUSH, &noEcho);

    std::array<char, kMaxPassphrase + 1> buffer{};
    std::size_t length = 0;
    bool newline = false;
    bool tooLong = false;
    for (;;) {
        char c = 0;
        const ssize_t n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (c == '\n') {
            newline = true;
            break;
        }
        if (length < kMaxPassphrase)
            buffer[length++] = c;
        else
            tooLong = true;
    }
    ::tcsetattr(fd, TCSAFLUSH, &g_savedTermios);
    for (std::size_t i = 0; i < std::size(kSignals); ++i)
        ::sigaction(kSignals[i], &previous[i], nullptr);
    g_ttyFd = -1;
    writeAll(fd, QByteArrayLiteral("\n")); // the user's Enter was not echoed

    if (length > 0 && buffer[length - 1] == '\r') --length;
    std::optional<QByteArray> line;
    if (!newline)
        fail(problem, QStringLiteral("no passphrase entered (end of input at the prompt)"));
    else if (tooLong)
        fail(problem, QStringLiteral("the passphrase is longer than %1 bytes").arg(kMaxPassphrase));
    else
        line = QByteArray(buffer.data(), qsizetype(length));
    sodium_memzero(buffer.data(), buffer.size());
    return line;
}

} // namespace

std::optional<QByteArray> PassphraseSource::fromEnvironment(const QString& variable, QString* problem)
{
    if (variable.isEmpty()) {
        fail(problem, QStringLiteral("no environment variable named for the passphrase"));
        return std::nullopt;
    }
    const QByteArray name = variable.toLocal8Bit();
    // ::getenv, not qgetenv: the pointer into the environment's own "NAME=value" string, so
    // that the value can be wiped where it lies (in the initial environment block, or in the
    // copy setenv made; both writable on Linux) rather than left behind after unsetenv.
    char* raw = ::getenv(name.constData());
    if (!raw) {
        fail(problem, QStringLiteral("the environment variable %1 (named by --passphrase-env) is not set")
                          .arg(variable));
        return std::nullopt;
    }
    const std::size_t length = std::strlen(raw);
    QByteArray value(raw, qsizetype(length));
    if (length > 0) sodium_memzero(raw, length);
    qunsetenv(name.constData());
    if (value.isEmpty()) {
        fail(problem, QStringLiteral("the environment variable %1 (named by --passphrase-env) is empty: an "
                                     "empty passphrase is refused")
                          .arg(variable));
        return std::nullopt;
    }
    return value;
}

bool PassphraseSource::checkEnvironmentFile(const QString& path, QString* problem)
{
    return checkEnvironmentFile(path, ::geteuid(), problem);
}

bool PassphraseSource::checkEnvironmentFile(const QString& path, uid_t uid, QString* problem)
{
    // stat(), not QFileInfo: it says who owns the file and what group and others may do.
    struct stat st
    {
    };
    if (::stat(QFile::encodeName(path).constData(), &st) != 0) {
        const int error = errno;
        return fail(problem,
                    QStringLiteral("the environment file %1 (ROLLOUT_ENV_FILE) cannot be checked: %2")
                        .arg(path, QString::fromLocal8Bit(std::strerror(error))));
    }
    if (!S_ISREG(st.st_mode))
        return fail(
            problem,
            QStringLiteral("the environment file %1 (ROLLOUT_ENV_FILE) is not a regular file").arg(path));
    const unsigned mode = unsigned(st.st_mode) & 07777u;
    if ((mode & 077u) != 0)
        return fail(
            problem,
            QStringLiteral("the environment file %1 holds the key's passphrase, but its mode is %2: group "
                           "or others may read or change it; it must be 0600 or stricter (chmod 600 %1)")
                .arg(path)
                .arg(mode, 4, 8, QLatin1Char('0')));
    if (st.st_uid != uid && st.st_uid != 0)
        return fail(
            problem,
            QStringLiteral("the environment file %1 holds the key's passphrase, but it is owned by uid %2: "
                           "it must be owned by root or by the user running this (uid %3)")
                .arg(path)
                .arg(st.st_uid)
                .arg(uid));
    return true;
}

std::optional<QByteArray> PassphraseSource::fromTerminal(const QString& prompt, bool confirm,
                                                         QString* problem)
{
    const int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0 || ::tcgetattr(fd, &g_savedTermios) != 0) {
        const int error = errno;
        if (fd >= 0) ::close(fd);
        fail(problem,
             QStringLiteral(
                 "no terminal to ask for the passphrase (/dev/tty: %1); put it in an environment variable "
                 "and name that with --passphrase-env VAR")
                 .arg(QString::fromLocal8Bit(std::strerror(error))));
        return std::nullopt;
    }
    std::optional<QByteArray> first = readHidden(fd, prompt, problem);
    if (first && first->isEmpty()) {
        fail(problem, QStringLiteral("an empty passphrase is refused"));
        first.reset();
    }
    if (first && confirm) {
        std::optional<QByteArray> second = readHidden(fd, QStringLiteral("Repeat the passphrase: "), problem);
        const bool same =
            second && second->size() == first->size() &&
            sodium_memcmp(first->constData(), second->constData(), std::size_t(first->size())) == 0;
        if (second) wipe(*second);
        if (!same) {
            if (second) fail(problem, QStringLiteral("the two passphrases do not match"));
            wipe(*first);
            first.reset();
        }
    }
    ::close(fd);
    return first;
}

std::optional<QByteArray> PassphraseSource::obtain(const QString& variable, const QString& prompt,
                                                   bool confirm, QString* problem)
{
    return variable.isEmpty() ? fromTerminal(prompt, confirm, problem) : fromEnvironment(variable, problem);
}

} // namespace rollout
