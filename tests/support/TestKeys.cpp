#include "TestKeys.h"

#include <QCryptographicHash>

namespace rollout::test {

Ed25519::KeyPair seededKey(const QByteArray& label)
{
    return *Ed25519::fromSeed(QCryptographicHash::hash(label, QCryptographicHash::Sha256));
}

} // namespace rollout::test
