// SharedStore's part for the team view: what each rollout's driver sees (driver_views, migration
// 5 in SharedStore.cpp), and every rollout the store holds, with who drives it (the home).
#include "ledger/SharedStore.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QVariant>

namespace rollout {

namespace {

QString nonNull(const QString& s)
{
    return s.isNull() ? QStringLiteral("") : s;
}

// The columns readView and readViews select, in StoredView order.
constexpr const char* ViewColumns =
    "v.rollout, v.token, v.view,"
    " (extract(epoch from clock_timestamp() - v.published_at) * 1000)::bigint,"
    " EXISTS (SELECT 1 FROM driver_leases l WHERE l.rollout = v.rollout AND l.token = v.token"
    " AND l.expires_at > clock_timestamp())";

StoredView viewFrom(const QSqlQuery& q)
{
    StoredView v;
    v.rollout = q.value(0).toString();
    v.token = q.value(1).toString();
    v.view = q.value(2).toString().toUtf8();
    v.ageMs = q.value(3).toLongLong();
    v.driverLive = q.value(4).toBool();
    return v;
}

} // namespace

bool SharedStore::publishView(const QString& rollout, const QString& token, const QByteArray& view,
                              QString* errorOut)
{
    QString ignored;
    QString* error = errorOut ? errorOut : &ignored;
    bool unreachable = false;
    if (!ensureOpen(error, &unreachable)) return false;
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    // Written only by the live lease holder: a driver that lost its lease never overwrites the
    // view of the one that took over.
    q.prepare(QStringLiteral(
        "INSERT INTO driver_views AS d (rollout, token, view, published_at)"
        " SELECT ?, ?, ?, clock_timestamp() WHERE EXISTS (SELECT 1 FROM driver_leases l WHERE l.rollout = ?"
        " AND l.token = ? AND l.expires_at > clock_timestamp())"
        " ON CONFLICT (rollout) DO UPDATE SET token = EXCLUDED.token, view = EXCLUDED.view,"
        " published_at = EXCLUDED.published_at"));
    q.addBindValue(nonNull(rollout));
    q.addBindValue(nonNull(token));
    q.addBindValue(QString::fromUtf8(view));
    q.addBindValue(nonNull(rollout));
    q.addBindValue(nonNull(token));
    if (!q.exec()) {
        failed(QStringLiteral("publishing the driver's view"), q, error, &unreachable);
        return false;
    }
    if (q.numRowsAffected() < 1) {
        *error = QStringLiteral("not published: this process does not hold the lease of %1").arg(rollout);
        return false;
    }
    return true;
}

std::optional<StoredView> SharedStore::readView(const QString& rollout, QString* error)
{
    const QList<StoredView> views = readViews({rollout}, error);
    if (views.isEmpty()) return std::nullopt;
    return views.first();
}

QList<StoredView> SharedStore::readViews(const QStringList& rollouts, QString* errorOut)
{
    QString ignored;
    QString* error = errorOut ? errorOut : &ignored;
    bool unreachable = false;
    QList<StoredView> out;
    if (!ensureOpen(error, &unreachable)) return out;
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.setForwardOnly(true);
    if (rollouts.isEmpty()) {
        q.prepare(QStringLiteral("SELECT %1 FROM driver_views v").arg(QLatin1String(ViewColumns)));
    } else {
        // One bound array: any number of rollouts in one statement.
        QStringList quoted;
        for (const QString& r : rollouts)
            quoted.append(QLatin1Char('"') +
                          QString(r)
                              .replace(QLatin1Char('\\'), QLatin1String("\\\\"))
                              .replace(QLatin1Char('"'), QLatin1String("\\\"")) +
                          QLatin1Char('"'));
        q.prepare(QStringLiteral("SELECT %1 FROM driver_views v WHERE v.rollout = ANY (?::text[])")
                      .arg(QLatin1String(ViewColumns)));
        q.addBindValue(QLatin1Char('{') + quoted.join(QLatin1Char(',')) + QLatin1Char('}'));
    }
    if (!q.exec()) {
        failed(QStringLiteral("reading the driver's view"), q, error, &unreachable);
        return out;
    }
    while (q.next())
        out.append(viewFrom(q));
    error->clear();
    return out;
}

QList<StoredRollout> SharedStore::rollouts(QString* errorOut)
{
    QString ignored;
    QString* error = errorOut ? errorOut : &ignored;
    bool unreachable = false;
    QList<StoredRollout> out;
    if (!ensureOpen(error, &unreachable)) return out;
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.setForwardOnly(true);
    if (!q.exec(
            QStringLiteral("SELECT r.rollout, r.type, r.ts_ms, r.n, l.* FROM"
                           " (SELECT DISTINCT ON (rollout) rollout, type, ts_ms,"
                           " count(*) OVER (PARTITION BY rollout) AS n"
                           " FROM ledger_records ORDER BY rollout, cursor DESC) r"
                           " LEFT JOIN LATERAL (SELECT %1 FROM driver_leases d WHERE d.rollout = r.rollout) l"
                           " ON true ORDER BY r.ts_ms DESC")
                .arg(QLatin1String(LeaseColumns)))) {
        failed(QStringLiteral("listing the rollouts"), q, error, &unreachable);
        return out;
    }
    while (q.next()) {
        StoredRollout r;
        r.rollout = q.value(0).toString();
        r.latestType = q.value(1).toString();
        r.latestMs = q.value(2).toLongLong();
        r.records = q.value(3).toLongLong();
        if (!q.isNull(4)) r.driver = leaseHolderFrom(r.rollout, q, 4);
        out.append(r);
    }
    error->clear();
    return out;
}

} // namespace rollout
