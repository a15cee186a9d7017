#pragma once

#include "ledger/Ed25519.h"
#include "ledger/KeyStore.h"

#include <QByteArray>
#include <QLatin1String>
#include <optional>
#include <sodium.h>
#include <sys/types.h>

namespace rollout {

// The key file's format (docs: rolloutctl keys; KeyStore) shared by the writer and the reader.
namespace keyfile {
inline const QLatin1String kFormat("rollout-console-key");
inline const QLatin1String kKdfAlg("argon2id13");
inline const QLatin1String kCipherAlg("xchacha20poly1305-ietf");
inline constexpr int kKeyBytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
inline constexpr int kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
inline constexpr int kSaltBytes = crypto_pwhash_SALTBYTES;
inline constexpr int kCiphertextBytes = Ed25519::SecretKeyBytes + crypto_aead_xchacha20poly1305_ietf_ABYTES;
inline constexpr qint64 kMaxFileBytes = 64 * 1024; // a key file is under 1 KiB; anything huge is not one
// Bounds on the Argon2 cost a file may ask for, so a damaged or hostile file cannot make unlock
// allocate gigabytes or run for minutes.
inline constexpr unsigned long long kMaxOpsLimit = 64;
inline constexpr unsigned long long kMaxMemLimit = 4ULL * 1024 * 1024 * 1024;
} // namespace keyfile

// The parsed file: everything but the decrypted secret.
struct KeyFile
{
    // Reads and checks the whole file except the ciphertext's contents. `name` is the key's name
    // as the file is named; the file must say the same. Every failure names the file.
    static std::optional<KeyFile> read(const QString& path, const QString& name, QString* problem);

    KeyStore::KeyInfo info;
    QByteArray publicKey;
    unsigned long long opsLimit = 0;
    std::size_t memLimit = 0;
    QByteArray salt;
    QByteArray nonce;
    QByteArray ciphertext;
    mode_t mode = 0;
};

} // namespace rollout
