#pragma once

#include "metrics/TimeSeriesStore.h"
#include "plan/Plan.h"

#include <QString>
#include <optional>

namespace rollout {

// What a metric's chart shows on its value axis, shared by the console's charts and the evidence
// pack's: the display unit and factor, a range that is never degenerate (all zeros used to give
// an axis in units of 10⁻⁹), and whether the canary had any traffic to show.
class ChartScale final
{
public:
    struct Range
    {
        double lower = 0;
        double upper = 1;
    };

    static QString axisUnit(Unit u);
    // Stored value × factor = displayed value (ratio → %, bytes → MB).
    static double displayFactor(Unit u);
    // The value axis for data spanning [lower, upper] (display units), or nothing: zero included,
    // headroom above, and at least one display unit tall when the data is flat.
    static Range valueRange(std::optional<Range> data);
    // True when the canary showed traffic in [fromMs, toMs]: a rate with counts counted trials; a
    // traffic rate (per second, per hour) was above zero; anything else had a value at all.
    static bool canaryHasTraffic(const MetricSpec& metric, const TimeSeriesStore& store, qint64 fromMs,
                                 qint64 toMs);
    // The same, in parts for a chart that sees its samples arrive: by the counts when the metric
    // has them (nullopt when it has none), and by one canary sample's value.
    static std::optional<bool> countedTraffic(const MetricSpec& metric, const TimeSeriesStore& store,
                                              qint64 fromMs, qint64 toMs);
    static bool isTraffic(const MetricSpec& metric, double canaryValue);
    static QString noCanaryTrafficText();

    // The levels drawn across a chart (stored units): every phase's absolute success threshold on
    // the metric (green) and every trigger's (red); a hard trigger on "greater than" shades its
    // breach zone above. Relative conditions are in the value line only, not a level. Distinct values.
    struct Level
    {
        double value = 0;
        bool trigger = false;
        bool breachAbove = false;
    };
    static QList<Level> levels(const MetricSpec& metric, const Plan& plan);
};

} // namespace rollout
