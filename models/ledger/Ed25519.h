#pragma once

#include <QByteArray>
#include <QString>
#include <optional>

namespace rollout {

// Ed25519 through libsodium: key pairs, detached signatures, verification. Nothing here is
// hand-rolled; this only gives libsodium's calls Qt types and names. Public keys travel as
// "ed25519:<base64 of 32 bytes>" (the form the plan's `people` hold).
class Ed25519 final
{
public:
    static constexpr int PublicKeyBytes = 32;
    static constexpr int SecretKeyBytes = 64; // libsodium's form: seed followed by the public key
    static constexpr int SeedBytes = 32;
    static constexpr int SignatureBytes = 64;

    struct KeyPair
    {
        QByteArray publicKey; // 32 bytes
        QByteArray secretKey; // 64 bytes; wipe with sodium_memzero when done (see SecretBytes)
    };

    // False if libsodium cannot start (then nothing in the ledger works): call once at start-up.
    static bool initialize();
    static KeyPair generate();
    static std::optional<KeyPair> fromSeed(const QByteArray& seed); // RFC 8032 test vectors start from a seed
    static QByteArray sign(const QByteArray& message, const QByteArray& secretKey);
    static bool verify(const QByteArray& message, const QByteArray& signature, const QByteArray& publicKey);

    // "ed25519:<base64>" ↔ 32 raw bytes; nullopt when the text is not such a key.
    static QString encodePublicKey(const QByteArray& publicKey);
    static std::optional<QByteArray> decodePublicKey(const QString& text);
    // A short stable name for a key: the first 16 hex digits of SHA-256 of the raw public key.
    static QString keyId(const QByteArray& publicKey);
};

} // namespace rollout
