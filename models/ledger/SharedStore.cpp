#include "ledger/SharedStore.h"

#include <QHash>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>
#include <QVariant>
#include <utility>

namespace rollout {

namespace {

// pg_advisory_xact_lock keys ("Roll" + 1, + 2). Migrations take the first so two consoles starting
// at once do not both create the schema. Writes to ledger_records take the second and hold it to
// commit: cursor values are drawn from a sequence, and without the lock a transaction could
// commit cursor 11 while 10 is still open, and a reader that saw 11 would skip 10 for ever.
constexpr qint64 MigrationLock = 0x526f6c6c01;
constexpr qint64 AppendLock = 0x526f6c6c02;

// Rows per INSERT statement; QPSQL sends each value as a literal, PostgreSQL takes 65,535 parameters.
constexpr int RowsPerStatement = 500;

// Migration N takes the schema from version N-1 to N. Never edit one that has shipped: add one.
const QList<QStringList>& migrations()
{
    static const QList<QStringList> all = {
        {
            QStringLiteral("CREATE TABLE ledger_records ("
                           " id text PRIMARY KEY,"
                           " device text NOT NULL,"
                           " seq bigint NOT NULL,"
                           " rollout text NOT NULL,"
                           " plan_sha256 text NOT NULL,"
                           " type text NOT NULL,"
                           " ts_ms bigint NOT NULL,"
                           " body bytea NOT NULL,"
                           " signature bytea NOT NULL,"
                           " received_at timestamptz NOT NULL DEFAULT now(),"
                           " cursor bigserial UNIQUE,"
                           " UNIQUE (device, seq))"),
            QStringLiteral("CREATE INDEX ledger_records_rollout_cursor ON ledger_records (rollout, cursor)"),
            // Append-only for whoever pushes. (The owning role could still drop the trigger: in a
            // real deployment the consoles log in as a role with INSERT and SELECT only.)
            QStringLiteral(
                "CREATE FUNCTION rollout_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                " RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP"
                " USING ERRCODE = 'insufficient_privilege'; END $$"),
            QStringLiteral(
                "CREATE TRIGGER ledger_records_append_only BEFORE UPDATE OR DELETE ON ledger_records"
                " FOR EACH ROW EXECUTE FUNCTION rollout_refuse_change()"),
            QStringLiteral("CREATE TRIGGER ledger_records_no_truncate BEFORE TRUNCATE ON ledger_records"
                           " FOR EACH STATEMENT EXECUTE FUNCTION rollout_refuse_change()"),
            // One successor per predecessor: the primary key is what stops a double advance.
            // A record succeeds at most one predecessor (record_id UNIQUE).
            QStringLiteral("CREATE TABLE phase_transitions ("
                           " rollout text NOT NULL,"
                           " predecessor text NOT NULL,"
                           " record_id text NOT NULL UNIQUE REFERENCES ledger_records(id),"
                           " PRIMARY KEY (rollout, predecessor))"),
            QStringLiteral(
                "CREATE TRIGGER phase_transitions_append_only BEFORE UPDATE OR DELETE ON phase_transitions"
                " FOR EACH ROW EXECUTE FUNCTION rollout_refuse_change()"),
            QStringLiteral("CREATE TRIGGER phase_transitions_no_truncate BEFORE TRUNCATE ON phase_transitions"
                           " FOR EACH STATEMENT EXECUTE FUNCTION rollout_refuse_change()"),
        },
        {
            // Format-2 records chain per (device, rollout): two rollouts of one device both have a
            // seq 1. Format-1 sequence numbers were unique per device, so every stored row keeps
            // to the new constraint.
            QStringLiteral("ALTER TABLE ledger_records DROP CONSTRAINT ledger_records_device_seq_key"),
            QStringLiteral("ALTER TABLE ledger_records ADD CONSTRAINT ledger_records_device_rollout_seq_key "
                           "UNIQUE (device, rollout, seq)"),
        },
        {
            // What became of each granted claim: its advance was taken (advanced), its owner gave
            // it back because the gate closed after the grant (released), or nobody took it within
            // the lease and the next claim went past it (expired). Claims cannot wedge a rollout.
            QStringLiteral("CREATE TABLE claim_outcomes ("
                           " claim_id text PRIMARY KEY,"
                           " rollout text NOT NULL,"
                           " outcome text NOT NULL CHECK (outcome IN ('advanced', 'released', 'expired')),"
                           " by_record text NOT NULL DEFAULT '',"
                           " reason text NOT NULL DEFAULT '',"
                           " at timestamptz NOT NULL DEFAULT now())"),
            QStringLiteral(
                "CREATE TRIGGER claim_outcomes_append_only BEFORE UPDATE OR DELETE ON claim_outcomes"
                " FOR EACH ROW EXECUTE FUNCTION rollout_refuse_change()"),
        },
        {
            // Follow mode (docs/ledger-format.md, "Driving and following"). Each stored record
            // wakes the listeners of its rollout: NOTIFY on a channel of its own per rollout
            // (SharedStore::channelFor), delivered when the insert commits.
            QStringLiteral(
                "CREATE FUNCTION rollout_notify_record() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                " PERFORM pg_notify('rollout_' || md5(NEW.rollout), 'record ' || NEW.type);"
                " RETURN NULL; END $$"),
            QStringLiteral("CREATE TRIGGER ledger_records_notify AFTER INSERT ON ledger_records"
                           " FOR EACH ROW EXECUTE FUNCTION rollout_notify_record()"),
            // At most one process drives a rollout: the holder of its lease, renewed by heartbeats;
            // past expires_at (server time) anyone may take it. Coordination, not evidence: rows
            // change and go, unlike the ledger.
            QStringLiteral("CREATE TABLE driver_leases ("
                           " rollout text PRIMARY KEY,"
                           " token text NOT NULL,"
                           " device text NOT NULL,"
                           " person text NOT NULL,"
                           " kind text NOT NULL,"
                           " host text NOT NULL,"
                           " pid bigint NOT NULL,"
                           " acquired_at timestamptz NOT NULL DEFAULT now(),"
                           " heartbeat_at timestamptz NOT NULL DEFAULT now(),"
                           " expires_at timestamptz NOT NULL)"),
            // A new holder, or a lease given back, wakes the rollout's listeners; a heartbeat does not.
            QStringLiteral(
                "CREATE FUNCTION rollout_notify_lease() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                " IF TG_OP = 'DELETE' THEN PERFORM pg_notify('rollout_' || md5(OLD.rollout), 'lease');"
                " ELSIF TG_OP = 'INSERT' OR OLD.token IS DISTINCT FROM NEW.token THEN"
                " PERFORM pg_notify('rollout_' || md5(NEW.rollout), 'lease'); END IF;"
                " RETURN NULL; END $$"),
            QStringLiteral(
                "CREATE TRIGGER driver_leases_notify AFTER INSERT OR UPDATE OR DELETE ON driver_leases"
                " FOR EACH ROW EXECUTE FUNCTION rollout_notify_lease()"),
        },
        {
            // What the driver sees (docs/ledger-format.md, "The driver's view"): its last evaluation
            // of the gate and triggers, the flags as it read them back, drift. One row per rollout,
            // written by the lease holder on change (SharedStoreViews.cpp); coordination, not
            // evidence: the signed records stay the rollout's memory. Each write wakes the
            // rollout's listeners ("view").
            QStringLiteral("CREATE TABLE driver_views ("
                           " rollout text PRIMARY KEY,"
                           " token text NOT NULL,"
                           " view text NOT NULL,"
                           " published_at timestamptz NOT NULL DEFAULT now())"),
            QStringLiteral(
                "CREATE FUNCTION rollout_notify_view() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                " PERFORM pg_notify('rollout_' || md5(NEW.rollout), 'view'); RETURN NULL; END $$"),
            QStringLiteral("CREATE TRIGGER driver_views_notify AFTER INSERT OR UPDATE ON driver_views"
                           " FOR EACH ROW EXECUTE FUNCTION rollout_notify_view()"),
        },
    };
    return all;
}

QString sqlError(const QSqlError& e)
{
    QString text = e.databaseText().trimmed();
    if (text.isEmpty()) text = e.driverText().trimmed();
    return text.simplified();
}

// QPSQL binds a null QString as SQL NULL; every text column here is NOT NULL, and "" is a value
// ("no predecessor", an empty field of a body).
QString text(const QString& s)
{
    return s.isNull() ? QStringLiteral("") : s;
}

bool sameBytes(const LedgerRecord& a, const QByteArray& body, const QByteArray& signature)
{
    return a.body == body && a.signature == signature;
}

QString placeholders(int rows, int columns)
{
    QString row = QStringLiteral("(");
    for (int c = 0; c < columns; ++c)
        row += c ? QStringLiteral(",?") : QStringLiteral("?");
    row += QLatin1Char(')');
    QStringList all;
    all.reserve(rows);
    for (int r = 0; r < rows; ++r)
        all.append(row);
    return all.join(QLatin1Char(','));
}

// Which of the row's columns disagree with what its body says.
QStringList columnMismatches(const LedgerRecord& body, const QSqlQuery& q)
{
    QStringList out;
    if (q.value(1).toString() != body.id) out << QStringLiteral("id");
    if (q.value(2).toString() != body.device) out << QStringLiteral("device");
    if (q.value(3).toLongLong() != body.sequence) out << QStringLiteral("seq");
    if (q.value(4).toString() != body.rollout) out << QStringLiteral("rollout");
    if (q.value(5).toString() != body.planHash) out << QStringLiteral("plan_sha256");
    if (q.value(6).toString() != body.type) out << QStringLiteral("type");
    if (q.value(7).toLongLong() != body.timestampMs) out << QStringLiteral("ts_ms");
    return out;
}

} // namespace

SharedStore::SharedStore(StoreSettings settings)
    : m_settings(std::move(settings)),
      m_connectionName(
          QStringLiteral("rollout-sharedstore-%1").arg(QUuid::createUuid().toString(QUuid::WithoutBraces)))
{
}

SharedStore::~SharedStore()
{
    // Closes the connection too. No QSqlDatabase::database() here: that refuses to hand out a
    // connection to another thread, and a worker may release its store after its thread ended.
    QSqlDatabase::removeDatabase(m_connectionName);
}

void SharedStore::setSettings(const StoreSettings& settings)
{
    close();
    m_settings = settings;
}

void SharedStore::close()
{
    if (!QSqlDatabase::contains(m_connectionName)) return;
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    db.close();
}

QString SharedStore::open()
{
    QString error;
    bool unreachable = false;
    ensureOpen(&error, &unreachable);
    return error;
}

bool SharedStore::ensureOpen(QString* error, bool* unreachable)
{
    // Created on first use, so the connection belongs to the thread that uses the store.
    QSqlDatabase db = QSqlDatabase::contains(m_connectionName)
                          ? QSqlDatabase::database(m_connectionName, false)
                          : QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), m_connectionName);
    if (m_reconnect) {
        db.close();
        m_reconnect = false;
    }
    if (db.isOpen()) return true;
    if (!db.isValid()) {
        *error = QStringLiteral("store unreachable: %1: the PostgreSQL driver (QPSQL) is not available")
                     .arg(m_settings.endpoint());
        *unreachable = true;
        return false;
    }
    QString problem;
    const std::optional<QString> password = m_settings.password(&problem);
    if (!password) {
        *error = QStringLiteral("store unreachable: %1: %2").arg(m_settings.endpoint(), problem);
        *unreachable = true;
        return false;
    }
    db.setHostName(m_settings.host);
    db.setPort(m_settings.port);
    db.setDatabaseName(m_settings.database);
    db.setUserName(m_settings.user);
    db.setPassword(*password);
    db.setConnectOptions(QStringLiteral("connect_timeout=%1;sslmode=%2;application_name=rollout-console")
                             .arg(ConnectTimeoutSeconds)
                             .arg(StoreSettings::sslModeName(m_settings.effectiveSslMode())));
    const bool opened = db.open();
    db.setPassword(QString()); // libpq holds what it needs; keep no second copy around
    if (!opened) {
        *error =
            QStringLiteral("store unreachable: %1: %2").arg(m_settings.endpoint(), sqlError(db.lastError()));
        *unreachable = true;
        return false;
    }
    if (!migrate(db, error)) {
        db.close();
        return false;
    }
    subscribe(db); // a new connection listens to nothing yet
    return true;
}

