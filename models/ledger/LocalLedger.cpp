#include "ledger/LocalLedger.h"

#include "core/Clock.h"
#include "core/FaultInjection.h"

#include <QDir>
#include <QFileInfo>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QUuid>
#include <QVariant>

namespace rollout {

namespace {

// Each entry takes the schema from version i to i + 1. All pending steps and the new
// user_version are applied in one transaction: a crash mid-migration leaves the old schema.
const char* const kMigrations[][10] = {
    // 0 → 1
    {
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE records ("
        " id TEXT PRIMARY KEY,"
        " device TEXT NOT NULL,"
        " seq INTEGER NOT NULL,"
        " rollout TEXT NOT NULL,"
        " plan_sha256 TEXT NOT NULL,"
        " type TEXT NOT NULL,"
        " actor TEXT NOT NULL,"
        " ts_ms INTEGER NOT NULL,"
        " body BLOB NOT NULL,"
        " signature BLOB NOT NULL,"
        " origin TEXT NOT NULL CHECK (origin IN ('local', 'pulled')),"
        " pushed INTEGER NOT NULL DEFAULT 0,"
        " UNIQUE (device, seq))",
        "CREATE INDEX records_by_time ON records (ts_ms, device, seq)",
        "CREATE INDEX records_by_rollout ON records (rollout, ts_ms)",
        "CREATE INDEX records_unpushed ON records (pushed) WHERE pushed = 0",
        nullptr,
    },
    // 1 → 2: records of format 2 chain per (device, rollout), so two rollouts of one device both
    // have a seq 1. SQLite cannot change a table constraint in place: the table is rebuilt, every
    // row copied as it is (version-1 sequence numbers are unique per device, so per device and
    // rollout too).
    {
        "CREATE TABLE records_v2 ("
        " id TEXT PRIMARY KEY,"
        " device TEXT NOT NULL,"
        " seq INTEGER NOT NULL,"
        " rollout TEXT NOT NULL,"
        " plan_sha256 TEXT NOT NULL,"
        " type TEXT NOT NULL,"
        " actor TEXT NOT NULL,"
        " ts_ms INTEGER NOT NULL,"
        " body BLOB NOT NULL,"
        " signature BLOB NOT NULL,"
        " origin TEXT NOT NULL CHECK (origin IN ('local', 'pulled')),"
        " pushed INTEGER NOT NULL DEFAULT 0,"
        " UNIQUE (device, rollout, seq))",
        "INSERT INTO records_v2 (id, device, seq, rollout, plan_sha256, type, actor, ts_ms, body, signature, "
        "origin, pushed)"
        " SELECT id, device, seq, rollout, plan_sha256, type, actor, ts_ms, body, signature, origin, pushed "
        "FROM records",
        "DROP TABLE records",
        "ALTER TABLE records_v2 RENAME TO records",
        "CREATE INDEX records_by_time ON records (ts_ms, device, seq)",
        "CREATE INDEX records_by_rollout ON records (rollout, ts_ms)",
        "CREATE INDEX records_unpushed ON records (pushed) WHERE pushed = 0",
        nullptr,
    },
};
constexpr int kMigrationCount = int(sizeof kMigrations / sizeof kMigrations[0]);
static_assert(kMigrationCount == LocalLedger::SchemaVersion, "one migration per schema version");

const QString kColumns = QStringLiteral("id, device, seq, body, signature");

QString newUuid()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces).toLower();
}

// A record read back from a row: the fields come from the signed body; a body that does not
// parse keeps its columns so the verifier can still name it.
LedgerRecord fromRow(const QSqlQuery& q)
{
    const QByteArray body = q.value(3).toByteArray();
    const QByteArray signature = q.value(4).toByteArray();
    QString ignored;
    if (std::optional<LedgerRecord> r = LedgerRecord::fromSigned(body, signature, &ignored)) return *r;
    LedgerRecord r;
    r.id = q.value(0).toString();
    r.device = q.value(1).toString();
    r.sequence = q.value(2).toLongLong();
    r.body = body;
    r.signature = signature;
    return r;
}

} // namespace

