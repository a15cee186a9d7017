#include "judge/WindowJudge.h"

#include "plan/Duration.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace rollout {

namespace {

Judgement unknown(const QString& why, bool missingData)
{
    Judgement j;
    j.truth = Truth::Unknown;
    j.reason = why;
    j.missingData = missingData;
    j.warmingUp = !missingData; // not covered yet: waits, without the missing-data clock
    return j;
}

// "d ⊙ 0" for the comparisons a windowed condition uses (between is decided on the value itself).
bool holds(const Condition& c, double value, double reference)
{
    if (c.comparison == Comparison::Between) return c.compare(value);
    Condition byDifference = c;
    byDifference.threshold = 0.0;
    return byDifference.compare(value - reference);
}

// The value a condition compares with: its threshold, or k× a baseline (by difference, so that a
// zero baseline is an ordinary case).
std::optional<double> reference(const Condition& c, std::optional<double> baseline)
{
    if (c.kind == ConditionKind::Absolute) return c.threshold;
    if (!baseline) return std::nullopt;
    if (c.kind == ConditionKind::RatioToBaseline) return c.threshold * *baseline;
    if (c.kind == ConditionKind::ChangeFromBaseline)
        return (c.decrease ? 1.0 - c.threshold : 1.0 + c.threshold) * *baseline;
    return std::nullopt;
}

Comparison flip(Comparison c)
{
    switch (c) {
    case Comparison::Less:
        return Comparison::Greater;
    case Comparison::LessEqual:
        return Comparison::GreaterEqual;
    case Comparison::Greater:
        return Comparison::Less;
    case Comparison::GreaterEqual:
        return Comparison::LessEqual;
    case Comparison::Between:
        break;
    }
    return c;
}

QString spanText(qint64 ms)
{
    return Duration::format(std::max<qint64>(0, ms / 1000 * 1000));
}

} // namespace

qint64 WindowJudge::coverage(const QList<Sample>& samples, qint64 fromMs, qint64 nowMs, qint64 intervalMs)
{
    const qint64 gap = 2 * intervalMs;
    qint64 covered = 0;
    qint64 previous = -1;
    for (const Sample& s : samples) {
        if (s.tMs < fromMs || s.tMs > nowMs || !std::isfinite(s.value)) continue;
        if (previous < 0) {
            if (s.tMs - fromMs <= gap) covered += s.tMs - fromMs; // the window's start is reached
        } else {
            covered += std::min(s.tMs - previous, gap);
        }
        previous = s.tMs;
    }
    if (previous >= 0 && nowMs - previous <= gap) covered += nowMs - previous;
    return std::min(covered, nowMs - fromMs);
}

Judgement WindowJudge::judge(const Condition& c, const MetricSpec& m, const MetricReader& reader,
                             qint64 nowMs, const Scope& scope, double level, bool criterion) const
{
    Judgement j;
    if (c.kind == ConditionKind::RatioToHistory)
        j = history(c, m, reader, nowMs);
    else if (c.aggregate == Aggregate::Total)
        j = total(c, m, reader, nowMs, scope, criterion);
    else
        j = window(c, m, reader, nowMs, scope, level, criterion);
    return j;
}

