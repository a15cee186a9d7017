#include "flags/FlagdFileBackend.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QPointer>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rollout {

namespace {

constexpr qint64 kMaxFileBytes = 16 * 1024 * 1024; // a flag file is kilobytes; anything huge is a wrong path
constexpr mode_t kNewFileMode = 0644;              // flagd usually runs as another user and must read it

struct FileRead
{
    bool ok = false;
    bool exists = false;
    QByteArray bytes;
    mode_t mode = kNewFileMode;
    QString problem; // a sentence naming the path
};

QString errorText(int error)
{
    return qt_error_string(error);
}

// Reads the whole file with POSIX calls so that a directory, a FIFO or a permission problem each
// get their own sentence. A missing file in an existing directory is not an error when `missingOk`.
FileRead readFile(const QString& path, bool missingOk)
{
    FileRead r;
    const QByteArray name = QFile::encodeName(path);
    const int fd = ::open(name.constData(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        const int error = errno;
        if (error == ENOENT) {
            const QString dir = QFileInfo(path).absolutePath();
            if (!QFileInfo(dir).isDir()) {
                r.problem = QStringLiteral("the directory %1 does not exist").arg(dir);
            } else if (missingOk) {
                r.ok = true;
            } else {
                r.problem = QStringLiteral("%1 does not exist").arg(path);
            }
            return r;
        }
        r.problem = QStringLiteral("cannot read %1: %2").arg(path, errorText(error));
        return r;
    }
    struct stat st = {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        r.problem = S_ISDIR(st.st_mode) ? QStringLiteral("%1 is a directory, not a flag file").arg(path)
                                        : QStringLiteral("%1 is not a regular file").arg(path);
        ::close(fd);
        return r;
    }
    if (st.st_size > kMaxFileBytes) {
        r.problem = QStringLiteral("%1 is %2 bytes; a flag file is expected to be far smaller")
                        .arg(path)
                        .arg(st.st_size);
        ::close(fd);
        return r;
    }
    r.mode = st.st_mode & 07777;
    char buffer[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            r.problem = QStringLiteral("cannot read %1: %2").arg(path, errorText(errno));
            ::close(fd);
            return r;
        }
        if (n == 0) break;
        r.bytes.append(buffer, qsizetype(n));
        if (r.bytes.size() > kMaxFileBytes) {
            r.problem = QStringLiteral("%1 keeps growing past %2 bytes").arg(path).arg(kMaxFileBytes);
            ::close(fd);
            return r;
        }
    }
    ::close(fd);
    r.ok = true;
    r.exists = true;
    return r;
}

QByteArray digest(const FileRead& f)
{
    if (!f.exists) return QByteArrayLiteral("missing");
    return QCryptographicHash::hash(f.bytes, QCryptographicHash::Sha256);
}

// A temporary file next to the target that is removed unless it was renamed into place, so no
// failure leaves a stray file in a directory flagd watches.
class TempFile final
{
public:
    explicit TempFile(const QString& target)
        : m_name(QFile::encodeName(QFileInfo(target).absolutePath() + QStringLiteral("/.") +
                                   QFileInfo(target).fileName() + QStringLiteral(".rollout-XXXXXX")))
    {
        m_fd = ::mkostemp(m_name.data(), O_CLOEXEC);
        if (m_fd < 0) m_error = errno;
    }
    ~TempFile()
    {
        closeFd();
        if (!m_renamed && m_error == -1) ::unlink(m_name.constData());
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    int fd() const { return m_fd; }
    int error() const { return m_error; } // errno of a failed mkostemp, -1 when created
    const QByteArray& name() const { return m_name; }
    int closeFd()
    {
        if (m_fd < 0) return 0;
        const int rc = ::close(m_fd);
        m_fd = -1;
        return rc;
    }
    void renamed() { m_renamed = true; }

private:
    QByteArray m_name;
    int m_fd = -1;
    int m_error = -1;
    bool m_renamed = false;
};

enum class Replace
{
    Done,
    Conflict,
    Failed
};

// Writes `bytes` to a temporary file in the target's directory with the target's mode, makes it
// durable, asks `stillSame` whether the target is what we based the change on, and only then
// renames it over the target and makes the rename durable. Qt 6.4's QSaveFile does the first
// part (O_TMPFILE, fchmod, fdatasync, link + rename) but never syncs the directory and renames
// inside commit(), with no room for the check, hence POSIX.
Replace replaceFile(const QString& target, const QByteArray& bytes, mode_t mode,
                    const std::function<bool()>& stillSame, QString* problem)
{
    const QString dir = QFileInfo(target).absolutePath();
    TempFile temp(target);
    if (temp.fd() < 0) {
        *problem = QStringLiteral("cannot create a file in %1 to replace %2: %3")
                       .arg(dir, target, errorText(temp.error()));
        return Replace::Failed;
    }
    const auto fail = [&](const QString& what) {
        *problem = QStringLiteral("%1 %2: %3").arg(what, target, errorText(errno));
        return Replace::Failed;
    };
    if (::fchmod(temp.fd(), mode) != 0) return fail(QStringLiteral("cannot set the mode of the new"));
    qsizetype written = 0;
    while (written < bytes.size()) {
        const ssize_t n = ::write(temp.fd(), bytes.constData() + written, size_t(bytes.size() - written));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(QStringLiteral("cannot write the new"));
        written += n;
    }
    if (::fsync(temp.fd()) != 0) return fail(QStringLiteral("cannot flush the new"));
    if (temp.closeFd() != 0) return fail(QStringLiteral("cannot close the new"));
    if (!stillSame()) return Replace::Conflict;
    if (::rename(temp.name().constData(), QFile::encodeName(target).constData()) != 0)
        return fail(QStringLiteral("cannot replace"));
    temp.renamed();
    // The rename is only durable once the directory is synced. Failing that is not a reason to
    // report the change as failed: it is in place and the read-back will see it.
    const int dirFd = ::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd >= 0) {
        ::fsync(dirFd);
        ::close(dirFd);
    }
    return Replace::Done;
}

// Writes go to the file a symlink points at, so a linked file (a ConfigMap-style layout) stays
// linked instead of being replaced by a copy.
QString writeTarget(const QString& path)
{
    const QFileInfo info(path);
    if (info.isSymLink()) {
        const QString canonical = info.canonicalFilePath();
        if (!canonical.isEmpty()) return canonical;
    }
    return path;
}

} // namespace

