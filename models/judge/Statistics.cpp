#include "judge/Statistics.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <numbers>
#include <utility>

namespace rollout::stats {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::size_t kHodgesLehmannMaxPerSide = 500; // √kHodgesLehmannMaxPairs

// Upper-tail probability 1 − Φ(z) without cancellation (scipy's norm.sf).
double normalSf(double z)
{
    return normalCdf(-z);
}

// Acklam's rational approximation of Φ⁻¹(p) for 0 < p <= 0.5 (relative error < 1.15e-9), refined by one
// Halley step on Φ(x) − p. P. J. Acklam, "An algorithm for computing the inverse normal CDF" (2003).
double lowerQuantile(double p)
{
    static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                                   1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
    static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                   6.680131188771972e+01, -1.328068155288572e+01};
    static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                   -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
    static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                   3.754408661907416e+00};
    double x;
    if (p < 0.02425) {
        const double q = std::sqrt(-2.0 * std::log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    } else {
        const double q = p - 0.5;
        const double r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
    }
    // Halley: x ← x − u/(1 + x·u/2) with u = (Φ(x) − p)/φ(x).
    const double e = normalCdf(x) - p;
    const double phi = std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi);
    if (e != 0.0 && phi > 0.0) {
        const double u = e / phi;
        x -= u / (1.0 + 0.5 * x * u);
    }
    return x;
}

// The samples with NaN and ±inf removed (Kayenta's nanStrategy=remove).
std::vector<double> finiteOnly(const std::vector<double>& v)
{
    std::vector<double> out;
    out.reserve(v.size());
    std::copy_if(v.begin(), v.end(), std::back_inserter(out), [](double d) { return std::isfinite(d); });
    return out;
}

// A sorted sample reduced to m evenly spaced order statistics: index ⌊(2i+1)·n/(2m)⌋ for i = 0..m−1.
std::vector<double> thinSorted(const std::vector<double>& sorted, std::size_t m)
{
    const std::size_t n = sorted.size();
    if (m >= n) return sorted;
    std::vector<double> out(m);
    for (std::size_t i = 0; i < m; ++i)
        out[i] = sorted[(2 * i + 1) * n / (2 * m)];
    return out;
}

// The two-sided normal-mixture boundary of csHalfWidth for V >= 0 (0 at V = 0, its limit); no input checks.
double mixtureBoundary(double variance, double tau2, double alpha)
{
    if (variance <= 0.0) return 0.0;
    const double scale = variance * (1.0 + variance / tau2);
    return std::sqrt(scale * (std::log1p(tau2 / variance) - 2.0 * std::log(alpha)));
}

} // namespace

// Φ(z) = erfc(−z/√2)/2 (Abramowitz & Stegun 26.2.29). Rounding z/√2 alone costs ~2x²·1e-16 relative in the
// far tail (1e-12 at z = −37), so the rounding error r of x = z·(1/√2) is added back to first order:
// erfc(−x − r) ≈ erfc(−x) + r·(2/√π)·exp(−x²).
double normalCdf(double z)
{
    constexpr double kHi = 0.7071067811865476;     // 1/√2 rounded
    constexpr double kLo = -4.833646656726457e-17; // 1/√2 − kHi
    const double x = z * kHi;
    if (!std::isfinite(x)) return 0.5 * std::erfc(-x); // ±inf → 1 or 0, NaN → NaN
    const double r = std::fma(z, kHi, -x) + z * kLo;
    return 0.5 * (std::erfc(-x) + r * std::numbers::inv_sqrtpi * 2.0 * std::exp(-x * x));
}

// Φ⁻¹(p): Acklam + one Halley step. The upper half uses the symmetry Φ⁻¹(p) = −Φ⁻¹(1 − p); 1 − p is exact
// for p in [0.5, 1] (Sterbenz), so no precision is lost there.
double normalQuantile(double p)
{
    if (std::isnan(p)) return std::numeric_limits<double>::quiet_NaN();
    if (p <= 0.0) return -kInf;
    if (p >= 1.0) return kInf;
    return p <= 0.5 ? lowerQuantile(p) : -lowerQuantile(1.0 - p);
}

