#pragma once

#include "engine/RolloutEvent.h"

#include <QJsonObject>
#include <optional>

namespace rollout {

// A RolloutEvent as a ledger record's payload and back, field for field, so that the rollout's
// state can be rebuilt from the records alone. Only decisions are recorded: the engine's
// running commentary (a trigger starting or ceasing to hold, the gate opening or closing) is not.
class EventCodec final
{
public:
    static bool isRecorded(EventType type);
    static QJsonObject toPayload(const RolloutEvent& e);
    // The event a record describes; nullopt (and `problem`) when the type or a field is unknown.
    static std::optional<RolloutEvent> fromRecord(const QString& type, const QJsonObject& payload,
                                                  const QString& actor, const QString& role, qint64 atMs,
                                                  QString* problem);
    static std::optional<EventType> typeFromString(const QString& name);
};

} // namespace rollout
