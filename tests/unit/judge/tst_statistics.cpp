// rollout::stats (models/judge/Statistics.cpp). Every expected value below was computed by
// tests/unit/judge/reference_statistics.py (mpmath at 50 digits, scipy, numpy), never by the C++ code.
#include "judge/Statistics.h"

#include <QList>
#include <QTest>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

using namespace rollout::stats;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Empty when |actual − expected| <= rel·|expected| (infinities must match exactly), else a message.
QByteArray nearProblem(const char* what, double actual, double expected, double rel)
{
    if (actual == expected) return {};
    if (std::isfinite(expected) && std::abs(actual - expected) <= rel * std::abs(expected)) return {};
    return QByteArray(what) + " = " + QByteArray::number(actual, 'g', 17) + ", expected " +
           QByteArray::number(expected, 'g', 17) + " (relative tolerance " + QByteArray::number(rel, 'g', 3) +
           ")";
}

#define EXPECT_NEAR(actual, expected, rel)                                                                   \
    do {                                                                                                     \
        const QByteArray problem_ = nearProblem(#actual, (actual), (expected), (rel));                       \
        QVERIFY2(problem_.isEmpty(), problem_.constData());                                                  \
    } while (false)

std::vector<double> toVector(const QList<double>& l)
{
    return {l.begin(), l.end()};
}

// The generated samples of reference_statistics.py (gen_a, gen_b), computed with the same double operations.
std::vector<double> genA(int n)
{
    std::vector<double> v;
    for (int i = 0; i < n; ++i)
        v.push_back(static_cast<double>((i * i * 7) % 1009) * 0.001 + 0.2);
    return v;
}

std::vector<double> genB(int n)
{
    std::vector<double> v;
    for (int j = 0; j < n; ++j)
        v.push_back(static_cast<double>((j * 31) % 997) * 0.0013);
    return v;
}

} // namespace

