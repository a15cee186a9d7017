// KeyFile::read: a key file parsed and checked field by field, apart from KeyStore (which
// creates, unlocks and lists keys).
#include "ledger/KeyFile.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rollout {

using namespace keyfile;

namespace {

QString errnoText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

bool fail(QString* problem, const QString& text)
{
    if (problem) *problem = text;
    return false;
}

std::optional<QByteArray> base64Field(const QJsonObject& o, const QString& key, int size, const QString& path,
                                      const QString& where, QString* problem)
{
    const QJsonValue v = o.value(key);
    if (!v.isString()) {
        fail(problem, QStringLiteral("%1: corrupted key file: no text field \"%2\"").arg(path, where + key));
        return std::nullopt;
    }
    const auto decoded =
        QByteArray::fromBase64Encoding(v.toString().toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded) {
        fail(problem,
             QStringLiteral("%1: corrupted key file: \"%2\" is not valid base64").arg(path, where + key));
        return std::nullopt;
    }
    if (decoded.decoded.size() != size) {
        fail(problem, QStringLiteral("%1: corrupted key file: \"%2\" is %3 bytes, expected %4")
                          .arg(path, where + key)
                          .arg(decoded.decoded.size())
                          .arg(size));
        return std::nullopt;
    }
    return decoded.decoded;
}

std::optional<unsigned long long> integerField(const QJsonObject& o, const QString& key,
                                               unsigned long long min, unsigned long long max,
                                               const QString& path, QString* problem)
{
    const QJsonValue v = o.value(key);
    const double d = v.toDouble(-1);
    if (!v.isDouble() || d < double(min) || d > double(max) ||
        d != double(static_cast<unsigned long long>(d))) {
        fail(problem,
             QStringLiteral("%1: corrupted key file: \"kdf.%2\" must be a whole number from %3 to %4")
                 .arg(path, key)
                 .arg(min)
                 .arg(max));
        return std::nullopt;
    }
    return static_cast<unsigned long long>(d);
}

} // namespace

