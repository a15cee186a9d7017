#include "ledger/LedgerExport.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace rollout {

QByteArray LedgerExport::jsonl(const QList<LedgerRecord>& records)
{
    QByteArray out;
    for (const LedgerRecord& r : records) {
        const QJsonObject line{{QStringLiteral("body"), QString::fromUtf8(r.body)},
                               {QStringLiteral("signature"), QString::fromLatin1(r.signature.toBase64())}};
        out += QJsonDocument(line).toJson(QJsonDocument::Compact) + '\n';
    }
    return out;
}

} // namespace rollout