LocalLedger::LocalLedger(const QString& path, const Clock& clock)
    : m_path(path), m_connection(QStringLiteral("local-ledger-") + newUuid()), m_clock(clock)
{
}

LocalLedger::~LocalLedger()
{
    m_db.close();
    m_db = QSqlDatabase(); // the last handle must be gone before the connection is removed
    QSqlDatabase::removeDatabase(m_connection);
}

std::unique_ptr<LocalLedger> LocalLedger::open(const QString& path, const Clock& clock, QString* problem)
{
    std::unique_ptr<LocalLedger> ledger(new LocalLedger(path, clock));
    if (!ledger->setUp(problem)) return nullptr;
    return ledger;
}

QString LocalLedger::defaultPath()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) +
           QStringLiteral("/rollout-console/ledger.sqlite");
}

QString LocalLedger::failure(const QString& what, const QSqlError& error) const
{
    return QStringLiteral("ledger %1: %2: %3").arg(m_path, what, error.text().trimmed());
}

bool LocalLedger::setUp(QString* problem)
{
    const QString dir = QFileInfo(m_path).absolutePath();
    if (!QDir().mkpath(dir)) {
        *problem = QStringLiteral("ledger %1: cannot create the directory %2").arg(m_path, dir);
        return false;
    }
    m_db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connection);
    m_db.setDatabaseName(m_path);
    // Another process (console or rolloutctl) may hold the write lock for a moment.
    m_db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    if (!m_db.open()) {
        *problem = failure(QStringLiteral("cannot open"), m_db.lastError());
        return false;
    }
    QSqlQuery q(m_db);
    // journal_mode answers the mode it ended up in: anything but wal (a read-only directory,
    // a file system without shared memory) loses the durability promise, so refuse it.
    if (!q.exec(QStringLiteral("PRAGMA journal_mode=WAL")) || !q.next()) {
        *problem = failure(QStringLiteral("not an SQLite database, or unreadable (PRAGMA journal_mode)"),
                           q.lastError());
        return false;
    }
    if (q.value(0).toString().toLower() != QLatin1String("wal")) {
        *problem = QStringLiteral("ledger %1: SQLite would not switch to WAL (journal_mode is %2)")
                       .arg(m_path, q.value(0).toString());
        return false;
    }
    q.finish();
    for (const QString& pragma :
         {QStringLiteral("PRAGMA synchronous=FULL"), QStringLiteral("PRAGMA foreign_keys=ON")})
        if (!q.exec(pragma)) {
            *problem = failure(pragma, q.lastError());
            return false;
        }
    if (!migrate(problem)) return false;

    if (!q.exec(QStringLiteral("SELECT value FROM meta WHERE key = 'device_id'")) || !q.next()) {
        *problem = q.lastError().isValid()
                       ? failure(QStringLiteral("cannot read the device id"), q.lastError())
                       : QStringLiteral("ledger %1: the meta table holds no device_id").arg(m_path);
        return false;
    }
    m_deviceId = q.value(0).toString();
    return true;
}

