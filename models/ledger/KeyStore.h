#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>
#include <cstddef>
#include <optional>

namespace rollout {

// Ed25519 signing keys kept on disk, the secret half encrypted with a passphrase: one JSON file
// per key, `<dir>/<name>.key`, mode 0600 in a 0700 directory. The passphrase goes through
// Argon2id (crypto_pwhash) to an XChaCha20-Poly1305 key; the file's metadata (format, version,
// name, role, public key) is the AEAD's additional data, so editing any of it is detected.
// All crypto is libsodium's; nothing here is hand-rolled.
class KeyStore final
{
public:
    static constexpr int FormatVersion = 1;

    // What anyone may read without the passphrase.
    struct KeyInfo
    {
        QString name;
        QString role;
        QString publicKey; // "ed25519:<base64>"
        QString keyId;     // Ed25519::keyId of the public key
        QString path;
        QString warning; // e.g. the file's permissions are too open (unlock refuses it then)
    };

    // A decrypted key. Move-only; the destructor wipes the secret bytes.
    struct UnlockedKey
    {
        QString name;
        QString role;
        QString keyId;
        QByteArray publicKey; // 32 raw bytes
        QByteArray secretKey; // 64 raw bytes, libsodium's form (Ed25519::sign takes it)

        UnlockedKey() = default;
        UnlockedKey(const UnlockedKey&) = delete;
        UnlockedKey& operator=(const UnlockedKey&) = delete;
        UnlockedKey(UnlockedKey&&) noexcept = default;
        UnlockedKey& operator=(UnlockedKey&& other) noexcept;
        ~UnlockedKey();
    };

    // $XDG_DATA_HOME/rollout-console/keys (QStandardPaths' GenericDataLocation).
    static QString defaultDirectory();
    // [A-Za-z0-9._-]+, not starting with a dot: a file name, and safe in the plan's YAML.
    static bool validName(const QString& name);

    explicit KeyStore(QString directory = defaultDirectory());

    QString directory() const { return m_directory; }
    QString pathFor(const QString& name) const;

    // Argon2id cost for keys created from now on (unlock reads the cost from each file).
    // Defaults: crypto_pwhash_OPSLIMIT_INTERACTIVE / MEMLIMIT_INTERACTIVE. Tests use the minimum.
    void setLimits(unsigned long long opsLimit, std::size_t memLimit);
    unsigned long long opsLimit() const { return m_opsLimit; }
    std::size_t memLimit() const { return m_memLimit; }

    // A new key pair, encrypted with `passphrase`. Returns the file's path; refuses to overwrite.
    std::optional<QString> create(const QString& name, const QString& role, const QByteArray& passphrase,
                                  QString* problem) const;
    // Decrypts a key. Every failure names the file and says what is wrong.
    std::optional<UnlockedKey> unlock(const QString& name, const QByteArray& passphrase,
                                      QString* problem) const;
    // The public side of one key / every key, sorted by name. Files that cannot be read are
    // left out of list() and described in `problems`.
    std::optional<KeyInfo> info(const QString& name, QString* problem) const;
    QList<KeyInfo> list(QStringList* problems = nullptr) const;

private:
    QString m_directory;
    unsigned long long m_opsLimit;
    std::size_t m_memLimit;
};

} // namespace rollout