bool SharedStore::migrate(QSqlDatabase& db, QString* error)
{
    if (!db.transaction()) {
        *error = QStringLiteral("store schema: cannot begin a transaction: %1").arg(sqlError(db.lastError()));
        return false;
    }
    QSqlQuery q(db);
    auto fail = [&](const QString& what) {
        *error = QStringLiteral("store schema: %1: %2").arg(what, sqlError(q.lastError()));
        db.rollback();
        return false;
    };
    // Quiet "relation already exists, skipping" notices, which libpq would print on stderr.
    if (!q.exec(QStringLiteral("SET LOCAL client_min_messages = warning")))
        return fail(QStringLiteral("settings"));
    q.prepare(QStringLiteral("SELECT pg_advisory_xact_lock(?)"));
    q.addBindValue(MigrationLock);
    if (!q.exec()) return fail(QStringLiteral("migration lock"));
    if (!q.exec(
            QStringLiteral("CREATE TABLE IF NOT EXISTS rollout_schema ("
                           " version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")))
        return fail(QStringLiteral("rollout_schema"));
    if (!q.exec(QStringLiteral("SELECT coalesce(max(version), 0) FROM rollout_schema")) || !q.next())
        return fail(QStringLiteral("reading the schema version"));
    const int current = q.value(0).toInt();
    if (current > SchemaVersion) {
        *error = QStringLiteral("store schema: the store is at version %1, newer than this build knows (%2)")
                     .arg(current)
                     .arg(SchemaVersion);
        db.rollback();
        return false;
    }
    for (int version = current + 1; version <= SchemaVersion; ++version) {
        for (const QString& statement : migrations().at(version - 1))
            if (!q.exec(statement)) return fail(QStringLiteral("migration %1").arg(version));
        q.prepare(QStringLiteral("INSERT INTO rollout_schema (version) VALUES (?)"));
        q.addBindValue(version);
        if (!q.exec()) return fail(QStringLiteral("migration %1").arg(version));
    }
    if (!db.commit()) {
        *error = QStringLiteral("store schema: commit: %1").arg(sqlError(db.lastError()));
        db.rollback();
        return false;
    }
    return true;
}

