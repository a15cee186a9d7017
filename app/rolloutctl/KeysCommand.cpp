// rolloutctl keys new / show / list: the signing keys in the key store (models/ledger/KeyStore).
#include "CommandLine.h"
#include "Commands.h"
#include "ledger/KeyStore.h"
#include "ledger/PassphraseSource.h"

#include <sodium.h>

namespace rolloutctl {

using namespace rollout;

namespace {

QCommandLineOption dirOption()
{
    return QCommandLineOption(
        QStringLiteral("dir"),
        QStringLiteral("The key directory (default: %1).").arg(KeyStore::defaultDirectory()),
        QStringLiteral("DIR"));
}

KeyStore storeFrom(const QCommandLineParser& parser)
{
    const QString dir = parser.value(QStringLiteral("dir"));
    return dir.isEmpty() ? KeyStore() : KeyStore(dir);
}

QString peopleLine(const QString& name, const QString& role, const QString& publicKey)
{
    return QStringLiteral("- {id: %1, roles: [%2], key: \"%3\"}").arg(name, role, publicKey);
}

int keysNew(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Create an Ed25519 signing key, its secret encrypted with a passphrase (Argon2id, "
                       "XChaCha20-Poly1305), in DIR/NAME.key "
                       "(mode 0600). The passphrase is read from the terminal (asked twice) or from the "
                       "environment variable --passphrase-env "
                       "names; never from the command line. Prints the file's path and the line to add to "
                       "the plan's people."));
    parser.addOption({QStringLiteral("name"),
                      QStringLiteral("The key's name, usually the person's id in the plan ([A-Za-z0-9._-])."),
                      QStringLiteral("NAME")});
    parser.addOption({QStringLiteral("role"),
                      QStringLiteral("The role the key signs for (as in the plan's people)."),
                      QStringLiteral("ROLE")});
    parser.addOption({QStringLiteral("passphrase-env"),
                      QStringLiteral("Read the passphrase from environment variable VAR."),
                      QStringLiteral("VAR")});
    parser.addOption(dirOption());
    if (auto exit = parseArguments(parser, QStringLiteral("keys new"), args)) return *exit;
    const QString name = parser.value(QStringLiteral("name"));
    const QString role = parser.value(QStringLiteral("role"));
    if (name.isEmpty() || role.isEmpty() || !parser.positionalArguments().isEmpty()) {
        QTextStream(stderr) << "rolloutctl keys new: give --name NAME and --role ROLE (and nothing else)\n";
        return Usage;
    }
    if (!KeyStore::validName(name) || !KeyStore::validName(role)) {
        QTextStream(stderr) << "rolloutctl keys new: names and roles are letters, digits, '.', '_' and '-' "
                               "(not starting with '.')\n";
        return Usage;
    }
    const KeyStore store = storeFrom(parser);
    QString problem;
    std::optional<QByteArray> passphrase =
        PassphraseSource::obtain(parser.value(QStringLiteral("passphrase-env")),
                                 QStringLiteral("Passphrase for the new key %1: ").arg(name), true, &problem);
    if (!passphrase) {
        QTextStream(stderr) << "rolloutctl keys new: " << problem << "\n";
        return Failed;
    }
    const std::optional<QString> path = store.create(name, role, *passphrase, &problem);
    sodium_memzero(passphrase->data(), std::size_t(passphrase->size()));
    if (!path) {
        QTextStream(stderr) << "rolloutctl keys new: " << problem << "\n";
        return Failed;
    }
    const std::optional<KeyStore::KeyInfo> info = store.info(name, &problem);
    if (!info) {
        QTextStream(stderr) << "rolloutctl keys new: " << problem << "\n";
        return Failed;
    }
    QTextStream(stdout) << "created " << *path << "\nkey id " << info->keyId
                        << "\n\nAdd this to the plan's people:\n  "
                        << peopleLine(info->name, info->role, info->publicKey) << "\n";
    return Ok;
}

int keysShow(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Print a key's public key, key id, role and file. No passphrase needed."));
    parser.addPositionalArgument(QStringLiteral("name"), QStringLiteral("The key's name."),
                                 QStringLiteral("NAME"));
    parser.addOption(dirOption());
    if (auto exit = parseArguments(parser, QStringLiteral("keys show"), args)) return *exit;
    if (parser.positionalArguments().size() != 1) {
        QTextStream(stderr) << "rolloutctl keys show: name exactly one key\n";
        return Usage;
    }
    QString problem;
    const std::optional<KeyStore::KeyInfo> info =
        storeFrom(parser).info(parser.positionalArguments().first(), &problem);
    if (!info) {
        QTextStream(stderr) << "rolloutctl keys show: " << problem << "\n";
        return Failed;
    }
    if (!info->warning.isEmpty()) QTextStream(stderr) << "warning: " << info->warning << "\n";
    QTextStream(stdout) << "name        " << info->name << "\nrole        " << info->role << "\npublic key  "
                        << info->publicKey << "\nkey id      " << info->keyId << "\npath        "
                        << info->path << "\npeople      "
                        << peopleLine(info->name, info->role, info->publicKey) << "\n";
    return Ok;
}

int keysList(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("List the keys in the key directory: name, role, key id, public key."));
    parser.addOption(dirOption());
    if (auto exit = parseArguments(parser, QStringLiteral("keys list"), args)) return *exit;
    if (!parser.positionalArguments().isEmpty()) {
        QTextStream(stderr) << "rolloutctl keys list: takes no arguments\n";
        return Usage;
    }
    const KeyStore store = storeFrom(parser);
    QStringList problems;
    const QList<KeyStore::KeyInfo> keys = store.list(&problems);
    QTextStream err(stderr);
    for (const KeyStore::KeyInfo& k : keys)
        if (!k.warning.isEmpty()) err << "warning: " << k.warning << "\n";
    for (const QString& p : problems)
        err << p << "\n";
    if (keys.isEmpty()) {
        QTextStream(stdout) << "no keys in " << store.directory() << "\n";
    } else {
        TextTable table({QStringLiteral("name"), QStringLiteral("role"), QStringLiteral("key id"),
                         QStringLiteral("public key")});
        for (const KeyStore::KeyInfo& k : keys)
            table.add({k.name, k.role, k.keyId, k.publicKey});
        QTextStream(stdout) << table.render() << "(" << store.directory() << ")\n";
    }
    return problems.isEmpty() ? Ok : Failed;
}

