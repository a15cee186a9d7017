#pragma once

#include <QtGlobal>
#include <algorithm>

namespace rollout {

// The one exponential backoff every retry uses (metric polls, the shared store's sync and push
// queue, flag writes, webhooks, the pager): `firstMs`, then twice that, four times… never past
// `maxMs`. `retry` counts from 1 (the first retry waits `firstMs`).
class Backoff final
{
public:
    static qint64 delayMs(qint64 firstMs, int retry, qint64 maxMs)
    {
        qint64 d = std::max<qint64>(firstMs, 1);
        for (int i = 1; i < retry && d < maxMs; ++i)
            d *= 2;
        return std::min(d, std::max<qint64>(maxMs, 1));
    }
};

} // namespace rollout
