// The flagd file backend on real files: every change is confirmed by a separate read, a file it
// cannot understand is left alone, a colleague's concurrent edit survives, and no failure leaves
// a half-written or temporary file behind.
#include "flags/FlagdDocument.h"
#include "flags/FlagdFileBackend.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <sys/stat.h>
#include <unistd.h>

using namespace rollout;

namespace {

QByteArray contents(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<unreadable>");
}

bool write(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

// What a separate reader (flagd, the test) sees in the file right now.
FlagState onDisk(const QString& path, const QString& flag)
{
    const auto r = FlagdDocument::readFlag(contents(path), flag);
    return r ? *r.value : FlagState{};
}

QStringList entries(const QString& dir)
{
    return QDir(dir).entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot,
                               QDir::Name);
}

mode_t modeOf(const QString& path)
{
    struct stat st = {};
    ::stat(QFile::encodeName(path).constData(), &st);
    return st.st_mode & 07777;
}

// Runs one backend call and returns its result, checking the asynchronous contract on the way:
// nothing arrives before control returns to the event loop, and it arrives exactly once.
struct Outcome
{
    FlagResult result;
    int calls = 0;
    bool synchronous = false;
};

template <typename Call> Outcome run(Call call)
{
    Outcome out;
    QObject context;
    call(&context, [&out](const FlagResult& r) {
        out.result = r;
        ++out.calls;
    });
    out.synchronous = out.calls > 0;
    QCoreApplication::sendPostedEvents(&context, QEvent::MetaCall);
    return out;
}

// The URL is not in the raw string: Qt 6.4's moc misreads raw strings holding two slashes.
const QByteArray kColleagues =
    QByteArrayLiteral("{\n  \"$schema\": \"https://flagd.dev/schema/v0/flags.json\",\n"
                      R"(  "flags": {
    "search-v2": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on", "metadata": {"owner": "search"}}
  }
})");

// A backend on a file, a flag name, and helpers to call it.
class Fixture
{
public:
    explicit Fixture(const QString& path) : backend(QStringLiteral("flagd"), path) {}
    Outcome apply(const FlagSetting& s, const QString& stickiness = QStringLiteral("userId"))
    {
        return run(
            [&](QObject* c, FlagBackend::Done d) { backend.apply(flag, s, stickiness, c, std::move(d)); });
    }
    Outcome segment(const QString& segment, bool enabled)
    {
        return run([&](QObject* c, FlagBackend::Done d) {
            backend.setSegment(flag, segment, enabled, c, std::move(d));
        });
    }
    Outcome read()
    {
        return run([&](QObject* c, FlagBackend::Done d) { backend.read(flag, c, std::move(d)); });
    }

    FlagdFileBackend backend;
    QString flag = QStringLiteral("new-checkout");
};

#define VERIFY_OK(outcome)                                                                                   \
    do {                                                                                                     \
        const Outcome& o_ = (outcome);                                                                       \
        QCOMPARE(o_.calls, 1);                                                                               \
        QVERIFY(!o_.synchronous);                                                                            \
        QVERIFY2(o_.result.verified, qPrintable(o_.result.describe()));                                      \
    } while (false)

} // namespace

