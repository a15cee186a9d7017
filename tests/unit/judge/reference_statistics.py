#!/usr/bin/python3
"""Reference values for tests/unit/judge/tst_statistics.cpp, computed independently of the C++ code.

Run with Debian's Python (it has scipy and mpmath):
    apt-get install -y python3-scipy python3-mpmath
    /usr/bin/python3 tests/unit/judge/reference_statistics.py

Prints the QTest::newRow(...) lines that are pasted into the test's _data() tables.
  - normal CDF / quantile: mpmath at 50 digits (the quantile by root finding on log Φ).
  - csHalfWidth: the closed form at 50 digits, checked against a root of the mSPRT statistic
    Λ(Δ) = sqrt(V/(V+τ²))·exp(τ²Δ²/(2V(V+τ²))) = 1/α (Johari, Pekelis & Walsh 2017), so a wrong
    closed form would stop this script.
  - Mann-Whitney: scipy.stats.mannwhitneyu(method='asymptotic', use_continuity=True) for the p-values and U,
    R's formula for z (tie-corrected, continuity-corrected toward 0), numpy.median of the pairwise
    differences for Hodges-Lehmann.
"""
import math

import mpmath as mp
import numpy as np
import scipy
import scipy.stats as st

mp.mp.dps = 50


def lit(v):
    """A C++ double literal that round-trips."""
    if isinstance(v, float) and math.isnan(v):
        return "kNaN"
    if isinstance(v, float) and math.isinf(v):
        return "kInf" if v > 0 else "-kInf"
    return repr(float(v))


def vec(values):
    return "QList<double>{" + ", ".join(lit(v) for v in values) + "}"


# ---------------------------------------------------------------- normal distribution
def normal_cdf_rows():
    zs = [-37.5, -20.0, -10.0, -8.0, -5.0, -3.0, -1.959963984540054, -1.0, -0.25, 0.0, 0.25, 1.0,
          1.959963984540054, 3.0, 5.0, 8.0]
    print("// normalCdf: mpmath.ncdf at 50 digits")
    for z in zs:
        ref = mp.ncdf(mp.mpf(z))
        print(f'QTest::newRow("z={z!r}") << {lit(z)} << {lit(float(ref))};')


def exact_quantile(p):
    p = mp.mpf(p)  # the exact double
    if p > 0.5:
        return -exact_quantile(1 - p)
    x0 = mp.mpf(st.norm.ppf(float(p)))
    return mp.findroot(lambda x: mp.log(mp.ncdf(x)) - mp.log(p), x0)


def normal_quantile_rows():
    ps = [1e-300, 1e-100, 1e-10, 1e-5, 0.001, 0.02, 0.02425, 0.025, 0.1, 0.3, 0.5, 0.7, 0.9, 0.975, 0.999,
          0.9999999, 0.9999999999]
    print("// normalQuantile: root of log Φ(x) = log p with mpmath at 50 digits (p is the exact double)")
    for p in ps:
        ref = exact_quantile(p)
        assert abs(mp.ncdf(ref) - mp.mpf(p)) <= mp.mpf(p) * mp.mpf(10) ** -40 or p > 0.5
        print(f'QTest::newRow("p={p!r}") << {lit(p)} << {lit(float(ref))};')


# ---------------------------------------------------------------- confidence sequences
def cs_closed_form(V, tau2, alpha):
    V, tau2, alpha = mp.mpf(V), mp.mpf(tau2), mp.mpf(alpha)
    return mp.sqrt(V * (V + tau2) / tau2 * (mp.log((V + tau2) / V) + 2 * mp.log(1 / alpha)))


def msprt_lambda(delta, V, tau2):
    V, tau2 = mp.mpf(V), mp.mpf(tau2)
    return mp.sqrt(V / (V + tau2)) * mp.exp(tau2 * delta**2 / (2 * V * (V + tau2)))


def cs_rows():
    cases = [(1.0, 1.0, 0.05), (1e-4, 2.5e-5, 0.05), (2.5e-7, 2.5e-5, 0.05), (1e-2, 1e-8, 0.01),
             (3.7, 0.4, 0.1), (1e-12, 1e-6, 0.001), (0.04, 0.04, 0.5)]
    print("// csHalfWidth: closed form at 50 digits, equal to the root of Λ(B) = 1/α")
    for V, tau2, alpha in cases:
        closed = cs_closed_form(V, tau2, alpha)
        # Solve Λ(Δ) = 1/α in log form, starting from the closed form scaled off by 20 %.
        root = mp.findroot(lambda d: mp.log(msprt_lambda(d, V, tau2)) + mp.log(mp.mpf(alpha)), closed * 1.2)
        assert abs(root - closed) <= closed * mp.mpf(10) ** -30, (V, tau2, alpha, root, closed)
        # Wider than the fixed-horizon interval, as it must be.
        assert closed > -st.norm.ppf(alpha / 2) * math.sqrt(V)
        print(f'QTest::newRow("V={V!r} tau2={tau2!r} alpha={alpha!r}") << {lit(V)} << {lit(tau2)} << {lit(alpha)}'
              f' << {lit(float(closed))};')
    print("// fixedHalfWidth: z_{1-alpha/2}·sqrt(V) at 50 digits")
    for V, alpha in [(1.0, 0.05), (4e-6, 0.01), (2.5, 0.1), (1e-10, 0.001)]:
        ref = -exact_quantile(alpha / 2) * mp.sqrt(mp.mpf(V))
        print(f'QTest::newRow("V={V!r} alpha={alpha!r}") << {lit(V)} << {lit(alpha)} << {lit(float(ref))};')


