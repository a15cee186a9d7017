#include "ledger/KeyStore.h"

#include "ledger/Ed25519.h"
#include "ledger/KeyFile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QStandardPaths>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rollout {

namespace {

using namespace keyfile;

// sodium_malloc'd bytes: guard pages, kept out of swap, wiped when freed.
class SecretBuffer final
{
public:
    explicit SecretBuffer(std::size_t size)
        : m_size(size), m_data(static_cast<unsigned char*>(sodium_malloc(size)))
    {
    }
    ~SecretBuffer()
    {
        if (m_data) sodium_free(m_data);
    }
    SecretBuffer(const SecretBuffer&) = delete;
    SecretBuffer& operator=(const SecretBuffer&) = delete;

    bool allocated() const { return m_data != nullptr; }
    unsigned char* data() { return m_data; }
    const unsigned char* data() const { return m_data; }
    std::size_t size() const { return m_size; }

private:
    std::size_t m_size;
    unsigned char* m_data;
};

const unsigned char* bytes(const QByteArray& b)
{
    return reinterpret_cast<const unsigned char*>(b.constData());
}
unsigned char* bytes(QByteArray& b)
{
    return reinterpret_cast<unsigned char*>(b.data());
}

void wipe(QByteArray& b)
{
    if (!b.isEmpty()) sodium_memzero(b.data(), std::size_t(b.size()));
}

QString modeText(mode_t mode)
{
    return QStringLiteral("%1").arg(uint(mode & 07777), 4, 8, QLatin1Char('0'));
}

QString errnoText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

bool fail(QString* problem, const QString& text)
{
    if (problem) *problem = text;
    return false;
}

// What the AEAD authenticates besides the secret: changing any of these in the file makes
// decryption fail. Names and roles cannot contain '|', so the joined form is unambiguous.
QByteArray additionalData(const QString& name, const QString& role, const QString& publicKey)
{
    return QByteArray(kFormat.data(), kFormat.size()) + '|' + QByteArray::number(KeyStore::FormatVersion) +
           '|' + name.toUtf8() + '|' + role.toUtf8() + '|' + publicKey.toUtf8();
}

// Argon2id13 from the passphrase into `key`. False when libsodium cannot (out of memory).
bool deriveKey(SecretBuffer& key, const QByteArray& passphrase, const QByteArray& salt,
               unsigned long long opsLimit, std::size_t memLimit)
{
    return key.allocated() && crypto_pwhash(key.data(), key.size(), passphrase.constData(),
                                            static_cast<unsigned long long>(passphrase.size()), bytes(salt),
                                            opsLimit, memLimit, crypto_pwhash_ALG_ARGON2ID13) == 0;
}

QString tooOpen(const QString& path, mode_t mode)
{
    return QStringLiteral(
               "%1: permissions %2 are too open: a private key must be readable by its owner only. "
               "Run: chmod 600 %1")
        .arg(path, modeText(mode));
}

// Writes `data` to a new file created 0600 (never an existing one, never through a symlink).
bool writeNewFile(const QString& path, const QByteArray& data, QString* problem)
{
    const QByteArray native = QFile::encodeName(path);
    const int fd =
        ::open(native.constData(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, S_IRUSR | S_IWUSR);
    if (fd < 0) {
        const int error = errno;
        if (error == EEXIST)
            return fail(problem, QStringLiteral("%1 already exists: refusing to overwrite a key").arg(path));
        return fail(problem,
                    QStringLiteral("%1: cannot create the key file: %2").arg(path, errnoText(error)));
    }
    qsizetype written = 0;
    while (written < data.size()) {
        const ssize_t n = ::write(fd, data.constData() + written, std::size_t(data.size() - written));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        written += n;
    }
    const int writeError = errno;
    const bool ok = written == data.size() && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) {
        ::unlink(native.constData());
        return fail(problem,
                    QStringLiteral("%1: cannot write the key file: %2").arg(path, errnoText(writeError)));
    }
    return true;
}

// The key directory, created 0700 if it is missing (its parents get the usual mode).
bool ensureDirectory(const QString& directory, QString* problem)
{
    const QFileInfo fi(directory);
    if (fi.isDir()) return true;
    if (fi.exists()) return fail(problem, QStringLiteral("%1: not a directory").arg(directory));
    const QString parent = fi.absolutePath();
    if (!QDir().mkpath(parent))
        return fail(problem, QStringLiteral("%1: cannot create the directory").arg(parent));
    if (::mkdir(QFile::encodeName(directory).constData(), S_IRWXU) != 0 && errno != EEXIST)
        return fail(
            problem,
            QStringLiteral("%1: cannot create the key directory: %2").arg(directory, errnoText(errno)));
    return true;
}

} // namespace

KeyStore::UnlockedKey& KeyStore::UnlockedKey::operator=(UnlockedKey&& other) noexcept
{
    if (this != &other) {
        wipe(secretKey);
        name = std::move(other.name);
        role = std::move(other.role);
        keyId = std::move(other.keyId);
        publicKey = std::move(other.publicKey);
        secretKey = std::move(other.secretKey);
    }
    return *this;
}