Judgement WindowJudge::window(const Condition& c, const MetricSpec& m, const MetricReader& reader,
                              qint64 nowMs, const Scope& scope, double level, bool criterion) const
{
    const qint64 w = c.windowMs;
    // A trigger's window does not reach back past the last rollback: the phase rolled back to is
    // judged on its own traffic.
    const qint64 from = criterion ? nowMs - w : std::max(nowMs - w, scope.triggerSinceMs);
    const qint64 slack = 2 * m.intervalMs;
    const QString error = reader.lastError(m.name);
    const QString label = QStringLiteral("last %1").arg(Duration::format(w));

    // A rate with counts: events and trials summed over the window.
    const auto counts = m.kind == MetricKind::Rate && m.per.isEmpty()
                            ? reader.counts(m.name, Series::Canary, from)
                            : std::nullopt;
    if (counts) {
        if (nowMs - counts->toMs > slack)
            return unknown(QStringLiteral("stale: the newest canary counts are %1 old (polled every %2)%3")
                               .arg(Duration::format(nowMs - counts->toMs), Duration::format(m.intervalMs),
                                    error.isEmpty() ? QString() : QStringLiteral("; ") + error),
                           true);
        if (counts->fromMs > from + slack)
            return unknown(QStringLiteral("the %1 window is not covered yet: the counts cover %2 of it")
                               .arg(Duration::format(w), spanText(counts->toMs - counts->fromMs)),
                           false);
        if (!(counts->trials > 0.0)) {
            Judgement j = unknown(
                QStringLiteral("no canary trials in the %1 window (0 of 0)").arg(Duration::format(w)), false);
            j.warmingUp = false;
            return j;
        }
        Condition latest = c;
        latest.aggregate = Aggregate::Latest;
        if (m_evidence.judges(latest, m, reader, criterion)) {
            Judgement j = m_evidence.over(latest, m, reader, nowMs, from, level);
            j.evidence.window = label;
            if (j.truth == Truth::Unknown && !j.missingData && j.reason.isEmpty())
                j.reason = QStringLiteral("not enough evidence yet");
            return j;
        }
        // No evidence for this comparison (a captured baseline, a band): the window's own ratio.
        const double ratio = counts->events / counts->trials * m.proportionScale();
        Judgement j;
        j.observed = j.compared = ratio;
        j.sampleMs = counts->toMs;
        const auto ref =
            reference(c, c.kind == ConditionKind::Absolute ? std::nullopt : scope.capturedBaseline);
        if (!ref && c.comparison != Comparison::Between)
            return unknown(QStringLiteral("no baseline to compare the window with"), true);
        Condition cmp = c;
        if (c.kind == ConditionKind::ChangeFromBaseline && c.decrease) cmp.comparison = flip(c.comparison);
        j.truth = holds(cmp, ratio, ref.value_or(0.0)) ? Truth::True : Truth::False;
        j.reason =
            QStringLiteral("%1 of %2 over the %3 window").arg(counts->events).arg(counts->trials).arg(label);
        return j;
    }

    // A gauge (or a rate without counts): the mean of its samples over the window.
    const QList<Sample> samples = reader.samples(m.name, Series::Canary, from, nowMs);
    if (samples.isEmpty())
        return unknown(error.isEmpty() ? QStringLiteral("no sample in the %1 window yet").arg(label) : error,
                       true);
    if (nowMs - samples.last().tMs > slack)
        return unknown(QStringLiteral("stale: the newest sample is %1 old (polled every %2)%3")
                           .arg(Duration::format(nowMs - samples.last().tMs), Duration::format(m.intervalMs),
                                error.isEmpty() ? QString() : QStringLiteral("; ") + error),
                       true);
    std::vector<double> xs;
    for (const Sample& s : samples)
        if (std::isfinite(s.value)) xs.push_back(s.value);
    if (xs.empty())
        return unknown(
            QStringLiteral("no finite sample in the %1 window (the source returned NaN)").arg(label), true);
    const qint64 covered = coverage(samples, from, nowMs, m.intervalMs);
    if (covered < w - slack)
        return unknown(QStringLiteral("the %1 window is not covered yet: the samples cover %2 of it")
                           .arg(Duration::format(w), spanText(covered)),
                       false);
    Condition latest = c;
    latest.aggregate = Aggregate::Latest;
    if (criterion && m_evidence.judges(latest, m, reader, true)) {
        Judgement j = m_evidence.over(latest, m, reader, nowMs, from, level);
        j.evidence.window = label;
        return j;
    }
    double mean = 0.0;
    for (double x : xs)
        mean += x / double(xs.size());
    Judgement j;
    j.observed = j.compared = mean;
    j.sampleMs = samples.last().tMs;
    std::optional<double> base;
    if (c.usesBaseline()) {
        switch (m.baseline.kind) {
        case BaselineSpec::Kind::Fixed:
            base = m.baseline.value;
            break;
        case BaselineSpec::Kind::Captured:
            base = scope.capturedBaseline;
            break;
        case BaselineSpec::Kind::Query:
        case BaselineSpec::Kind::Series: {
            double sum = 0.0;
            int n = 0;
            for (const Sample& s : reader.samples(m.name, Series::Baseline, from, nowMs))
                if (std::isfinite(s.value)) sum += s.value, ++n;
            if (n > 0) base = sum / n;
            break;
        }
        case BaselineSpec::Kind::None:
            break;
        }
        if (!base) return unknown(QStringLiteral("no baseline over the %1 window").arg(label), true);
        j.baseline = base;
    }
    const auto ref = reference(c, base);
    if (!ref && c.comparison != Comparison::Between)
        return unknown(QStringLiteral("no baseline to compare the window with"), true);
    Condition cmp = c;
    if (c.kind == ConditionKind::ChangeFromBaseline && c.decrease) cmp.comparison = flip(c.comparison);
    j.truth = holds(cmp, mean, ref.value_or(0.0)) ? Truth::True : Truth::False;
    j.reason = QStringLiteral("mean of %1 samples over the %2").arg(xs.size()).arg(label);
    return j;
}

