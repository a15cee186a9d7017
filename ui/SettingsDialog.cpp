#include "SettingsDialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QVBoxLayout>
#include <algorithm>

namespace rollout {

SettingsDialog::SettingsDialog(Settings& settings, QWidget* parent) : QDialog(parent), m_settings(settings)
{
    setWindowTitle(tr("Settings"));
    setObjectName(QStringLiteral("settingsDialog"));
    auto* layout = new QVBoxLayout(this);
    auto* store =
        new QGroupBox(tr("Shared store (PostgreSQL) — consoles and watch share their signed records"), this);
    auto* form = new QFormLayout(store);
    auto field = [&](const QString& name, Settings::Key key, const QString& hint) {
        auto* e = new QLineEdit(settings.text(key), store);
        e->setObjectName(QStringLiteral("setting_") +
                         Settings::name(key).replace(QLatin1Char('/'), QLatin1Char('_')));
        e->setPlaceholderText(hint);
        e->setAccessibleName(name);
        form->addRow(name, e);
        return e;
    };
    m_host =
        field(tr("Host"), Settings::Key::StoreHost, tr("empty: this console keeps its ledger to itself"));
    m_port = new QSpinBox(store);
    m_port->setRange(1, 65535);
    m_port->setValue(settings.number(Settings::Key::StorePort));
    m_port->setAccessibleName(tr("Port"));
    form->addRow(tr("Port"), m_port);
    m_database = field(tr("Database"), Settings::Key::StoreDatabase, {});
    m_user = field(tr("User"), Settings::Key::StoreUser, {});
    m_passwordEnv = field(tr("Password from variable"), Settings::Key::StorePasswordEnv,
                          tr("the environment variable holding it"));
    m_passwordFile = field(tr("…or from file"), Settings::Key::StorePasswordFile, tr("a file of mode 0600"));
    m_sslMode = new QComboBox(store);
    m_sslMode->setObjectName(QStringLiteral("setting_store_sslmode"));
    // Empty: StoreSettings picks require, or prefer on a loopback host.
    m_sslMode->addItem(tr("automatic (require; prefer on localhost)"), QString());
    for (const char* mode : {"disable", "prefer", "require", "verify-full"})
        m_sslMode->addItem(QLatin1String(mode), QLatin1String(mode));
    m_sslMode->setCurrentIndex(std::max(0, m_sslMode->findData(settings.text(Settings::Key::StoreSslMode))));
    m_sslMode->setAccessibleName(tr("TLS"));
    form->addRow(tr("TLS (sslmode)"), m_sslMode);
    layout->addWidget(store);
    auto* keys = new QGroupBox(tr("Signing keys"), this);
    auto* keyForm = new QFormLayout(keys);
    m_keys = new QLineEdit(settings.text(Settings::Key::KeysDirectory), keys);
    m_keys->setAccessibleName(tr("Key directory"));
    keyForm->addRow(tr("Directory"), m_keys);
    layout->addWidget(keys);
    auto* note = new QLabel(
        tr("Passwords and passphrases are never stored or shown here. The environment's ROLLOUT_PG_* take "
           "precedence. Changes apply when the console next opens a plan."),
        this);
    note->setWordWrap(true);
    layout->addWidget(note);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, [this] {
        save();
        accept();
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

void SettingsDialog::save()
{
    m_settings.setValue(Settings::Key::StoreHost, m_host->text().trimmed());
    m_settings.setValue(Settings::Key::StorePort, m_port->value());
    m_settings.setValue(Settings::Key::StoreDatabase, m_database->text().trimmed());
    m_settings.setValue(Settings::Key::StoreUser, m_user->text().trimmed());
    m_settings.setValue(Settings::Key::StorePasswordEnv, m_passwordEnv->text().trimmed());
    m_settings.setValue(Settings::Key::StorePasswordFile, m_passwordFile->text().trimmed());
    m_settings.setValue(Settings::Key::StoreSslMode, m_sslMode->currentData().toString());
    m_settings.setValue(Settings::Key::KeysDirectory, m_keys->text().trimmed());
}

} // namespace rollout
