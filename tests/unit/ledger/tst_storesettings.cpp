// StoreSettings: where the password comes from, and a password file that others could read is
// refused the way ssh refuses a loose key, with a message that names the file but never the password.
#include "ledger/StoreSettings.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <sys/stat.h>

using namespace rollout;

class TestStoreSettings final : public QObject
{
    Q_OBJECT

    static QString writeFile(const QTemporaryDir& dir, const QByteArray& content,
                             QFile::Permissions permissions)
    {
        const QString path = dir.filePath(QStringLiteral("pgpass"));
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) return {};
        f.write(content);
        f.close();
        f.setPermissions(permissions);
        return path;
    }

private Q_SLOTS:
    void passwordFileModes_data()
    {
        QTest::addColumn<int>("mode");
        QTest::addColumn<bool>("accepted");
        QTest::newRow("0600") << 0600 << true;
        QTest::newRow("0400") << 0400 << true;
        QTest::newRow("0640") << 0640 << false;
        QTest::newRow("0644") << 0644 << false;
        QTest::newRow("0604") << 0604 << false;
        QTest::newRow("0660") << 0660 << false;
    }

    void passwordFileModes()
    {
        QFETCH(int, mode);
        QFETCH(bool, accepted);
        QTemporaryDir dir;
        const QString path = writeFile(dir, "s3cret-Pa55\n", QFile::ReadOwner | QFile::WriteOwner);
        QVERIFY(!path.isEmpty());
        QCOMPARE(::chmod(QFile::encodeName(path).constData(), mode_t(mode)), 0);
        QString problem;
        const std::optional<QString> password = StoreSettings::readPasswordFile(path, &problem);
        QCOMPARE(password.has_value(), accepted);
        if (accepted) {
            QCOMPARE(*password, QStringLiteral("s3cret-Pa55"));
        } else {
            QVERIFY2(problem.contains(path) && problem.contains(QStringLiteral("too open")),
                     qPrintable(problem));
            QVERIFY2(problem.contains(QString::number(mode, 8)), qPrintable(problem));
            QVERIFY(!problem.contains(QStringLiteral("s3cret")));
        }
    }

    void missingFileIsNamed()
    {
        QString problem;
        QVERIFY(!StoreSettings::readPasswordFile(QStringLiteral("/nonexistent/pgpass"), &problem));
        QVERIFY2(problem.contains(QStringLiteral("/nonexistent/pgpass")), qPrintable(problem));
    }

    void onlyTheFirstLineCounts()
    {
        QTemporaryDir dir;
        const QString path = writeFile(dir, "first\r\nsecond\n", QFile::ReadOwner | QFile::WriteOwner);
        QString problem;
        QCOMPARE(StoreSettings::readPasswordFile(path, &problem).value_or(QString()),
                 QStringLiteral("first"));
    }

    void passwordFromTheEnvironment()
    {
        StoreSettings s;
        s.passwordEnv = QStringLiteral("ROLLOUT_TEST_STORE_PASSWORD");
        qunsetenv("ROLLOUT_TEST_STORE_PASSWORD");
        QString problem;
        QVERIFY(!s.password(&problem));
        QVERIFY2(problem.contains(QStringLiteral("ROLLOUT_TEST_STORE_PASSWORD")), qPrintable(problem));
        qputenv("ROLLOUT_TEST_STORE_PASSWORD", "from-env");
        QCOMPARE(s.password(&problem).value_or(QString()), QStringLiteral("from-env"));
        qunsetenv("ROLLOUT_TEST_STORE_PASSWORD");

        StoreSettings none; // neither: trust or peer authentication
        QCOMPARE(none.password(&problem).value_or(QStringLiteral("?")), QString());
    }

    void fromEnvironment()
    {
        qputenv("ROLLOUT_PG_HOST", "db.example");
        qputenv("ROLLOUT_PG_PORT", "6543");
        qputenv("ROLLOUT_PG_DATABASE", "ledger");
        qputenv("ROLLOUT_PG_USER", "console");
        const StoreSettings s = StoreSettings::fromEnvironment();
        QCOMPARE(s.host, QStringLiteral("db.example"));
        QCOMPARE(s.port, 6543);
        QCOMPARE(s.database, QStringLiteral("ledger"));
        QCOMPARE(s.user, QStringLiteral("console"));
        QCOMPARE(s.passwordEnv, QStringLiteral("ROLLOUT_PG_PASSWORD"));
        QVERIFY(s.passwordFile.isEmpty());
        QVERIFY(!s.sslMode.has_value()); // not named: chosen by the host
        QCOMPARE(s.effectiveSslMode(), StoreSettings::SslMode::Require);
        QCOMPARE(s.endpoint(), QStringLiteral("db.example:6543"));
    }

    // Not named, the mode is require, except where nothing crosses a network: a loopback host or
    // a unix socket keeps prefer (a local server seldom has a certificate).
    void sslModeDefaultsByHost_data()
    {
        QTest::addColumn<QString>("host");
        QTest::addColumn<QString>("mode");
        QTest::newRow("remote name") << QStringLiteral("db.example") << QStringLiteral("require");
        QTest::newRow("remote v4") << QStringLiteral("10.1.2.3") << QStringLiteral("require");
        QTest::newRow("remote v6") << QStringLiteral("2001:db8::5") << QStringLiteral("require");
        QTest::newRow("128.0.0.1") << QStringLiteral("128.0.0.1") << QStringLiteral("require");
        QTest::newRow("localhost.example")
            << QStringLiteral("localhost.example") << QStringLiteral("require");
        QTest::newRow("localhost") << QStringLiteral("localhost") << QStringLiteral("prefer");
        QTest::newRow("LocalHost.") << QStringLiteral("LocalHost.") << QStringLiteral("prefer");
        QTest::newRow("127.0.0.1") << QStringLiteral("127.0.0.1") << QStringLiteral("prefer");
        QTest::newRow("127.8.9.10") << QStringLiteral("127.8.9.10") << QStringLiteral("prefer");
        QTest::newRow("::1") << QStringLiteral("::1") << QStringLiteral("prefer");
        QTest::newRow("[::1]") << QStringLiteral("[::1]") << QStringLiteral("prefer");
        QTest::newRow("::ffff:127.0.0.1") << QStringLiteral("::ffff:127.0.0.1") << QStringLiteral("prefer");
        QTest::newRow("unix socket") << QStringLiteral("/var/run/postgresql") << QStringLiteral("prefer");
    }

    void sslModeDefaultsByHost()
    {
        QFETCH(QString, host);
        QFETCH(QString, mode);
        qunsetenv("ROLLOUT_PG_SSLMODE");
        qputenv("ROLLOUT_PG_HOST", host.toUtf8());
        const StoreSettings s = StoreSettings::fromEnvironment();
        QCOMPARE(StoreSettings::sslModeName(s.effectiveSslMode()), mode);
        // Named, it wins either way.
        qputenv("ROLLOUT_PG_SSLMODE", "disable");
        QCOMPARE(StoreSettings::fromEnvironment().effectiveSslMode(), StoreSettings::SslMode::Disable);
        qputenv("ROLLOUT_PG_SSLMODE", "verify-full");
        QCOMPARE(StoreSettings::fromEnvironment().effectiveSslMode(), StoreSettings::SslMode::VerifyFull);
        qunsetenv("ROLLOUT_PG_SSLMODE");
        qunsetenv("ROLLOUT_PG_HOST");
    }

    void sslModes()
    {
        for (const char* name : {"disable", "prefer", "require", "verify-full"}) {
            const std::optional<StoreSettings::SslMode> m = StoreSettings::parseSslMode(QLatin1String(name));
            QVERIFY(m);
            QCOMPARE(StoreSettings::sslModeName(*m), QLatin1String(name));
        }
        QVERIFY(!StoreSettings::parseSslMode(QStringLiteral("allow-anything")));
    }
};

QTEST_GUILESS_MAIN(TestStoreSettings)
#include "tst_storesettings.moc"
