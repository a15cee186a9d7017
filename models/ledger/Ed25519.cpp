#include "ledger/Ed25519.h"

#include <QCryptographicHash>
#include <sodium.h>

namespace rollout {

bool Ed25519::initialize()
{
    return sodium_init() >= 0;
}

Ed25519::KeyPair Ed25519::generate()
{
    KeyPair k;
    k.publicKey.resize(PublicKeyBytes);
    k.secretKey.resize(SecretKeyBytes);
    crypto_sign_keypair(reinterpret_cast<unsigned char*>(k.publicKey.data()),
                        reinterpret_cast<unsigned char*>(k.secretKey.data()));
    return k;
}

std::optional<Ed25519::KeyPair> Ed25519::fromSeed(const QByteArray& seed)
{
    if (seed.size() != SeedBytes) return std::nullopt;
    KeyPair k;
    k.publicKey.resize(PublicKeyBytes);
    k.secretKey.resize(SecretKeyBytes);
    crypto_sign_seed_keypair(reinterpret_cast<unsigned char*>(k.publicKey.data()),
                             reinterpret_cast<unsigned char*>(k.secretKey.data()),
                             reinterpret_cast<const unsigned char*>(seed.constData()));
    return k;
}

QByteArray Ed25519::sign(const QByteArray& message, const QByteArray& secretKey)
{
    if (secretKey.size() != SecretKeyBytes) return {};
    QByteArray sig(SignatureBytes, '\0');
    crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                         reinterpret_cast<const unsigned char*>(message.constData()),
                         static_cast<unsigned long long>(message.size()),
                         reinterpret_cast<const unsigned char*>(secretKey.constData()));
    return sig;
}

bool Ed25519::verify(const QByteArray& message, const QByteArray& signature, const QByteArray& publicKey)
{
    if (signature.size() != SignatureBytes || publicKey.size() != PublicKeyBytes) return false;
    return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.constData()),
                                       reinterpret_cast<const unsigned char*>(message.constData()),
                                       static_cast<unsigned long long>(message.size()),
                                       reinterpret_cast<const unsigned char*>(publicKey.constData())) == 0;
}

QString Ed25519::encodePublicKey(const QByteArray& publicKey)
{
    return QStringLiteral("ed25519:") + QString::fromLatin1(publicKey.toBase64());
}

std::optional<QByteArray> Ed25519::decodePublicKey(const QString& text)
{
    if (!text.startsWith(QLatin1String("ed25519:"))) return std::nullopt;
    const auto decoded = QByteArray::fromBase64Encoding(text.mid(8).trimmed().toLatin1(),
                                                        QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.size() != PublicKeyBytes) return std::nullopt;
    return decoded.decoded;
}

QString Ed25519::keyId(const QByteArray& publicKey)
{
    return QString::fromLatin1(
        QCryptographicHash::hash(publicKey, QCryptographicHash::Sha256).toHex().left(16));
}

} // namespace rollout
