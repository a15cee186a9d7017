#pragma once

#include <QString>
#include <optional>

namespace rollout {

// Durations as a release manager writes them: 30s, 5m, 24h, 7d, 2w, 1h30m, 500ms.
class Duration
{
public:
    // Milliseconds, or nullopt with *error saying what was expected.
    static std::optional<qint64> parseMs(const QString& text, QString* error = nullptr);
    // The shortest readable form: 90000 → "1m30s", 86400000 → "24h", 0 → "0s".
    static QString format(qint64 ms);
};

} // namespace rollout
