// KeyStore: keys round-trip through their encrypted files, and every way a file can be wrong
// (passphrase, damage, truncation, edited metadata, loose permissions) is refused with a
// message naming the file and the fault. Argon2 runs at its minimum cost except where the
// defaults themselves are under test.
#include "ledger/Ed25519.h"
#include "ledger/KeyStore.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace rollout;

namespace {

const QByteArray kPass = QByteArrayLiteral("correct horse battery staple");

KeyStore fastStore(const QString& dir)
{
    KeyStore store(dir);
    store.setLimits(crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
    return store;
}

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Rewrites an existing file in place, so it keeps its mode.
void overwrite(const QString& path, const QByteArray& data)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(f.write(data), data.size());
}

QJsonObject readJson(const QString& path)
{
    return QJsonDocument::fromJson(readAll(path)).object();
}

void writeJson(const QString& path, const QJsonObject& o)
{
    overwrite(path, QJsonDocument(o).toJson());
}

mode_t modeOf(const QString& path)
{
    struct stat st
    {
    };
    if (::stat(QFile::encodeName(path).constData(), &st) != 0) return 0;
    return st.st_mode & 07777;
}

QByteArray flipped(const QByteArray& base64, int index)
{
    QByteArray raw = QByteArray::fromBase64(base64);
    raw[index] = char(raw[index] ^ 0x20);
    return raw.toBase64();
}

enum class Damage
{
    CiphertextByte,
    PublicKeySwapped,
    PublicKeySwappedIdStale,
    RoleChanged,
    NameChanged,
    Renamed,
    NotJson,
    MissingSecret,
    BadBase64,
    ShortSalt,
    ShortCiphertext,
    HugeMemLimit,
    WrongFormat,
    Version2,
    TruncatedHalf,
    Empty
};

} // namespace

Q_DECLARE_METATYPE(Damage)