def proportion_rows():
    print("// proportionVariance: p~ = (x+1/2)/(n+1), p~(1-p~)/n, exact rational arithmetic")
    from fractions import Fraction as F
    for x, n in [(0, 100), (0, 1), (1, 1), (5, 100), (100, 100), (3, 1000000), (2.5, 7.0), (37, 4000)]:
        p = (F(x) + F(1, 2)) / (F(n) + 1)
        ref = p * (1 - p) / F(n)
        print(f'QTest::newRow("{x}/{n}") << {lit(float(x))} << {lit(float(n))} << {lit(float(ref))};')


def proportion_cs(events, trials, tau2, alpha):
    """{p : |x/n - p| <= B(p(1-p)/n)} at 50 digits: bisection on each side of x/n, after checking on a grid
    that the set is an interval (a single crossing on each side)."""
    phat = mp.mpf(events) / trials

    def outside(p):
        v = p * (1 - p) / trials
        b = cs_closed_form(v, tau2, alpha) if v > 0 else mp.mpf(0)
        return abs(phat - p) > b

    grid = [mp.mpf(i) / 4000 for i in range(4001)]
    flags = [outside(p) for p in grid]
    inside = [i for i, f in enumerate(flags) if not f]
    if inside:
        assert inside == list(range(inside[0], inside[-1] + 1)), "not an interval"

    def edge(end):
        if not outside(mp.mpf(end)):
            return mp.mpf(end)
        out, inn = mp.mpf(end), phat
        for _ in range(200):
            mid = (out + inn) / 2
            if outside(mid):
                out = mid
            else:
                inn = mid
        return inn

    return edge(0), edge(1)


def proportion_cs_rows():
    print("// proportionCs: bisection at 50 digits on |x/n - p| = B(p(1-p)/n)")
    for x, n, tau2, alpha in [(0, 50, 2.5e-5, 0.05), (0, 300, 2.5e-5, 0.05), (3, 300, 2.5e-5, 0.05),
                              (20, 2000, 2.5e-5, 0.05), (500, 1000, 2.5e-5, 0.05), (1000, 1000, 2.5e-5, 0.05),
                              (7, 100, 0.01, 0.1), (0, 1, 0.25, 0.05), (130, 100000, 1e-6, 0.01)]:
        lo, hi = proportion_cs(x, n, tau2, alpha)
        print(f'QTest::newRow("{x}/{n} tau2={tau2!r} alpha={alpha!r}") << {lit(float(x))} << {lit(float(n))}'
              f' << {lit(tau2)} << {lit(alpha)} << {lit(float(lo))} << {lit(float(hi))};')


# ---------------------------------------------------------------- Mann-Whitney
def r_style_z(x, y):
    """R wilcox.test(correct=TRUE) statistic, from scipy's ranks, in mpmath."""
    n1, n2 = len(x), len(y)
    ranks = st.rankdata(np.concatenate([x, y]))
    u = mp.fsum(ranks[:n1]) - mp.mpf(n1) * (n1 + 1) / 2
    _, t = np.unique(ranks, return_counts=True)
    ties = mp.fsum(mp.mpf(int(c)) ** 3 - int(c) for c in t)
    n = n1 + n2
    sigma = mp.sqrt(mp.mpf(n1) * n2 / 12 * ((n + 1) - ties / (mp.mpf(n) * (n - 1))))
    d = u - mp.mpf(n1) * n2 / 2
    corr = mp.mpf(0.5) * mp.sign(d)
    return u, (d - corr) / sigma


