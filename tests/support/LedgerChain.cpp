#include "LedgerChain.h"

#include <QDateTime>
#include <QUuid>
#include <utility>

namespace rollout::test {

LedgerChain::LedgerChain(QString rollout, QString actor, QString device)
    : m_rollout(std::move(rollout)), m_actor(std::move(actor)),
      m_device(device.isEmpty() ? QUuid::createUuid().toString(QUuid::WithoutBraces) : std::move(device))
{
    Ed25519::initialize();
    m_keys = Ed25519::generate();
}

LedgerRecord LedgerChain::next(const QString& type, const QJsonObject& payload, qint64 timestampMs)
{
    LedgerRecord r;
    r.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    r.rollout = m_rollout;
    r.planHash = QStringLiteral("5c0ffee0").repeated(8);
    r.type = type;
    r.payload = payload;
    r.actor = m_actor;
    r.role = QStringLiteral("release-manager");
    r.timestampMs = timestampMs ? timestampMs : QDateTime::currentMSecsSinceEpoch();
    r.device = m_device;
    r.sequence = ++m_sequence;
    r.previous = m_previous;
    r.seal(m_keys.publicKey, m_keys.secretKey);
    m_previous = r.hash();
    return r;
}

QList<LedgerRecord> LedgerChain::take(int n, const QString& type)
{
    QList<LedgerRecord> out;
    out.reserve(n);
    for (int i = 0; i < n; ++i)
        out.append(next(type, QJsonObject{{QStringLiteral("item"), i}}));
    return out;
}

LedgerRecord LedgerChain::resigned(LedgerRecord r, const Ed25519::KeyPair& keys)
{
    r.seal(keys.publicKey, keys.secretKey);
    return r;
}

} // namespace rollout::test