class TestStatistics final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void normalCdf_data()
    {
        QTest::addColumn<double>("z");
        QTest::addColumn<double>("expected");
        // normalCdf: mpmath.ncdf at 50 digits
        QTest::newRow("z=-37.5") << -37.5 << 4.605353009581955e-308;
        QTest::newRow("z=-20.0") << -20.0 << 2.7536241186062337e-89;
        QTest::newRow("z=-10.0") << -10.0 << 7.619853024160525e-24;
        QTest::newRow("z=-8.0") << -8.0 << 6.220960574271784e-16;
        QTest::newRow("z=-5.0") << -5.0 << 2.866515718791939e-07;
        QTest::newRow("z=-3.0") << -3.0 << 0.0013498980316300946;
        QTest::newRow("z=-1.959963984540054") << -1.959963984540054 << 0.025000000000000012;
        QTest::newRow("z=-1.0") << -1.0 << 0.15865525393145705;
        QTest::newRow("z=-0.25") << -0.25 << 0.4012936743170763;
        QTest::newRow("z=0.0") << 0.0 << 0.5;
        QTest::newRow("z=0.25") << 0.25 << 0.5987063256829237;
        QTest::newRow("z=1.0") << 1.0 << 0.8413447460685429;
        QTest::newRow("z=1.959963984540054") << 1.959963984540054 << 0.975;
        QTest::newRow("z=3.0") << 3.0 << 0.9986501019683699;
        QTest::newRow("z=5.0") << 5.0 << 0.9999997133484281;
        QTest::newRow("z=8.0") << 8.0 << 0.9999999999999993;
    }
    void normalCdf()
    {
        QFETCH(double, z);
        QFETCH(double, expected);
        EXPECT_NEAR(rollout::stats::normalCdf(z), expected, 1e-14);
    }

    void normalQuantile_data()
    {
        QTest::addColumn<double>("p");
        QTest::addColumn<double>("expected");
        // normalQuantile: root of log Φ(x) = log p with mpmath at 50 digits (p is the exact double)
        QTest::newRow("p=1e-300") << 1e-300 << -37.0470962993612;
        QTest::newRow("p=1e-100") << 1e-100 << -21.273453560965326;
        QTest::newRow("p=1e-10") << 1e-10 << -6.361340902404057;
        QTest::newRow("p=1e-05") << 1e-05 << -4.264890793922825;
        QTest::newRow("p=0.001") << 0.001 << -3.0902323061678136;
        QTest::newRow("p=0.02") << 0.02 << -2.053748910631823;
        QTest::newRow("p=0.02425") << 0.02425 << -1.972961051311885;
        QTest::newRow("p=0.025") << 0.025 << -1.9599639845400543;
        QTest::newRow("p=0.1") << 0.1 << -1.2815515655446004;
        QTest::newRow("p=0.3") << 0.3 << -0.5244005127080408;
        QTest::newRow("p=0.5") << 0.5 << 0.0;
        QTest::newRow("p=0.7") << 0.7 << 0.5244005127080407;
        QTest::newRow("p=0.9") << 0.9 << 1.2815515655446006;
        QTest::newRow("p=0.975") << 0.975 << 1.9599639845400538;
        QTest::newRow("p=0.999") << 0.999 << 3.090232306167813;
        QTest::newRow("p=0.9999999") << 0.9999999 << 5.199337582290661;
        QTest::newRow("p=0.9999999999") << 0.9999999999 << 6.361340889697422;
    }
    void normalQuantile()
    {
        QFETCH(double, p);
        QFETCH(double, expected);
        EXPECT_NEAR(rollout::stats::normalQuantile(p), expected, 1e-13);
    }

    void normalQuantileOutsideTheUnitInterval()
    {
        QCOMPARE(rollout::stats::normalQuantile(0.0), -kInf);
        QCOMPARE(rollout::stats::normalQuantile(-0.5), -kInf);
        QCOMPARE(rollout::stats::normalQuantile(1.0), kInf);
        QVERIFY(std::isnan(rollout::stats::normalQuantile(kNaN)));
    }

    void normalCdfAtInfinity()
    {
        QCOMPARE(rollout::stats::normalCdf(kInf), 1.0);
        QCOMPARE(rollout::stats::normalCdf(-kInf), 0.0);
        QCOMPARE(rollout::stats::normalCdf(1e300), 1.0);
        QCOMPARE(rollout::stats::normalCdf(-1e300), 0.0);
        QVERIFY(std::isnan(rollout::stats::normalCdf(kNaN)));
    }

    void csHalfWidth_data()
    {
        QTest::addColumn<double>("variance");
        QTest::addColumn<double>("tau2");
        QTest::addColumn<double>("alpha");
        QTest::addColumn<double>("expected");
        // csHalfWidth: closed form at 50 digits, equal to the root of Λ(B) = 1/α
        QTest::newRow("V=1.0 tau2=1.0 alpha=0.05") << 1.0 << 1.0 << 0.05 << 3.6563948713638483;
        QTest::newRow("V=0.0001 tau2=2.5e-05 alpha=0.05") << 0.0001 << 2.5e-05 << 0.05 << 0.05574319733573861;
        QTest::newRow("V=2.5e-07 tau2=2.5e-05 alpha=0.05")
            << 2.5e-07 << 2.5e-05 << 0.05 << 0.0016365093121174664;
        QTest::newRow("V=0.01 tau2=1e-08 alpha=0.01") << 0.01 << 1e-08 << 0.01 << 303.48559409495954;
        QTest::newRow("V=3.7 tau2=0.4 alpha=0.1") << 3.7 << 0.4 << 0.1 << 13.362044682470083;
        QTest::newRow("V=1e-12 tau2=1e-06 alpha=0.001") << 1e-12 << 1e-06 << 0.001 << 5.2565244931370925e-06;
        QTest::newRow("V=0.04 tau2=0.04 alpha=0.5") << 0.04 << 0.04 << 0.5 << 0.4078667960675236;
    }
    void csHalfWidth()
    {
        QFETCH(double, variance);
        QFETCH(double, tau2);
        QFETCH(double, alpha);
        QFETCH(double, expected);
        const double b = rollout::stats::csHalfWidth(variance, tau2, alpha);
        EXPECT_NEAR(b, expected, 1e-13);

        // The definition: at θ̂ − θ0 = B the mSPRT statistic Λ = sqrt(V/(V+τ²))·exp(τ²Δ²/(2V(V+τ²))) is 1/α.
        const double lambda = std::sqrt(variance / (variance + tau2)) *
                              std::exp(tau2 * b * b / (2.0 * variance * (variance + tau2)));
        EXPECT_NEAR(lambda, 1.0 / alpha, 1e-12);
        // Always valid costs width: wider than the single-look interval.
        QVERIFY(b > rollout::stats::fixedHalfWidth(variance, alpha));
    }

    void csHalfWidthNeverZeroOnBadInput_data()
    {
        QTest::addColumn<double>("variance");
        QTest::addColumn<double>("tau2");
        QTest::addColumn<double>("alpha");
        QTest::newRow("variance 0") << 0.0 << 1.0 << 0.05;
        QTest::newRow("variance < 0") << -1.0 << 1.0 << 0.05;
        QTest::newRow("variance inf") << kInf << 1.0 << 0.05;
        QTest::newRow("variance NaN") << kNaN << 1.0 << 0.05;
        QTest::newRow("tau2 0") << 1.0 << 0.0 << 0.05;
        QTest::newRow("tau2 NaN") << 1.0 << kNaN << 0.05;
        QTest::newRow("alpha 0") << 1.0 << 1.0 << 0.0;
        QTest::newRow("alpha 1") << 1.0 << 1.0 << 1.0;
        QTest::newRow("alpha NaN") << 1.0 << 1.0 << kNaN;
    }
    void csHalfWidthNeverZeroOnBadInput()
    {
        QFETCH(double, variance);
        QFETCH(double, tau2);
        QFETCH(double, alpha);
        QCOMPARE(rollout::stats::csHalfWidth(variance, tau2, alpha), kInf);
        if (!std::isnan(tau2) && tau2 > 0.0) QCOMPARE(rollout::stats::fixedHalfWidth(variance, alpha), kInf);
    }

    void fixedHalfWidth_data()
    {
        QTest::addColumn<double>("variance");
        QTest::addColumn<double>("alpha");
        QTest::addColumn<double>("expected");
        // fixedHalfWidth: z_{1-alpha/2}·sqrt(V) at 50 digits
        QTest::newRow("V=1.0 alpha=0.05") << 1.0 << 0.05 << 1.9599639845400543;
        QTest::newRow("V=4e-06 alpha=0.01") << 4e-06 << 0.01 << 0.005151658607097802;
        QTest::newRow("V=2.5 alpha=0.1") << 2.5 << 0.1 << 2.6007419393777877;
        QTest::newRow("V=1e-10 alpha=0.001") << 1e-10 << 0.001 << 3.290526731491895e-05;
    }
    void fixedHalfWidth()
    {
        QFETCH(double, variance);
        QFETCH(double, alpha);
        QFETCH(double, expected);
        EXPECT_NEAR(rollout::stats::fixedHalfWidth(variance, alpha), expected, 1e-13);
    }

    void proportionVariance_data()
    {
        QTest::addColumn<double>("events");
        QTest::addColumn<double>("trials");
        QTest::addColumn<double>("expected");
        // proportionVariance: p~ = (x+1/2)/(n+1), p~(1-p~)/n, exact rational arithmetic
        QTest::newRow("0/100") << 0.0 << 100.0 << 4.925987648269778e-05;
        QTest::newRow("0/1") << 0.0 << 1.0 << 0.1875;
        QTest::newRow("1/1") << 1.0 << 1.0 << 0.1875;
        QTest::newRow("5/100") << 5.0 << 100.0 << 0.0005149004999509852;
        QTest::newRow("100/100") << 100.0 << 100.0 << 4.925987648269778e-05;
        QTest::newRow("3/1000000") << 3.0 << 1000000.0 << 3.499984250028e-12;
        QTest::newRow("2.5/7.0") << 2.5 << 7.0 << 0.033482142857142856;
        QTest::newRow("37/4000") << 37.0 << 4000.0 << 2.321202534907388e-06;
        QTest::newRow("0/0") << 0.0 << 0.0 << kInf;
        QTest::newRow("0/-1") << 0.0 << -1.0 << kInf;
        QTest::newRow("1/NaN") << 1.0 << kNaN << kInf;
        QTest::newRow("1/inf") << 1.0 << kInf << kInf;
    }
    void proportionVariance()
    {
        QFETCH(double, events);
        QFETCH(double, trials);
        QFETCH(double, expected);
        const double v = rollout::stats::proportionVariance(events, trials);
        EXPECT_NEAR(v, expected, 1e-14);
        QVERIFY(v > 0.0);
    }

    void proportionCs_data()
    {
        QTest::addColumn<double>("events");
        QTest::addColumn<double>("trials");
        QTest::addColumn<double>("tau2");
        QTest::addColumn<double>("alpha");
        QTest::addColumn<double>("lower");
        QTest::addColumn<double>("upper");
        // proportionCs: bisection at 50 digits on |x/n - p| = B(p(1-p)/n)
        QTest::newRow("0/50 tau2=2.5e-05 alpha=0.05")
            << 0.0 << 50.0 << 2.5e-05 << 0.05 << 0.0 << 0.898674362395495;
        QTest::newRow("0/300 tau2=2.5e-05 alpha=0.05")
            << 0.0 << 300.0 << 2.5e-05 << 0.05 << 0.0 << 0.39810857222766144;
        QTest::newRow("3/300 tau2=2.5e-05 alpha=0.05")
            << 3.0 << 300.0 << 2.5e-05 << 0.05 << 0.0020076065270378165 << 0.4125795637718642;
        QTest::newRow("20/2000 tau2=2.5e-05 alpha=0.05")
            << 20.0 << 2000.0 << 2.5e-05 << 0.05 << 0.0051423606379228486 << 0.0199309975218785;
        QTest::newRow("500/1000 tau2=2.5e-05 alpha=0.05")
            << 500.0 << 1000.0 << 2.5e-05 << 0.05 << 0.37792645456955043 << 0.6220735454304496;
        QTest::newRow("1000/1000 tau2=2.5e-05 alpha=0.05")
            << 1000.0 << 1000.0 << 2.5e-05 << 0.05 << 0.9899736909356514 << 1.0;
        QTest::newRow("7/100 tau2=0.01 alpha=0.1")
            << 7.0 << 100.0 << 0.01 << 0.1 << 0.02464469622297509 << 0.17502483679781805;
        QTest::newRow("0/1 tau2=0.25 alpha=0.05") << 0.0 << 1.0 << 0.25 << 0.05 << 0.0 << 0.9077805806419993;
        QTest::newRow("130/100000 tau2=1e-06 alpha=0.01")
            << 130.0 << 100000.0 << 1e-06 << 0.01 << 0.0009376029485373809 << 0.0017910904680011467;
        QTest::newRow("no trials") << 0.0 << 0.0 << 2.5e-05 << 0.05 << 0.0 << 1.0;
        QTest::newRow("tau2 0") << 3.0 << 10.0 << 0.0 << 0.05 << 0.0 << 1.0;
        QTest::newRow("alpha 1") << 3.0 << 10.0 << 2.5e-05 << 1.0 << 0.0 << 1.0;
    }
    void proportionCs()
    {
        QFETCH(double, events);
        QFETCH(double, trials);
        QFETCH(double, tau2);
        QFETCH(double, alpha);
        QFETCH(double, lower);
        QFETCH(double, upper);
        const Interval cs = rollout::stats::proportionCs(events, trials, tau2, alpha);
        EXPECT_NEAR(cs.lower, lower, 1e-12);
        EXPECT_NEAR(cs.upper, upper, 1e-12);
        // The definition: an end strictly inside (0, 1) is where |x/n − p| = csHalfWidth(p(1−p)/n).
        for (const double end : {cs.lower, cs.upper}) {
            if (end <= 0.0 || end >= 1.0 || trials <= 0.0 || tau2 <= 0.0 || alpha >= 1.0) continue;
            EXPECT_NEAR(std::abs(events / trials - end),
                        rollout::stats::csHalfWidth(end * (1.0 - end) / trials, tau2, alpha), 1e-9);
        }
    }

    void mannWhitney_data()
    {
        QTest::addColumn<QList<double>>("x");
        QTest::addColumn<QList<double>>("y");
        QTest::addColumn<double>("u");
        QTest::addColumn<double>("z");
        QTest::addColumn<double>("pGreater");
        QTest::addColumn<double>("pLess");
        QTest::addColumn<double>("pTwoSided");
        QTest::addColumn<double>("hodgesLehmann");
        QTest::addColumn<int>("n1");
        QTest::addColumn<int>("n2");
        QTest::addColumn<bool>("degenerate");
        // mannWhitney: scipy.stats.mannwhitneyu(asymptotic, use_continuity=True), R-style z, numpy HL
        QTest::newRow("n=1 vs 1") << QList<double>{1.0} << QList<double>{2.0} << 0.0 << 0.0
                                  << 0.9772498680518208 << 0.5 << 1.0 << -1.0 << 1 << 1 << false;
        QTest::newRow("n=1 vs 2") << QList<double>{3.0} << QList<double>{1.0, 2.0} << 2.0
                                  << 0.6123724356957945 << 0.27014568730370997 << 0.9669037101389033
                                  << 0.5402913746074199 << 1.5 << 1 << 2 << false;
        QTest::newRow("n=2 vs 1") << QList<double>{1.0, 2.0} << QList<double>{3.0} << 0.0
                                  << -0.6123724356957945 << 0.9669037101389033 << 0.27014568730370997
                                  << 0.5402913746074199 << -1.5 << 2 << 1 << false;
        QTest::newRow("n=3 vs 3 separated")
            << QList<double>{4.0, 5.0, 6.0} << QList<double>{1.0, 2.0, 3.0} << 9.0 << 1.7457431218879391
            << 0.04042779918502612 << 0.9854518341293739 << 0.08085559837005224 << 3.0 << 3 << 3 << false;
        QTest::newRow("n=3 vs 3 interleaved")
            << QList<double>{1.0, 3.5, 5.0} << QList<double>{2.0, 3.0, 4.0} << 5.0 << 0.0 << 0.5
            << 0.6687397082299713 << 1.0 << 0.5 << 3 << 3 << false;
        QTest::newRow("U at its mean")
            << QList<double>{1.0, 4.0} << QList<double>{2.0, 3.0} << 2.0 << 0.0 << 0.6507323208483307
            << 0.6507323208483307 << 1.0 << 0.0 << 2 << 2 << false;
        QTest::newRow("many ties") << QList<double>{1.0, 1.0, 2.0, 2.0, 2.0, 3.0}
                                   << QList<double>{1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 3.0} << 12.0
                                   << -1.2950799754675937 << 0.9261134606790908 << 0.09764632097025833
                                   << 0.19529264194051665 << -1.0 << 6 << 7 << false;
        QTest::newRow("ties across, 0/1 data")
            << QList<double>{0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0}
            << QList<double>{0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0} << 83.0 << 1.7403580533459642
            << 0.0408980830930156 << 0.9654455593061074 << 0.0817961661860312 << 0.0 << 12 << 10 << false;
        QTest::newRow("all equal") << QList<double>{5.0, 5.0, 5.0} << QList<double>{5.0, 5.0} << 3.0 << 0.0
                                   << 1.0 << 1.0 << 1.0 << 0.0 << 3 << 2 << true;
        QTest::newRow("empty x") << QList<double>{} << QList<double>{1.0, 2.0} << 0.0 << 0.0 << 1.0 << 1.0
                                 << 1.0 << 0.0 << 0 << 2 << true;
        QTest::newRow("empty y") << QList<double>{1.0, 2.0} << QList<double>{} << 0.0 << 0.0 << 1.0 << 1.0
                                 << 1.0 << 0.0 << 2 << 0 << true;
        QTest::newRow("only NaN in x") << QList<double>{kNaN, kNaN} << QList<double>{1.0, 2.0} << 0.0 << 0.0
                                       << 1.0 << 1.0 << 1.0 << 0.0 << 0 << 2 << true;
        QTest::newRow("unequal sizes 5 vs 20")
            << QList<double>{1.21, 0.99, 1.37, 1.11, 1.52}
            << QList<double>{0.81, 1.12, 0.95, 1.43, 1.07, 0.66, 1.29, 1.01, 0.88, 1.18,
                             0.97, 1.35, 0.74, 1.09, 1.22, 0.92, 1.05, 1.41, 0.69, 1.15}
            << 73.0 << 1.5285739960952043 << 0.06318504329286821 << 0.9448125814890069 << 0.12637008658573642
            << 0.185 << 5 << 20 << false;
        QTest::newRow("NaN and inf removed")
            << QList<double>{1.5, kNaN, 2.5, 0.3, 3.1, -kInf} << QList<double>{0.2, 1.1, kNaN, 0.7, kInf, 1.9}
            << 12.0 << 1.0103629710818451 << 0.156160710838108 << 0.9030345738587946 << 0.312321421676216
            << 1.0 << 4 << 4 << false;
        QTest::newRow("shifted by +0.5")
            << QList<double>{1.31, 1.62, 1.45, 1.93, 1.57, 1.1600000000000001, 1.79, 1.51, 1.38, 1.68,
                             1.47, 1.85, 1.24, 1.59, 1.72}
            << QList<double>{0.81, 1.12, 0.95, 1.43, 1.07, 0.66, 1.29, 1.01, 0.88, 1.18,
                             0.97, 1.35, 0.74, 1.09, 1.22, 0.92, 1.05, 1.41, 0.69, 1.15}
            << 285.0 << 4.483333333333333 << 3.674300100278862e-06 << 0.9999968589661955
            << 7.348600200557724e-06 << 0.5 << 15 << 20 << false;
        QTest::newRow("shifted by -0.3")
            << QList<double>{0.51,
                             0.8200000000000001,
                             0.6499999999999999,
                             1.13,
                             0.77,
                             0.36000000000000004,
                             0.99,
                             0.71,
                             0.5800000000000001,
                             0.8799999999999999,
                             0.6699999999999999,
                             1.05,
                             0.44,
                             0.79,
                             0.9199999999999999,
                             0.6200000000000001,
                             0.75,
                             1.1099999999999999,
                             0.38999999999999996,
                             0.8499999999999999}
            << QList<double>{1.15, 0.69, 1.41, 1.05, 0.92, 1.22, 1.09, 0.74, 1.35, 0.97, 1.18, 0.88} << 40.5
            << -3.0753526745263158 << 0.999078031660337 << 0.0010512688674274703 << 0.0021025377348549406
            << -0.30000000000000004 << 20 << 12 << false;
        QTest::newRow("far apart (tiny p)")
            << QList<double>{10.81, 11.120000000000001,
                             10.95, 11.43,
                             11.07, 10.66,
                             11.29, 11.01,
                             10.88, 11.18,
                             10.97, 11.35,
                             10.74, 11.09,
                             11.22, 10.92,
                             11.05, 11.41,
                             10.69, 11.15}
            << QList<double>{0.81, 1.12, 0.95, 1.43, 1.07, 0.66, 1.29, 1.01, 0.88, 1.18,
                             0.97, 1.35, 0.74, 1.09, 1.22, 0.92, 1.05, 1.41, 0.69, 1.15}
            << 400.0 << 5.3964927634845825 << 3.397807564086679e-08 << 0.9999999707854003
            << 6.795615128173358e-08 << 10.0 << 20 << 20 << false;
    }
    void mannWhitney()
    {
        QFETCH(QList<double>, x);
        QFETCH(QList<double>, y);
        QFETCH(double, u);
        QFETCH(double, z);
        QFETCH(double, pGreater);
        QFETCH(double, pLess);
        QFETCH(double, pTwoSided);
        QFETCH(double, hodgesLehmann);
        QFETCH(int, n1);
        QFETCH(int, n2);
        QFETCH(bool, degenerate);
        const MannWhitney r = rollout::stats::mannWhitney(toVector(x), toVector(y));
        QCOMPARE(r.n1, static_cast<std::size_t>(n1));
        QCOMPARE(r.n2, static_cast<std::size_t>(n2));
        QCOMPARE(r.degenerate, degenerate);
        QVERIFY(r.u == u);
        EXPECT_NEAR(r.z, z, 1e-12);
        EXPECT_NEAR(r.pGreater, pGreater, 1e-12);
        EXPECT_NEAR(r.pLess, pLess, 1e-12);
        EXPECT_NEAR(r.pTwoSided, pTwoSided, 1e-12);
        EXPECT_NEAR(r.hodgesLehmann, hodgesLehmann, 1e-12);
        EXPECT_NEAR(r.cles, n1 > 0 && n2 > 0 ? u / (n1 * n2) : 0.5, 1e-15);
    }

    // Above 250000 pairs the Hodges-Lehmann estimate uses the documented thinning (the script implements the
    // same rule in Python; the exact median of all pairs is noted beside each row).
    void mannWhitneyLarge_data()
    {
        QTest::addColumn<bool>("swap");
        QTest::addColumn<int>("n1");
        QTest::addColumn<int>("n2");
        QTest::addColumn<double>("u");
        QTest::addColumn<double>("z");
        QTest::addColumn<double>("pGreater");
        QTest::addColumn<double>("pLess");
        QTest::addColumn<double>("pTwoSided");
        QTest::addColumn<double>("hodgesLehmann");
        // mannWhitney on generated samples above 250000 pairs: Hodges-Lehmann on the thinned subset
        QTest::newRow("A2000 vs B300") << false << 2000 << 300 << 334463.0 << 3.212950244390413
                                       << 0.0006568952356692997 << 0.9993433179610781 << 0.0013137904713385995
                                       << 0.07519999999999999; // exact HL 0.07510000000000017
        QTest::newRow("B300 vs A2000") << true << 300 << 2000 << 265537.0 << -3.212950244390413
                                       << 0.9993433179610781 << 0.0006568952356692997 << 0.0013137904713385995
                                       << -0.07519999999999999; // exact HL -0.07510000000000017
        QTest::newRow("A600 vs B500") << false << 600 << 500 << 166142.0 << 3.0766658524198807
                                      << 0.001046649069655797 << 0.9989540199378864 << 0.002093298139311594
                                      << 0.06999999999999995; // exact HL 0.06980000000000008
    }
    void mannWhitneyLarge()
    {
        QFETCH(bool, swap);
        QFETCH(int, n1);
        QFETCH(int, n2);
        QFETCH(double, u);
        QFETCH(double, z);
        QFETCH(double, pGreater);
        QFETCH(double, pLess);
        QFETCH(double, pTwoSided);
        QFETCH(double, hodgesLehmann);
        const auto x = swap ? genB(n1) : genA(n1);
        const auto y = swap ? genA(n2) : genB(n2);
        const MannWhitney r = rollout::stats::mannWhitney(x, y);
        QVERIFY(!r.degenerate);
        QVERIFY(r.u == u);
        EXPECT_NEAR(r.z, z, 1e-12);
        EXPECT_NEAR(r.pGreater, pGreater, 1e-10);
        EXPECT_NEAR(r.pLess, pLess, 1e-10);
        EXPECT_NEAR(r.pTwoSided, pTwoSided, 1e-10);
        EXPECT_NEAR(r.hodgesLehmann, hodgesLehmann, 1e-12);
    }

    // Coverage of the always-valid CS for a proportion, looked at after every draw: 2000 sequences of 2000
    // Bernoulli(0.01) draws, from n = 50 on, τ² = 0.005², α = 0.05. The true p may leave the CS in at most α
    // of the sequences. The CS is proportionCs (the variance at the candidate p; for the true p that is
    // p(1−p)/n), checked directly as |x/n − p| <= csHalfWidth(p(1−p)/n) to keep this fast. Two other
    // intervals are peeked at the same way for comparison: estimate ± csHalfWidth(proportionVariance(x, n)),
    // which under-covers while events are rare (printed, about 17 %), and the single-look z interval, which
    // must fail far more often than α (so the simulation can see a miss at all).
    void csCoverageOfAProportion()
    {
        constexpr double p = 0.01;
        constexpr double tau2 = 0.005 * 0.005;
        constexpr double alpha = 0.05;
        constexpr int sequences = 2000;
        constexpr int draws = 2000;
        constexpr int firstLook = 50;
        // P(rng() < threshold) = p to within 2^-64, independent of the standard library's distributions.
        const auto threshold = static_cast<std::uint64_t>(p * 18446744073709551616.0);
        std::mt19937_64 rng(20240611);
        int csMisses = 0;
        int plugInMisses = 0;
        int fixedMisses = 0;
        for (int s = 0; s < sequences; ++s) {
            double events = 0;
            bool csMissed = false;
            bool plugInMissed = false;
            bool fixedMissed = false;
            for (int n = 1; n <= draws; ++n) {
                if (rng() < threshold) events += 1;
                if (n < firstLook) continue;
                const double trials = n;
                const double error = std::abs(events / trials - p);
                const double plugIn = rollout::stats::proportionVariance(events, trials);
                csMissed =
                    csMissed || error > rollout::stats::csHalfWidth(p * (1.0 - p) / trials, tau2, alpha);
                plugInMissed = plugInMissed || error > rollout::stats::csHalfWidth(plugIn, tau2, alpha);
                fixedMissed = fixedMissed || error > rollout::stats::fixedHalfWidth(plugIn, alpha);
            }
            csMisses += csMissed;
            plugInMisses += plugInMissed;
            fixedMisses += fixedMissed;
        }
        const double csRate = static_cast<double>(csMisses) / sequences;
        const double plugInRate = static_cast<double>(plugInMisses) / sequences;
        const double fixedRate = static_cast<double>(fixedMisses) / sequences;
        qInfo(
            "sequences where p left the interval: proportionCs %.4f, plug-in CS %.4f, peeked z interval %.4f",
            csRate, plugInRate, fixedRate);
        QVERIFY(csRate <= alpha);
        QVERIFY(fixedRate > alpha);
    }
};

QTEST_APPLESS_MAIN(TestStatistics)
#include "tst_statistics.moc"
