#pragma once

// Small statistics toolkit for the canary judge: the normal distribution, always-valid confidence
// sequences (mSPRT / normal mixture) and the Mann-Whitney U test. Standard library only.

#include <cstddef>
#include <vector>

namespace rollout::stats {

// Φ(z), the standard normal CDF, from std::erfc (accurate to a few ulps relative, also in the tails).
double normalCdf(double z);

// Φ⁻¹(p) for p in (0,1): Acklam's rational approximation refined by one Halley step (~1e-15 relative).
// p <= 0 → -inf, p >= 1 → +inf, NaN → NaN.
double normalQuantile(double p);

// Half-width B of the two-sided always-valid confidence sequence for an approximately normal estimate
// with variance V (mSPRT with mixing distribution N(0, tau2) on the effect; Johari, Pekelis & Walsh 2017;
// Howard et al. 2021): |θ̂ − θ| <= B at all times simultaneously with probability >= 1 − alpha, where
//   B = sqrt( V·(V+τ²)/τ² · ( ln((V+τ²)/V) + 2·ln(1/α) ) ),
// the solution of Λ = sqrt(V/(V+τ²))·exp(τ²B²/(2V(V+τ²))) = 1/α.
// Any invalid input (variance or tau2 <= 0 or not finite, alpha outside (0,1)) gives +inf, never 0.
double csHalfWidth(double variance, double tau2, double alpha);

// Fixed-horizon two-sided normal half-width z_{1−α/2}·sqrt(V) (valid at one look only), for comparison.
// Invalid input as in csHalfWidth gives +inf.
double fixedHalfWidth(double variance, double alpha);

// Variance of a proportion estimate with a pseudo-count guard (0 events never gives zero variance):
// p̃ = (events + 0.5) / (trials + 1), variance = p̃(1 − p̃) / trials. trials <= 0 or non-finite → +inf.
// As a plug-in for csHalfWidth it under-covers while events are rare; see proportionCs.
double proportionVariance(double events, double trials);

struct Interval
{
    double lower = 0;
    double upper = 1;
};

// Always-valid two-sided CS for a binomial proportion after `events` out of `trials` (Johari et al. 2017's
// mSPRT inverted with the variance at each candidate p, as Wilson's interval inverts the score test):
//   { p : |events/trials − p| <= csHalfWidth(p(1−p)/trials, tau2, alpha) }.
// Prefer it to estimate ± csHalfWidth(proportionVariance(...)) for rare events: that plug-in interval is too
// narrow while few events have been seen (it missed p = 0.01 in 17 % of sequences in tst_statistics, the
// score form in about 1 %). Invalid input (trials <= 0, tau2 <= 0, alpha outside (0,1)) gives [0, 1].
// relTol > 0 stops the bisection once an edge is known to within relTol·max(p̂, 1e-6) (the
// judge uses 1e-6, far below any threshold's precision; 0 bisects to the last bit).
Interval proportionCs(double events, double trials, double tau2, double alpha, double relTol = 0.0);

struct MannWhitney
{
    double u = 0;               // U of x: pairs x_i > y_j, ties 1/2 (R wilcox.test's W, scipy's U1)
    double z = 0;               // normal approx., tie- and continuity-corrected toward 0 (R correct=TRUE)
    double pGreater = 1;        // one-sided p: x stochastically greater than y
    double pLess = 1;           // one-sided p: x stochastically less than y
    double pTwoSided = 1;       // two-sided p
    double hodgesLehmann = 0;   // median of all pairwise differences x_i − y_j (0 when a side is empty)
    double cles = 0.5;          // common-language effect size U/(n1·n2)
    std::size_t n1 = 0, n2 = 0; // sample sizes after removing NaN/inf
    bool degenerate = false;    // an empty side, or every value identical (then p = 1 and z = 0)
};

// Most pairwise differences the Hodges-Lehmann estimate looks at; above this both samples are thinned.
inline constexpr std::size_t kHodgesLehmannMaxPairs = 250000;

// Mann-Whitney U test of x (canary) against y (baseline) with the asymptotic normal approximation, as
// scipy.stats.mannwhitneyu(x, y, use_continuity=True, method='asymptotic') and R wilcox.test(correct=TRUE).
// NaN and ±inf are removed first (Kayenta's nanStrategy=remove). U costs O(N log N). The Hodges-Lehmann
// shift (Hodges & Lehmann 1963) is exact while n1·n2 <= kHodgesLehmannMaxPairs; beyond that it is the
// median over an evenly thinned subset: the smaller sample keeps m_s = min(n_s, 500) points and the larger
// m_l = min(n_l, ⌊250000/m_s⌋); a sorted sample of n thinned to m keeps the evenly spaced order statistics
// with 0-based index ⌊(2i+1)·n/(2m)⌋, i = 0..m−1 (the midpoints of m equal-count strata).
MannWhitney mannWhitney(const std::vector<double>& x, const std::vector<double>& y);

// The Hodges-Lehmann shift estimate alone (same thinning rule); inputs must be free of NaN/inf.
double hodgesLehmannShift(std::vector<double> x, std::vector<double> y);

} // namespace rollout::stats
