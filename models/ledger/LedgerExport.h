#pragma once

#include "ledger/LedgerRecord.h"

#include <QByteArray>
#include <QList>

namespace rollout {

// The export a third party verifies without our code (docs/ledger-format.md): one JSON object
// per line, {"body": <the signed bytes as a string>, "signature": "<base64>"}.
class LedgerExport final
{
public:
    static QByteArray jsonl(const QList<LedgerRecord>& records);
};

} // namespace rollout