void SharedStore::failed(const QString& what, const QSqlQuery& query, QString* error, bool* unreachable)
{
    const QString why = sqlError(query.lastError());
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    // A statement can fail because the server refused it or because it went away. Ask it.
    QSqlQuery ping(db);
    if (!ping.exec(QStringLiteral("SELECT 1"))) {
        *unreachable = true;
        *error = QStringLiteral("store unreachable: %1: %2: %3").arg(m_settings.endpoint(), what, why);
    } else {
        *error = QStringLiteral("store refused %1: %2").arg(what, why);
    }
    // Reconnect next time either way: whatever state the session was in is not worth keeping.
    // (Not now: the caller's QSqlQuery still holds a statement on this connection.)
    m_reconnect = true;
}

bool SharedStore::insertRecords(QSqlDatabase& db, const QList<LedgerRecord>& records, PushResult* result)
{
    // Columns come from the signed body, never from the struct's fields, so a row always agrees
    // with the bytes it stores.
    QList<LedgerRecord> parsed;
    parsed.reserve(records.size());
    for (const LedgerRecord& r : records) {
        if (r.signature.isEmpty()) {
            result->refused.append({r.id, QStringLiteral("not signed")});
            continue;
        }
        QString problem;
        std::optional<LedgerRecord> p = LedgerRecord::fromSigned(r.body, r.signature, &problem);
        if (!p) {
            result->refused.append({r.id, QStringLiteral("not a ledger record: %1").arg(problem)});
            continue;
        }
        parsed.append(*p);
    }

    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT pg_advisory_xact_lock(?)"));
    q.addBindValue(AppendLock);
    if (!q.exec()) {
        failed(QStringLiteral("the append lock"), q, &result->error, &result->unreachable);
        return false;
    }

    QSet<QString> inserted;
    for (qsizetype start = 0; start < parsed.size(); start += RowsPerStatement) {
        const qsizetype n = std::min<qsizetype>(RowsPerStatement, parsed.size() - start);
        q.prepare(QStringLiteral("INSERT INTO ledger_records (id, device, seq, rollout, plan_sha256, type, "
                                 "ts_ms, body, signature)"
                                 " VALUES %1 ON CONFLICT DO NOTHING RETURNING id")
                      .arg(placeholders(int(n), 9)));
        for (qsizetype i = start; i < start + n; ++i) {
            const LedgerRecord& r = parsed.at(i);
            q.addBindValue(text(r.id));
            q.addBindValue(text(r.device));
            q.addBindValue(r.sequence);
            q.addBindValue(text(r.rollout));
            q.addBindValue(text(r.planHash));
            q.addBindValue(text(r.type));
            q.addBindValue(r.timestampMs);
            q.addBindValue(r.body);
            q.addBindValue(r.signature);
        }
        if (!q.exec()) {
            failed(QStringLiteral("inserting records"), q, &result->error, &result->unreachable);
            return false;
        }
        while (q.next())
            inserted.insert(q.value(0).toString());
    }

    // An advance names the claim it was granted: the claim's outcome is "advanced".
    for (const LedgerRecord& r : parsed) {
        const QString claim = r.payload.value(QStringLiteral("claim")).toString();
        if (!inserted.contains(r.id) || claim.isEmpty() ||
            (r.type != QLatin1String("phase_advanced") && r.type != QLatin1String("completed")))
            continue;
        q.prepare(QStringLiteral("INSERT INTO claim_outcomes (claim_id, rollout, outcome, by_record) VALUES "
                                 "(?, ?, 'advanced', ?) ON CONFLICT DO NOTHING"));
        q.addBindValue(text(claim));
        q.addBindValue(text(r.rollout));
        q.addBindValue(text(r.id));
        if (!q.exec()) {
            failed(QStringLiteral("recording a claim's advance"), q, &result->error, &result->unreachable);
            return false;
        }
    }

    // Everything not inserted just now met an existing row: the same bytes are "already there",
    // anything else under the same id or (device, seq) is someone rewriting history.
    QList<const LedgerRecord*> toCheck;
    QSet<QString> claimed;
    for (const LedgerRecord& r : parsed) {
        if (inserted.contains(r.id) && !claimed.contains(r.id)) {
            claimed.insert(r.id);
            result->stored.append(r.id);
        } else {
            toCheck.append(&r);
        }
    }
    // One query per statement-full of ids (a re-push after a lost confirmation is all of them)…
    QHash<QString, std::pair<QByteArray, QByteArray>> existing;
    for (qsizetype start = 0; start < toCheck.size(); start += RowsPerStatement) {
        const qsizetype n = std::min<qsizetype>(RowsPerStatement, toCheck.size() - start);
        q.prepare(QStringLiteral("SELECT id, body, signature FROM ledger_records WHERE id IN (%1)")
                      .arg(QStringList(n, QStringLiteral("?")).join(QLatin1Char(','))));
        for (qsizetype i = start; i < start + n; ++i)
            q.addBindValue(text(toCheck.at(i)->id));
        if (!q.exec()) {
            failed(QStringLiteral("checking existing records"), q, &result->error, &result->unreachable);
            return false;
        }
        while (q.next())
            existing.insert(q.value(0).toString(), {q.value(1).toByteArray(), q.value(2).toByteArray()});
    }
    for (const LedgerRecord* r : toCheck) {
        const auto found = existing.constFind(r->id);
        if (found != existing.constEnd()) {
            if (sameBytes(*r, found->first, found->second))
                result->alreadyThere.append(r->id);
            else
                result->refused.append(
                    {r->id,
                     QStringLiteral("tampering: the store already holds a different record under id %1")
                         .arg(r->id)});
            continue;
        }
        // …and one for each (rare) record whose place in its chain is taken under another id.
        q.prepare(
            QStringLiteral("SELECT id FROM ledger_records WHERE device = ? AND rollout = ? AND seq = ?"));
        q.addBindValue(text(r->device));
        q.addBindValue(text(r->rollout));
        q.addBindValue(r->sequence);
        if (!q.exec()) {
            failed(QStringLiteral("checking an existing record"), q, &result->error, &result->unreachable);
            return false;
        }
        const QString other = q.next() ? q.value(0).toString() : QStringLiteral("none found");
        result->refused.append(
            {r->id,
             QStringLiteral(
                 "tampering: device %1 already has a different record (%2) at sequence %3 of rollout %4")
                 .arg(r->device, other)
                 .arg(r->sequence)
                 .arg(r->rollout)});
    }
    return true;
}