bool LocalLedger::migrate(QString* problem)
{
    QSqlQuery q(m_db);
    if (!q.exec(QStringLiteral("PRAGMA user_version")) || !q.next()) {
        *problem = failure(QStringLiteral("cannot read the schema version"), q.lastError());
        return false;
    }
    const int version = q.value(0).toInt();
    q.finish();
    if (version > SchemaVersion) {
        *problem =
            QStringLiteral(
                "ledger %1 has schema version %2, written by a newer Rollout Console; this build reads up to "
                "version %3 and will not touch it (update rolloutctl / the console)")
                .arg(m_path)
                .arg(version)
                .arg(SchemaVersion);
        return false;
    }
    if (version == SchemaVersion) return true;

    // IMMEDIATE: two processes creating the same file must not both migrate it.
    if (!q.exec(QStringLiteral("BEGIN IMMEDIATE"))) {
        *problem = failure(QStringLiteral("cannot start the schema migration"), q.lastError());
        return false;
    }
    auto rollback = [&](const QString& what, const QSqlError& e) {
        *problem = failure(what, e);
        QSqlQuery(m_db).exec(QStringLiteral("ROLLBACK"));
        return false;
    };
    // Re-read under the lock: another process may have migrated in between.
    if (!q.exec(QStringLiteral("PRAGMA user_version")) || !q.next())
        return rollback(QStringLiteral("cannot read the schema version"), q.lastError());
    const int current = q.value(0).toInt();
    q.finish();
    for (int step = current; step < SchemaVersion; ++step)
        for (const char* const* sql = kMigrations[step]; *sql; ++sql)
            if (!q.exec(QString::fromLatin1(*sql)))
                return rollback(QStringLiteral("schema migration %1 → %2 failed at \"%3\"")
                                    .arg(step)
                                    .arg(step + 1)
                                    .arg(QString::fromLatin1(*sql).left(60)),
                                q.lastError());
    if (current == 0) {
        q.prepare(QStringLiteral("INSERT INTO meta (key, value) VALUES ('device_id', ?)"));
        q.addBindValue(newUuid());
        if (!q.exec()) return rollback(QStringLiteral("cannot store the device id"), q.lastError());
    }
    // PRAGMA user_version is written in the database header, inside this transaction.
    if (!q.exec(QStringLiteral("PRAGMA user_version = %1").arg(SchemaVersion)))
        return rollback(QStringLiteral("cannot set the schema version"), q.lastError());
    if (!q.exec(QStringLiteral("COMMIT")))
        return rollback(QStringLiteral("cannot commit the schema migration"), q.lastError());
    return true;
}

std::optional<LedgerRecord> LocalLedger::append(LedgerRecord fields, const QByteArray& publicKey,
                                                const QByteArray& secretKey, QString* problem)
{
    // libsodium's secret key ends with its public key: a mismatched pair would sign records that never
    // verify.
    if (secretKey.size() != 64 || publicKey.size() != 32 || secretKey.right(32) != publicKey) {
        *problem = QStringLiteral("ledger %1: the signing key pair does not match (expected a 32-byte public "
                                  "key and its 64-byte secret key)")
                       .arg(m_path);
        return std::nullopt;
    }
    QSqlQuery q(m_db);
    // IMMEDIATE takes the write lock before reading the chain's tail, so the sequence number and
    // `previous` cannot be taken by another writer between the read and the insert. The chain is
    // this device's in this rollout (format 2). Its tail may be a version-1 record of the same
    // rollout, written before the upgrade: the chain then goes on from it (seq + 1, its hash).
    if (!q.exec(QStringLiteral("BEGIN IMMEDIATE"))) {
        *problem = failure(QStringLiteral("cannot start a transaction to append"), q.lastError());
        return std::nullopt;
    }
    auto rollback = [&](const QString& what, const QSqlError& e) {
        *problem = failure(what, e);
        QSqlQuery(m_db).exec(QStringLiteral("ROLLBACK"));
        return std::nullopt;
    };
    q.prepare(QStringLiteral(
        "SELECT seq, body FROM records WHERE device = ? AND rollout = ? ORDER BY seq DESC LIMIT 1"));
    q.addBindValue(m_deviceId);
    q.addBindValue(fields.rollout);
    if (!q.exec()) return rollback(QStringLiteral("cannot read the chain's last record"), q.lastError());
    LedgerRecord r = std::move(fields);
    r.version = LedgerRecord::FormatVersion;
    if (r.id.isEmpty()) r.id = newUuid(); // a writer on another thread names its record first
    r.device = m_deviceId;
    r.sequence = 1;
    r.previous.clear();
    if (q.next()) {
        LedgerRecord last;
        last.body = q.value(1).toByteArray();
        r.sequence = q.value(0).toLongLong() + 1;
        r.previous = last.hash();
    }
    q.finish();
    r.timestampMs = m_clock.nowMs();
    r.seal(publicKey, secretKey);

    q.prepare(QStringLiteral("INSERT INTO records (id, device, seq, rollout, plan_sha256, type, actor, "
                             "ts_ms, body, signature, origin, pushed)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'local', 0)"));
    for (const QVariant& v : {QVariant(r.id), QVariant(r.device), QVariant(r.sequence), QVariant(r.rollout),
                              QVariant(r.planHash), QVariant(r.type), QVariant(r.actor),
                              QVariant(r.timestampMs), QVariant(r.body), QVariant(r.signature)})
        q.addBindValue(v);
    if (!q.exec())
        return rollback(QStringLiteral("cannot insert record %1 (seq %2)").arg(r.id).arg(r.sequence),
                        q.lastError());
    killIfAsked("ledger-before-commit", r.type); // crash tests: written, not committed
    // With synchronous=FULL, COMMIT returns after the WAL is synced: the record is durable.
    if (!q.exec(QStringLiteral("COMMIT")))
        return rollback(QStringLiteral("cannot commit record %1").arg(r.id), q.lastError());
    killIfAsked("ledger-after-commit", r.type); // crash tests: durable, nobody told yet
    return r;
}

