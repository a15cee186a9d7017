#pragma once

#include <QString>

#include <optional>

namespace rollout {

struct Sample
{
    qint64 tMs = 0;
    double value = 0.0;
};

enum class Series { Canary, Baseline };

// What the engine reads metric values through: the time-series store in the console and
// watch, a scripted series in tests.
class MetricReader
{
public:
    virtual ~MetricReader() = default;
    // The newest sample of `metric` for that series, if any.
    virtual std::optional<Sample> latest(const QString& metric, Series series) const = 0;
    // The newest sample at or before `tMs`, if any.
    virtual std::optional<Sample> at(const QString& metric, Series series, qint64 tMs) const = 0;
    // The oldest sample still held, if any.
    virtual std::optional<Sample> oldest(const QString& metric, Series series) const = 0;
    // Why the last read of `metric` failed (server, status, message); empty when it did not.
    virtual QString lastError(const QString& metric) const = 0;
};

} // namespace rollout