PushResult SharedStore::push(const QList<LedgerRecord>& records)
{
    PushResult result;
    if (records.isEmpty()) return result;
    if (!ensureOpen(&result.error, &result.unreachable)) return result;
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (!db.transaction()) {
        result.error =
            QStringLiteral("store unreachable: %1: %2").arg(m_settings.endpoint(), sqlError(db.lastError()));
        result.unreachable = true;
        db.close();
        return result;
    }
    if (!insertRecords(db, records, &result)) {
        db.rollback();
        result.stored.clear();
        result.alreadyThere.clear();
        return result;
    }
    if (!db.commit()) {
        result = PushResult{};
        result.error = QStringLiteral("store unreachable: %1: commit: %2")
                           .arg(m_settings.endpoint(), sqlError(db.lastError()));
        result.unreachable = true;
        db.close();
    }
    return result;
}

QList<StoredRecord> SharedStore::pull(const QString& rollout, qint64 afterCursor, qint64* newCursor,
                                      QString* error, int limit)
{
    QList<StoredRecord> out;
    if (newCursor) *newCursor = afterCursor;
    QString why;
    bool unreachable = false;
    if (!ensureOpen(&why, &unreachable)) {
        if (error) *error = why;
        return out;
    }
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.setForwardOnly(true);
    q.prepare(
        QStringLiteral(
            "SELECT cursor, id, device, seq, rollout, plan_sha256, type, ts_ms, body, signature, received_at"
            " FROM ledger_records WHERE rollout = ? AND cursor > ? ORDER BY cursor%1")
            .arg(limit > 0 ? QStringLiteral(" LIMIT %1").arg(limit) : QString()));
    q.addBindValue(text(rollout));
    q.addBindValue(afterCursor);
    if (!q.exec()) {
        failed(QStringLiteral("reading records"), q, &why, &unreachable);
        if (error) *error = why;
        return out;
    }
    while (q.next()) {
        StoredRecord s;
        s.cursor = q.value(0).toLongLong();
        s.receivedAt = q.value(10).toDateTime();
        s.rowId = q.value(1).toString();
        s.rowDevice = q.value(2).toString();
        s.rowSeq = q.value(3).toLongLong();
        s.rowRollout = q.value(4).toString();
        const QByteArray body = q.value(8).toByteArray();
        const QByteArray signature = q.value(9).toByteArray();
        QString problem;
        if (std::optional<LedgerRecord> r = LedgerRecord::fromSigned(body, signature, &problem)) {
            s.record = std::move(*r);
            s.mismatches = columnMismatches(s.record, q);
            if (!s.mismatches.isEmpty())
                s.problem = QStringLiteral("the row's %1 disagree with its signed body")
                                .arg(s.mismatches.join(QStringLiteral(", ")));
        } else {
            s.bodyParses = false;
            s.problem = QStringLiteral("the stored body does not parse: %1").arg(problem);
            s.record.id = q.value(1).toString();
            s.record.device = q.value(2).toString();
            s.record.sequence = q.value(3).toLongLong();
            s.record.rollout = q.value(4).toString();
            s.record.planHash = q.value(5).toString();
            s.record.type = q.value(6).toString();
            s.record.timestampMs = q.value(7).toLongLong();
            s.record.body = body;
            s.record.signature = signature;
        }
        out.append(std::move(s));
    }
    if (q.lastError().isValid()) { // the connection dropped while rows were streaming
        failed(QStringLiteral("reading records"), q, &why, &unreachable);
        if (error) *error = why;
        out.clear();
        return out;
    }
    if (newCursor && !out.isEmpty()) *newCursor = out.last().cursor;
    if (error) error->clear();
    return out;
}