Judgement WindowJudge::total(const Condition& c, const MetricSpec& m, const MetricReader& reader,
                             qint64 nowMs, const Scope& scope, bool criterion) const
{
    const qint64 from = c.scope == TotalScope::Phase     ? scope.phaseStartMs
                        : c.scope == TotalScope::Rollout ? scope.rolloutStartMs
                                                         : nowMs - c.windowMs;
    const QString since = c.scope == TotalScope::Window
                              ? QStringLiteral("over the last %1").arg(Duration::format(c.windowMs))
                          : c.scope == TotalScope::Phase ? QStringLiteral("since the phase started")
                                                         : QStringLiteral("since the rollout started");
    const qint64 slack = 2 * m.intervalMs;
    const QString error = reader.lastError(m.name);
    // The counter reading the count starts from: the newest at or before `from`, if recent enough.
    const auto start = reader.at(m.name, Series::Canary, from);
    const bool startKnown = start && from - start->tMs <= slack && std::isfinite(start->value);
    QList<Sample> readings = reader.samples(m.name, Series::Canary, from, nowMs);
    if (startKnown) readings.prepend(*start);
    double counted = 0.0;
    std::optional<double> previous;
    qint64 firstMs = 0, lastMs = 0;
    for (const Sample& s : readings) {
        if (!std::isfinite(s.value)) continue; // NaN readings are skipped; the next one counts on
        if (!previous)
            firstMs = s.tMs;
        else
            counted += s.value >= *previous ? s.value - *previous : s.value; // a reset counts from zero
        previous = s.value;
        lastMs = s.tMs;
    }
    if (!previous)
        return unknown(error.isEmpty() ? QStringLiteral("no reading of %1 %2 yet").arg(m.name, since) : error,
                       true);

    Judgement j;
    j.observed = j.compared = counted;
    j.sampleMs = lastMs;
    const bool complete = (startKnown || firstMs - from <= slack) && nowMs - lastMs <= slack;
    j.reason = QStringLiteral("%1 counted %2").arg(ConditionParser::formatValue(counted, m.unit), since);
    const bool atLeast = c.comparison == Comparison::Greater || c.comparison == Comparison::GreaterEqual;
    if (complete) {
        j.truth = c.compare(counted) ? Truth::True : Truth::False;
        // A goal not reached yet ("5+ successful flows") is not a failing criterion: the phase waits for it.
        if (criterion && atLeast && j.truth == Truth::False) {
            j.truth = Truth::Unknown;
            j.reason = QStringLiteral("%1 of %2 counted %3")
                           .arg(ConditionParser::formatValue(counted, m.unit),
                                ConditionParser::formatValue(c.threshold, m.unit), since);
        }
        return j;
    }
    // Counted in part (the first reading came late, or the newest is stale): the true total is at
    // least `counted`, which settles "total >= 5" once 5 are counted, and "total < 10" once 10 are.
    const bool atMost = c.comparison == Comparison::Less || c.comparison == Comparison::LessEqual;
    if (atLeast && c.compare(counted)) {
        j.truth = Truth::True;
        return j;
    }
    if (atMost && !c.compare(counted)) {
        j.truth = Truth::False;
        return j;
    }
    const bool stale = nowMs - lastMs > slack;
    Judgement u = unknown(
        stale ? QStringLiteral("stale: the newest reading of %1 is %2 old; at least %3 counted %4")
                    .arg(m.name, Duration::format(nowMs - lastMs),
                         ConditionParser::formatValue(counted, m.unit), since)
              : QStringLiteral(
                    "counted in part: the first reading of %1 is %2 after the start; at least %3 counted %4")
                    .arg(m.name, Duration::format(firstMs - from),
                         ConditionParser::formatValue(counted, m.unit), since),
        stale);
    u.observed = u.compared = counted;
    return u;
}

