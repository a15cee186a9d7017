// The condition grammar and durations: every form into its typed shape, bad text into an error
// with the column where it went wrong. Nothing is ever evaluated as code.
#include "plan/Condition.h"
#include "plan/Duration.h"

#include <QTest>

using namespace rollout;

namespace {

std::optional<Unit> unitOf(const QString& metric)
{
    if (metric == QLatin1String("error_rate")) return Unit::Ratio;
    if (metric == QLatin1String("p95") || metric == QLatin1String("p99")) return Unit::Seconds;
    if (metric == QLatin1String("latency_ms")) return Unit::Milliseconds;
    if (metric == QLatin1String("memory")) return Unit::Megabytes;
    if (metric == QLatin1String("savings")) return Unit::Percent;
    if (metric == QLatin1String("cost")) return Unit::Usd;
    if (metric == QLatin1String("rps")) return Unit::PerSecond;
    if (metric == QLatin1String("flows")) return Unit::Count;
    if (metric == QLatin1String("complaints")) return Unit::PerHour;
    return std::nullopt;
}

} // namespace

class TestCondition final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void forms_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("kind");
        QTest::addColumn<int>("comparison");
        QTest::addColumn<double>("threshold");
        const int A = int(ConditionKind::Absolute), R = int(ConditionKind::RatioToBaseline),
                  C = int(ConditionKind::ChangeFromBaseline), G = int(ConditionKind::RateOfChange);
        const int LT = int(Comparison::Less), LE = int(Comparison::LessEqual), GT = int(Comparison::Greater),
                  GE = int(Comparison::GreaterEqual);
        QTest::newRow("percent on a ratio") << QStringLiteral("error_rate > 5%") << A << GT << 0.05;
        QTest::newRow("no spaces") << QStringLiteral("error_rate>5%") << A << GT << 0.05;
        QTest::newRow("plain ratio") << QStringLiteral("error_rate < 0.002") << A << LT << 0.002;
        QTest::newRow("seconds") << QStringLiteral("p95 < 2s") << A << LT << 2.0;
        QTest::newRow("ms on seconds") << QStringLiteral("p95 <= 150ms") << A << LE << 0.15;
        QTest::newRow("s on ms") << QStringLiteral("latency_ms > 1.5s") << A << GT << 1500.0;
        QTest::newRow("megabytes") << QStringLiteral("memory > 80MB") << A << GT << 80.0;
        QTest::newRow("percent on percent") << QStringLiteral("savings > 40%") << A << GT << 40.0;
        QTest::newRow("money") << QStringLiteral("cost > $10") << A << GT << 10.0;
        QTest::newRow("unicode >=") << QStringLiteral("rps ≥ 100") << A << GE << 100.0;
        QTest::newRow("factor of baseline") << QStringLiteral("p99 > 2x baseline") << R << GT << 2.0;
        QTest::newRow("percent of baseline") << QStringLiteral("rps < 95% baseline") << R << LT << 0.95;
        QTest::newRow("increase") << QStringLiteral("p95 increase < 5%") << C << LT << 0.05;
        QTest::newRow("decrease") << QStringLiteral("p95 decrease >= 10%") << C << GE << 0.10;
        QTest::newRow("growth per hour") << QStringLiteral("memory grows > 10%/h") << G << GT << 0.10;
        QTest::newRow("growth per day") << QStringLiteral("memory grows > 24%/d") << G << GT << 0.01;
        QTest::newRow("absolute growth") << QStringLiteral("memory grows > 5MB/h") << G << GT << 5.0;
    }

    void forms()
    {
        QFETCH(QString, text);
        QFETCH(int, kind);
        QFETCH(int, comparison);
        QFETCH(double, threshold);
        const ConditionParseResult r = ConditionParser::parse(text, unitOf);
        QVERIFY2(r.condition, qPrintable(r.error));
        QCOMPARE(int(r.condition->kind), kind);
        QCOMPARE(int(r.condition->comparison), comparison);
        QVERIFY(qFuzzyCompare(r.condition->threshold, threshold));
    }

    void between()
    {
        const ConditionParseResult r =
            ConditionParser::parse(QStringLiteral("error_rate between 0.2% and 0.5%"), unitOf);
        QVERIFY(r.condition);
        QVERIFY(r.condition->compare(0.003));
        QVERIFY(!r.condition->compare(0.005));
        QVERIFY(!r.condition->compare(0.001));
    }

    void errors_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("column");
        QTest::addColumn<QString>("message");
        QTest::newRow("empty") << QString() << 0 << QStringLiteral("empty condition");
        QTest::newRow("unknown metric")
            << QStringLiteral("errs > 5%") << 0 << QStringLiteral("unknown metric \"errs\"");
        QTest::newRow("no comparison")
            << QStringLiteral("error_rate 5%") << 11 << QStringLiteral("expected a comparison");
        QTest::newRow("no value") << QStringLiteral("error_rate >") << 12
                                  << QStringLiteral("expected a value");
        QTest::newRow("bad unit") << QStringLiteral("p95 > 5 parsecs") << 8
                                  << QStringLiteral("unexpected \"parsecs\"");
        QTest::newRow("unknown suffix")
            << QStringLiteral("p95 > 5h") << 6 << QStringLiteral("unknown unit \"h\"");
        QTest::newRow("percent on time")
            << QStringLiteral("p95 > 5%") << 6 << QStringLiteral("is a percentage");
        QTest::newRow("factor without baseline")
            << QStringLiteral("p99 > 2x") << 6 << QStringLiteral("is a factor");
        QTest::newRow("trailing words")
            << QStringLiteral("p95 < 2s please") << 9 << QStringLiteral("unexpected \"please\"");
        QTest::newRow("rate without per")
            << QStringLiteral("memory grows > 10%") << 15 << QStringLiteral("expected a rate");
        QTest::newRow("increase without percent")
            << QStringLiteral("p95 increase < 5s") << 15 << QStringLiteral("expected a percentage");
        QTest::newRow("code is not a condition")
            << QStringLiteral("system('rm -rf /')") << 0 << QStringLiteral("expected a metric name");
        QTest::newRow("money on ratio")
            << QStringLiteral("error_rate > $5") << 13 << QStringLiteral("is money");
    }

    void errors()
    {
        QFETCH(QString, text);
        QFETCH(int, column);
        QFETCH(QString, message);
        const ConditionParseResult r = ConditionParser::parse(text, unitOf);
        QVERIFY(!r.condition);
        QVERIFY2(r.error.contains(message), qPrintable(r.error));
        QCOMPARE(r.column, column);
    }

    void windowsTotalsHistoryBudgets()
    {
        auto parse = [](const char* text) {
            const ConditionParseResult r = ConditionParser::parse(QString::fromUtf8(text), unitOf);
            if (!r.condition) qWarning("%s: %s", text, qPrintable(r.error));
            return r;
        };
        ConditionParseResult r = parse("error_rate < 1% over 15m");
        QVERIFY(r.condition);
        QCOMPARE(int(r.condition->aggregate), int(Aggregate::Window));
        QCOMPARE(r.condition->windowMs, qint64(15 * 60'000));
        QCOMPARE(r.condition->threshold, 0.01);
        QVERIFY(r.condition->usesHistory());
        r = parse("error_rate between 0.2% and 0.5% over 10m");
        QVERIFY(r.condition);
        QCOMPARE(int(r.condition->comparison), int(Comparison::Between));
        QCOMPARE(r.condition->windowMs, qint64(10 * 60'000));
        r = parse("p95 increase < 10% over 48h");
        QVERIFY(r.condition);
        QCOMPARE(int(r.condition->kind), int(ConditionKind::ChangeFromBaseline));
        QCOMPARE(r.condition->windowMs, qint64(48) * 3600'000);
        r = parse("complaints > 3x median over 7d");
        QVERIFY(r.condition);
        QCOMPARE(int(r.condition->kind), int(ConditionKind::RatioToHistory));
        QCOMPARE(int(r.condition->historyStat), int(HistoryStat::Median));
        QCOMPARE(r.condition->threshold, 3.0);
        QCOMPARE(r.condition->historyMs, qint64(7) * 24 * 3600'000);
        QCOMPARE(int(r.condition->aggregate), int(Aggregate::Latest));
        r = parse("complaints >= 150% mean over 1d");
        QVERIFY(r.condition);
        QCOMPARE(int(r.condition->historyStat), int(HistoryStat::Mean));
        QCOMPARE(r.condition->threshold, 1.5);
        // Totals: since the phase (the default), since the rollout started, over a window; the
        // scope before or after the comparison.
        for (const char* text :
             {"flows total >= 5", "flows total since phase >= 5", "flows total >= 5 since phase"}) {
            r = parse(text);
            QVERIFY(r.condition);
            QCOMPARE(int(r.condition->aggregate), int(Aggregate::Total));
            QCOMPARE(int(r.condition->scope), int(TotalScope::Phase));
            QCOMPARE(r.condition->threshold, 5.0);
        }
        r = parse("flows total since start > 100");
        QVERIFY(r.condition);
        QCOMPARE(int(r.condition->scope), int(TotalScope::Rollout));
        r = parse("flows total over 1h < 2");
        QVERIFY(r.condition);
        QCOMPARE(int(r.condition->scope), int(TotalScope::Window));
        QCOMPARE(r.condition->windowMs, qint64(3600'000));
        // Budgets: the loader resolves the amount; the parser keeps the factor and the name.
        r = parse("cost exceeds budget by > 20%");
        QVERIFY(r.condition && r.budgetRef);
        QVERIFY(qFuzzyCompare(r.condition->budgetFactor, 1.2));
        QCOMPARE(int(r.condition->comparison), int(Comparison::Greater));
        r = parse("cost > 1.2x budget compute");
        QVERIFY(r.condition && r.budgetRef);
        QCOMPARE(r.condition->budget, QStringLiteral("compute"));
        QVERIFY(qFuzzyCompare(r.condition->budgetFactor, 1.2));
        r = parse("cost <= budget");
        QVERIFY(r.condition && r.budgetRef);
        QCOMPARE(r.condition->budgetFactor, 1.0);
        r = parse("cost > 2x budget llm over 1h");
        QVERIFY(r.condition && r.budgetRef);
        QCOMPARE(r.condition->budget, QStringLiteral("llm"));
        QCOMPARE(r.condition->windowMs, qint64(3600'000));
        // The plain forms are untouched.
        r = parse("error_rate > 5%");
        QVERIFY(r.condition && !r.condition->usesHistory() && !r.budgetRef);
    }

    void teachingErrors_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("column");
        QTest::addColumn<QString>("message");
        QTest::newRow("for in a condition") << QStringLiteral("error_rate < 1% for 5m") << 16
                                            << QStringLiteral("\"for\" is a key of the trigger or criterion");
        QTest::newRow("window without a duration")
            << QStringLiteral("error_rate > 5% over") << 20
            << QStringLiteral("a window is written \"over\" and a duration");
        QTest::newRow("window in words")
            << QStringLiteral("error_rate > 5% over fifteen minutes") << 21
            << QStringLiteral("\"fifteen\" is not a duration; a window is written \"over\" and a duration, "
                              "e.g. \"error_rate < 1% over 15m\"");
        QTest::newRow("two windows") << QStringLiteral("error_rate > 5% over 5m over 10m") << 24
                                     << QStringLiteral("one \"over\" or \"since\" is enough");
        QTest::newRow("since without total") << QStringLiteral("error_rate > 5% since phase") << 16
                                             << QStringLiteral("\"since\" belongs to a total");
        QTest::newRow("since what") << QStringLiteral("flows total since lunch >= 5") << 18
                                    << QStringLiteral("expected \"since phase\" or \"since start\"");
        QTest::newRow("median without span") << QStringLiteral("complaints > 3x median") << 22
                                             << QStringLiteral("expected \"over\" and how far back");
        QTest::newRow("history with a window") << QStringLiteral("complaints > 3x median over 7d over 1h")
                                               << 31 << QStringLiteral("cannot take a window");
        QTest::newRow("exceeds without by")
            << QStringLiteral("cost exceeds budget 20%") << 20 << QStringLiteral("expected \"by\"");
        QTest::newRow("bare factor") << QStringLiteral("complaints > 3x") << 13
                                     << QStringLiteral("\"3x median over 7d\"");
    }

    void teachingErrors()
    {
        QFETCH(QString, text);
        QFETCH(int, column);
        QFETCH(QString, message);
        const ConditionParseResult r = ConditionParser::parse(text, unitOf);
        QVERIFY(!r.condition);
        QVERIFY2(r.error.contains(message), qPrintable(r.error));
        QCOMPARE(r.column, column);
    }

    void durations_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("ms");
        QTest::newRow("seconds") << QStringLiteral("30s") << qint64(30'000);
        QTest::newRow("minutes") << QStringLiteral("5m") << qint64(300'000);
        QTest::newRow("hours") << QStringLiteral("24h") << qint64(86'400'000);
        QTest::newRow("days") << QStringLiteral("7d") << qint64(604'800'000);
        QTest::newRow("week") << QStringLiteral("1w") << qint64(604'800'000);
        QTest::newRow("compound") << QStringLiteral("1h30m") << qint64(5'400'000);
        QTest::newRow("millis") << QStringLiteral("500ms") << qint64(500);
        QTest::newRow("zero") << QStringLiteral("0") << qint64(0);
        QTest::newRow("words") << QStringLiteral("five minutes") << qint64(-1);
        QTest::newRow("no unit") << QStringLiteral("5") << qint64(-1);
        QTest::newRow("space inside") << QStringLiteral("5 m") << qint64(-1);
        QTest::newRow("empty") << QString() << qint64(-1);
    }

    void durations()
    {
        QFETCH(QString, text);
        QFETCH(qint64, ms);
        QString why;
        const auto d = Duration::parseMs(text, &why);
        if (ms < 0) {
            QVERIFY(!d);
            QVERIFY(why.contains(QStringLiteral("expected a duration")));
        } else {
            QVERIFY2(d, qPrintable(why));
            QCOMPARE(*d, ms);
        }
    }

    void durationFormat()
    {
        QCOMPARE(Duration::format(0), QStringLiteral("0s"));
        QCOMPARE(Duration::format(90'000), QStringLiteral("1m30s"));
        QCOMPARE(Duration::format(86'400'000), QStringLiteral("24h"));
        QCOMPARE(Duration::format(28LL * 86'400'000), QStringLiteral("28d"));
    }
};

QTEST_GUILESS_MAIN(TestCondition)
#include "tst_condition.moc"
