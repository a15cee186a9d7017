#include "plan/Condition.h"

#include "plan/Duration.h"

#include <QRegularExpression>
#include <cmath>

namespace rollout {

bool Condition::compare(double value) const
{
    switch (comparison) {
    case Comparison::Less:
        return value < threshold;
    case Comparison::LessEqual:
        return value <= threshold;
    case Comparison::Greater:
        return value > threshold;
    case Comparison::GreaterEqual:
        return value >= threshold;
    case Comparison::Between:
        return value >= threshold && value < upper;
    }
    return false;
}

namespace {

struct Token
{
    QString text;
    int column = 0;
};

// Splits on white space, and splits comparison operators from what touches them
// ("error_rate>5%" reads like "error_rate > 5%").
QList<Token> tokenize(const QString& text)
{
    static const QRegularExpression re(QStringLiteral(R"((<=|>=|≤|≥|<|>)|([^\s<>≤≥]+))"));
    QList<Token> out;
    auto it = re.globalMatch(text);
    while (it.hasNext()) {
        const auto m = it.next();
        out.append({m.captured(0), int(m.capturedStart(0))});
    }
    return out;
}

std::optional<Comparison> comparisonFrom(const QString& t)
{
    if (t == QLatin1String("<")) return Comparison::Less;
    if (t == QLatin1String("<=") || t == QStringLiteral("≤")) return Comparison::LessEqual;
    if (t == QLatin1String(">")) return Comparison::Greater;
    if (t == QLatin1String(">=") || t == QStringLiteral("≥")) return Comparison::GreaterEqual;
    return std::nullopt;
}

bool isIdentifier(const QString& t)
{
    static const QRegularExpression re(QStringLiteral(R"(^[A-Za-z_][A-Za-z0-9_.]*$)"));
    return re.match(t).hasMatch();
}

ConditionParseResult fail(const QString& error, int column)
{
    ConditionParseResult r;
    r.error = error;
    r.column = column;
    return r;
}

// "2x" → 2.0; "95%" → 0.95. The factor of a relative-to-baseline comparison.
std::optional<double> parseFactor(const QString& t)
{
    static const QRegularExpression re(QStringLiteral(R"(^(\d+(?:\.\d+)?)(x|%)$)"));
    const auto m = re.match(t);
    if (!m.hasMatch()) return std::nullopt;
    const double n = m.captured(1).toDouble();
    return m.captured(2) == QLatin1String("x") ? n : n / 100.0;
}

} // namespace

std::optional<double> ConditionParser::parseQuantity(const QString& literal, Unit unit, QString* error)
{
    static const QRegularExpression re(
        QStringLiteral(R"(^(\$)?([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)([A-Za-z%/]*)$)"));
    const auto m = re.match(literal);
    auto bad = [&](const QString& why) -> std::optional<double> {
        if (error) *error = why;
        return std::nullopt;
    };
    if (!m.hasMatch())
        return bad(
            QStringLiteral("expected a number such as 5%, 2s, 150ms, 80MB or 0.3, got \"%1\"").arg(literal));
    const bool dollars = !m.captured(1).isEmpty();
    const double n = m.captured(2).toDouble();
    const QString suffix = m.captured(3);
    if (!std::isfinite(n)) return bad(QStringLiteral("\"%1\" is not a finite number").arg(literal));
    if (dollars) {
        if (unit != Unit::Usd || !suffix.isEmpty())
            return bad(
                QStringLiteral("\"%1\" is money but the metric is in %2").arg(literal, unitName(unit)));
        return n;
    }
    if (suffix.isEmpty()) return n;
    const QString s = suffix.toLower();
    if (s == QLatin1String("%")) {
        if (unit == Unit::Ratio) return n / 100.0;
        if (unit == Unit::Percent) return n;
        return bad(
            QStringLiteral("\"%1\" is a percentage but the metric is in %2 (use a ratio or percent metric)")
                .arg(literal, unitName(unit)));
    }
    if (s == QLatin1String("ms") || s == QLatin1String("s")) {
        const double seconds = s == QLatin1String("ms") ? n / 1000.0 : n;
        if (unit == Unit::Seconds) return seconds;
        if (unit == Unit::Milliseconds) return seconds * 1000.0;
        return bad(QStringLiteral("\"%1\" is a time but the metric is in %2").arg(literal, unitName(unit)));
    }
    static const QList<std::pair<QString, double>> bytes = {
        {QStringLiteral("b"), 1.0},           {QStringLiteral("kb"), 1e3},
        {QStringLiteral("mb"), 1e6},          {QStringLiteral("gb"), 1e9},
        {QStringLiteral("kib"), 1024.0},      {QStringLiteral("mib"), 1048576.0},
        {QStringLiteral("gib"), 1073741824.0}};
    for (const auto& [name, factor] : bytes) {
        if (s != name) continue;
        if (unit == Unit::Bytes) return n * factor;
        if (unit == Unit::Megabytes) return n * factor / 1e6;
        return bad(QStringLiteral("\"%1\" is a size but the metric is in %2").arg(literal, unitName(unit)));
    }
    if (s == QLatin1String("rps") || s == QLatin1String("/s")) {
        if (unit == Unit::PerSecond) return n;
        return bad(QStringLiteral("\"%1\" is a rate per second but the metric is in %2")
                       .arg(literal, unitName(unit)));
    }
    if (s == QLatin1String("/h") || s == QLatin1String("/hour")) {
        if (unit == Unit::PerHour) return n;
        if (unit == Unit::PerSecond) return n / 3600.0;
        return bad(
            QStringLiteral("\"%1\" is a rate per hour but the metric is in %2").arg(literal, unitName(unit)));
    }
    return bad(
        QStringLiteral("unknown unit \"%1\" in \"%2\" (known: %, ms, s, B, KB, MB, GB, MiB, GiB, rps, /h, $)")
            .arg(suffix, literal));
}

namespace {

bool is(const Token& t, const char* word)
{
    return t.text.compare(QLatin1String(word), Qt::CaseInsensitive) == 0;
}

const QString kWindowHelp =
    QStringLiteral("a window is written \"over\" and a duration, e.g. \"error_rate < 1% over 15m\"");

// "over 15m": the duration after "over" at t[i], or an error that says how to write a window.
std::optional<qint64> windowAt(const QList<Token>& t, int i, int end, ConditionParseResult* failure)
{
    if (i >= t.size()) {
        *failure = fail(QStringLiteral("expected a duration after \"over\"; %1").arg(kWindowHelp), end);
        return std::nullopt;
    }
    QString why;
    const auto ms = Duration::parseMs(t[i].text, &why);
    if (!ms || *ms <= 0) {
        *failure =
            fail(QStringLiteral("\"%1\" is not a duration; %2").arg(t[i].text, kWindowHelp), t[i].column);
        return std::nullopt;
    }
    return ms;
}

} // namespace

ConditionParseResult
ConditionParser::parseImpl(const QString& text,
                           const std::function<std::optional<Unit>(const QString&)>& unitOf)
{
    const QList<Token> t = tokenize(text);
    const int end = int(text.size());
    if (t.isEmpty()) return fail(QStringLiteral("empty condition; expected e.g. \"error_rate > 5%\""), 0);
    if (!isIdentifier(t[0].text))
        return fail(QStringLiteral("expected a metric name at the start, got \"%1\"").arg(t[0].text),
                    t[0].column);

    Condition c;
    c.metric = t[0].text;
    c.text = text.simplified();
    const auto unit = unitOf(c.metric);
    if (!unit) return fail(QStringLiteral("unknown metric \"%1\"").arg(c.metric), t[0].column);
    if (t.size() < 2)
        return fail(QStringLiteral("expected a comparison (<, <=, >, >=), \"between\", \"increase\", "
                                   "\"decrease\" or \"grows\" after \"%1\"")
                        .arg(c.metric),
                    end);

    int i = 1;
    bool scoped = false; // a scope (since …, over …) was given for a total
    ConditionParseResult failure;
    // `total` [since phase | since start | over D]: how much a counter went up.
    if (is(t[i], "total")) {
        c.aggregate = Aggregate::Total;
        ++i;
        if (i < t.size() && is(t[i], "since")) {
            if (i + 1 >= t.size() || !(is(t[i + 1], "phase") || is(t[i + 1], "start")))
                return fail(
                    QStringLiteral("expected \"since phase\" or \"since start\" (the rollout's start)"),
                    i + 1 < t.size() ? t[i + 1].column : end);
            c.scope = is(t[i + 1], "phase") ? TotalScope::Phase : TotalScope::Rollout;
            scoped = true;
            i += 2;
        } else if (i < t.size() && is(t[i], "over")) {
            const auto w = windowAt(t, i + 1, end, &failure);
            if (!w) return failure;
            c.scope = TotalScope::Window;
            c.windowMs = *w;
            scoped = true;
            i += 2;
        }
        if (i >= t.size())
            return fail(
                QStringLiteral("expected a comparison after \"total\", e.g. \"%1 total >= 5\"").arg(c.metric),
                end);
    }

    bool budgetRef = false;
    const QString word = t[i].text.toLower();
    if (word == QLatin1String("between")) {
        // metric between A and B
        if (t.size() < i + 4 || t[i + 2].text.toLower() != QLatin1String("and"))
            return fail(QStringLiteral("expected \"%1 between LOW and HIGH\"").arg(c.metric), t[i].column);
        QString err;
        const auto lo = parseQuantity(t[i + 1].text, *unit, &err);
        if (!lo) return fail(err, t[i + 1].column);
        const auto hi = parseQuantity(t[i + 3].text, *unit, &err);
        if (!hi) return fail(err, t[i + 3].column);
        if (*hi <= *lo)
            return fail(QStringLiteral("the upper bound must be above the lower bound"), t[i + 3].column);
        c.comparison = Comparison::Between;
        c.threshold = *lo;
        c.upper = *hi;
        i += 3;
    } else if (word == QLatin1String("exceeds")) {
        // metric exceeds budget [NAME] by > 20%
        int k = i + 1;
        if (k >= t.size() || !is(t[k], "budget"))
            return fail(QStringLiteral("expected \"%1 exceeds budget by > 20%\"").arg(c.metric),
                        k < t.size() ? t[k].column : end);
        ++k;
        if (k < t.size() && !is(t[k], "by") && isIdentifier(t[k].text)) c.budget = t[k++].text;
        if (k >= t.size() || !is(t[k], "by"))
            return fail(
                QStringLiteral("expected \"by\" and a comparison, e.g. \"%1 exceeds budget by > 20%\"")
                    .arg(c.metric),
                k < t.size() ? t[k].column : end);
        ++k;
        const auto cmp = k < t.size() ? comparisonFrom(t[k].text) : std::nullopt;
        if (!cmp)
            return fail(QStringLiteral("expected a comparison after \"by\", e.g. \"by > 20%\""),
                        k < t.size() ? t[k].column : end);
        static const QRegularExpression pct(QStringLiteral(R"(^(\d+(?:\.\d+)?)%$)"));
        const auto m = k + 1 < t.size() ? pct.match(t[k + 1].text) : QRegularExpressionMatch();
        if (!m.hasMatch())
            return fail(QStringLiteral("expected a percentage such as 20% after the comparison"),
                        k + 1 < t.size() ? t[k + 1].column : end);
        c.comparison = *cmp;
        c.budgetFactor = 1.0 + m.captured(1).toDouble() / 100.0;
        budgetRef = true;
        i = k + 1;
    } else {
        if (word == QLatin1String("increase") || word == QLatin1String("decrease")) {
            c.kind = ConditionKind::ChangeFromBaseline;
            c.decrease = word == QLatin1String("decrease");
            ++i;
        } else if (word == QLatin1String("grows")) {
            c.kind = ConditionKind::RateOfChange;
            ++i;
        }
        if (i >= t.size())
            return fail(QStringLiteral("expected a comparison after \"%1\"").arg(t[i - 1].text), end);
        const auto cmp = comparisonFrom(t[i].text);
        if (!cmp)
            return fail(QStringLiteral("expected a comparison (<, <=, >, >=), got \"%1\"").arg(t[i].text),
                        t[i].column);
        c.comparison = *cmp;
        ++i;
        if (i >= t.size())
            return fail(QStringLiteral("expected a value after \"%1\"").arg(t[i - 1].text), end);
        const Token& value = t[i];
        const int rest = int(t.size()) - i - 1;

        switch (c.kind) {
        case ConditionKind::Absolute: {
            if (is(value, "budget")) { // metric > budget [NAME]
                c.budgetFactor = 1.0;
                budgetRef = true;
                if (rest >= 1 && isIdentifier(t[i + 1].text) && !is(t[i + 1], "over") &&
                    !is(t[i + 1], "since") && !is(t[i + 1], "for"))
                    c.budget = t[++i].text;
                break;
            }
            if (rest >= 1 && (is(t[i + 1], "baseline") || is(t[i + 1], "budget") || is(t[i + 1], "median") ||
                              is(t[i + 1], "mean"))) {
                const auto f = parseFactor(value.text);
                if (!f)
                    return fail(
                        QStringLiteral("expected a factor such as 2x or 95% before \"%1\", got \"%2\"")
                            .arg(t[i + 1].text, value.text),
                        value.column);
                if (is(t[i + 1], "baseline")) {
                    c.kind = ConditionKind::RatioToBaseline;
                    c.threshold = *f;
                    i += 1;
                } else if (is(t[i + 1], "budget")) {
                    c.budgetFactor = *f;
                    budgetRef = true;
                    i += 1;
                    if (i + 1 < t.size() && isIdentifier(t[i + 1].text) && !is(t[i + 1], "over") &&
                        !is(t[i + 1], "since") && !is(t[i + 1], "for"))
                        c.budget = t[++i].text;
                } else { // 3x median over 7d: the metric's own history
                    c.kind = ConditionKind::RatioToHistory;
                    c.historyStat = is(t[i + 1], "median") ? HistoryStat::Median : HistoryStat::Mean;
                    c.threshold = *f;
                    if (i + 2 >= t.size() || !is(t[i + 2], "over"))
                        return fail(QStringLiteral("expected \"over\" and how far back after \"%1\", e.g. "
                                                   "\"%2 > 3x median over 7d\"")
                                        .arg(t[i + 1].text, c.metric),
                                    i + 2 < t.size() ? t[i + 2].column : end);
                    const auto w = windowAt(t, i + 3, end, &failure);
                    if (!w) return failure;
                    c.historyMs = *w;
                    i += 3;
                }
                break;
            }
            if (value.text.endsWith(QLatin1Char('x')))
                return fail(
                    QStringLiteral(
                        "\"%1\" is a factor: write \"%1 baseline\", \"%1 budget\" or \"%1 median over 7d\"")
                        .arg(value.text),
                    value.column);
            QString err;
            const auto q = parseQuantity(value.text, *unit, &err);
            if (!q) return fail(err, value.column);
            c.threshold = *q;
            break;
        }
        case ConditionKind::ChangeFromBaseline: {
            static const QRegularExpression pct(QStringLiteral(R"(^(\d+(?:\.\d+)?)%$)"));
            const auto m = pct.match(value.text);
            if (!m.hasMatch())
                return fail(
                    QStringLiteral("expected a percentage such as 5% after the comparison, got \"%1\"")
                        .arg(value.text),
                    value.column);
            c.threshold = m.captured(1).toDouble() / 100.0;
            break;
        }
        case ConditionKind::RateOfChange: {
            static const QRegularExpression rate(QStringLiteral(R"(^(.+)/(s|m|min|h|hour|d|day)$)"));
            const auto m = rate.match(value.text);
            if (!m.hasMatch())
                return fail(
                    QStringLiteral("expected a rate such as 10%/h or 5MB/h, got \"%1\"").arg(value.text),
                    value.column);
            const QString per = m.captured(2);
            const double perHour = per == QLatin1String("s")                                    ? 3600.0
                                   : (per == QLatin1String("m") || per == QLatin1String("min")) ? 60.0
                                   : (per == QLatin1String("d") || per == QLatin1String("day")) ? 1.0 / 24.0
                                                                                                : 1.0;
            const QString amount = m.captured(1);
            if (amount.endsWith(QLatin1Char('%'))) {
                bool ok = false;
                const double n = amount.chopped(1).toDouble(&ok);
                if (!ok)
                    return fail(QStringLiteral("expected a number before %, got \"%1\"").arg(amount),
                                value.column);
                c.threshold = n / 100.0 * perHour;
                c.relativeRate = true;
            } else {
                QString err;
                const auto q = parseQuantity(amount, *unit, &err);
                if (!q) return fail(err, value.column);
                c.threshold = *q * perHour;
                c.relativeRate = false;
            }
            break;
        }
        case ConditionKind::RatioToBaseline:
        case ConditionKind::RatioToHistory:
            break;
        }
    }

    // The tail: a window (`over 15m`) or a total's scope (`since phase`), nothing else.
    for (++i; i < t.size(); ++i) {
        if (is(t[i], "over")) {
            const auto w = windowAt(t, i + 1, end, &failure);
            if (!w) return failure;
            if (c.kind == ConditionKind::RatioToHistory || c.kind == ConditionKind::RateOfChange)
                return fail(QStringLiteral("a %1 cannot take a window as well")
                                .arg(c.kind == ConditionKind::RateOfChange
                                         ? QStringLiteral("rate of change")
                                         : QStringLiteral("comparison with history")),
                            t[i].column);
            if (scoped || c.aggregate == Aggregate::Window)
                return fail(
                    QStringLiteral(
                        "the condition already says what it covers; one \"over\" or \"since\" is enough"),
                    t[i].column);
            if (c.aggregate == Aggregate::Total)
                c.scope = TotalScope::Window;
            else
                c.aggregate = Aggregate::Window;
            c.windowMs = *w;
            scoped = true;
            ++i;
            continue;
        }
        if (is(t[i], "since")) {
            if (c.aggregate != Aggregate::Total)
                return fail(
                    QStringLiteral("\"since\" belongs to a total, e.g. \"%1 total since phase >= 5\"; %2")
                        .arg(c.metric, kWindowHelp),
                    t[i].column);
            if (scoped)
                return fail(
                    QStringLiteral(
                        "the condition already says what it covers; one \"over\" or \"since\" is enough"),
                    t[i].column);
            if (i + 1 >= t.size() || !(is(t[i + 1], "phase") || is(t[i + 1], "start")))
                return fail(
                    QStringLiteral("expected \"since phase\" or \"since start\" (the rollout's start)"),
                    i + 1 < t.size() ? t[i + 1].column : end);
            c.scope = is(t[i + 1], "phase") ? TotalScope::Phase : TotalScope::Rollout;
            scoped = true;
            ++i;
            continue;
        }
        if (is(t[i], "for"))
            return fail(QStringLiteral("unexpected \"for\" after the condition: \"for\" is a key of the "
                                       "trigger or criterion, not part of its condition"),
                        t[i].column);
        return fail(QStringLiteral("unexpected \"%1\" after the condition").arg(t[i].text), t[i].column);
    }
    ConditionParseResult ok{c, {}, 0};
    ok.budgetRef = budgetRef;
    return ok;
}

QString ConditionParser::unitName(Unit unit)
{
    switch (unit) {
    case Unit::None:
        return QStringLiteral("none");
    case Unit::Ratio:
        return QStringLiteral("ratio");
    case Unit::Percent:
        return QStringLiteral("percent");
    case Unit::Seconds:
        return QStringLiteral("s");
    case Unit::Milliseconds:
        return QStringLiteral("ms");
    case Unit::Bytes:
        return QStringLiteral("bytes");
    case Unit::Megabytes:
        return QStringLiteral("MB");
    case Unit::PerSecond:
        return QStringLiteral("rps");
    case Unit::PerHour:
        return QStringLiteral("per_hour");
    case Unit::Count:
        return QStringLiteral("count");
    case Unit::Usd:
        return QStringLiteral("usd");
    }
    return {};
}

std::optional<Unit> ConditionParser::unitFromName(const QString& name)
{
    for (Unit u : {Unit::None, Unit::Ratio, Unit::Percent, Unit::Seconds, Unit::Milliseconds, Unit::Bytes,
                   Unit::Megabytes, Unit::PerSecond, Unit::PerHour, Unit::Count, Unit::Usd}) {
        if (unitName(u).compare(name, Qt::CaseInsensitive) == 0) return u;
    }
    return std::nullopt;
}

QString ConditionParser::formatValue(double value, Unit unit)
{
    if (!std::isfinite(value)) return QStringLiteral("n/a");
    switch (unit) {
    case Unit::Ratio:
        return QString::number(value * 100.0, 'g', 3) + QLatin1Char('%');
    case Unit::Percent:
        return QString::number(value, 'g', 3) + QLatin1Char('%');
    case Unit::Seconds:
        return value < 1.0 ? QString::number(value * 1000.0, 'g', 3) + QStringLiteral("ms")
                           : QString::number(value, 'g', 3) + QLatin1Char('s');
    case Unit::Milliseconds:
        return QString::number(value, 'g', 4) + QStringLiteral("ms");
    case Unit::Bytes:
        return QString::number(value / 1e6, 'g', 4) + QStringLiteral("MB");
    case Unit::Megabytes:
        return QString::number(value, 'g', 4) + QStringLiteral("MB");
    case Unit::PerSecond:
        return QString::number(value, 'g', 4) + QStringLiteral(" rps");
    case Unit::PerHour:
        return QString::number(value, 'g', 4) + QStringLiteral("/h");
    case Unit::Usd:
        return QLatin1Char('$') + QString::number(value, 'f', 2);
    case Unit::Count:
    case Unit::None:
        return QString::number(value, 'g', 4);
    }
    return QString::number(value);
}

QString ConditionParser::comparisonSymbol(Comparison c)
{
    switch (c) {
    case Comparison::Less:
        return QStringLiteral("<");
    case Comparison::LessEqual:
        return QStringLiteral("<=");
    case Comparison::Greater:
        return QStringLiteral(">");
    case Comparison::GreaterEqual:
        return QStringLiteral(">=");
    case Comparison::Between:
        return QStringLiteral("between");
    }
    return {};
}

} // namespace rollout
