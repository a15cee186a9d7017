// PassphraseSource: the environment variable the user names — set, unset, empty, and gone
// from the environment once read; the environment file's permissions and owner. (The terminal
// path without a terminal is run through rolloutctl in tst_keystore's commandLine().)
#include "ledger/PassphraseSource.h"

#include <QFile>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QTest>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

using namespace rollout;

class TestPassphraseSource final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void fromEnvironment()
    {
        qputenv("ROLLOUT_TST_PASSPHRASE", "s3cret pass\xc3\xa9");
        QString problem;
        const auto pass =
            PassphraseSource::fromEnvironment(QStringLiteral("ROLLOUT_TST_PASSPHRASE"), &problem);
        QVERIFY2(pass, qPrintable(problem));
        QCOMPARE(*pass, QByteArray("s3cret pass\xc3\xa9"));
        QVERIFY(!qEnvironmentVariableIsSet("ROLLOUT_TST_PASSPHRASE")); // read once, then gone
        qputenv("ROLLOUT_TST_PASSPHRASE", "s3cret pass\xc3\xa9");
        const auto viaObtain = PassphraseSource::obtain(QStringLiteral("ROLLOUT_TST_PASSPHRASE"),
                                                        QStringLiteral("unused: "), true, &problem);
        QVERIFY2(viaObtain, qPrintable(problem));
        QCOMPARE(*viaObtain, *pass);
    }

    // After reading, the variable is out of the environment (a child process does not inherit
    // it) and the environment's own bytes of the value are zeros.
    void theEnvironmentKeepsNoCopy()
    {
        static char entry[] = "ROLLOUT_TST_PUTENV=correct horse battery";
        char* value = entry + std::strlen("ROLLOUT_TST_PUTENV=");
        const std::size_t length = std::strlen(value);
        QCOMPARE(::putenv(entry), 0);
        QString problem;
        const auto pass = PassphraseSource::fromEnvironment(QStringLiteral("ROLLOUT_TST_PUTENV"), &problem);
        QVERIFY2(pass, qPrintable(problem));
        QCOMPARE(*pass, QByteArray("correct horse battery"));
        QVERIFY(!qEnvironmentVariableIsSet("ROLLOUT_TST_PUTENV"));
        QVERIFY(!QProcessEnvironment::systemEnvironment().contains(QStringLiteral("ROLLOUT_TST_PUTENV")));
        QCOMPARE(QByteArray(value, qsizetype(length)), QByteArray(qsizetype(length), '\0'));
        // An empty one is refused, and gone as well.
        qputenv("ROLLOUT_TST_EMPTY2", "");
        QVERIFY(!PassphraseSource::fromEnvironment(QStringLiteral("ROLLOUT_TST_EMPTY2"), &problem));
        QVERIFY(!qEnvironmentVariableIsSet("ROLLOUT_TST_EMPTY2"));
    }

    void environmentFile_data()
    {
        QTest::addColumn<int>("mode");
        QTest::addColumn<bool>("accepted");
        QTest::newRow("0600") << 0600 << true;
        QTest::newRow("0400") << 0400 << true;
        QTest::newRow("0640 group-readable") << 0640 << false;
        QTest::newRow("0604 world-readable") << 0604 << false;
        QTest::newRow("0620 group-writable") << 0620 << false;
        QTest::newRow("0602 world-writable") << 0602 << false;
        QTest::newRow("0644") << 0644 << false;
        QTest::newRow("0610") << 0610 << false;
    }

    void environmentFile()
    {
        QFETCH(int, mode);
        QFETCH(bool, accepted);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("watch.env"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("ROLLOUT_WATCH_PASSPHRASE=s3cret\n");
        f.close();
        QCOMPARE(::chmod(QFile::encodeName(path).constData(), mode_t(mode)), 0);
        QString problem;
        QCOMPARE(PassphraseSource::checkEnvironmentFile(path, &problem), accepted);
        if (!accepted) {
            QVERIFY2(problem.contains(path) &&
                         problem.contains(QStringLiteral("0") + QString::number(mode, 8)),
                     qPrintable(problem));
            QVERIFY2(problem.contains(QStringLiteral("chmod 600")), qPrintable(problem));
            QVERIFY(!problem.contains(QStringLiteral("s3cret")));
        }
    }

    void environmentFileOwner()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("watch.env"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        QCOMPARE(::chmod(QFile::encodeName(path).constData(), 0600), 0);
        const uid_t me = ::geteuid();
        QString problem;
        QVERIFY2(PassphraseSource::checkEnvironmentFile(path, me, &problem), qPrintable(problem));
        // Owned by someone who is neither the running user nor root: refused, the owner named.
        // (As root the file is root's, which is accepted for anyone: the check runs as another uid.)
        const uid_t other = me == 0 ? 4242 : me + 1;
        const bool ownedByRoot = me == 0;
        QCOMPARE(PassphraseSource::checkEnvironmentFile(path, other, &problem), ownedByRoot);
        if (!ownedByRoot)
            QVERIFY2(problem.contains(path) && problem.contains(QStringLiteral("uid %1").arg(me)),
                     qPrintable(problem));
        // As root, chown it to a third uid and check as the second.
        if (me == 0) {
            QCOMPARE(::chown(QFile::encodeName(path).constData(), 4343, 4343), 0);
            QVERIFY(!PassphraseSource::checkEnvironmentFile(path, 4242, &problem));
            QVERIFY2(problem.contains(path) && problem.contains(QStringLiteral("owned by uid 4343")),
                     qPrintable(problem));
            QVERIFY(PassphraseSource::checkEnvironmentFile(path, 4343, &problem));
        }
        QVERIFY(
            !PassphraseSource::checkEnvironmentFile(dir.filePath(QStringLiteral("missing.env")), &problem));
        QVERIFY2(problem.contains(QStringLiteral("missing.env")), qPrintable(problem));
        QVERIFY(!PassphraseSource::checkEnvironmentFile(dir.path(), &problem));
        QVERIFY2(problem.contains(QStringLiteral("not a regular file")), qPrintable(problem));
    }

    void unsetOrEmpty()
    {
        qunsetenv("ROLLOUT_TST_UNSET");
        QString problem;
        QVERIFY(!PassphraseSource::fromEnvironment(QStringLiteral("ROLLOUT_TST_UNSET"), &problem));
        QCOMPARE(problem,
                 QStringLiteral(
                     "the environment variable ROLLOUT_TST_UNSET (named by --passphrase-env) is not set"));
        qputenv("ROLLOUT_TST_EMPTY", "");
        QVERIFY(!PassphraseSource::fromEnvironment(QStringLiteral("ROLLOUT_TST_EMPTY"), &problem));
        QVERIFY2(problem.contains(QLatin1String("ROLLOUT_TST_EMPTY")) &&
                     problem.contains(QLatin1String("empty passphrase is refused")),
                 qPrintable(problem));
        QVERIFY(!PassphraseSource::fromEnvironment(QString(), &problem));
    }
};

QTEST_GUILESS_MAIN(TestPassphraseSource)
#include "tst_passphrasesource.moc"
