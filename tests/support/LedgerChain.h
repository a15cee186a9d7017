#pragma once

#include "ledger/Ed25519.h"
#include "ledger/LedgerRecord.h"

#include <QJsonObject>
#include <QList>

namespace rollout::test {

// One device's chain of signed records, for tests: each record gets the next sequence number,
// the previous body's hash, a fresh id and a real Ed25519 signature.
class LedgerChain final
{
public:
    LedgerChain(QString rollout, QString actor, QString device = {});

    LedgerRecord next(const QString& type = QStringLiteral("checklist_ticked"),
                      const QJsonObject& payload = {}, qint64 timestampMs = 0);
    QList<LedgerRecord> take(int n, const QString& type = QStringLiteral("checklist_ticked"));

    const Ed25519::KeyPair& keys() const { return m_keys; }
    const QString& device() const { return m_device; }

    // `r` (fields edited by the caller) re-serialized and re-signed with `keys`: what someone
    // holding another key (or a stolen one) could produce.
    static LedgerRecord resigned(LedgerRecord r, const Ed25519::KeyPair& keys);

private:
    QString m_rollout, m_actor, m_device, m_previous;
    qint64 m_sequence = 0;
    Ed25519::KeyPair m_keys;
};

} // namespace rollout::test
