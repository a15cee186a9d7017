#pragma once

#include "core/Settings.h"

#include <QDialog>

class QComboBox;
class QLineEdit;
class QSpinBox;

namespace rollout {

// Connections and keys, over the typed Settings: the shared PostgreSQL store (its password is
// never typed here — only the environment variable or the 0600 file that holds it), and where
// signing keys live. Prometheus and flag-service addresses belong to the plan.
class SettingsDialog final : public QDialog
{
    Q_OBJECT
public:
    SettingsDialog(Settings& settings, QWidget* parent = nullptr);

private:
    void save();

    Settings& m_settings;
    QLineEdit* m_host;
    QSpinBox* m_port;
    QLineEdit* m_database;
    QLineEdit* m_user;
    QLineEdit* m_passwordEnv;
    QLineEdit* m_passwordFile;
    QComboBox* m_sslMode;
    QLineEdit* m_keys;
};

} // namespace rollout