Judgement WindowJudge::history(const Condition& c, const MetricSpec& m, const MetricReader& reader,
                               qint64 nowMs) const
{
    const qint64 slack = 2 * m.intervalMs;
    const QString error = reader.lastError(m.name);
    const auto latest = reader.latest(m.name, Series::Canary);
    if (!latest) return unknown(error.isEmpty() ? QStringLiteral("no sample yet") : error, true);
    if (nowMs - latest->tMs > slack)
        return unknown(QStringLiteral("stale: newest sample is %1 old (polled every %2)%3")
                           .arg(Duration::format(nowMs - latest->tMs), Duration::format(m.intervalMs),
                                error.isEmpty() ? QString() : QStringLiteral("; ") + error),
                       true);
    if (!std::isfinite(latest->value))
        return unknown(QStringLiteral("no data: the source returned %1").arg(latest->value), true);
    const qint64 from = nowMs - c.historyMs;
    std::vector<double> past;
    qint64 oldest = -1;
    for (const Sample& s : reader.samples(m.name, Series::Canary, from, latest->tMs - 1)) {
        if (!std::isfinite(s.value)) continue;
        if (oldest < 0) oldest = s.tMs;
        past.push_back(s.value);
    }
    const QString stat =
        c.historyStat == HistoryStat::Median ? QStringLiteral("median") : QStringLiteral("mean");
    if (oldest < 0 || oldest - from > slack || past.size() < 3) {
        const qint64 held = oldest < 0 ? 0 : nowMs - oldest;
        return unknown(QStringLiteral("the %1 over %2 needs that much history; the samples cover %3 of it")
                           .arg(stat, Duration::format(c.historyMs), spanText(held)),
                       false);
    }
    double normal = 0.0;
    if (c.historyStat == HistoryStat::Median) {
        const std::size_t mid = past.size() / 2;
        std::nth_element(past.begin(), past.begin() + std::ptrdiff_t(mid), past.end());
        normal = past[mid];
        if (past.size() % 2 == 0)
            normal = 0.5 * (normal + *std::max_element(past.begin(), past.begin() + std::ptrdiff_t(mid)));
    } else {
        for (double x : past)
            normal += x / double(past.size());
    }
    Judgement j;
    j.observed = latest->value;
    j.sampleMs = latest->tMs;
    j.baseline = normal;
    j.compared = normal != 0.0 ? latest->value / normal : 0.0;
    // By difference, so that a history of zeros is an ordinary case: "v > 3x 0" is "v > 0".
    j.truth = holds(c, latest->value, c.threshold * normal) ? Truth::True : Truth::False;
    j.reason = QStringLiteral("%1 against a %2 of %3 over %4 (%5 samples)")
                   .arg(ConditionParser::formatValue(latest->value, m.unit), stat,
                        ConditionParser::formatValue(normal, m.unit), Duration::format(c.historyMs))
                   .arg(past.size());
    return j;
}

} // namespace rollout