LocalLedger::InsertOutcome LocalLedger::insertPulled(const LedgerRecord& record, QString* problem)
{
    QString ignored;
    QString& why = problem ? *problem : ignored;
    QString shape;
    const std::optional<LedgerRecord> parsed =
        LedgerRecord::fromSigned(record.body, record.signature, &shape);
    if (!parsed) {
        why = QStringLiteral("ledger %1: pulled record %2 refused: %3").arg(m_path, record.id, shape);
        return InsertOutcome::Rejected;
    }
    const LedgerRecord& r = *parsed;
    if (!r.signatureValid()) {
        why = QStringLiteral("ledger %1: pulled record %2 refused: its signature does not verify")
                  .arg(m_path, r.id);
        return InsertOutcome::Rejected;
    }
    QSqlQuery q(m_db);
    if (!q.exec(QStringLiteral("BEGIN IMMEDIATE"))) {
        why = failure(QStringLiteral("cannot start a transaction to store a pulled record"), q.lastError());
        return InsertOutcome::Failed;
    }
    auto finish = [&](InsertOutcome outcome, const QString& message) {
        why = message;
        QSqlQuery(m_db).exec(QStringLiteral("ROLLBACK"));
        return outcome;
    };
    q.prepare(QStringLiteral(
        "SELECT id, body, signature FROM records WHERE id = ? OR (device = ? AND rollout = ? AND seq = ?)"));
    q.addBindValue(r.id);
    q.addBindValue(r.device);
    q.addBindValue(r.rollout);
    q.addBindValue(r.sequence);
    if (!q.exec())
        return finish(InsertOutcome::Failed,
                      failure(QStringLiteral("cannot look up pulled record %1").arg(r.id), q.lastError()));
    while (q.next()) {
        const bool sameBytes = q.value(1).toByteArray() == r.body && q.value(2).toByteArray() == r.signature;
        if (sameBytes) return finish(InsertOutcome::Duplicate, {});
        if (q.value(0).toString() == r.id)
            return finish(
                InsertOutcome::Conflict,
                QStringLiteral("ledger %1: pulled record %2 differs from the stored record with the same id: "
                               "one of them was altered; the stored one is kept")
                    .arg(m_path, r.id));
        return finish(
            InsertOutcome::Conflict,
            QStringLiteral(
                "ledger %1: pulled record %2 claims seq %3 of device %4 in rollout %5, which record %6 "
                "already holds: the chain was forked; the stored one is kept")
                .arg(m_path, r.id)
                .arg(r.sequence)
                .arg(r.device, r.rollout, q.value(0).toString()));
    }
    q.finish();
    // Pulled records already live in the shared ledger: nothing to push back.
    q.prepare(QStringLiteral("INSERT INTO records (id, device, seq, rollout, plan_sha256, type, actor, "
                             "ts_ms, body, signature, origin, pushed)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pulled', 1)"));
    for (const QVariant& v : {QVariant(r.id), QVariant(r.device), QVariant(r.sequence), QVariant(r.rollout),
                              QVariant(r.planHash), QVariant(r.type), QVariant(r.actor),
                              QVariant(r.timestampMs), QVariant(r.body), QVariant(r.signature)})
        q.addBindValue(v);
    if (!q.exec())
        return finish(InsertOutcome::Failed,
                      failure(QStringLiteral("cannot insert pulled record %1").arg(r.id), q.lastError()));
    if (!q.exec(QStringLiteral("COMMIT")))
        return finish(InsertOutcome::Failed,
                      failure(QStringLiteral("cannot commit pulled record %1").arg(r.id), q.lastError()));
    return InsertOutcome::Inserted;
}

