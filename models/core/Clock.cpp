#include "core/Clock.h"

#include <QDateTime>

namespace rollout {

qint64 SystemClock::nowMs() const
{
    return QDateTime::currentMSecsSinceEpoch();
}

} // namespace rollout