class TestKeyStore final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(Ed25519::initialize());
        ::umask(022); // what most users have; the store must not depend on a strict umask
    }

    void roundTrip()
    {
        QTemporaryDir tmp;
        const KeyStore store = fastStore(tmp.path());
        QString problem;
        const auto path = store.create(QStringLiteral("alice"), QStringLiteral("pm"), kPass, &problem);
        QVERIFY2(path, qPrintable(problem));
        QCOMPARE(*path, tmp.path() + QStringLiteral("/alice.key"));

        const auto key = store.unlock(QStringLiteral("alice"), kPass, &problem);
        QVERIFY2(key, qPrintable(problem));
        QCOMPARE(key->name, QStringLiteral("alice"));
        QCOMPARE(key->role, QStringLiteral("pm"));
        QCOMPARE(key->secretKey.size(), Ed25519::SecretKeyBytes);
        QCOMPARE(key->keyId, Ed25519::keyId(key->publicKey));

        const auto info = store.info(QStringLiteral("alice"), &problem);
        QVERIFY2(info, qPrintable(problem));
        QVERIFY(info->warning.isEmpty());
        QCOMPARE(info->publicKey, Ed25519::encodePublicKey(key->publicKey));
        const QByteArray message = QByteArrayLiteral("approve phase 2 of checkout-v2");
        const QByteArray signature = Ed25519::sign(message, key->secretKey);
        QVERIFY(Ed25519::verify(message, signature, *Ed25519::decodePublicKey(info->publicKey)));
        QVERIFY(!Ed25519::verify(message + '.', signature, key->publicKey));

        // The file holds no secret in the clear.
        const QByteArray file = readAll(*path);
        QVERIFY(!file.contains(key->secretKey.toBase64()));
        QVERIFY(!file.contains(key->secretKey.left(32).toBase64()));
        const QJsonObject o = readJson(*path);
        QCOMPARE(o.value(QStringLiteral("format")).toString(), QStringLiteral("rollout-console-key"));
        QCOMPARE(o.value(QStringLiteral("version")).toInt(), 1);
        QCOMPARE(o.value(QStringLiteral("kdf")).toObject().value(QStringLiteral("alg")).toString(),
                 QStringLiteral("argon2id13"));
        QCOMPARE(o.value(QStringLiteral("cipher")).toObject().value(QStringLiteral("alg")).toString(),
                 QStringLiteral("xchacha20poly1305-ietf"));

        // A second key is a different key, and the first passphrase does not open it.
        QVERIFY(
            store.create(QStringLiteral("bob"), QStringLiteral("sre"), QByteArrayLiteral("other"), &problem));
        const auto bob = store.unlock(QStringLiteral("bob"), QByteArrayLiteral("other"), &problem);
        QVERIFY2(bob, qPrintable(problem));
        QVERIFY(bob->publicKey != key->publicKey);
        QVERIFY(!store.unlock(QStringLiteral("bob"), kPass, &problem));
    }

    void unlockedKeyMoves()
    {
        QTemporaryDir tmp;
        const KeyStore store = fastStore(tmp.path());
        QString problem;
        QVERIFY(store.create(QStringLiteral("alice"), QStringLiteral("pm"), kPass, &problem));
        auto key = store.unlock(QStringLiteral("alice"), kPass, &problem);
        QVERIFY2(key, qPrintable(problem));
        const QByteArray publicKey = key->publicKey;
        KeyStore::UnlockedKey moved = std::move(*key);
        QVERIFY(key->secretKey.isEmpty());
        QCOMPARE(moved.secretKey.size(), Ed25519::SecretKeyBytes);
        QCOMPARE(moved.publicKey, publicKey);
        moved = std::move(*key); // move-assigning wipes and drops the secret it held
        QVERIFY(moved.secretKey.isEmpty());
    }

    void modesOfNewFiles()
    {
        QTemporaryDir tmp;
        const QString dir = tmp.path() + QStringLiteral("/data/rollout-console/keys");
        const KeyStore store = fastStore(dir);
        QString problem;
        const auto path = store.create(QStringLiteral("alice"), QStringLiteral("pm"), kPass, &problem);
        QVERIFY2(path, qPrintable(problem));
        QCOMPARE(modeOf(dir), mode_t(0700));
        QCOMPARE(modeOf(*path), mode_t(0600));
    }

    void wrongPassphrase()
    {
        QTemporaryDir tmp;
        const KeyStore store = fastStore(tmp.path());
        QString problem;
        const auto path = store.create(QStringLiteral("alice"), QStringLiteral("pm"), kPass, &problem);
        QVERIFY2(path, qPrintable(problem));
        QVERIFY(!store.unlock(QStringLiteral("alice"), QByteArrayLiteral("correct horse battery stapler"),
                              &problem));
        QVERIFY2(problem.startsWith(*path + QLatin1Char(':')), qPrintable(problem));
        QVERIFY2(problem.contains(QLatin1String("wrong passphrase")), qPrintable(problem));
        QVERIFY(store.unlock(QStringLiteral("alice"), kPass, &problem));
    }

    void emptyPassphraseRefused()
    {
        QTemporaryDir tmp;
        const KeyStore store = fastStore(tmp.path());
        QString problem;
        QVERIFY(!store.create(QStringLiteral("alice"), QStringLiteral("pm"), QByteArray(), &problem));
        QVERIFY2(problem.contains(QLatin1String("empty passphrase")), qPrintable(problem));
        QVERIFY(!QFile::exists(store.pathFor(QStringLiteral("alice"))));
        QVERIFY(store.create(QStringLiteral("alice"), QStringLiteral("pm"), kPass, &problem));
        QVERIFY(!store.unlock(QStringLiteral("alice"), QByteArray(), &problem));
        QVERIFY2(problem.contains(QLatin1String("empty passphrase")), qPrintable(problem));
    }

    void damaged_data()
    {
        QTest::addColumn<Damage>("damage");
        QTest::addColumn<QString>("expected");
        QTest::addColumn<bool>("publicPartReadable"); // info() still works: only the AEAD can tell
        const QString altered = QStringLiteral("wrong passphrase, or the file was altered");
        QTest::newRow("ciphertext byte flipped") << Damage::CiphertextByte << altered << true;
        QTest::newRow("public key swapped (with its key id)") << Damage::PublicKeySwapped << altered << true;
        QTest::newRow("public key swapped, key id stale")
            << Damage::PublicKeySwappedIdStale << QStringLiteral("corrupted key file: \"key_id\"") << false;
        QTest::newRow("role changed") << Damage::RoleChanged << altered << true;
        QTest::newRow("name changed inside")
            << Damage::NameChanged << QStringLiteral("holds the key \"mallory\", not \"alice\"") << false;
        QTest::newRow("file renamed")
            << Damage::Renamed << QStringLiteral("holds the key \"bob\", not \"alice\"") << false;
        QTest::newRow("not JSON") << Damage::NotJson << QStringLiteral("corrupted key file: not valid JSON")
                                  << false;
        QTest::newRow("secret missing")
            << Damage::MissingSecret << QStringLiteral("corrupted key file: no text field \"secret_key\"")
            << false;
        QTest::newRow("nonce not base64")
            << Damage::BadBase64 << QStringLiteral("corrupted key file: \"cipher.nonce\" is not valid base64")
            << false;
        QTest::newRow("salt too short")
            << Damage::ShortSalt << QStringLiteral("corrupted key file: \"kdf.salt\" is 8 bytes, expected 16")
            << false;
        QTest::newRow("ciphertext too short")
            << Damage::ShortCiphertext
            << QStringLiteral("corrupted key file: \"secret_key\" is 79 bytes, expected 80") << false;
        QTest::newRow("memlimit absurd")
            << Damage::HugeMemLimit
            << QStringLiteral("corrupted key file: \"kdf.memlimit\" must be a whole number") << false;
        QTest::newRow("other format")
            << Damage::WrongFormat << QStringLiteral("corrupted key file: \"format\"") << false;
        QTest::newRow("version 2") << Damage::Version2 << QStringLiteral("unsupported key file version 2")
                                   << false;
        QTest::newRow("truncated") << Damage::TruncatedHalf
                                   << QStringLiteral("truncated key file: the JSON stops after") << false;
        QTest::newRow("empty") << Damage::Empty << QStringLiteral("truncated key file: the file is empty")
                               << false;
    }

    void damaged()
    {
        QFETCH(Damage, damage);
        QFETCH(QString, expected);
        QFETCH(bool, publicPartReadable);
        QTemporaryDir tmp;
        const KeyStore store = fastStore(tmp.path());
        QString problem;
        const auto path = store.create(QStringLiteral("alice"), QStringLiteral("pm"), kPass, &problem);
        const auto bobPath = store.create(QStringLiteral("bob"), QStringLiteral("pm"), kPass, &problem);
        QVERIFY2(path && bobPath, qPrintable(problem));
        QVERIFY(store.unlock(QStringLiteral("alice"), kPass, &problem));

        const QByteArray original = readAll(*path);
        QJsonObject o = readJson(*path);
        const QJsonObject bob = readJson(*bobPath);
        QJsonObject kdf = o.value(QStringLiteral("kdf")).toObject();
        QJsonObject cipher = o.value(QStringLiteral("cipher")).toObject();
        const QString secret = o.value(QStringLiteral("secret_key")).toString();
        switch (damage) {
        case Damage::CiphertextByte:
            o.insert(QStringLiteral("secret_key"), QString::fromLatin1(flipped(secret.toLatin1(), 10)));
            break;
        case Damage::PublicKeySwapped:
            o.insert(QStringLiteral("public_key"), bob.value(QStringLiteral("public_key")));
            o.insert(QStringLiteral("key_id"), bob.value(QStringLiteral("key_id")));
            break;
        case Damage::PublicKeySwappedIdStale:
            o.insert(QStringLiteral("public_key"), bob.value(QStringLiteral("public_key")));
            break;
        case Damage::RoleChanged:
            o.insert(QStringLiteral("role"), QStringLiteral("approver"));
            break;
        case Damage::NameChanged:
            o.insert(QStringLiteral("name"), QStringLiteral("mallory"));
            break;
        case Damage::Renamed:
            QVERIFY(QFile::remove(*path));
            QVERIFY(QFile::rename(*bobPath, *path));
            o = readJson(*path);
            break;
        case Damage::NotJson:
            break;
        case Damage::MissingSecret:
            o.remove(QStringLiteral("secret_key"));
            break;
        case Damage::BadBase64:
            cipher.insert(QStringLiteral("nonce"), QStringLiteral("not*base64!"));
            o.insert(QStringLiteral("cipher"), cipher);
            break;
        case Damage::ShortSalt:
            kdf.insert(QStringLiteral("salt"), QString::fromLatin1(QByteArray(8, 'x').toBase64()));
            o.insert(QStringLiteral("kdf"), kdf);
            break;
        case Damage::ShortCiphertext:
            o.insert(QStringLiteral("secret_key"),
                     QString::fromLatin1(QByteArray::fromBase64(secret.toLatin1()).chopped(1).toBase64()));
            break;
        case Damage::HugeMemLimit:
            kdf.insert(QStringLiteral("memlimit"), 1e15);
            o.insert(QStringLiteral("kdf"), kdf);
            break;
        case Damage::WrongFormat:
            o.insert(QStringLiteral("format"), QStringLiteral("openssh-key-v1"));
            break;
        case Damage::Version2:
            o.insert(QStringLiteral("version"), 2);
            break;
        case Damage::TruncatedHalf:
        case Damage::Empty:
            break;
        }
        if (damage == Damage::NotJson)
            overwrite(*path, QByteArray(original).replace(':', '='));
        else if (damage == Damage::TruncatedHalf)
            overwrite(*path, original.left(original.size() / 2));
        else if (damage == Damage::Empty)
            overwrite(*path, QByteArray());
        else if (damage != Damage::Renamed)
            writeJson(*path, o);
        QCOMPARE(modeOf(*path), mode_t(0600));

        QVERIFY(!store.unlock(QStringLiteral("alice"), kPass, &problem));
        QVERIFY2(problem.startsWith(*path + QLatin1Char(':')), qPrintable(problem));
        QVERIFY2(problem.contains(expected), qPrintable(problem));
        QString infoProblem;
        QCOMPARE(bool(store.info(QStringLiteral("alice"), &infoProblem)), publicPartReadable);
        if (!publicPartReadable) QCOMPARE(infoProblem, problem);
    }

    // A file whose AEAD is intact but whose public key is not the secret's: only a writer with
    // the passphrase can make one (a bug, or a hand-made file). Made here with libsodium.
    void publicKeyNotTheSecretsOwn()
    {
        QTemporaryDir tmp;
        const KeyStore store = fastStore(tmp.path());
        QString problem;
        const auto path = store.create(QStringLiteral("alice"), QStringLiteral("pm"), kPass, &problem);
        QVERIFY2(path, qPrintable(problem));
        QJsonObject o = readJson(*path);
        const QJsonObject kdf = o.value(QStringLiteral("kdf")).toObject();
        const QByteArray salt =
            QByteArray::fromBase64(kdf.value(QStringLiteral("salt")).toString().toLatin1());
        const QByteArray nonce = QByteArray::fromBase64(o.value(QStringLiteral("cipher"))
                                                            .toObject()
                                                            .value(QStringLiteral("nonce"))
                                                            .toString()
                                                            .toLatin1());
        const QByteArray ciphertext =
            QByteArray::fromBase64(o.value(QStringLiteral("secret_key")).toString().toLatin1());
        unsigned char key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
        QCOMPARE(crypto_pwhash(key, sizeof key, kPass.constData(), quint64(kPass.size()),
                               reinterpret_cast<const unsigned char*>(salt.constData()),
                               quint64(kdf.value(QStringLiteral("opslimit")).toInteger()),
                               std::size_t(kdf.value(QStringLiteral("memlimit")).toInteger()),
                               crypto_pwhash_ALG_ARGON2ID13),
                 0);
        const auto ad = [&] {
            return QByteArrayLiteral("rollout-console-key|1|alice|pm|") +
                   o.value(QStringLiteral("public_key")).toString().toLatin1();
        };
        unsigned char secret[Ed25519::SecretKeyBytes];
        QCOMPARE(crypto_aead_xchacha20poly1305_ietf_decrypt(
                     secret, nullptr, nullptr, reinterpret_cast<const unsigned char*>(ciphertext.constData()),
                     quint64(ciphertext.size()), reinterpret_cast<const unsigned char*>(ad().constData()),
                     quint64(ad().size()), reinterpret_cast<const unsigned char*>(nonce.constData()), key),
                 0);
        const Ed25519::KeyPair other = Ed25519::generate();
        o.insert(QStringLiteral("public_key"), Ed25519::encodePublicKey(other.publicKey));
        o.insert(QStringLiteral("key_id"), Ed25519::keyId(other.publicKey));
        QByteArray resealed(ciphertext.size(), '\0');
        crypto_aead_xchacha20poly1305_ietf_encrypt(
            reinterpret_cast<unsigned char*>(resealed.data()), nullptr, secret, sizeof secret,
            reinterpret_cast<const unsigned char*>(ad().constData()), quint64(ad().size()), nullptr,
            reinterpret_cast<const unsigned char*>(nonce.constData()), key);
        sodium_memzero(secret, sizeof secret);
        sodium_memzero(key, sizeof key);
        o.insert(QStringLiteral("secret_key"), QString::fromLatin1(resealed.toBase64()));
        writeJson(*path, o);

        QVERIFY(!store.unlock(QStringLiteral("alice"), kPass, &problem));
        QVERIFY2(problem.startsWith(*path + QLatin1Char(':')), qPrintable(problem));
        QVERIFY2(problem.contains(QLatin1String("the public key in the file does not match its secret key")),
                 qPrintable(problem));
    }

    void permissionsTooOpen_data()
    {
        QTest::addColumn<int>("mode");
        QTest::addColumn<bool>("refused");
        QTest::newRow("0644") << 0644 << true;
        QTest::newRow("0640") << 0640 << true;
        QTest::newRow("0604") << 0604 << true;
        QTest::newRow("0660") << 0660 << true;
        QTest::newRow("0600") << 0600 << false;
        QTest::newRow("0400") << 0400 << false;
    }

    void permissionsTooOpen()
    {
        QFETCH(int, mode);
        QFETCH(bool, refused);
        QTemporaryDir tmp;
        const KeyStore store = fastStore(tmp.path());
        QString problem;
        const auto path = store.create(QStringLiteral("alice"), QStringLiteral("pm"), kPass, &problem);
        QVERIFY2(path, qPrintable(problem));
        QCOMPARE(::chmod(QFile::encodeName(*path).constData(), mode_t(mode)), 0);
        const auto key = store.unlock(QStringLiteral("alice"), kPass, &problem);
        QCOMPARE(!key, refused);
        const auto info = store.info(QStringLiteral("alice"), &problem);
        QVERIFY(info); // the public half is readable either way, with a warning
        QCOMPARE(!info->warning.isEmpty(), refused);
        if (refused) {
            const QString modeText = QStringLiteral("%1").arg(mode, 4, 8, QLatin1Char('0'));
            QCOMPARE(problem, info->warning);
            QVERIFY2(problem.startsWith(*path + QLatin1Char(':')), qPrintable(problem));
            QVERIFY2(problem.contains(QStringLiteral("permissions %1 are too open").arg(modeText)),
                     qPrintable(problem));
            QVERIFY2(problem.contains(QStringLiteral("chmod 600 ") + *path), qPrintable(problem));
        }
    }

    void refusesToOverwrite()
    {
        QTemporaryDir tmp;
        const KeyStore store = fastStore(tmp.path());
        QString problem;
        const auto path = store.create(QStringLiteral("alice"), QStringLiteral("pm"), kPass, &problem);
        QVERIFY2(path, qPrintable(problem));
        const QByteArray before = readAll(*path);
        QVERIFY(!store.create(QStringLiteral("alice"), QStringLiteral("sre"), QByteArrayLiteral("new"),
                              &problem));
        QVERIFY2(problem.contains(*path + QStringLiteral(" already exists: refusing to overwrite")),
                 qPrintable(problem));
        QCOMPARE(readAll(*path), before);
        QVERIFY(store.unlock(QStringLiteral("alice"), kPass, &problem));

        // Nor through a symlink (even a dangling one) planted where the key would go.
        const QString target = tmp.path() + QStringLiteral("/elsewhere");
        QVERIFY(QFile::link(target, store.pathFor(QStringLiteral("carol"))));
        QVERIFY(!store.create(QStringLiteral("carol"), QStringLiteral("pm"), kPass, &problem));
        QVERIFY2(problem.contains(QLatin1String("already exists")), qPrintable(problem));
        QVERIFY(!QFile::exists(target));
    }

    void badNames_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("role");
        QTest::newRow("empty") << QString() << QStringLiteral("pm");
        QTest::newRow("slash") << QStringLiteral("a/b") << QStringLiteral("pm");
        QTest::newRow("parent") << QStringLiteral("../alice") << QStringLiteral("pm");
        QTest::newRow("hidden") << QStringLiteral(".alice") << QStringLiteral("pm");
        QTest::newRow("space") << QStringLiteral("alice smith") << QStringLiteral("pm");
        QTest::newRow("non-ASCII") << QStringLiteral("al\u00efce") << QStringLiteral("pm");
        QTest::newRow("separator") << QStringLiteral("a|b") << QStringLiteral("pm");
        QTest::newRow("role empty") << QStringLiteral("alice") << QString();
        QTest::newRow("role with YAML") << QStringLiteral("alice") << QStringLiteral("pm], key: x");
    }

    void badNames()
    {
        QFETCH(QString, name);
        QFETCH(QString, role);
        QTemporaryDir tmp;
        const KeyStore store = fastStore(tmp.path());
        QString problem;
        QVERIFY(!store.create(name, role, kPass, &problem));
        QVERIFY2(problem.contains(QLatin1String("is not a valid")), qPrintable(problem));
        QVERIFY(QDir(tmp.path()).isEmpty());
        if (!role.isEmpty() && name != QLatin1String("alice")) {
            QVERIFY(!store.unlock(name, kPass, &problem));
            QVERIFY2(problem.contains(QLatin1String("is not a valid key name")), qPrintable(problem));
            QVERIFY(!store.info(name, &problem));
        }
    }

    void validNames()
    {
        for (const char* name : {"alice", "A.Lice_2-x", "x.key", "-"})
            QVERIFY2(KeyStore::validName(QLatin1String(name)), name);
    }

    void noSuchKey()
    {
        QTemporaryDir tmp;
        for (const QString& dir : {tmp.path(), tmp.path() + QStringLiteral("/missing")}) {
            const KeyStore store = fastStore(dir);
            QString problem;
            QVERIFY(!store.unlock(QStringLiteral("carol"), kPass, &problem));
            QCOMPARE(problem.section(QLatin1Char(':'), 0, 0), dir + QStringLiteral("/carol.key"));
            QVERIFY2(problem.contains(QLatin1String("no such key \"carol\"")), qPrintable(problem));
            QString infoProblem;
            QVERIFY(!store.info(QStringLiteral("carol"), &infoProblem));
            QCOMPARE(infoProblem, problem);
            QVERIFY(store.list().isEmpty());
        }
    }

    void listAndInfo()
    {
        QTemporaryDir tmp;
        const KeyStore store = fastStore(tmp.path());
        QString problem;
        QVERIFY(store.create(QStringLiteral("bob"), QStringLiteral("sre"), kPass, &problem));
        QVERIFY(store.create(QStringLiteral("alice"), QStringLiteral("pm"), kPass, &problem));
        overwrite(tmp.path() + QStringLiteral("/junk.key"), QByteArrayLiteral("{}"));
        overwrite(tmp.path() + QStringLiteral("/notes.txt"), QByteArrayLiteral("not a key"));

        QStringList problems;
        const QList<KeyStore::KeyInfo> keys = store.list(&problems);
        QCOMPARE(keys.size(), 2);
        QCOMPARE(keys[0].name, QStringLiteral("alice"));
        QCOMPARE(keys[0].role, QStringLiteral("pm"));
        QCOMPARE(keys[1].name, QStringLiteral("bob"));
        QCOMPARE(keys[1].role, QStringLiteral("sre"));
        QCOMPARE(keys[1].path, tmp.path() + QStringLiteral("/bob.key"));
        QCOMPARE(problems.size(), 1);
        QVERIFY2(problems[0].startsWith(tmp.path() + QStringLiteral("/junk.key: corrupted key file")),
                 qPrintable(problems[0]));

        for (const KeyStore::KeyInfo& k : keys) {
            const auto info = store.info(k.name, &problem);
            QVERIFY2(info, qPrintable(problem));
            QCOMPARE(info->publicKey, k.publicKey);
            QCOMPARE(info->keyId, k.keyId);
            QCOMPARE(info->path, k.path);
            const auto unlocked = store.unlock(k.name, kPass, &problem);
            QVERIFY2(unlocked, qPrintable(problem));
            QCOMPARE(Ed25519::encodePublicKey(unlocked->publicKey), k.publicKey);
            QCOMPARE(Ed25519::keyId(unlocked->publicKey), k.keyId);
        }
    }

    void defaultDirectory()
    {
        QCOMPARE(KeyStore::defaultDirectory(),
                 QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) +
                     QStringLiteral("/rollout-console/keys"));
        QCOMPARE(KeyStore().directory(), KeyStore::defaultDirectory());
    }

    // The real cost: one create and one unlock at OPSLIMIT/MEMLIMIT_INTERACTIVE, timed.
    void defaultLimits()
    {
        QTemporaryDir tmp;
        const KeyStore store(tmp.path());
        QCOMPARE(store.opsLimit(), quint64(crypto_pwhash_OPSLIMIT_INTERACTIVE));
        QCOMPARE(store.memLimit(), std::size_t(crypto_pwhash_MEMLIMIT_INTERACTIVE));
        QString problem;
        const auto path = store.create(QStringLiteral("alice"), QStringLiteral("pm"), kPass, &problem);
        QVERIFY2(path, qPrintable(problem));
        const QJsonObject kdf = readJson(*path).value(QStringLiteral("kdf")).toObject();
        QCOMPARE(kdf.value(QStringLiteral("opslimit")).toInteger(),
                 qint64(crypto_pwhash_OPSLIMIT_INTERACTIVE));
        QCOMPARE(kdf.value(QStringLiteral("memlimit")).toInteger(),
                 qint64(crypto_pwhash_MEMLIMIT_INTERACTIVE));
        QElapsedTimer timer;
        timer.start();
        const auto key = store.unlock(QStringLiteral("alice"), kPass, &problem);
        const qint64 ms = timer.elapsed();
        QVERIFY2(key, qPrintable(problem));
        qInfo("unlock with the default limits (opslimit %llu, memlimit %zu MiB): %lld ms", store.opsLimit(),
              store.memLimit() >> 20, ms);
    }

    // rolloutctl keys new / show / list, run as a user would (build/app/rolloutctl).
    void commandLine()
    {
        const QString rolloutctl = QStringLiteral(ROLLOUT_BINARY_DIR "/app/rolloutctl");
        if (!QFile::exists(rolloutctl)) QSKIP("build the rolloutctl target first");
        QTemporaryDir tmp;
        const QString dir = tmp.path() + QStringLiteral("/k");
        const auto run = [&](const QStringList& args, const QByteArray& pass = QByteArray()) {
            QProcess p;
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            if (!pass.isEmpty()) env.insert(QStringLiteral("ROLLOUT_TEST_PASS"), QString::fromUtf8(pass));
            p.setProcessEnvironment(env);
            p.setChildProcessModifier(
                [] { ::setsid(); }); // no controlling terminal: /dev/tty must not be asked
            p.start(rolloutctl, args);
            p.waitForFinished(30000);
            return std::tuple<int, QString, QString>(
                p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
                QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError()));
        };
        const QStringList newAlice = {QStringLiteral("keys"),
                                      QStringLiteral("new"),
                                      QStringLiteral("--name"),
                                      QStringLiteral("alice"),
                                      QStringLiteral("--role"),
                                      QStringLiteral("pm"),
                                      QStringLiteral("--passphrase-env"),
                                      QStringLiteral("ROLLOUT_TEST_PASS"),
                                      QStringLiteral("--dir"),
                                      dir};
        auto [code, out, err] = run(newAlice, kPass);
        QVERIFY2(code == 0, qPrintable(err));
        QVERIFY2(out.startsWith(QStringLiteral("created ") + dir + QStringLiteral("/alice.key\n")),
                 qPrintable(out));
        const KeyStore store(dir);
        QString problem;
        const auto info = store.info(QStringLiteral("alice"), &problem);
        QVERIFY2(info, qPrintable(problem));
        QVERIFY2(out.contains(QStringLiteral("- {id: alice, roles: [pm], key: \"%1\"}").arg(info->publicKey)),
                 qPrintable(out));
        QVERIFY(store.unlock(QStringLiteral("alice"), kPass, &problem));

        std::tie(code, out, err) = run({QStringLiteral("keys"), QStringLiteral("show"),
                                        QStringLiteral("alice"), QStringLiteral("--dir"), dir});
        QCOMPARE(code, 0);
        QVERIFY2(out.contains(info->publicKey) && out.contains(info->keyId) &&
                     out.contains(QStringLiteral("role        pm")) && out.contains(info->path),
                 qPrintable(out));
        std::tie(code, out, err) =
            run({QStringLiteral("keys"), QStringLiteral("list"), QStringLiteral("--dir"), dir});
        QCOMPARE(code, 0);
        QVERIFY2(out.contains(QStringLiteral("alice")) && out.contains(info->keyId), qPrintable(out));

        std::tie(code, out, err) = run(newAlice, kPass);
        QCOMPARE(code, 1);
        QVERIFY2(err.contains(QLatin1String("already exists")), qPrintable(err));
        QStringList newBob = newAlice;
        newBob[3] = QStringLiteral("bob");
        std::tie(code, out, err) = run(newBob); // the variable is not set
        QCOMPARE(code, 1);
        QVERIFY2(err.contains(QLatin1String("ROLLOUT_TEST_PASS")) && err.contains(QLatin1String("not set")),
                 qPrintable(err));
        std::tie(code, out, err) =
            run(newBob.mid(0, 6) + QStringList{QStringLiteral("--dir"), dir}); // no terminal
        QCOMPARE(code, 1);
        QVERIFY2(err.contains(QLatin1String("no terminal")) &&
                     err.contains(QLatin1String("--passphrase-env")),
                 qPrintable(err));
        QVERIFY(!QFile::exists(dir + QStringLiteral("/bob.key")));
        std::tie(code, out, err) = run({QStringLiteral("keys"), QStringLiteral("show"), QStringLiteral("bob"),
                                        QStringLiteral("--dir"), dir});
        QCOMPARE(code, 1);
        QVERIFY2(err.contains(QLatin1String("no such key")), qPrintable(err));
        std::tie(code, out, err) = run(
            {QStringLiteral("keys"), QStringLiteral("new"), QStringLiteral("--name"), QStringLiteral("bob")});
        QCOMPARE(code, 2);
        std::tie(code, out, err) =
            run({QStringLiteral("keys"), QStringLiteral("show"), QStringLiteral("--help")});
        QCOMPARE(code, 0);
        QVERIFY(out.contains(QLatin1String("--dir")));
        std::tie(code, out, err) = run({QStringLiteral("keys")});
        QCOMPARE(code, 2);
    }
};

QTEST_GUILESS_MAIN(TestKeyStore)
#include "tst_keystore.moc"
