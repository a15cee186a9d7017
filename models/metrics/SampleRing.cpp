#include "metrics/SampleRing.h"

namespace rollout {

SampleRing::SampleRing(std::size_t capacity) : m_data(std::max<std::size_t>(capacity, 1)) {}

bool SampleRing::append(const Sample& s)
{
    if (m_size > 0 && s.tMs <= nth(m_size - 1).tMs) return false;
    if (m_size < m_data.size()) {
        m_data[(m_head + m_size) % m_data.size()] = s;
        ++m_size;
    } else {
        m_data[m_head] = s;
        m_head = (m_head + 1) % m_data.size();
    }
    return true;
}

std::optional<Sample> SampleRing::newest() const
{
    if (m_size == 0) return std::nullopt;
    return nth(m_size - 1);
}

std::optional<Sample> SampleRing::oldestSample() const
{
    if (m_size == 0) return std::nullopt;
    return nth(0);
}

std::size_t SampleRing::lowerBound(qint64 tMs) const
{
    std::size_t lo = 0, hi = m_size;
    while (lo < hi) {
        const std::size_t mid = (lo + hi) / 2;
        if (nth(mid).tMs < tMs)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

std::optional<Sample> SampleRing::atOrBefore(qint64 tMs) const
{
    const std::size_t i = lowerBound(tMs + 1); // first with t > tMs
    if (i == 0) return std::nullopt;
    return nth(i - 1);
}

QList<Sample> SampleRing::window(qint64 fromMs, qint64 toMs) const
{
    QList<Sample> out;
    for (std::size_t i = lowerBound(fromMs); i < m_size && nth(i).tMs <= toMs; ++i)
        out.append(nth(i));
    return out;
}

} // namespace rollout