std::optional<KeyFile> KeyFile::read(const QString& path, const QString& name, QString* problem)
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int error = errno;
        if (error == ENOENT)
            fail(problem, QStringLiteral("%1: no such key \"%2\" (rolloutctl keys list shows the keys in %3)")
                              .arg(path, name, QFileInfo(path).absolutePath()));
        else
            fail(problem, QStringLiteral("%1: cannot open the key file: %2").arg(path, errnoText(error)));
        return std::nullopt;
    }
    QFile file;
    if (!file.open(fd, QIODevice::ReadOnly, QFileDevice::AutoCloseHandle)) {
        ::close(fd);
        fail(problem, QStringLiteral("%1: cannot read the key file: %2").arg(path, file.errorString()));
        return std::nullopt;
    }
    struct stat st
    {
    };
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        fail(problem, QStringLiteral("%1: not a regular file").arg(path));
        return std::nullopt;
    }
    const QByteArray data = file.read(kMaxFileBytes + 1);
    if (data.size() > kMaxFileBytes) {
        fail(problem, QStringLiteral("%1: corrupted key file: %2 bytes or more, far too large for a key")
                          .arg(path)
                          .arg(data.size()));
        return std::nullopt;
    }

    KeyFile k;
    k.mode = st.st_mode;
    k.info.path = path;
    const QByteArray trimmed = data.trimmed();
    if (trimmed.isEmpty()) {
        fail(problem, QStringLiteral("%1: truncated key file: the file is empty").arg(path));
        return std::nullopt;
    }
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(data, &error);
    if (error.error != QJsonParseError::NoError) {
        // A key file is one JSON object: if the text stops before its closing brace, the file
        // was cut short (a full disk, an interrupted copy) rather than garbled.
        if (trimmed.startsWith('{') && !trimmed.endsWith('}'))
            fail(problem, QStringLiteral("%1: truncated key file: the JSON stops after %2 bytes")
                              .arg(path)
                              .arg(data.size()));
        else
            fail(problem, QStringLiteral("%1: corrupted key file: not valid JSON (%2 at byte %3)")
                              .arg(path, error.errorString())
                              .arg(error.offset));
        return std::nullopt;
    }
    if (!doc.isObject()) {
        fail(problem, QStringLiteral("%1: corrupted key file: not a JSON object").arg(path));
        return std::nullopt;
    }
    const QJsonObject o = doc.object();
    if (o.value(QStringLiteral("format")).toString() != kFormat) {
        fail(problem, QStringLiteral("%1: corrupted key file: \"format\" is not \"%2\"").arg(path, kFormat));
        return std::nullopt;
    }
    if (!o.value(QStringLiteral("version")).isDouble()) {
        fail(problem, QStringLiteral("%1: corrupted key file: no number \"version\"").arg(path));
        return std::nullopt;
    }
    if (o.value(QStringLiteral("version")).toDouble() != KeyStore::FormatVersion) {
        fail(problem, QStringLiteral("%1: unsupported key file version %2 (this build reads version %3)")
                          .arg(path)
                          .arg(o.value(QStringLiteral("version")).toDouble())
                          .arg(KeyStore::FormatVersion));
        return std::nullopt;
    }
    for (const char* key : {"name", "role", "public_key", "key_id", "secret_key"})
        if (!o.value(QLatin1String(key)).isString()) {
            fail(
                problem,
                QStringLiteral("%1: corrupted key file: no text field \"%2\"").arg(path, QLatin1String(key)));
            return std::nullopt;
        }
    k.info.name = o.value(QStringLiteral("name")).toString();
    k.info.role = o.value(QStringLiteral("role")).toString();
    k.info.publicKey = o.value(QStringLiteral("public_key")).toString();
    k.info.keyId = o.value(QStringLiteral("key_id")).toString();
    if (!KeyStore::validName(k.info.name) || !KeyStore::validName(k.info.role)) {
        fail(problem,
             QStringLiteral(
                 "%1: corrupted key file: \"name\" or \"role\" holds characters other than A-Z a-z 0-9 . _ -")
                 .arg(path));
        return std::nullopt;
    }
    if (k.info.name != name) {
        fail(
            problem,
            QStringLiteral(
                "%1: the file holds the key \"%2\", not \"%3\" (was it renamed? its name is part of what the "
                "passphrase protects: rename it back to %2.key)")
                .arg(path, k.info.name, name));
        return std::nullopt;
    }
    const std::optional<QByteArray> publicKey = Ed25519::decodePublicKey(k.info.publicKey);
    if (!publicKey) {
        fail(problem,
             QStringLiteral(
                 "%1: corrupted key file: \"public_key\" is not \"ed25519:\" and the base64 of 32 bytes")
                 .arg(path));
        return std::nullopt;
    }
    k.publicKey = *publicKey;
    if (k.info.keyId != Ed25519::keyId(k.publicKey)) {
        fail(problem,
             QStringLiteral("%1: corrupted key file: \"key_id\" %2 is not the id of the public key (%3)")
                 .arg(path, k.info.keyId, Ed25519::keyId(k.publicKey)));
        return std::nullopt;
    }

    const QJsonObject kdf = o.value(QStringLiteral("kdf")).toObject();
    if (kdf.value(QStringLiteral("alg")).toString() != kKdfAlg) {
        fail(problem, QStringLiteral("%1: corrupted key file: \"kdf.alg\" is not \"%2\"").arg(path, kKdfAlg));
        return std::nullopt;
    }
    const auto ops = integerField(kdf, QStringLiteral("opslimit"), crypto_pwhash_OPSLIMIT_MIN, kMaxOpsLimit,
                                  path, problem);
    const auto mem =
        integerField(kdf, QStringLiteral("memlimit"), crypto_pwhash_MEMLIMIT_MIN,
                     std::min<unsigned long long>(kMaxMemLimit, crypto_pwhash_MEMLIMIT_MAX), path, problem);
    if (!ops || !mem) return std::nullopt;
    k.opsLimit = *ops;
    k.memLimit = std::size_t(*mem);
    const auto salt =
        base64Field(kdf, QStringLiteral("salt"), kSaltBytes, path, QStringLiteral("kdf."), problem);
    if (!salt) return std::nullopt;
    k.salt = *salt;

    const QJsonObject cipher = o.value(QStringLiteral("cipher")).toObject();
    if (cipher.value(QStringLiteral("alg")).toString() != kCipherAlg) {
        fail(problem,
             QStringLiteral("%1: corrupted key file: \"cipher.alg\" is not \"%2\"").arg(path, kCipherAlg));
        return std::nullopt;
    }
    const auto nonce =
        base64Field(cipher, QStringLiteral("nonce"), kNonceBytes, path, QStringLiteral("cipher."), problem);
    if (!nonce) return std::nullopt;
    k.nonce = *nonce;
    const auto ciphertext =
        base64Field(o, QStringLiteral("secret_key"), kCiphertextBytes, path, QString(), problem);
    if (!ciphertext) return std::nullopt;
    k.ciphertext = *ciphertext;
    return k;
}

} // namespace rollout
