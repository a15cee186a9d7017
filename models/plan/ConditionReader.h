#pragma once

#include "plan/Plan.h"
#include "plan/YamlCursor.h"

#include <QSet>
#include <optional>

namespace rollout {

// The plan's judgement side, read from YAML: conditions (with their windows, totals, history and
// budgets), success criteria, Argo-style measurement keys, budgets and the `judgement` section.
// Split from PlanLoader so that each stays one job; errors go to the same YamlCursor.
class ConditionReader
{
public:
    ConditionReader(YamlCursor& cursor, const QSet<QString>& badUnits) : c(cursor), m_badUnits(badUnits) {}

    // The plan whose metrics and budgets conditions refer to (set once they are read).
    void setPlan(const Plan* plan) { m_plan = plan; }

    // `budgets: {NAME: {metric, amount, description}}`, after the metrics.
    std::vector<BudgetSpec> readBudgets(const YAML::Node& n, const QString& p);
    JudgementSpec readJudgement(const YAML::Node& n, const QString& p);

    // A condition; `context` names what it belongs to, for teaching messages ("trigger", "criterion",
    // "guard").
    std::optional<Condition> condition(const YAML::Node& n, const QString& p, const QString& context);
    // A success criterion: a condition, or {when, dry_run, interval, count, failure_limit}.
    std::optional<Condition> criterion(const YAML::Node& n, const QString& p);
    // A trigger's Argo-style keys (interval, count, failure_limit) into t.when.measurement; checks
    // they are not mixed with `for`.
    void readTriggerMeasurement(const YAML::Node& n, const QString& p, TriggerSpec& t);

    std::optional<double> confidence(const YAML::Node& n, const char* key, const QString& p);
    std::optional<InconclusivePolicy> inconclusivePolicy(const YAML::Node& n, const QString& p);

    // The keys a trigger and a criterion may carry for Argo-style measurements.
    static QStringList measurementKeys();

private:
    std::optional<MeasurementSpec> measurement(const YAML::Node& n, const QString& p, const Condition& cond);
    bool resolveBudget(Condition& cond, const YAML::Node& n, const QString& p);
    void checkWindows(const Condition& cond, const YAML::Node& n, const QString& p);

    YamlCursor& c;
    const QSet<QString>& m_badUnits;
    const Plan* m_plan = nullptr;
};

} // namespace rollout