KeyStore::UnlockedKey::~UnlockedKey()
{
    wipe(secretKey);
}

QString KeyStore::defaultDirectory()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) +
           QStringLiteral("/rollout-console/keys");
}

bool KeyStore::validName(const QString& name)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9_-][A-Za-z0-9._-]*$"));
    return name.size() <= 128 && re.match(name).hasMatch();
}

KeyStore::KeyStore(QString directory)
    : m_directory(std::move(directory)), m_opsLimit(crypto_pwhash_OPSLIMIT_INTERACTIVE),
      m_memLimit(crypto_pwhash_MEMLIMIT_INTERACTIVE)
{
}

QString KeyStore::pathFor(const QString& name) const
{
    return m_directory + QLatin1Char('/') + name + QStringLiteral(".key");
}

void KeyStore::setLimits(unsigned long long opsLimit, std::size_t memLimit)
{
    m_opsLimit = opsLimit;
    m_memLimit = memLimit;
}

std::optional<QString> KeyStore::create(const QString& name, const QString& role,
                                        const QByteArray& passphrase, QString* problem) const
{
    if (!validName(name)) {
        fail(problem,
             QStringLiteral(
                 "\"%1\" is not a valid key name: use letters, digits, '.', '_' and '-' (not first '.')")
                 .arg(name));
        return std::nullopt;
    }
    if (!validName(role)) {
        fail(problem,
             QStringLiteral("\"%1\" is not a valid role: use letters, digits, '.', '_' and '-'").arg(role));
        return std::nullopt;
    }
    const QString path = pathFor(name);
    if (passphrase.isEmpty()) {
        fail(problem, QStringLiteral("%1: an empty passphrase is refused").arg(path));
        return std::nullopt;
    }
    if (m_opsLimit < crypto_pwhash_OPSLIMIT_MIN || m_opsLimit > kMaxOpsLimit ||
        m_memLimit < crypto_pwhash_MEMLIMIT_MIN ||
        m_memLimit > std::min<unsigned long long>(kMaxMemLimit, crypto_pwhash_MEMLIMIT_MAX)) {
        fail(problem, QStringLiteral("%1: Argon2 limits out of range (opslimit %2, memlimit %3)")
                          .arg(path)
                          .arg(m_opsLimit)
                          .arg(m_memLimit));
        return std::nullopt;
    }
    if (!Ed25519::initialize()) {
        fail(problem, QStringLiteral("libsodium could not start"));
        return std::nullopt;
    }
    if (!ensureDirectory(m_directory, problem)) return std::nullopt;
    if (QFileInfo::exists(path) || QFileInfo(path).isSymLink()) {
        fail(problem, QStringLiteral("%1 already exists: refusing to overwrite a key").arg(path));
        return std::nullopt;
    }

    Ed25519::KeyPair pair = Ed25519::generate();
    QByteArray salt(kSaltBytes, '\0');
    QByteArray nonce(kNonceBytes, '\0');
    randombytes_buf(bytes(salt), std::size_t(salt.size()));
    randombytes_buf(bytes(nonce), std::size_t(nonce.size()));
    SecretBuffer key(kKeyBytes);
    if (!deriveKey(key, passphrase, salt, m_opsLimit, m_memLimit)) {
        wipe(pair.secretKey);
        fail(problem,
             QStringLiteral(
                 "%1: deriving the key from the passphrase failed (out of memory for memlimit %2 bytes?)")
                 .arg(path)
                 .arg(m_memLimit));
        return std::nullopt;
    }
    const QString publicKey = Ed25519::encodePublicKey(pair.publicKey);
    const QByteArray ad = additionalData(name, role, publicKey);
    QByteArray ciphertext(kCiphertextBytes, '\0');
    unsigned long long ciphertextBytes = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(bytes(ciphertext), &ciphertextBytes, bytes(pair.secretKey),
                                               std::size_t(pair.secretKey.size()), bytes(ad),
                                               std::size_t(ad.size()), nullptr, bytes(nonce), key.data());
    wipe(pair.secretKey);

    QJsonObject o;
    o.insert(QStringLiteral("format"), kFormat);
    o.insert(QStringLiteral("version"), FormatVersion);
    o.insert(QStringLiteral("name"), name);
    o.insert(QStringLiteral("role"), role);
    o.insert(QStringLiteral("public_key"), publicKey);
    o.insert(QStringLiteral("key_id"), Ed25519::keyId(pair.publicKey));
    o.insert(QStringLiteral("kdf"),
             QJsonObject{{QStringLiteral("alg"), kKdfAlg},
                         {QStringLiteral("opslimit"), double(m_opsLimit)},
                         {QStringLiteral("memlimit"), double(m_memLimit)},
                         {QStringLiteral("salt"), QString::fromLatin1(salt.toBase64())}});
    o.insert(QStringLiteral("cipher"),
             QJsonObject{{QStringLiteral("alg"), kCipherAlg},
                         {QStringLiteral("nonce"), QString::fromLatin1(nonce.toBase64())}});
    o.insert(QStringLiteral("secret_key"), QString::fromLatin1(ciphertext.toBase64()));
    if (!writeNewFile(path, QJsonDocument(o).toJson(QJsonDocument::Indented), problem)) return std::nullopt;
    // Make the new name durable along with the contents.
    const int dirFd = ::open(QFile::encodeName(m_directory).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd >= 0) {
        ::fsync(dirFd);
        ::close(dirFd);
    }
    return path;
}