bool SharedStore::releaseClaim(const QString& claimId, const QString& rollout, const QString& reason,
                               QString* errorOut)
{
    QString ignored;
    QString* error = errorOut ? errorOut : &ignored;
    bool unreachable = false;
    if (!ensureOpen(error, &unreachable)) return false;
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.prepare(QStringLiteral("INSERT INTO claim_outcomes (claim_id, rollout, outcome, reason) VALUES (?, ?, "
                             "'released', ?) ON CONFLICT DO NOTHING"));
    q.addBindValue(text(claimId));
    q.addBindValue(text(rollout));
    q.addBindValue(text(reason));
    if (!q.exec()) {
        failed(QStringLiteral("releasing a claim"), q, error, &unreachable);
        return false;
    }
    return true;
}

QString SharedStore::claimOutcome(const QString& claimId, QString* errorOut)
{
    QString ignored;
    QString* error = errorOut ? errorOut : &ignored;
    bool unreachable = false;
    if (!ensureOpen(error, &unreachable)) return {};
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.prepare(QStringLiteral("SELECT outcome FROM claim_outcomes WHERE claim_id = ?"));
    q.addBindValue(text(claimId));
    if (!q.exec()) {
        failed(QStringLiteral("reading a claim's outcome"), q, error, &unreachable);
        return {};
    }
    return q.next() ? q.value(0).toString() : QString();
}