FlagdFileBackend::FlagdFileBackend(QString name, QString path, QObject* parent)
    : FlagBackend(std::move(name), parent), m_path(std::move(path))
{
}

QString FlagdFileBackend::describe() const
{
    return QStringLiteral("flagd file %1").arg(m_path);
}

void FlagdFileBackend::read(const QString& flag, QObject* context, Done done)
{
    deliver(context, std::move(done), readNow(flag));
}

void FlagdFileBackend::apply(const QString& flag, const FlagSetting& setting, const QString& stickiness,
                             QObject* context, Done done)
{
    const QString sticky = stickiness.isEmpty() || stickiness == QLatin1String("targetingKey")
                               ? QStringLiteral("default")
                               : stickiness;
    const Edit edit = [&](const QByteArray& bytes) {
        return FlagdDocument::withSetting(bytes, flag, setting, sticky);
    };
    const Check check = [&](const FlagState&, const FlagState& after) -> QString {
        if (!after.matches(setting))
            return QStringLiteral("it reads %1, not %2").arg(after.describe(), setting.describe());
        if (after.enabled && after.percent < 100.0 && after.stickiness != sticky)
            return QStringLiteral("it splits on %1, not %2").arg(after.stickiness, sticky);
        return {};
    };
    deliver(context, std::move(done), change(flag, edit, check));
}

void FlagdFileBackend::setSegment(const QString& flag, const QString& segment, bool enabled, QObject* context,
                                  Done done)
{
    const Edit edit = [&](const QByteArray& bytes) {
        return FlagdDocument::withSegment(bytes, flag, segment, enabled);
    };
    const Check check = [&](const FlagState& before, const FlagState& after) -> QString {
        if (after.disabledSegments.contains(segment) == enabled)
            return QStringLiteral("segment %1 is %2")
                .arg(segment, enabled ? QStringLiteral("still held off") : QStringLiteral("not held off"));
        if (!after.matches(before.setting()))
            return QStringLiteral("it reads %1, it read %2 before").arg(after.describe(), before.describe());
        return {};
    };
    deliver(context, std::move(done), change(flag, edit, check));
}