std::optional<KeyStore::UnlockedKey> KeyStore::unlock(const QString& name, const QByteArray& passphrase,
                                                      QString* problem) const
{
    if (!validName(name)) {
        fail(problem, QStringLiteral("\"%1\" is not a valid key name").arg(name));
        return std::nullopt;
    }
    const QString path = pathFor(name);
    if (!Ed25519::initialize()) {
        fail(problem, QStringLiteral("libsodium could not start"));
        return std::nullopt;
    }
    const std::optional<KeyFile> file = KeyFile::read(path, name, problem);
    if (!file) return std::nullopt;
    if ((file->mode & (S_IRWXG | S_IRWXO)) != 0) {
        fail(problem, tooOpen(path, file->mode));
        return std::nullopt;
    }
    if (passphrase.isEmpty()) {
        fail(problem, QStringLiteral("%1: an empty passphrase is refused").arg(path));
        return std::nullopt;
    }

    SecretBuffer key(kKeyBytes);
    if (!deriveKey(key, passphrase, file->salt, file->opsLimit, file->memLimit)) {
        fail(problem,
             QStringLiteral(
                 "%1: deriving the key from the passphrase failed (out of memory for memlimit %2 bytes?)")
                 .arg(path)
                 .arg(file->memLimit));
        return std::nullopt;
    }
    SecretBuffer secret(Ed25519::SecretKeyBytes);
    SecretBuffer check(Ed25519::SecretKeyBytes);
    if (!secret.allocated() || !check.allocated()) {
        fail(problem, QStringLiteral("%1: out of memory").arg(path));
        return std::nullopt;
    }
    const QByteArray ad = additionalData(file->info.name, file->info.role, file->info.publicKey);
    unsigned long long secretBytes = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            secret.data(), &secretBytes, nullptr, bytes(file->ciphertext),
            std::size_t(file->ciphertext.size()), bytes(ad), std::size_t(ad.size()), bytes(file->nonce),
            key.data()) != 0 ||
        secretBytes != secret.size()) {
        // The AEAD cannot tell these apart: both mean the tag does not match.
        fail(problem,
             QStringLiteral(
                 "%1: wrong passphrase, or the file was altered (its name, role, public key or encrypted "
                 "secret no longer match what was encrypted)")
                 .arg(path));
        return std::nullopt;
    }
    // The decrypted secret must be the key pair of the public key the file shows (and the
    // plan lists): regenerate the pair from its seed and compare both halves.
    QByteArray derivedPublic(Ed25519::PublicKeyBytes, '\0');
    crypto_sign_seed_keypair(bytes(derivedPublic), check.data(), secret.data());
    if (sodium_memcmp(bytes(derivedPublic), bytes(file->publicKey), std::size_t(Ed25519::PublicKeyBytes)) !=
            0 ||
        sodium_memcmp(check.data(), secret.data(), secret.size()) != 0) {
        fail(problem,
             QStringLiteral(
                 "%1: the public key in the file does not match its secret key (file says %2, the secret "
                 "key's is %3)")
                 .arg(path, file->info.publicKey, Ed25519::encodePublicKey(derivedPublic)));
        return std::nullopt;
    }

    UnlockedKey k;
    k.name = file->info.name;
    k.role = file->info.role;
    k.keyId = file->info.keyId;
    k.publicKey = file->publicKey;
    k.secretKey = QByteArray(reinterpret_cast<const char*>(secret.data()), qsizetype(secret.size()));
    return k;
}

std::optional<KeyStore::KeyInfo> KeyStore::info(const QString& name, QString* problem) const
{
    if (!validName(name)) {
        fail(problem, QStringLiteral("\"%1\" is not a valid key name").arg(name));
        return std::nullopt;
    }
    std::optional<KeyFile> file = KeyFile::read(pathFor(name), name, problem);
    if (!file) return std::nullopt;
    if ((file->mode & (S_IRWXG | S_IRWXO)) != 0) file->info.warning = tooOpen(file->info.path, file->mode);
    return file->info;
}

QList<KeyStore::KeyInfo> KeyStore::list(QStringList* problems) const
{
    QList<KeyInfo> keys;
    const QDir dir(m_directory);
    if (!dir.exists()) return keys;
    for (const QString& fileName : dir.entryList({QStringLiteral("*.key")}, QDir::Files, QDir::Name)) {
        const QString name = fileName.chopped(4);
        QString problem;
        if (!validName(name))
            problem = QStringLiteral("%1: not a valid key name, skipped").arg(dir.filePath(fileName));
        else if (const auto i = info(name, &problem))
            keys.append(*i);
        if (!problem.isEmpty() && problems) problems->append(problem);
    }
    return keys;
}

} // namespace rollout
