#include "StoreTamper.h"

#include <QDir>
#include <QHash>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>
#include <QVariant>

namespace rollout::test {

StoreTamper::StoreTamper()
    : m_connectionName(
          QStringLiteral("rollout-storetamper-%1").arg(QUuid::createUuid().toString(QUuid::WithoutBraces)))
{
}

StoreTamper::~StoreTamper()
{
    QSqlDatabase::removeDatabase(m_connectionName);
}

bool StoreTamper::open(QString* why)
{
    const QString dir = qEnvironmentVariable("ROLLOUT_SERVICES_DIR");
    const QString socket = dir + QStringLiteral("/pg-sock");
    if (dir.isEmpty() || !QDir(socket).exists()) {
        *why = QStringLiteral(
            "no superuser socket: ROLLOUT_SERVICES_DIR/pg-sock (scripts/services.sh) is not there");
        return false;
    }
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), m_connectionName);
    db.setHostName(socket); // libpq reads a host starting with '/' as a socket directory
    db.setPort(qEnvironmentVariableIntValue("ROLLOUT_PG_PORT"));
    db.setDatabaseName(qEnvironmentVariable("ROLLOUT_PG_DATABASE", QStringLiteral("rollout")));
    db.setUserName(QStringLiteral("postgres"));
    if (!db.open()) {
        *why = QStringLiteral("cannot connect as postgres over %1: %2").arg(socket, db.lastError().text());
        return false;
    }
    return true;
}

bool StoreTamper::run(const QString& sql, const QVariantList& values)
{
    return runAll({{sql, values}});
}

bool StoreTamper::runAll(const QList<std::pair<QString, QVariantList>>& statements)
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (!db.transaction()) {
        m_lastError = db.lastError().text();
        return false;
    }
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("SET LOCAL session_replication_role = replica"))) {
        m_lastError = q.lastError().text();
        db.rollback();
        return false;
    }
    for (const auto& [sql, values] : statements) {
        q.prepare(sql);
        for (const QVariant& v : values)
            q.addBindValue(v);
        if (!q.exec()) {
            m_lastError = q.lastError().text();
            db.rollback();
            return false;
        }
        if (q.numRowsAffected() < 1) {
            m_lastError = QStringLiteral("no row changed by: %1").arg(sql);
            db.rollback();
            return false;
        }
    }
    return db.commit();
}

bool StoreTamper::replaceInBody(const QString& id, const QByteArray& from, const QByteArray& to)
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT body FROM ledger_records WHERE id = ?"));
    q.addBindValue(id);
    if (!q.exec() || !q.next()) {
        m_lastError = QStringLiteral("no record %1").arg(id);
        return false;
    }
    QByteArray body = q.value(0).toByteArray();
    const qsizetype at = body.indexOf(from);
    if (at < 0) {
        m_lastError = QStringLiteral("the body of %1 does not contain %2").arg(id, QString::fromUtf8(from));
        return false;
    }
    body.replace(at, from.size(), to);
    return setBody(id, body);
}

bool StoreTamper::setBody(const QString& id, const QByteArray& body)
{
    return run(QStringLiteral("UPDATE ledger_records SET body = ? WHERE id = ?"), {body, id});
}

bool StoreTamper::setSignature(const QString& id, const QByteArray& signature)
{
    return run(QStringLiteral("UPDATE ledger_records SET signature = ? WHERE id = ?"), {signature, id});
}

bool StoreTamper::setSigned(const QString& id, const QByteArray& body, const QByteArray& signature)
{
    return run(QStringLiteral("UPDATE ledger_records SET body = ?, signature = ? WHERE id = ?"),
               {body, signature, id});
}

bool StoreTamper::deleteRecord(const QString& id)
{
    return run(QStringLiteral("DELETE FROM ledger_records WHERE id = ?"), {id});
}

bool StoreTamper::insertCopy(const LedgerRecord& r, const QString& rowId, const QString& rollout)
{
    return run(
        QStringLiteral(
            "INSERT INTO ledger_records (id, device, seq, rollout, plan_sha256, type, ts_ms, body, signature)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        {rowId, r.device + QStringLiteral("-copy"), r.sequence, rollout, r.planHash, r.type, r.timestampMs,
         r.body, r.signature});
}

bool StoreTamper::insertRecord(const LedgerRecord& r)
{
    return run(
        QStringLiteral(
            "INSERT INTO ledger_records (id, device, seq, rollout, plan_sha256, type, ts_ms, body, signature)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        {r.id, r.device, r.sequence, r.rollout, r.planHash, r.type, r.timestampMs, r.body, r.signature});
}

bool StoreTamper::swapSeq(const QString& idA, const QString& idB)
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT id, seq FROM ledger_records WHERE id IN (?, ?)"));
    q.addBindValue(idA);
    q.addBindValue(idB);
    if (!q.exec()) {
        m_lastError = q.lastError().text();
        return false;
    }
    QHash<QString, qint64> seq;
    while (q.next())
        seq.insert(q.value(0).toString(), q.value(1).toLongLong());
    if (seq.size() != 2) {
        m_lastError = QStringLiteral("no records %1 and %2").arg(idA, idB);
        return false;
    }
    // (device, rollout, seq) is unique and checked row by row: through a value no record holds.
    const QString set = QStringLiteral("UPDATE ledger_records SET seq = ? WHERE id = ?");
    return runAll({{set, {qint64(-1) - seq.value(idA), idA}},
                   {set, {seq.value(idA), idB}},
                   {set, {seq.value(idB), idA}}});
}

bool StoreTamper::exec(const QString& sql)
{
    return run(sql, {});
}

} // namespace rollout::test
