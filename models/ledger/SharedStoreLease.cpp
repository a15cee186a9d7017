// SharedStore's part for follow mode: the driver lease of each rollout, and LISTEN on the
// rollouts' notification channels. The schema is migration 4 in SharedStore.cpp.
#include "ledger/SharedStore.h"

#include <QCryptographicHash>
#include <QSqlDatabase>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace rollout {

namespace {

QString nonNull(const QString& s)
{
    return s.isNull() ? QStringLiteral("") : s;
}

const QLatin1String HolderColumns(SharedStore::LeaseColumns);

LeaseHolder holderFrom(const QString& rollout, const QSqlQuery& q)
{
    return SharedStore::leaseHolderFrom(rollout, q, 0);
}

} // namespace

LeaseHolder SharedStore::leaseHolderFrom(const QString& rollout, const QSqlQuery& q, int first)
{
    LeaseHolder h;
    h.rollout = rollout;
    h.token = q.value(first).toString();
    h.device = q.value(first + 1).toString();
    h.person = q.value(first + 2).toString();
    h.kind = q.value(first + 3).toString();
    h.host = q.value(first + 4).toString();
    h.pid = q.value(first + 5).toLongLong();
    h.heartbeatAgeMs = q.value(first + 6).toLongLong();
    h.expiresInMs = q.value(first + 7).toLongLong();
    return h;
}

QString LeaseHolder::describe() const
{
    if (!isSet()) return QStringLiteral("nobody");
    return QStringLiteral("%1 (%2) on device %3 at %4, pid %5, last heartbeat %6 s ago")
        .arg(kind, person, device, host)
        .arg(pid)
        .arg(double(heartbeatAgeMs) / 1000.0, 0, 'f', 1);
}

QString SharedStore::channelFor(const QString& rollout)
{
    return QStringLiteral("rollout_") +
           QString::fromLatin1(QCryptographicHash::hash(rollout.toUtf8(), QCryptographicHash::Md5).toHex());
}

LeaseOutcome SharedStore::acquireLease(const LeaseHolder& me, qint64 ttlMs, const QString& stealToken)
{
    LeaseOutcome out;
    if (!ensureOpen(&out.error, &out.unreachable)) return out;
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    // One statement: a row is written only when the lease is free, lapsed, ours, or the dead
    // holder's named; otherwise nothing changes and nothing is returned. (Two takers at once:
    // the row lock makes the second see the first's row, live, and lose.)
    q.prepare(
        QStringLiteral(
            "INSERT INTO driver_leases AS l (rollout, token, device, person, kind, host, pid, acquired_at,"
            " heartbeat_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, clock_timestamp(), clock_timestamp(),"
            " clock_timestamp() + ? * interval '1 millisecond')"
            " ON CONFLICT (rollout) DO UPDATE SET token = EXCLUDED.token, device = EXCLUDED.device,"
            " person = EXCLUDED.person, kind = EXCLUDED.kind, host = EXCLUDED.host, pid = EXCLUDED.pid,"
            " acquired_at = CASE WHEN l.token = EXCLUDED.token THEN l.acquired_at ELSE EXCLUDED.acquired_at "
            "END,"
            " heartbeat_at = EXCLUDED.heartbeat_at, expires_at = EXCLUDED.expires_at"
            " WHERE l.token = EXCLUDED.token OR l.expires_at < clock_timestamp() OR l.token = ?"
            " RETURNING %1")
            .arg(HolderColumns));
    q.addBindValue(nonNull(me.rollout));
    q.addBindValue(nonNull(me.token));
    q.addBindValue(nonNull(me.device));
    q.addBindValue(nonNull(me.person));
    q.addBindValue(nonNull(me.kind));
    q.addBindValue(nonNull(me.host));
    q.addBindValue(me.pid);
    q.addBindValue(ttlMs);
    q.addBindValue(stealToken.isEmpty() ? QStringLiteral("\n") : stealToken); // never a token
    if (!q.exec()) {
        failed(QStringLiteral("taking the driver lease"), q, &out.error, &out.unreachable);
        return out;
    }
    if (q.next()) {
        out.won = true;
        out.holder = holderFrom(me.rollout, q);
        return out;
    }
    q.finish();
    return readLease(me.rollout);
}

LeaseOutcome SharedStore::readLease(const QString& rollout)
{
    LeaseOutcome out;
    if (!ensureOpen(&out.error, &out.unreachable)) return out;
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.prepare(QStringLiteral("SELECT %1 FROM driver_leases WHERE rollout = ?").arg(HolderColumns));
    q.addBindValue(nonNull(rollout));
    if (!q.exec()) {
        failed(QStringLiteral("reading the driver lease"), q, &out.error, &out.unreachable);
        return out;
    }
    if (q.next()) out.holder = holderFrom(rollout, q);
    return out;
}

bool SharedStore::releaseLease(const QString& rollout, const QString& token, QString* errorOut)
{
    QString ignored;
    QString* error = errorOut ? errorOut : &ignored;
    bool unreachable = false;
    if (!ensureOpen(error, &unreachable)) return false;
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.prepare(QStringLiteral("DELETE FROM driver_leases WHERE rollout = ? AND token = ?"));
    q.addBindValue(nonNull(rollout));
    q.addBindValue(nonNull(token));
    if (!q.exec()) {
        failed(QStringLiteral("giving the driver lease back"), q, error, &unreachable);
        return false;
    }
    return true;
}

void SharedStore::setNotificationHandler(std::function<void(const QString&, const QString&)> handler)
{
    m_onNotification = std::move(handler);
}

void SharedStore::listen(const QString& rollout)
{
    m_listening.insert(channelFor(rollout), rollout);
    // Subscribed now when connected; otherwise when the connection is made (ensureOpen).
    if (!QSqlDatabase::contains(m_connectionName)) return;
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (db.isOpen()) subscribe(db);
}

void SharedStore::subscribe(QSqlDatabase& db)
{
    if (m_listening.isEmpty()) return;
    QSqlDriver* driver = db.driver();
    // The driver object outlives reconnects; connect its signal once per open (a close drops the
    // driver's subscriptions, and with them nothing else).
    QObject::disconnect(driver, &QSqlDriver::notification, nullptr, nullptr);
    QObject::connect(
        driver, &QSqlDriver::notification, driver,
        [this](const QString& name, QSqlDriver::NotificationSource source, const QVariant& payload) {
            if (source == QSqlDriver::SelfSource || !m_onNotification) return;
            const auto it = m_listening.constFind(name);
            if (it != m_listening.constEnd()) m_onNotification(*it, payload.toString());
        });
    const QStringList have = driver->subscribedToNotifications();
    for (auto it = m_listening.constBegin(); it != m_listening.constEnd(); ++it)
        if (!have.contains(it.key()) && !driver->subscribeToNotification(it.key()))
            qWarning("shared store: cannot LISTEN on %s: %s", qPrintable(it.key()),
                     qPrintable(driver->lastError().text()));
}

} // namespace rollout