TransitionOutcome SharedStore::claimTransition(const LedgerRecord& transition, const QString& predecessorId)
{
    TransitionOutcome out;
    QString problem;
    const std::optional<LedgerRecord> parsed =
        LedgerRecord::fromSigned(transition.body, transition.signature, &problem);
    if (!parsed) {
        out.error = QStringLiteral("the transition is not a ledger record: %1").arg(problem);
        return out;
    }
    if (!ensureOpen(&out.error, &out.unreachable)) return out;
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (!db.transaction()) {
        out.error =
            QStringLiteral("store unreachable: %1: %2").arg(m_settings.endpoint(), sqlError(db.lastError()));
        out.unreachable = true;
        db.close();
        return out;
    }
    // Every way out of the transaction below rolls back unless it commits.
    auto refuse = [&](const QString& why) {
        db.rollback();
        out.error = why;
        return out;
    };
    QSqlQuery q(db);
    auto sqlFailed = [&](const QString& what) {
        db.rollback();
        failed(what, q, &out.error, &out.unreachable);
        return out;
    };

    PushResult inserted;
    if (!insertRecords(db, {*parsed}, &inserted)) { // takes the append lock: claims are serialized
        db.rollback();
        out.error = inserted.error;
        out.unreachable = inserted.unreachable;
        return out;
    }
    if (!inserted.refused.isEmpty()) return refuse(inserted.refused.first().why);

    if (!predecessorId.isEmpty()) {
        q.prepare(QStringLiteral("SELECT 1 FROM phase_transitions WHERE rollout = ? AND record_id = ?"));
        q.addBindValue(text(parsed->rollout));
        q.addBindValue(text(predecessorId));
        if (!q.exec()) return sqlFailed(QStringLiteral("reading the transition chain"));
        if (!q.next())
            return refuse(QStringLiteral("%1 is not a phase transition of rollout %2: cannot succeed it")
                              .arg(predecessorId, parsed->rollout));
    }
    q.prepare(QStringLiteral("SELECT 1 FROM phase_transitions WHERE record_id = ?"));
    q.addBindValue(text(parsed->id));
    if (!q.exec()) return sqlFailed(QStringLiteral("reading the transition chain"));
    QString winner = q.next() ? parsed->id : QString(); // ours already: a lost answer retried

    // Take the slot after the predecessor; when another claim holds it, go past that claim only
    // if it was released or expired (never past one whose advance was taken, or one still young).
    QString predecessor = predecessorId;
    for (int hop = 0; winner.isEmpty(); ++hop) {
        if (hop > 1000)
            return refuse(QStringLiteral("the transition chain of %1 does not end").arg(parsed->rollout));
        q.prepare(
            QStringLiteral("INSERT INTO phase_transitions (rollout, predecessor, record_id) VALUES (?, ?, ?)"
                           " ON CONFLICT DO NOTHING RETURNING record_id"));
        q.addBindValue(text(parsed->rollout));
        q.addBindValue(text(predecessor));
        q.addBindValue(text(parsed->id));
        if (!q.exec()) return sqlFailed(QStringLiteral("claiming the transition"));
        if (q.next()) {
            winner = parsed->id;
            break;
        }
        q.prepare(
            QStringLiteral("SELECT t.record_id, o.outcome, r.type IS NOT NULL,"
                           " (extract(epoch from now() - h.received_at) * 1000)::bigint"
                           " FROM phase_transitions t JOIN ledger_records h ON h.id = t.record_id"
                           " LEFT JOIN claim_outcomes o ON o.claim_id = t.record_id"
                           " LEFT JOIN LATERAL (SELECT type FROM ledger_records a WHERE a.rollout = t.rollout"
                           "   AND a.type IN ('phase_advanced', 'completed')"
                           "   AND convert_from(a.body, 'UTF8')::jsonb #>> '{payload,claim}' = t.record_id "
                           "LIMIT 1) r ON true"
                           " WHERE t.rollout = ? AND t.predecessor = ?"));
        q.addBindValue(text(parsed->rollout));
        q.addBindValue(text(predecessor));
        if (!q.exec()) return sqlFailed(QStringLiteral("reading the winning transition"));
        if (!q.next())
            return refuse(QStringLiteral("the claim was skipped but no other transition holds it"));
        const QString holder = q.value(0).toString();
        const QString outcome = q.value(1).toString();
        const bool advanced = q.value(2).toBool();
        const qint64 ageMs = q.value(3).toLongLong();
        if (outcome == QLatin1String("released") || outcome == QLatin1String("expired")) {
            predecessor = holder;
            continue;
        }
        if (outcome.isEmpty() && !advanced && ageMs > m_claimLeaseMs) {
            q.prepare(QStringLiteral("INSERT INTO claim_outcomes (claim_id, rollout, outcome, by_record, "
                                     "reason) VALUES (?, ?, 'expired', ?, ?)"
                                     " ON CONFLICT DO NOTHING"));
            q.addBindValue(text(holder));
            q.addBindValue(text(parsed->rollout));
            q.addBindValue(text(parsed->id));
            q.addBindValue(QStringLiteral("granted %1 s ago and never followed by its advance (lease %2 s)")
                               .arg(ageMs / 1000)
                               .arg(m_claimLeaseMs / 1000));
            if (!q.exec()) return sqlFailed(QStringLiteral("expiring a claim"));
            predecessor = holder;
            continue;
        }
        winner = holder; // advanced, or an advance still in progress within its lease
        out.winnerPending = !advanced && outcome != QLatin1String("advanced");
    }

    if (winner == parsed->id) { // ours, now or from an earlier attempt whose answer was lost
        if (!db.commit()) {
            out.error = QStringLiteral("store unreachable: %1: commit: %2")
                            .arg(m_settings.endpoint(), sqlError(db.lastError()));
            out.unreachable = true;
            db.close();
            return out;
        }
        out.won = true;
        out.winnerId = parsed->id;
        out.winnerActor = parsed->actor;
        out.winnerTimestampMs = parsed->timestampMs;
        return out;
    }

    // Lost: nothing of ours stays. Then say who won, from the winner's signed body.
    db.rollback();
    out.winnerId = winner;
    QSqlQuery w(db);
    w.prepare(QStringLiteral("SELECT body, signature, ts_ms FROM ledger_records WHERE id = ?"));
    w.addBindValue(text(winner));
    if (w.exec() && w.next()) {
        QString ignored;
        if (const std::optional<LedgerRecord> r =
                LedgerRecord::fromSigned(w.value(0).toByteArray(), w.value(1).toByteArray(), &ignored)) {
            out.winnerActor = r->actor;
            out.winnerTimestampMs = r->timestampMs;
        } else {
            out.winnerTimestampMs = w.value(2).toLongLong();
        }
    }
    return out;
}

} // namespace rollout