void keysUsage(FILE* to)
{
    QTextStream(to)
        << "Usage: rolloutctl keys new --name NAME --role ROLE [--passphrase-env VAR] [--dir DIR]\n"
           "       rolloutctl keys show NAME [--dir DIR]\n"
           "       rolloutctl keys list [--dir DIR]\n\n"
           "Signing keys for ledger records, their secrets encrypted with a passphrase, one file per key in\n"
           "DIR (default "
        << KeyStore::defaultDirectory()
        << ").\nrolloutctl keys SUBCOMMAND --help describes a subcommand. Exit codes: 0 ok, 1 failed, 2 "
           "usage.\n";
}

} // namespace

int keys(const QStringList& args)
{
    if (args.isEmpty()) {
        keysUsage(stderr);
        return Usage;
    }
    const QString sub = args.first();
    const QStringList rest = args.mid(1);
    if (sub == QLatin1String("new")) return keysNew(rest);
    if (sub == QLatin1String("show")) return keysShow(rest);
    if (sub == QLatin1String("list")) return keysList(rest);
    if (sub == QLatin1String("--help") || sub == QLatin1String("-h") || sub == QLatin1String("help")) {
        keysUsage(stdout);
        return Ok;
    }
    QTextStream(stderr) << "rolloutctl keys: unknown subcommand \"" << sub << "\"\n\n";
    keysUsage(stderr);
    return Usage;
}

} // namespace rolloutctl
