#pragma once

#include "metrics/MetricReader.h"

#include <QList>
#include <optional>
#include <vector>

namespace rollout {

// A bounded, time-ordered ring of samples: the newest `capacity` are kept, the oldest dropped.
// Appends are O(1); lookups by time are binary searches. A sample older than the newest one is
// refused (sources deliver in order; a late duplicate must not rewrite history).
class SampleRing
{
public:
    explicit SampleRing(std::size_t capacity);

    bool append(const Sample& s);
    std::size_t size() const { return m_size; }
    std::size_t capacity() const { return m_data.size(); }
    std::optional<Sample> newest() const;
    std::optional<Sample> oldestSample() const;
    std::optional<Sample> atOrBefore(qint64 tMs) const;
    // Samples with from <= t <= to, oldest first.
    QList<Sample> window(qint64 fromMs, qint64 toMs) const;

private:
    const Sample& nth(std::size_t i) const { return m_data[(m_head + i) % m_data.size()]; }
    std::size_t lowerBound(qint64 tMs) const; // first index with t >= tMs

    std::vector<Sample> m_data;
    std::size_t m_head = 0; // index of the oldest sample
    std::size_t m_size = 0;
};

} // namespace rollout