// Two-sided always-valid CS half-width (Johari, Pekelis & Walsh 2017, mSPRT with N(0, τ²) mixing; the
// same boundary is Howard et al. 2021's two-sided normal mixture with ρ = 1/τ², in units of the estimate):
// B² = V(V+τ²)/τ² · (ln((V+τ²)/V) + 2 ln(1/α)), written with log1p for small τ²/V.
double csHalfWidth(double variance, double tau2, double alpha)
{
    if (!(std::isfinite(variance) && variance > 0.0)) return kInf;
    if (!(std::isfinite(tau2) && tau2 > 0.0)) return kInf;
    if (!(alpha > 0.0 && alpha < 1.0)) return kInf;
    return mixtureBoundary(variance, tau2, alpha);
}

// Fixed-horizon two-sided normal half-width z_{1−α/2}·√V (valid for a single look only).
double fixedHalfWidth(double variance, double alpha)
{
    if (!(std::isfinite(variance) && variance > 0.0)) return kInf;
    if (!(alpha > 0.0 && alpha < 1.0)) return kInf;
    return -normalQuantile(0.5 * alpha) * std::sqrt(variance);
}

// Binomial proportion variance p̃(1 − p̃)/n with p̃ = (x + 0.5)/(n + 1) (a Jeffreys-style pseudo-count, so
// that 0 or n events out of n keeps a positive variance).
double proportionVariance(double events, double trials)
{
    if (!(std::isfinite(trials) && trials > 0.0) || std::isnan(events)) return kInf;
    const double p = std::clamp((events + 0.5) / (trials + 1.0), 0.0, 1.0);
    const double v = p * (1.0 - p) / trials;
    return v > 0.0 ? v : kInf;
}

// Always-valid CS for a binomial proportion, inverting the mSPRT with the variance at each candidate p (as
// Wilson's interval inverts the score test): {p : |x/n − p| <= B(p(1−p)/n)}, B the boundary of csHalfWidth.
// B is increasing and concave in V and V(p) is concave, so the set is an interval; each end is found by
// bisection. A plug-in variance from x itself under-covers for rare events (too narrow while x is ~0).
Interval proportionCs(double events, double trials, double tau2, double alpha, double relTol)
{
    if (!(std::isfinite(trials) && trials > 0.0) || std::isnan(events)) return {};
    if (!(std::isfinite(tau2) && tau2 > 0.0) || !(alpha > 0.0 && alpha < 1.0)) return {};
    const double phat = std::clamp(events / trials, 0.0, 1.0);
    const auto outside = [&](double p) {
        return std::abs(phat - p) > mixtureBoundary(p * (1.0 - p) / trials, tau2, alpha);
    };
    // Bisection between a point outside (or the end of [0,1]) and phat, which is always inside.
    const auto edge = [&](double end) {
        if (!outside(end)) return end;
        double out = end;
        double in = phat;
        const double tol = relTol * std::max(phat, 1e-6);
        for (int i = 0; i < 200 && std::abs(out - in) > tol; ++i) {
            const double mid = 0.5 * (out + in);
            if (mid == out || mid == in) break;
            (outside(mid) ? out : in) = mid;
        }
        return tol > 0.0 ? out : in; // stopped early: the outer point, so the interval errs wide
    };
    return {edge(0.0), edge(1.0)};
}

