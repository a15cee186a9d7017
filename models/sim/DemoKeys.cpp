#include "sim/DemoKeys.h"

#include <QCryptographicHash>

namespace rollout {

Ed25519::KeyPair DemoKeys::forPerson(const QString& id)
{
    const QByteArray seed = QCryptographicHash::hash(
        QByteArrayLiteral("rollout-console demo key: ") + id.toUtf8(), QCryptographicHash::Sha256);
    return *Ed25519::fromSeed(seed);
}

} // namespace rollout