def thin(sorted_values, m):
    n = len(sorted_values)
    if m >= n:
        return list(sorted_values)
    return [sorted_values[(2 * i + 1) * n // (2 * m)] for i in range(m)]


def hodges_lehmann(x, y):
    x, y = sorted(x), sorted(y)
    if len(x) * len(y) > 250000:
        if len(x) <= len(y):
            ms = min(len(x), 500)
            x, y = thin(x, ms), thin(y, min(len(y), 250000 // ms))
        else:
            ms = min(len(y), 500)
            y, x = thin(y, ms), thin(x, min(len(x), 250000 // ms))
    return float(np.median(np.subtract.outer(np.array(x), np.array(y))))


def gen_a(n):
    """Generated identically in the test (genA): quadratic residues, a lumpy distribution."""
    return [((i * i * 7) % 1009) * 0.001 + 0.2 for i in range(n)]


def gen_b(n):
    """Generated identically in the test (genB)."""
    return [((j * 31) % 997) * 0.0013 for j in range(n)]


def mw_row(name, x, y, show=True):
    xf = [v for v in x if math.isfinite(v)]
    yf = [v for v in y if math.isfinite(v)]
    n1, n2 = len(xf), len(yf)
    degenerate = n1 == 0 or n2 == 0 or len(set(xf + yf)) == 1
    if degenerate:
        u = 0.0 if n1 == 0 or n2 == 0 else n1 * n2 / 2
        z, pg, pl, p2 = 0.0, 1.0, 1.0, 1.0
        hl = 0.0 if n1 == 0 or n2 == 0 else hodges_lehmann(xf, yf)
    else:
        res = {}
        for alt in ("greater", "less", "two-sided"):
            res[alt] = st.mannwhitneyu(xf, yf, use_continuity=True, alternative=alt, method="asymptotic")
        u = float(res["two-sided"].statistic)
        assert all(float(r.statistic) == u for r in res.values())
        pg, pl, p2 = (float(res[a].pvalue) for a in ("greater", "less", "two-sided"))
        u_mp, z_mp = r_style_z(np.array(xf), np.array(yf))
        assert float(u_mp) == u
        z = float(z_mp)
        # R's two-sided p from its z agrees with scipy's.
        p2_r = min(mp.mpf(1), 2 * min(mp.ncdf(z_mp), 1 - mp.ncdf(z_mp)))
        assert abs(p2_r - p2) <= 1e-12 * max(p2, 1e-300), (name, p2_r, p2)
        hl = hodges_lehmann(xf, yf)
    if show:
        print(f'QTest::newRow("{name}") << {vec(x)} << {vec(y)} << {lit(u)} << {lit(z)} << {lit(pg)} << {lit(pl)}'
              f' << {lit(p2)} << {lit(hl)} << {n1} << {n2} << {"true" if degenerate else "false"};')
    return u, z, pg, pl, p2, hl


def mann_whitney_rows():
    print("// mannWhitney: scipy.stats.mannwhitneyu(asymptotic, use_continuity=True), R-style z, numpy HL")
    nan, inf = float("nan"), float("inf")
    base = [0.81, 1.12, 0.95, 1.43, 1.07, 0.66, 1.29, 1.01, 0.88, 1.18, 0.97, 1.35, 0.74, 1.09, 1.22, 0.92,
            1.05, 1.41, 0.69, 1.15]
    mw_row("n=1 vs 1", [1.0], [2.0])
    mw_row("n=1 vs 2", [3.0], [1.0, 2.0])
    mw_row("n=2 vs 1", [1.0, 2.0], [3.0])
    mw_row("n=3 vs 3 separated", [4.0, 5.0, 6.0], [1.0, 2.0, 3.0])
    mw_row("n=3 vs 3 interleaved", [1.0, 3.5, 5.0], [2.0, 3.0, 4.0])
    mw_row("U at its mean", [1.0, 4.0], [2.0, 3.0])
    mw_row("many ties", [1.0, 1.0, 2.0, 2.0, 2.0, 3.0], [1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 3.0])
    mw_row("ties across, 0/1 data", [0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 0, 1], [0, 0, 0, 0, 1, 0, 0, 1, 0, 0])
    mw_row("all equal", [5.0, 5.0, 5.0], [5.0, 5.0])
    mw_row("empty x", [], [1.0, 2.0])
    mw_row("empty y", [1.0, 2.0], [])
    mw_row("only NaN in x", [nan, nan], [1.0, 2.0])
    mw_row("unequal sizes 5 vs 20", [1.21, 0.99, 1.37, 1.11, 1.52], base)
    mw_row("NaN and inf removed", [1.5, nan, 2.5, 0.3, 3.1, -inf], [0.2, 1.1, nan, 0.7, inf, 1.9])
    mw_row("shifted by +0.5", [v + 0.5 for v in base[:15]], base)
    mw_row("shifted by -0.3", [v - 0.3 for v in base], base[::-1][:12])
    mw_row("far apart (tiny p)", [10.0 + v for v in base], base)

    print("// mannWhitney on generated samples above 250000 pairs: Hodges-Lehmann on the thinned subset")
    for name, swap, n1, n2 in [("A2000 vs B300", False, 2000, 300), ("B300 vs A2000", True, 300, 2000),
                               ("A600 vs B500", False, 600, 500)]:
        x, y = (gen_b(n1), gen_a(n2)) if swap else (gen_a(n1), gen_b(n2))
        u, z, pg, pl, p2, hl = mw_row(name, x, y, show=False)
        exact_hl = float(np.median(np.subtract.outer(np.array(x), np.array(y))))
        print(f'QTest::newRow("{name}") << {"true" if swap else "false"} << {n1} << {n2} << {lit(u)} << {lit(z)}'
              f' << {lit(pg)} << {lit(pl)} << {lit(p2)} << {lit(hl)}; // exact HL {lit(exact_hl)}')


if __name__ == "__main__":
    print(f"// scipy {scipy.__version__}, numpy {np.__version__}, mpmath {mp.__version__}")
    normal_cdf_rows()
    normal_quantile_rows()
    cs_rows()
    proportion_rows()
    proportion_cs_rows()
    mann_whitney_rows()