// Hodges-Lehmann two-sample shift (Hodges & Lehmann 1963): the median of all x_i − y_j (the mean of the two
// middle values for an even count, as numpy.median). Thinned as documented in Statistics.h above 250000
// pairs.
double hodgesLehmannShift(std::vector<double> x, std::vector<double> y)
{
    if (x.empty() || y.empty()) return 0.0;
    if (x.size() * y.size() > kHodgesLehmannMaxPairs) {
        std::sort(x.begin(), x.end());
        std::sort(y.begin(), y.end());
        auto& small = x.size() <= y.size() ? x : y;
        auto& large = x.size() <= y.size() ? y : x;
        const std::size_t ms = std::min(small.size(), kHodgesLehmannMaxPerSide);
        const std::size_t ml = std::min(large.size(), kHodgesLehmannMaxPairs / ms);
        small = thinSorted(small, ms);
        large = thinSorted(large, ml);
    }
    std::vector<double> diffs;
    diffs.reserve(x.size() * y.size());
    for (double xi : x)
        for (double yj : y)
            diffs.push_back(xi - yj);
    const std::size_t half = diffs.size() / 2;
    std::nth_element(diffs.begin(), diffs.begin() + static_cast<std::ptrdiff_t>(half), diffs.end());
    const double upper = diffs[half];
    if (diffs.size() % 2 == 1) return upper;
    const double lower = *std::max_element(diffs.begin(), diffs.begin() + static_cast<std::ptrdiff_t>(half));
    return 0.5 * (lower + upper);
}

// Mann-Whitney U with average ranks for ties and the tie-corrected, continuity-corrected normal
// approximation, as scipy.stats.mannwhitneyu(method='asymptotic', use_continuity=True) and R
// wilcox.test(correct=TRUE). With U2 = n1n2 − U, μ = n1n2/2 and
// σ² = n1n2/12 · ((N+1) − Σ(t³−t)/(N(N−1))):
//   pGreater  = sf((U − μ − ½)/σ),  pLess = sf((U2 − μ − ½)/σ),
//   pTwoSided = min(1, 2·sf((max(U, U2) − μ − ½)/σ)),  z = (U − μ − ½·sign(U − μ))/σ (R's statistic).
MannWhitney mannWhitney(const std::vector<double>& xIn, const std::vector<double>& yIn)
{
    MannWhitney r;
    const std::vector<double> x = finiteOnly(xIn);
    const std::vector<double> y = finiteOnly(yIn);
    r.n1 = x.size();
    r.n2 = y.size();
    if (x.empty() || y.empty()) {
        r.degenerate = true;
        return r;
    }

    // Pool, sort, and walk the tie groups: average rank (i+1 + j)/2 for sorted positions i..j−1.
    std::vector<std::pair<double, bool>> pooled; // (value, from x)
    pooled.reserve(x.size() + y.size());
    for (double v : x)
        pooled.emplace_back(v, true);
    for (double v : y)
        pooled.emplace_back(v, false);
    std::sort(pooled.begin(), pooled.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    double rankSumX = 0.0;
    double tieTerm = 0.0;
    for (std::size_t i = 0; i < pooled.size();) {
        std::size_t j = i + 1;
        while (j < pooled.size() && pooled[j].first == pooled[i].first)
            ++j;
        const double rank = 0.5 * static_cast<double>(i + 1 + j);
        for (std::size_t k = i; k < j; ++k)
            if (pooled[k].second) rankSumX += rank;
        const double t = static_cast<double>(j - i);
        tieTerm += t * t * t - t;
        i = j;
    }

    const double n1 = static_cast<double>(r.n1);
    const double n2 = static_cast<double>(r.n2);
    const double n = n1 + n2;
    r.u = rankSumX - n1 * (n1 + 1.0) / 2.0;
    r.cles = r.u / (n1 * n2);
    r.hodgesLehmann = hodgesLehmannShift(x, y);

    const double mu = n1 * n2 / 2.0;
    const double sigma2 = n1 * n2 / 12.0 * ((n + 1.0) - tieTerm / (n * (n - 1.0)));
    if (pooled.front().first == pooled.back().first || !(sigma2 > 0.0)) {
        r.degenerate = true; // every value identical: no information, p = 1
        return r;
    }
    const double sigma = std::sqrt(sigma2);
    const double u2 = n1 * n2 - r.u;
    const double diff = r.u - mu;
    r.z = (diff - 0.5 * ((diff > 0.0) - (diff < 0.0))) / sigma;
    r.pGreater = normalSf((r.u - mu - 0.5) / sigma);
    r.pLess = normalSf((u2 - mu - 0.5) / sigma);
    r.pTwoSided = std::min(1.0, 2.0 * normalSf((std::max(r.u, u2) - mu - 0.5) / sigma));
    return r;
}

} // namespace rollout::stats
