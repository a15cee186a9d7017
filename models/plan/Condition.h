#pragma once

#include <QString>
#include <functional>
#include <optional>

namespace rollout {

enum class Comparison
{
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    Between
};

// What a condition compares against.
enum class ConditionKind
{
    Absolute,           // error_rate > 5%
    RatioToBaseline,    // latency_p99 > 2x baseline, rps < 95% baseline
    ChangeFromBaseline, // latency increase < 5%   ((value - baseline) / baseline)
    RateOfChange,       // memory grows > 10%/h    (relative growth per hour)
    RatioToHistory,     // complaints > 3x median over 7d   (the metric's own trailing median or mean)
};

// What a condition reads of its metric (docs/plan-format.md, "Windows, history and totals").
enum class Aggregate
{
    Latest, // the newest sample (or, with evidence, the counts since the phase started)
    Window, // `over 15m`: counts summed over the trailing window (rates), else the mean of its samples
    Total,  // `total`: how much a counter went up since the phase (or the rollout) started, or over a window
};
enum class TotalScope
{
    Phase,
    Rollout,
    Window
};
enum class HistoryStat
{
    Median,
    Mean
};

// Argo Rollouts' measurement semantics on a trigger or criterion (keys interval, count,
// failure_limit): a measurement every `intervalMs`; the analysis fails once more than
// `failureLimit` measurements failed; with `count`, it succeeds once `count` measurements are
// decided without that. Inconclusive measurements are taken again and count toward neither.
struct MeasurementSpec
{
    qint64 intervalMs = 0;    // 0: the metric's polling interval
    std::optional<int> count; // none: measure for as long as the phase (or rollout) lasts
    int failureLimit = 0;
};

// The units a metric can be measured in; literals in conditions convert into them.
enum class Unit
{
    None,
    Ratio,
    Percent,
    Seconds,
    Milliseconds,
    Bytes,
    Megabytes,
    PerSecond,
    PerHour,
    Count,
    Usd
};

// A condition in typed form, parsed by ConditionParser. Thresholds are stored in the unit of
// the metric (a ratio metric stores 5% as 0.05); relative thresholds as plain factors
// (2x → 2.0, 95% baseline → 0.95, increase 5% → 0.05, grows 10%/h → 0.10 per hour).
struct Condition
{
    QString metric;
    ConditionKind kind = ConditionKind::Absolute;
    Comparison comparison = Comparison::Greater;
    double threshold = 0.0;
    double upper = 0.0;       // only for Between: threshold <= value < upper
    bool relativeRate = true; // RateOfChange: true for %/h, false for an absolute amount per hour
    bool decrease = false;    // ChangeFromBaseline: "decrease" measures (baseline - value) / baseline
    QString text;             // as written in the plan, for messages and the UI
    bool dryRun = false;      // a success criterion in dry run: judged and shown, never blocks the gate
    // Windows, totals and history (all optional; Latest reads as before).
    Aggregate aggregate = Aggregate::Latest;
    qint64 windowMs = 0; // Window: the trailing window; Total with scope Window: likewise
    TotalScope scope =
        TotalScope::Phase; // Total: counted from the phase start, the rollout start, or over windowMs
    HistoryStat historyStat = HistoryStat::Median; // RatioToHistory: the statistic of the trailing history
    qint64 historyMs = 0;                          // RatioToHistory: how far back "normal" reaches (7d)
    // A budget (plan key `budgets`): the condition compares with factor × the budget's amount.
    // The loader resolves it into an absolute threshold; these say where it came from.
    QString budget;                             // the budget's name, when the condition names one
    double budgetFactor = 0.0;                  // 1.2 for "exceeds budget by > 20%" or "> 1.2x budget"
    std::optional<MeasurementSpec> measurement; // Argo-style: set from the trigger's or criterion's keys

    // Anything beyond the newest sample: judged by the engine's window judge.
    bool usesHistory() const
    {
        return aggregate != Aggregate::Latest || kind == ConditionKind::RatioToHistory;
    }

    bool usesBaseline() const
    {
        return kind == ConditionKind::RatioToBaseline || kind == ConditionKind::ChangeFromBaseline;
    }
    // True when `value` (already transformed for relative kinds) satisfies the comparison.
    bool compare(double value) const;
};

struct ConditionParseResult
{
    std::optional<Condition> condition;
    QString error;          // what was expected, when condition is empty
    int column = 0;         // 0-based offset into the text where the error was found
    bool budgetRef = false; // the condition compares with a budget: the loader resolves `budget`
};

// Parses the small condition grammar documented in docs/plan-format.md. Nothing is evaluated
// as code: the text becomes a metric name, a kind, a comparison and numbers.
// `unitOf` gives the unit of a metric so that "5%" can become 0.05 for a ratio metric; it
// returns nullopt for an unknown metric, which is reported as an error.
class ConditionParser
{
public:
    template <typename UnitLookup> static ConditionParseResult parse(const QString& text, UnitLookup unitOf)
    {
        return parseImpl(text, [&](const QString& m) { return unitOf(m); });
    }

    // A literal such as "5%", "150ms", "2s", "80MB", "$10", "0.3" in the given unit.
    static std::optional<double> parseQuantity(const QString& literal, Unit unit, QString* error = nullptr);

    static QString unitName(Unit unit);
    static std::optional<Unit> unitFromName(const QString& name);
    static QString formatValue(double value, Unit unit);
    static QString comparisonSymbol(Comparison c);

private:
    static ConditionParseResult parseImpl(const QString& text,
                                          const std::function<std::optional<Unit>(const QString&)>& unitOf);
};

} // namespace rollout