QList<LedgerRecord> LocalLedger::select(const QString& sql, const QVariantList& binds, QString* problem) const
{
    QList<LedgerRecord> out;
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    q.prepare(sql);
    for (const QVariant& v : binds)
        q.addBindValue(v);
    if (!q.exec()) {
        if (problem) *problem = failure(QStringLiteral("cannot read records"), q.lastError());
        return out;
    }
    while (q.next())
        out.append(fromRow(q));
    return out;
}

QList<LedgerRecord> LocalLedger::records(const QString& rollout, QString* problem) const
{
    if (rollout.isEmpty())
        return select(QStringLiteral("SELECT %1 FROM records ORDER BY ts_ms, device, seq").arg(kColumns), {},
                      problem);
    return select(
        QStringLiteral("SELECT %1 FROM records WHERE rollout = ? ORDER BY ts_ms, device, seq").arg(kColumns),
        {rollout}, problem);
}

QString LocalLedger::changeMark(const QString& rollout) const
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("SELECT count(*), coalesce(max(rowid), 0) FROM records WHERE rollout = ?"));
    q.addBindValue(rollout);
    if (!q.exec() || !q.next()) return {};
    return q.value(0).toString() + QLatin1Char('/') + q.value(1).toString();
}

QList<LedgerRecord> LocalLedger::lastOfEachRollout(QString* problem) const
{
    return select(
        QStringLiteral("SELECT %1 FROM records WHERE rowid IN (SELECT max(rowid) FROM records GROUP BY "
                       "rollout) ORDER BY rollout")
            .arg(kColumns),
        {}, problem);
}

QHash<QString, QString> LocalLedger::changeMarks() const
{
    QHash<QString, QString> out;
    QSqlQuery q(m_db);
    if (!q.exec(QStringLiteral(
            "SELECT rollout, count(*), coalesce(max(rowid), 0) FROM records GROUP BY rollout")))
        return out;
    while (q.next())
        out.insert(q.value(0).toString(), q.value(1).toString() + QLatin1Char('/') + q.value(2).toString());
    return out;
}

QList<LedgerRecord> LocalLedger::unpushed(QString* problem) const
{
    return select(
        QStringLiteral("SELECT %1 FROM records WHERE pushed = 0 ORDER BY device, rollout, seq").arg(kColumns),
        {}, problem);
}

bool LocalLedger::markPushed(const QStringList& ids, QString* problem)
{
    QSqlQuery q(m_db);
    if (!q.exec(QStringLiteral("BEGIN IMMEDIATE"))) {
        if (problem)
            *problem =
                failure(QStringLiteral("cannot start a transaction to mark records pushed"), q.lastError());
        return false;
    }
    q.prepare(QStringLiteral("UPDATE records SET pushed = 1 WHERE id = ?"));
    for (const QString& id : ids) {
        q.addBindValue(id);
        if (!q.exec()) {
            if (problem)
                *problem = failure(QStringLiteral("cannot mark record %1 pushed").arg(id), q.lastError());
            QSqlQuery(m_db).exec(QStringLiteral("ROLLBACK"));
            return false;
        }
    }
    if (!q.exec(QStringLiteral("COMMIT"))) {
        if (problem) *problem = failure(QStringLiteral("cannot commit the pushed marks"), q.lastError());
        QSqlQuery(m_db).exec(QStringLiteral("ROLLBACK"));
        return false;
    }
    return true;
}

QString LocalLedger::pragma(const QString& name) const
{
    QSqlQuery q(m_db);
    if (!q.exec(QStringLiteral("PRAGMA ") + name) || !q.next()) return {};
    return q.value(0).toString();
}

} // namespace rollout
