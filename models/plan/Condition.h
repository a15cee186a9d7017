#pragma once

#include <QString>

#include <functional>
#include <optional>

namespace rollout {

enum class Comparison { Less, LessEqual, Greater, GreaterEqual, Between };

// What a condition compares against.
enum class ConditionKind {
    Absolute,           // error_rate > 5%
    RatioToBaseline,    // latency_p99 > 2x baseline, rps < 95% baseline
    ChangeFromBaseline, // latency increase < 5%   ((value - baseline) / baseline)
    RateOfChange,       // memory grows > 10%/h    (relative growth per hour)
};

// The units a metric can be measured in; literals in conditions convert into them.
enum class Unit { None, Ratio, Percent, Seconds, Milliseconds, Bytes, Megabytes, PerSecond, PerHour, Count, Usd };

// A condition in typed form, parsed by ConditionParser. Thresholds are stored in the unit of
// the metric (a ratio metric stores 5% as 0.05); relative thresholds as plain factors
// (2x → 2.0, 95% baseline → 0.95, increase 5% → 0.05, grows 10%/h → 0.10 per hour).
struct Condition
{
    QString metric;
    ConditionKind kind = ConditionKind::Absolute;
    Comparison comparison = Comparison::Greater;
    double threshold = 0.0;
    double upper = 0.0;          // only for Between: threshold <= value < upper
    bool relativeRate = true;    // RateOfChange: true for %/h, false for an absolute amount per hour
    bool decrease = false;       // ChangeFromBaseline: "decrease" measures (baseline - value) / baseline
    QString text;                // as written in the plan, for messages and the UI
    bool dryRun = false;         // a success criterion in dry run: judged and shown, never blocks the gate

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
    QString error;    // what was expected, when condition is empty
    int column = 0;   // 0-based offset into the text where the error was found
};

// Parses the small condition grammar documented in docs/plan-format.md. Nothing is evaluated
// as code: the text becomes a metric name, a kind, a comparison and numbers.
// `unitOf` gives the unit of a metric so that "5%" can become 0.05 for a ratio metric; it
// returns nullopt for an unknown metric, which is reported as an error.
class ConditionParser
{
public:
    template <typename UnitLookup>
    static ConditionParseResult parse(const QString& text, UnitLookup unitOf)
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
