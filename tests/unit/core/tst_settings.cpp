// Typed settings over a temporary QSettings file: defaults, one change notification per real
// change, and the shared store's connection taken from them (the environment wins).
#include "core/Settings.h"
#include "ledger/StoreSettings.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace rollout;

class TestSettings final : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;

    std::unique_ptr<QSettings> file()
    {
        return std::make_unique<QSettings>(m_dir.filePath(QStringLiteral("s.ini")), QSettings::IniFormat);
    }

private Q_SLOTS:
    void defaultsChangesAndTheStore()
    {
        qunsetenv("ROLLOUT_PG_HOST");
        Settings s(file());
        QCOMPARE(s.number(Settings::Key::StorePort), 5432);
        QCOMPARE(s.text(Settings::Key::StoreHost), QString());
        QVERIFY(!StoreSettings::fromSettings(s).isSet()); // no host: the ledger stays local
        // The TLS mode is not named by default: require for a remote host, prefer on loopback.
        s.setValue(Settings::Key::StoreHost, QStringLiteral("db.remote"));
        QVERIFY(!StoreSettings::fromSettings(s).sslMode.has_value());
        QCOMPARE(StoreSettings::fromSettings(s).effectiveSslMode(), StoreSettings::SslMode::Require);
        s.setValue(Settings::Key::StoreHost, QStringLiteral("localhost"));
        QCOMPARE(StoreSettings::fromSettings(s).effectiveSslMode(), StoreSettings::SslMode::Prefer);
        s.setValue(Settings::Key::StoreHost, QString());
        QSignalSpy changed(&s, &Settings::changed);
        s.setValue(Settings::Key::StoreHost, QStringLiteral("db.internal"));
        s.setValue(Settings::Key::StoreHost, QStringLiteral("db.internal")); // the same again: no signal
        s.setValue(Settings::Key::StorePasswordFile, QStringLiteral("/etc/rollout/pg.pass"));
        s.setValue(Settings::Key::StoreSslMode, QStringLiteral("verify-full"));
        QCOMPARE(changed.size(), 3);
        // Another instance over the same file sees it (the console and its dialog).
        Settings again(file());
        QCOMPARE(again.text(Settings::Key::StoreHost), QStringLiteral("db.internal"));
        const StoreSettings store = StoreSettings::fromSettings(again);
        QCOMPARE(store.host, QStringLiteral("db.internal"));
        QCOMPARE(store.passwordFile, QStringLiteral("/etc/rollout/pg.pass"));
        QVERIFY(store.passwordEnv.isEmpty());
        QVERIFY(store.sslMode == StoreSettings::SslMode::VerifyFull);
        // The environment takes precedence.
        qputenv("ROLLOUT_PG_HOST", "127.0.0.1");
        QCOMPARE(StoreSettings::fromSettings(again).host, QStringLiteral("127.0.0.1"));
        qunsetenv("ROLLOUT_PG_HOST");
    }
};

QTEST_GUILESS_MAIN(TestSettings)
#include "tst_settings.moc"
