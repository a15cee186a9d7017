#include "plan/ConditionReader.h"

#include "plan/Duration.h"

#include <cmath>

namespace rollout {

namespace {

const QLatin1String kFor("unexpected \"for\"");

} // namespace

QStringList ConditionReader::measurementKeys()
{
    return {QStringLiteral("interval"), QStringLiteral("count"), QStringLiteral("failure_limit")};
}

std::vector<BudgetSpec> ConditionReader::readBudgets(const YAML::Node& n, const QString& p)
{
    std::vector<BudgetSpec> out;
    if (!n.IsDefined() || n.IsNull()) return out;
    if (!n.IsMap()) {
        c.error(n, p,
                QStringLiteral("expected a mapping of names to budgets, e.g. compute: {metric: "
                               "cost_per_hour, amount: $80}"));
        return out;
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
        BudgetSpec b;
        b.name = YamlCursor::scalar(it->first);
        const YAML::Node bn = it->second;
        const QString bp = YamlCursor::join(p, b.name);
        b.where = {bn.Mark().line + 1, bn.Mark().column + 1};
        if (!c.checkMap(bn, bp,
                        {QStringLiteral("metric"), QStringLiteral("amount"), QStringLiteral("description")}))
            continue;
        b.metric = c.string(bn, "metric", bp, true).value_or(QString());
        b.description = c.string(bn, "description", bp).value_or(QString());
        const auto amount = c.string(bn, "amount", bp, true);
        const MetricSpec* m = m_plan ? m_plan->metric(b.metric) : nullptr;
        if (!b.metric.isEmpty() && !m) {
            c.error(bn["metric"], YamlCursor::join(bp, QStringLiteral("metric")),
                    QStringLiteral("unknown metric \"%1\"").arg(b.metric));
        } else if (m && amount && !m_badUnits.contains(m->name)) {
            QString why;
            const auto q = ConditionParser::parseQuantity(*amount, m->unit, &why);
            if (!q)
                c.error(bn["amount"], YamlCursor::join(bp, QStringLiteral("amount")), why);
            else if (!(*q > 0.0))
                c.error(bn["amount"], YamlCursor::join(bp, QStringLiteral("amount")),
                        QStringLiteral("a budget is an amount above zero, got \"%1\"").arg(*amount));
            else
                b.amount = *q;
        }
        out.push_back(b);
    }
    return out;
}

JudgementSpec ConditionReader::readJudgement(const YAML::Node& n, const QString& p)
{
    JudgementSpec j;
    if (!n.IsDefined() || n.IsNull()) return j;
    if (!c.checkMap(n, p,
                    {QStringLiteral("confidence"), QStringLiteral("trigger_confidence"),
                     QStringLiteral("on_inconclusive"), QStringLiteral("global_incident"),
                     QStringLiteral("min_trials")}))
        return j;
    j.confidence = confidence(n, "confidence", p).value_or(j.confidence);
    j.triggerConfidence = confidence(n, "trigger_confidence", p).value_or(j.triggerConfidence);
    j.onInconclusive = inconclusivePolicy(n, p).value_or(j.onInconclusive);
    if (const auto g = c.string(n, "global_incident", p)) {
        if (*g == QLatin1String("pause"))
            j.globalIncident = GlobalIncidentPolicy::Pause;
        else if (*g == QLatin1String("act"))
            j.globalIncident = GlobalIncidentPolicy::Act;
        else
            c.error(n["global_incident"], YamlCursor::join(p, QStringLiteral("global_incident")),
                    QStringLiteral("unknown value \"%1\" (expected one of: pause, act)").arg(*g));
    }
    const double minTrials = c.number(n, "min_trials", p).value_or(0.0);
    if (minTrials < 0 || minTrials > 1e9 || minTrials != std::floor(minTrials))
        c.error(n["min_trials"], YamlCursor::join(p, QStringLiteral("min_trials")),
                QStringLiteral("expected a whole number of trials, 0 or more"));
    else
        j.minTrials = int(minTrials);
    return j;
}

// A confidence level: 0.95 or 95%, strictly between 50% and 100%.
std::optional<double> ConditionReader::confidence(const YAML::Node& n, const char* key, const QString& p)
{
    const auto s = c.string(n, key, p);
    if (!s) return std::nullopt;
    QString t = s->trimmed();
    const bool percent = t.endsWith(QLatin1Char('%'));
    if (percent) t.chop(1);
    bool ok = false;
    double level = t.toDouble(&ok);
    if (percent) level /= 100.0;
    if (!ok || !(level > 0.5 && level < 1.0)) {
        c.error(n[key], YamlCursor::join(p, QString::fromLatin1(key)),
                QStringLiteral(
                    "expected a confidence level between 50% and 100%, such as 95% or 0.95; got \"%1\"")
                    .arg(*s));
        return std::nullopt;
    }
    return level;
}

std::optional<InconclusivePolicy> ConditionReader::inconclusivePolicy(const YAML::Node& n, const QString& p)
{
    const auto s = c.string(n, "on_inconclusive", p);
    if (!s) return std::nullopt;
    if (*s == QLatin1String("pause")) return InconclusivePolicy::Pause;
    if (*s == QLatin1String("fail")) return InconclusivePolicy::Fail;
    c.error(n["on_inconclusive"], YamlCursor::join(p, QStringLiteral("on_inconclusive")),
            QStringLiteral("unknown value \"%1\" (expected one of: pause, fail)").arg(*s));
    return std::nullopt;
}

std::optional<Condition> ConditionReader::criterion(const YAML::Node& n, const QString& p)
{
    if (!n.IsMap()) return condition(n, p, QStringLiteral("criterion"));
    if (!c.checkMap(n, p, QStringList{QStringLiteral("when"), QStringLiteral("dry_run")} + measurementKeys()))
        return std::nullopt;
    if (!n["when"].IsDefined()) {
        c.error(n, YamlCursor::join(p, QStringLiteral("when")),
                QStringLiteral("required field \"when\" is missing"));
        return std::nullopt;
    }
    auto cond =
        condition(n["when"], YamlCursor::join(p, QStringLiteral("when")), QStringLiteral("criterion"));
    if (!cond) return cond;
    cond->dryRun = c.boolean(n, "dry_run", p).value_or(false);
    cond->measurement = measurement(n, p, *cond);
    return cond;
}

void ConditionReader::readTriggerMeasurement(const YAML::Node& n, const QString& p, TriggerSpec& t)
{
    t.when.measurement = measurement(n, p, t.when);
    if (t.when.measurement && t.forMs > 0)
        c.error(n["for"], YamlCursor::join(p, QStringLiteral("for")),
                QStringLiteral("\"for\" and \"failure_limit\"/\"count\"/\"interval\" are two ways to say how "
                               "long harm must last; use one "
                               "(Argo's failureLimit: N failed measurements, or for: how long it held)"));
}

std::optional<MeasurementSpec> ConditionReader::measurement(const YAML::Node& n, const QString& p,
                                                            const Condition& cond)
{
    if (!n["interval"].IsDefined() && !n["count"].IsDefined() && !n["failure_limit"].IsDefined())
        return std::nullopt;
    MeasurementSpec s;
    const MetricSpec* m = m_plan ? m_plan->metric(cond.metric) : nullptr;
    auto whole = [&](const char* key, int minimum) -> std::optional<int> {
        const auto v = c.number(n, key, p);
        if (!v) return std::nullopt;
        if (*v < minimum || *v > 1e6 || *v != std::floor(*v)) {
            c.error(n[key], YamlCursor::join(p, QString::fromLatin1(key)),
                    QStringLiteral("expected a whole number of measurements, %1 or more").arg(minimum));
            return std::nullopt;
        }
        return int(*v);
    };
    s.failureLimit = whole("failure_limit", 0).value_or(0);
    s.count = whole("count", 1);
    s.intervalMs = c.duration(n, "interval", p).value_or(0);
    if (m && s.intervalMs > 0 && s.intervalMs < m->intervalMs)
        c.error(n["interval"], YamlCursor::join(p, QStringLiteral("interval")),
                QStringLiteral("a measurement every %1 is more often than %2 is polled (every %3): it would "
                               "measure the same sample twice")
                    .arg(Duration::format(s.intervalMs), m->name, Duration::format(m->intervalMs)));
    if (s.count && *s.count <= s.failureLimit)
        c.error(n["count"], YamlCursor::join(p, QStringLiteral("count")),
                QStringLiteral("%1 measurements with failure_limit %2 can never fail (the analysis fails "
                               "after more than %2 failed measurements)")
                    .arg(*s.count)
                    .arg(s.failureLimit));
    return s;
}

bool ConditionReader::resolveBudget(Condition& cond, const YAML::Node& n, const QString& p)
{
    const BudgetSpec* b = nullptr;
    if (!cond.budget.isEmpty()) {
        b = m_plan->budget(cond.budget);
        if (!b) {
            c.error(n, p,
                    QStringLiteral("unknown budget \"%1\" in \"%2\" (add budgets.%1)")
                        .arg(cond.budget, cond.text));
            return false;
        }
        if (b->metric != cond.metric) {
            c.error(n, p,
                    QStringLiteral("budget \"%1\" is for metric \"%2\", not \"%3\"")
                        .arg(b->name, b->metric, cond.metric));
            return false;
        }
    } else {
        QStringList names;
        for (const BudgetSpec& x : m_plan->budgets)
            if (x.metric == cond.metric) {
                b = &x;
                names.append(x.name);
            }
        if (names.isEmpty()) {
            c.error(
                n, p,
                QStringLiteral("\"%1\" compares with a budget, but no budget is declared for metric \"%2\" "
                               "(add budgets: {NAME: {metric: %2, amount: …}})")
                    .arg(cond.text, cond.metric));
            return false;
        }
        if (names.size() > 1) {
            c.error(n, p,
                    QStringLiteral("metric \"%1\" has several budgets (%2): name one, e.g. \"budget %3\"")
                        .arg(cond.metric, names.join(QStringLiteral(", ")), names.first()));
            return false;
        }
        cond.budget = b->name;
    }
    // A budget is a known number: the condition becomes an absolute threshold, judged like any other.
    cond.kind = ConditionKind::Absolute;
    cond.threshold = cond.budgetFactor * b->amount;
    return true;
}

void ConditionReader::checkWindows(const Condition& cond, const YAML::Node& n, const QString& p)
{
    const MetricSpec* m = m_plan->metric(cond.metric);
    if (!m) return;
    const qint64 span = cond.kind == ConditionKind::RatioToHistory ? cond.historyMs
                        : cond.aggregate == Aggregate::Window ||
                                (cond.aggregate == Aggregate::Total && cond.scope == TotalScope::Window)
                            ? cond.windowMs
                            : 0;
    if (span > 0 && span < 2 * m->intervalMs)
        c.error(n, p,
                QStringLiteral("a %1 window holds fewer than two samples of %2 (polled every %3) in \"%4\"")
                    .arg(Duration::format(span), m->name, Duration::format(m->intervalMs), cond.text));
    if (cond.aggregate == Aggregate::Total && m->kind == MetricKind::Rate)
        c.error(n, p,
                QStringLiteral(
                    "\"total\" counts how much a counter went up, but %1 is a rate (a proportion) in \"%2\"; "
                    "count its events with a metric of their own (unit count)")
                    .arg(m->name, cond.text));
    if (cond.usesHistory() &&
        (cond.comparison == Comparison::Between || cond.kind == ConditionKind::RateOfChange) &&
        cond.aggregate == Aggregate::Total)
        c.error(n, p,
                QStringLiteral("a total is compared with a number, e.g. \"%1 total >= 5\"").arg(cond.metric));
}

std::optional<Condition> ConditionReader::condition(const YAML::Node& n, const QString& p,
                                                    const QString& context)
{
    if (!n.IsScalar()) {
        c.error(n, p, QStringLiteral("expected a condition such as \"error_rate > 5%\""));
        return std::nullopt;
    }
    const QString text = YamlCursor::scalar(n);
    const QString metricName = text.trimmed().section(QLatin1Char(' '), 0, 0);
    if (m_badUnits.contains(metricName)) return std::nullopt; // its unit error is reported already
    const auto r = ConditionParser::parse(text, [&](const QString& metric) -> std::optional<Unit> {
        const MetricSpec* m = m_plan->metric(metric);
        if (!m) return std::nullopt;
        return m->unit;
    });
    if (!r.condition) {
        QString message = QStringLiteral("%1 in \"%2\"").arg(r.error, text);
        if (r.error.startsWith(kFor)) { // "e < 1% for 5m": the duration belongs beside the condition
            const QString before = text.left(r.column).trimmed();
            const QString after = text.mid(r.column + 3).trimmed();
            message =
                context == QLatin1String("criterion")
                    ? QStringLiteral(
                          "unexpected \"for\" in \"%1\": \"for\" is not part of a condition; a success "
                          "criterion must "
                          "hold for the phase's min_duration, or say how many measurements may fail with "
                          "{when: %2, interval: …, count: …, failure_limit: …}")
                          .arg(text, before)
                    : QStringLiteral("unexpected \"for\" in \"%1\": \"for\" is a key of the trigger, not "
                                     "part of its condition; "
                                     "write \"when: %2\" and \"for: %3\" beside it")
                          .arg(text, before, after.isEmpty() ? QStringLiteral("5m") : after);
        }
        c.errorAtColumn(n, r.column, p, message);
        return std::nullopt;
    }
    Condition cond = *r.condition;
    if (cond.usesBaseline() && m_plan->metric(cond.metric)->baseline.kind == BaselineSpec::Kind::None)
        c.error(n, p,
                QStringLiteral(
                    "\"%1\" compares with a baseline, but metric \"%2\" has none (add metrics.%2.baseline)")
                    .arg(text, cond.metric));
    if (r.budgetRef && !resolveBudget(cond, n, p)) return std::nullopt;
    checkWindows(cond, n, p);
    return cond;
}

} // namespace rollout
