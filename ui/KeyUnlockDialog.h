#pragma once

#include "ledger/KeyStore.h"

#include <QDialog>
#include <optional>

class QLabel;
class QLineEdit;

namespace rollout {

// Asks for the passphrase of one person's signing key and unlocks it from the key store. The
// passphrase is typed hidden, never shown again, and wiped from the field once used.
class KeyUnlockDialog final : public QDialog
{
    Q_OBJECT
public:
    KeyUnlockDialog(KeyStore& store, const QString& name, const QString& why, QWidget* parent = nullptr);
    // The unlocked key after exec() returned Accepted.
    std::optional<KeyStore::UnlockedKey>& key() { return m_key; }

private:
    void tryUnlock();
    void growToFit();

    KeyStore& m_store;
    QString m_name;
    QLineEdit* m_passphrase;
    QLabel* m_error;
    std::optional<KeyStore::UnlockedKey> m_key;
};

} // namespace rollout
