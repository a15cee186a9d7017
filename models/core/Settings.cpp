#include "core/Settings.h"

#include <QStandardPaths>

namespace rollout {

namespace {

struct Entry
{
    Settings::Key key;
    const char* name;
};

constexpr Entry kEntries[] = {
    {Settings::Key::StoreHost, "store/host"},
    {Settings::Key::StorePort, "store/port"},
    {Settings::Key::StoreDatabase, "store/database"},
    {Settings::Key::StoreUser, "store/user"},
    {Settings::Key::StorePasswordEnv, "store/passwordEnv"},
    {Settings::Key::StorePasswordFile, "store/passwordFile"},
    {Settings::Key::StoreSslMode, "store/sslmode"},
    {Settings::Key::KeysDirectory, "keys/directory"},
};

} // namespace

Settings::Settings(std::unique_ptr<QSettings> settings, QObject* parent)
    : QObject(parent), m_settings(settings ? std::move(settings) : std::make_unique<QSettings>())
{
}

QString Settings::name(Key key)
{
    for (const Entry& e : kEntries)
        if (e.key == key) return QLatin1String(e.name);
    return {};
}

QVariant Settings::defaultValue(Key key)
{
    switch (key) {
    case Key::StoreHost:
        return QString();
    case Key::StorePort:
        return 5432;
    case Key::StoreDatabase:
        return QStringLiteral("rollout");
    case Key::StoreUser:
        return QStringLiteral("rollout");
    case Key::StorePasswordEnv:
        return QStringLiteral("ROLLOUT_PG_PASSWORD");
    case Key::StorePasswordFile:
        return QString();
    case Key::StoreSslMode:
        return QString(); // automatic: require, or prefer on loopback (StoreSettings)
    case Key::KeysDirectory:
        return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) +
               QStringLiteral("/rollout-console/keys");
    }
    return {};
}

QVariant Settings::value(Key key) const
{
    return m_settings->value(name(key), defaultValue(key));
}

void Settings::setValue(Key key, const QVariant& value)
{
    if (m_settings->value(name(key), defaultValue(key)) == value) return;
    m_settings->setValue(name(key), value);
    m_settings->sync();
    Q_EMIT changed(key, value);
}

} // namespace rollout
