#pragma once

#include <QObject>
#include <QSettings>
#include <QVariant>
#include <memory>

namespace rollout {

// The console's typed settings over QSettings: each key has a name and a default in one table,
// readers get the right type, writers notify (changed). Secrets are never stored here: only the
// name of the environment variable, or the path of a 0600 file, that holds them.
class Settings final : public QObject
{
    Q_OBJECT
public:
    enum class Key
    {
        StoreHost, // the shared PostgreSQL store ("" = none)
        StorePort,
        StoreDatabase,
        StoreUser,
        StorePasswordEnv,  // the variable holding its password
        StorePasswordFile, // or a 0600 file holding it
        StoreSslMode,      // disable, prefer, require, verify-full; empty: require, or prefer on loopback
        KeysDirectory,     // where signing keys live
    };

    // `settings` null: the application's QSettings (tests pass a temporary file's).
    explicit Settings(std::unique_ptr<QSettings> settings = nullptr, QObject* parent = nullptr);

    QVariant value(Key key) const;
    QString text(Key key) const { return value(key).toString(); }
    int number(Key key) const { return value(key).toInt(); }
    void setValue(Key key, const QVariant& value);
    static QString name(Key key);
    static QVariant defaultValue(Key key);

Q_SIGNALS:
    void changed(rollout::Settings::Key key, const QVariant& value);

private:
    std::unique_ptr<QSettings> m_settings;
};

} // namespace rollout