class TestFlagdFileBackend final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void walksUpRollsBackAndTogglesEachConfirmedByASeparateRead()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("flags.json"));
        QVERIFY(write(path, kColleagues));
        Fixture f(path);
        QCOMPARE(f.backend.describe(), QStringLiteral("flagd file %1").arg(path));
        const std::vector<FlagSetting> steps{{true, 1.0},  {true, 10.0}, {true, 25.0},  {true, 50.0},
                                             {true, 25.0}, {false, 0.0}, {true, 100.0}, {false, 0.0}};
        FlagSetting previous;
        for (const FlagSetting& s : steps) {
            const Outcome o = f.apply(s);
            VERIFY_OK(o);
            QCOMPARE(o.result.flag, f.flag);
            QCOMPARE(o.result.backend, QStringLiteral("flagd"));
            QVERIFY(o.result.after.matches(s));
            QCOMPARE(o.result.before.setting(), previous);
            QVERIFY(o.result.message.contains(path));
            const FlagState disk = onDisk(path, f.flag);
            QVERIFY2(disk.matches(s), qPrintable(disk.describe()));
            if (s.enabled && s.percent < 100.0) QCOMPARE(disk.stickiness, QStringLiteral("userId"));
            const Outcome r = f.read();
            VERIFY_OK(r);
            QVERIFY(r.result.after.matches(s));
            // The colleague's flag is untouched by every step.
            QVERIFY(onDisk(path, QStringLiteral("search-v2")).matches(FlagSetting{true, 100.0}));
            QVERIFY(contents(path).contains("\"owner\": \"search\""));
            previous = s;
        }
        QCOMPARE(entries(dir.path()), QStringList{QStringLiteral("flags.json")});
    }

    void holdsASegmentOffAndReleasesIt()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("flags.json"));
        QVERIFY(write(path, kColleagues));
        Fixture f(path);
        VERIFY_OK(f.apply(FlagSetting{true, 50.0}));
        const Outcome held = f.segment(QStringLiteral("beta_users"), false);
        VERIFY_OK(held);
        QCOMPARE(held.result.after.disabledSegments, QStringList{QStringLiteral("beta_users")});
        QCOMPARE(onDisk(path, f.flag).disabledSegments, QStringList{QStringLiteral("beta_users")});
        QVERIFY(onDisk(path, f.flag).matches(FlagSetting{true, 50.0}));
        const Outcome released = f.segment(QStringLiteral("beta_users"), true);
        VERIFY_OK(released);
        QVERIFY(onDisk(path, f.flag).disabledSegments.isEmpty());
        QVERIFY(onDisk(path, f.flag).matches(FlagSetting{true, 50.0}));
    }

    void stickinessIsWrittenAndCheckedOnReadBack()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("flags.json"));
        Fixture f(path);
        for (const QString& s : {QStringLiteral("sessionId"), QString(), QStringLiteral("targetingKey")}) {
            const Outcome o = f.apply(FlagSetting{true, 30.0}, s);
            VERIFY_OK(o);
            QCOMPARE(onDisk(path, f.flag).stickiness,
                     s == QLatin1String("sessionId") ? s : QStringLiteral("default"));
        }
    }

    void sameSettingTwiceIsHarmless()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("flags.json"));
        QVERIFY(write(path, kColleagues));
        Fixture f(path);
        VERIFY_OK(f.apply(FlagSetting{true, 25.0}));
        const QByteArray once = contents(path);
        struct stat before = {};
        ::stat(QFile::encodeName(path).constData(), &before);
        const Outcome again = f.apply(FlagSetting{true, 25.0});
        VERIFY_OK(again);
        QVERIFY(again.result.message.contains(QStringLiteral("already in")));
        QCOMPARE(contents(path), once);
        struct stat after = {};
        ::stat(QFile::encodeName(path).constData(), &after);
        QCOMPARE(after.st_ino, before.st_ino); // not even rewritten: flagd is not woken for nothing
    }

    void createsAMissingFileWithTheFlag()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("new.json"));
        Fixture f(path);
        const Outcome r = f.read();
        QCOMPARE(r.result.step, QStringLiteral("read"));
        QCOMPARE(r.result.message, QStringLiteral("%1 does not exist").arg(path));
        VERIFY_OK(f.apply(FlagSetting{true, 10.0}));
        QVERIFY(onDisk(path, f.flag).matches(FlagSetting{true, 10.0}));
        QVERIFY(contents(path).contains("https://flagd.dev/schema/v0/flags.json"));
        QCOMPARE(modeOf(path), mode_t(0644));
    }

    void keepsTheFileMode()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("flags.json"));
        QVERIFY(write(path, kColleagues));
        QVERIFY(::chmod(QFile::encodeName(path).constData(), 0640) == 0);
        Fixture f(path);
        VERIFY_OK(f.apply(FlagSetting{true, 5.0}));
        QCOMPARE(modeOf(path), mode_t(0640));
    }

    void writesThroughASymlink()
    {
        QTemporaryDir dir;
        const QString real = dir.filePath(QStringLiteral("data.json"));
        const QString link = dir.filePath(QStringLiteral("flags.json"));
        QVERIFY(write(real, kColleagues));
        QVERIFY(QFile::link(real, link));
        Fixture f(link);
        VERIFY_OK(f.apply(FlagSetting{true, 20.0}));
        QVERIFY(QFileInfo(link).isSymLink());
        QVERIFY(onDisk(real, f.flag).matches(FlagSetting{true, 20.0}));
    }

    void leavesAFileItCannotParseAlone_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("step");
        QTest::addColumn<QString>("problem");
        QTest::newRow("not JSON") << QByteArrayLiteral(
                                         "{\n  \"flags\": {\n    \"new-checkout\": {\"state\": ENABLED}\n")
                                  << QStringLiteral("parse")
                                  << QStringLiteral(
                                         "not valid JSON at line 3:31: syntax error while parsing value - "
                                         "invalid literal; last read: '\"state\": E'");
        QTest::newRow("empty") << QByteArray() << QStringLiteral("parse")
                               << QStringLiteral("not valid JSON at line 1:1: the file is empty");
        QTest::newRow("wrong shape") << QByteArrayLiteral("{\"flags\": []}") << QStringLiteral("parse")
                                     << QStringLiteral("flags: is an array, not an object");
        QTest::newRow("negative weight")
            << QByteArrayLiteral(
                   R"({"flags":{"new-checkout":{"state":"ENABLED","variants":{"on":true,"off":false},)"
                   R"("defaultVariant":"off","targeting":{"fractional":[["on",-1],["off",5]]}}}})")
            << QStringLiteral("parse")
            << QStringLiteral(
                   "flags.new-checkout.targeting.fractional[0]: the weight must be a number of 0 or more");
        QTest::newRow("someone's targeting")
            << QByteArrayLiteral(
                   R"({"flags":{"new-checkout":{"state":"ENABLED","variants":{"on":true,"off":false},)"
                   R"("defaultVariant":"off","targeting":{"if":[{"==":[{"var":"tier"},"gold"]},"on","off"]}}}})")
            << QStringLiteral("write")
            << QStringLiteral("flags.new-checkout.targeting: targeting not written by Rollout Console; edit "
                              "by hand or remove it");
    }

    void leavesAFileItCannotParseAlone()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, step);
        QFETCH(QString, problem);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("flags.json"));
        QVERIFY(write(path, bytes));
        Fixture f(path);
        for (const Outcome& o :
             {f.apply(FlagSetting{false, 0.0}), f.segment(QStringLiteral("beta"), false)}) {
            QCOMPARE(o.calls, 1);
            QVERIFY(!o.result.verified);
            QCOMPARE(o.result.step, step);
            if (step == QLatin1String("write"))
                QCOMPARE(o.result.message, QStringLiteral("%1 left unchanged: %2").arg(path, problem));
            else
                QVERIFY2(o.result.message.endsWith(problem) && o.result.message.startsWith(path),
                         qPrintable(o.result.message));
            QCOMPARE(contents(path), bytes);
            QCOMPARE(entries(dir.path()), QStringList{QStringLiteral("flags.json")});
        }
    }

    // A colleague saves the file between our read and our replace: we start over from their
    // content, so their change and ours are both in the file.
    void keepsAConcurrentEditToAnotherFlag()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("flags.json"));
        QVERIFY(write(path, kColleagues));
        Fixture f(path);
        QList<int> seen;
        f.backend.setBeforeReplaceHook([&](int attempt) {
            seen << attempt;
            if (attempt != 1) return;
            const auto theirs = FlagdDocument::withSetting(contents(path), QStringLiteral("search-v2"),
                                                           FlagSetting{false, 0.0}, {});
            QVERIFY(theirs);
            QVERIFY(write(path, *theirs.value));
        });
        const Outcome o = f.apply(FlagSetting{true, 25.0});
        VERIFY_OK(o);
        QCOMPARE(o.result.attempts, 2);
        QCOMPARE(seen, (QList<int>{1, 2}));
        QVERIFY(onDisk(path, QStringLiteral("search-v2")).matches(FlagSetting{false, 0.0})); // theirs
        QVERIFY(onDisk(path, f.flag).matches(FlagSetting{true, 25.0}));                      // ours
        QCOMPARE(entries(dir.path()), QStringList{QStringLiteral("flags.json")});
    }

    void keepsAConcurrentEditToTheSameFlag()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("flags.json"));
        QVERIFY(write(path, kColleagues));
        Fixture f(path);
        VERIFY_OK(f.apply(FlagSetting{true, 10.0}));
        f.backend.setBeforeReplaceHook([&](int attempt) {
            if (attempt != 1) return;
            const auto theirs =
                FlagdDocument::withSegment(contents(path), f.flag, QStringLiteral("eu"), false);
            QVERIFY(theirs);
            QVERIFY(write(path, *theirs.value));
        });
        VERIFY_OK(f.apply(FlagSetting{true, 25.0}));
        const FlagState disk = onDisk(path, f.flag);
        QVERIFY(disk.matches(FlagSetting{true, 25.0}));
        QCOMPARE(disk.disabledSegments, QStringList{QStringLiteral("eu")});
    }

    void givesUpOnAFileThatKeepsChanging()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("flags.json"));
        QVERIFY(write(path, kColleagues));
        Fixture f(path);
        QByteArray last;
        f.backend.setBeforeReplaceHook([&](int attempt) {
            last = FlagdDocument::withSetting(contents(path), QStringLiteral("search-v2"),
                                              FlagSetting{true, double(attempt)}, {})
                       .value.value_or(QByteArray());
            QVERIFY(write(path, last));
        });
        const Outcome o = f.apply(FlagSetting{true, 25.0});
        QCOMPARE(o.calls, 1);
        QVERIFY(!o.result.verified);
        QCOMPARE(o.result.step, QStringLiteral("write"));
        QCOMPARE(o.result.attempts, FlagdFileBackend::kMaxAttempts);
        QCOMPARE(
            o.result.message,
            QStringLiteral("%1 keeps changing while we write it (3 attempts); nothing written, try again")
                .arg(path));
        QCOMPARE(contents(path), last);
        QVERIFY(!onDisk(path, f.flag).exists);
        QCOMPARE(entries(dir.path()), QStringList{QStringLiteral("flags.json")});
    }

    void failsAtWriteInAReadOnlyDirectory()
    {
        QTemporaryDir dir;
        const QString sub = dir.filePath(QStringLiteral("ro"));
        QVERIFY(QDir().mkpath(sub));
        const QString path = sub + QStringLiteral("/flags.json");
        QVERIFY(write(path, kColleagues));
        // Root ignores permissions: run the call as nobody, as a deployment's service user would be.
        const bool root = ::geteuid() == 0;
        QVERIFY(::chmod(QFile::encodeName(dir.path()).constData(), 0755) == 0);
        QVERIFY(::chmod(QFile::encodeName(sub).constData(), 0555) == 0);
        Fixture f(path);
        if (root) QVERIFY(::seteuid(65534) == 0);
        const Outcome o = f.apply(FlagSetting{true, 10.0});
        const Outcome s = f.segment(QStringLiteral("beta"), false);
        if (root) QVERIFY(::seteuid(0) == 0);
        ::chmod(QFile::encodeName(sub).constData(), 0755);
        for (const Outcome& r : {o, s}) {
            QVERIFY(!r.result.verified);
            QCOMPARE(r.result.step, QStringLiteral("write"));
            QVERIFY2(r.result.message.startsWith(
                         QStringLiteral("cannot create a file in %1 to replace %2: ").arg(sub, path)),
                     qPrintable(r.result.message));
            QVERIFY2(r.result.message.contains(QStringLiteral("ermission denied")),
                     qPrintable(r.result.message));
        }
        QCOMPARE(contents(path), kColleagues);
        QCOMPARE(entries(sub), QStringList{QStringLiteral("flags.json")});
    }

    void namesUnreadableFiles()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("flags.json"));
        QVERIFY(write(path, kColleagues));
        QVERIFY(::chmod(QFile::encodeName(dir.path()).constData(), 0755) == 0);
        QVERIFY(::chmod(QFile::encodeName(path).constData(), 0) == 0);
        Fixture f(path);
        const bool root = ::geteuid() == 0; // root reads anything: ask as nobody
        if (root) QVERIFY(::seteuid(65534) == 0);
        const Outcome r = f.read();
        const Outcome a = f.apply(FlagSetting{true, 10.0});
        if (root) QVERIFY(::seteuid(0) == 0);
        QVERIFY(::chmod(QFile::encodeName(path).constData(), 0644) == 0);
        for (const Outcome& o : {r, a}) {
            QCOMPARE(o.result.step, QStringLiteral("read"));
            QCOMPARE(o.result.message, QStringLiteral("cannot read %1: Permission denied").arg(path));
        }
        QCOMPARE(contents(path), kColleagues);
    }

    void namesAPathThatIsNoFile()
    {
        QTemporaryDir dir;
        Fixture f(dir.path());
        for (const Outcome& o : {f.read(), f.apply(FlagSetting{true, 10.0})}) {
            QCOMPARE(o.result.step, QStringLiteral("read"));
            QCOMPARE(o.result.message, QStringLiteral("%1 is a directory, not a flag file").arg(dir.path()));
        }
        const QString missingDir = dir.filePath(QStringLiteral("nope/flags.json"));
        Fixture g(missingDir);
        const Outcome o = g.apply(FlagSetting{true, 10.0});
        QCOMPARE(o.result.step, QStringLiteral("read"));
        QCOMPARE(o.result.message,
                 QStringLiteral("the directory %1 does not exist").arg(dir.filePath(QStringLiteral("nope"))));
        QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("nope"))));
    }

    void dropsTheResultWhenTheCallerIsGone()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("flags.json"));
        QVERIFY(write(path, kColleagues));
        FlagdFileBackend backend(QStringLiteral("flagd"), path);
        int calls = 0;
        auto* context = new QObject;
        backend.apply(QStringLiteral("k"), FlagSetting{true, 10.0}, {}, context,
                      [&](const FlagResult&) { ++calls; });
        delete context;
        QCoreApplication::sendPostedEvents();
        QCOMPARE(calls, 0);
        QVERIFY(
            onDisk(path, QStringLiteral("k")).matches(FlagSetting{true, 10.0})); // the change itself was made
    }
};

QTEST_GUILESS_MAIN(TestFlagdFileBackend)
#include "tst_flagdfilebackend.moc"