FlagResult FlagdFileBackend::readNow(const QString& flag) const
{
    const FileRead file = readFile(m_path, false);
    if (!file.ok) return FlagResult::failure(flag, name(), QStringLiteral("read"), file.problem);
    const auto state = FlagdDocument::readFlag(file.bytes, flag);
    if (!state)
        return FlagResult::failure(flag, name(), QStringLiteral("parse"),
                                   QStringLiteral("%1: %2").arg(m_path, state.error.describe()));
    FlagResult r;
    r.flag = flag;
    r.backend = name();
    r.verified = true;
    r.after = *state.value;
    r.message = QStringLiteral("%1 in %2").arg(state.value->describe(), m_path);
    return r;
}

FlagResult FlagdFileBackend::change(const QString& flag, const Edit& edit, const Check& check) const
{
    QElapsedTimer timer;
    timer.start();
    FlagState before;
    int attempts = 0;
    const auto fail = [&](const QString& step, const QString& message) {
        FlagResult r = FlagResult::failure(flag, name(), step, message);
        r.before = before;
        r.attempts = qMax(1, attempts);
        r.elapsedMs = timer.elapsed();
        return r;
    };
    try {
        const QString target = writeTarget(m_path);
        bool replaced = false;
        bool unchanged = false;
        while (!replaced && !unchanged && attempts < kMaxAttempts) {
            ++attempts;
            const FileRead current = readFile(target, true);
            if (!current.ok) return fail(QStringLiteral("read"), current.problem);
            const QByteArray original = current.exists ? current.bytes : FlagdDocument::emptyDocument();
            const auto state = FlagdDocument::readFlag(original, flag);
            if (!state)
                return fail(QStringLiteral("parse"),
                            QStringLiteral("%1: %2").arg(m_path, state.error.describe()));
            before = *state.value;
            const auto next = edit(original);
            if (!next) {
                const bool broken =
                    next.error.kind == FlagdError::Kind::Syntax || next.error.kind == FlagdError::Kind::Shape;
                return fail(broken ? QStringLiteral("parse") : QStringLiteral("write"),
                            QStringLiteral("%1 left unchanged: %2").arg(m_path, next.error.describe()));
            }
            if (current.exists && *next.value == current.bytes) {
                unchanged = true; // already so: writing the same bytes again would only wake flagd
                break;
            }
            const QByteArray basedOn = digest(current);
            const auto stillSame = [&] {
                if (m_beforeReplace) m_beforeReplace(attempts);
                const FileRead now = readFile(target, true);
                return now.ok && digest(now) == basedOn;
            };
            QString problem;
            switch (replaceFile(target, *next.value, current.mode, stillSame, &problem)) {
            case Replace::Done:
                replaced = true;
                break;
            case Replace::Conflict:
                break; // someone else wrote it: start over from their content
            case Replace::Failed:
                return fail(QStringLiteral("write"), problem);
            }
        }
        if (!replaced && !unchanged)
            return fail(QStringLiteral("write"),
                        QStringLiteral(
                            "%1 keeps changing while we write it (%2 attempts); nothing written, try again")
                            .arg(m_path)
                            .arg(attempts));

        // A separate read of the file, as flagd will see it, decides whether the change happened.
        const FileRead back = readFile(m_path, false);
        if (!back.ok) return fail(QStringLiteral("read back"), back.problem);
        const auto after = FlagdDocument::readFlag(back.bytes, flag);
        if (!after)
            return fail(QStringLiteral("read back"),
                        QStringLiteral("%1: %2").arg(m_path, after.error.describe()));
        FlagResult r = fail(QStringLiteral("read back"), {});
        r.after = *after.value;
        if (const QString mismatch = check(before, r.after); !mismatch.isEmpty()) {
            r.message = QStringLiteral("%1 was written but %2").arg(m_path, mismatch);
            return r;
        }
        r.verified = true;
        r.step.clear();
        r.message = QStringLiteral("%1 %2 %3")
                        .arg(r.after.describe(),
                             unchanged ? QStringLiteral("already in") : QStringLiteral("written to"), m_path);
        return r;
    } catch (const std::exception& e) {
        return fail(QStringLiteral("write"),
                    QStringLiteral("%1: %2").arg(m_path, QString::fromUtf8(e.what())));
    }
}

void FlagdFileBackend::deliver(QObject* context, Done done, FlagResult result) const
{
    if (!context || !done) return;
    QPointer<QObject> guard(context);
    QMetaObject::invokeMethod(
        context,
        [guard, done = std::move(done), result = std::move(result)] {
            if (guard) done(result);
        },
        Qt::QueuedConnection);
}

} // namespace rollout
