#include "ledger/DeviceKey.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

namespace rollout {

namespace {
const QString kFormat = QStringLiteral("rollout-console-device-key");
}

std::optional<Ed25519::KeyPair> DeviceKey::loadOrCreate(const QString& directory, QString* problem)
{
    const QString path = QDir(directory).filePath(QString::fromLatin1(kFileName));
    QFile file(path);
    if (file.exists()) {
        if (file.permissions() &
            (QFile::ReadGroup | QFile::ReadOther | QFile::WriteGroup | QFile::WriteOther)) {
            *problem = QStringLiteral("%1: readable by others (chmod 600 it)").arg(path);
            return std::nullopt;
        }
        if (!file.open(QIODevice::ReadOnly) || file.size() > 64 * 1024) {
            *problem = QStringLiteral("%1: cannot be read: %2").arg(path, file.errorString());
            return std::nullopt;
        }
        const QJsonObject o = QJsonDocument::fromJson(file.readAll()).object();
        const QByteArray seed = QByteArray::fromBase64(o.value(QStringLiteral("seed")).toString().toLatin1());
        std::optional<Ed25519::KeyPair> key;
        if (o.value(QStringLiteral("format")).toString() == kFormat && seed.size() == Ed25519::SeedBytes)
            key = Ed25519::fromSeed(seed);
        if (!key) {
            *problem = QStringLiteral("%1: not a device key (format %2 with a 32-byte seed expected)")
                           .arg(path, kFormat);
            return std::nullopt;
        }
        return key;
    }
    if (!QDir().mkpath(directory)) {
        *problem = QStringLiteral("%1: the key folder cannot be created").arg(directory);
        return std::nullopt;
    }
    QFile::setPermissions(directory, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    const Ed25519::KeyPair key = Ed25519::generate();
    QJsonObject o;
    o.insert(QStringLiteral("format"), kFormat);
    o.insert(QStringLiteral("version"), 1);
    o.insert(QStringLiteral("public_key"), Ed25519::encodePublicKey(key.publicKey));
    o.insert(QStringLiteral("seed"), QString::fromLatin1(key.secretKey.left(Ed25519::SeedBytes).toBase64()));
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly) || !out.setPermissions(QFile::ReadOwner | QFile::WriteOwner) ||
        out.write(QJsonDocument(o).toJson(QJsonDocument::Indented)) < 0 || !out.commit()) {
        *problem = QStringLiteral("%1: cannot be written: %2").arg(path, out.errorString());
        return std::nullopt;
    }
    return key;
}

} // namespace rollout
