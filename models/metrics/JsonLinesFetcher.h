#pragma once

#include "metrics/MetricFetcher.h"

#include <QHash>
#include <deque>

namespace rollout {

// Tails a JSON Lines event log (seed 004's migration events) and counts events by type over a
// sliding window: one hour for a per_hour metric, five minutes otherwise. The metric's query is
// `type[,type…]` (a count) or `type[,type…] / type[,type…]` (a ratio, e.g. failures over all).
// Events carry their type in "event_type" or "type" and may carry "timestamp" (ISO 8601 or
// epoch seconds); canary labels match top-level or "metadata" fields. Rotation and truncation
// are followed; a malformed line is skipped with its line number in the log, never fatal.
class JsonLinesFetcher final : public MetricFetcher
{
public:
    explicit JsonLinesFetcher(SourceSpec source);
    void fetch(const MetricSpec& metric, qint64 nowMs, QObject* context,
               std::function<void(const FetchResult&)> done) override;

    struct Event
    {
        qint64 tMs = 0;
        QString type;
        QHash<QString, QString> fields;
        quint64 seq = 0; // order of reading, so that each event is counted once per metric
        qint64 n = 1;    // how many alike events this entry stands for (same second, type and fields)
    };
    // Pure: one line into an event, or nullopt (with why) when it is not an event.
    static std::optional<Event> parseLine(const QByteArray& line, qint64 readMs, QString* problem);
    int malformedLines() const { return m_malformed; }
    std::size_t entries() const { return m_events.size(); } // what is kept: alike events merged

private:
    QString readNew(qint64 nowMs);

    SourceSpec m_source;
    qint64 m_offset = 0;
    qint64 m_lineNumber = 0;
    QByteArray m_partial;
    // The events of the last hour, alike ones read in one pass merged (a busy service logs
    // thousands a second: one entry per second, type and label set, not one per line).
    std::deque<Event> m_events;
    QHash<QString, std::size_t> m_mergeable; // this pass's entries by their key, to merge into
    int m_malformed = 0;
    quint64 m_seq = 0;
    // A rate's counts since the source was opened: metric → cohort → {events, trials}, and the
    // last event counted for each metric.
    QHash<QString, QHash<QString, std::pair<double, double>>> m_counts;
    QHash<QString, quint64> m_countedUpTo;
};

} // namespace rollout
