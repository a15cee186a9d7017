#include "judge/EvidenceJudge.h"

#include "judge/Statistics.h"
#include "plan/Duration.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace rollout {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The smallest effect scale a proportion's mixture is tuned for (0.5 points). Tuned for much smaller
// effects, the sequence is valid but absurdly wide for large ones (1 error in 2,216 requests gave
// [0.004%, 54.8%] with τ = 0.05% for "error_rate < 0.1%"); the floor costs such tiny thresholds
// some evidence and keeps every interval readable.
constexpr double kMinMixtureScale = 0.005;

// A condition as "canary − k·baseline − c ⊙ 0" (proportions or the metric's unit).
struct Linear
{
    double k = 0.0;
    double c = 0.0;
    Comparison cmp = Comparison::Less;
    bool ok = false;
};

Comparison flipped(Comparison c)
{
    switch (c) {
    case Comparison::Less:
        return Comparison::Greater;
    case Comparison::LessEqual:
        return Comparison::GreaterEqual;
    case Comparison::Greater:
        return Comparison::Less;
    case Comparison::GreaterEqual:
        return Comparison::LessEqual;
    case Comparison::Between:
        break;
    }
    return c;
}

Linear linear(const Condition& cond, double scale)
{
    Linear l;
    if (cond.comparison == Comparison::Between) return l;
    l.cmp = cond.comparison;
    l.ok = true;
    switch (cond.kind) {
    case ConditionKind::Absolute:
        l.c = cond.threshold / scale;
        break;
    case ConditionKind::RatioToBaseline:
        l.k = cond.threshold;
        break;
    case ConditionKind::ChangeFromBaseline: // (v − b)/b ⊙ t ⇔ v − (1+t)b ⊙ 0;  (b − v)/b ⊙ t ⇔ v − (1−t)b ⊙'
                                            // 0
        l.k = cond.decrease ? 1.0 - cond.threshold : 1.0 + cond.threshold;
        if (cond.decrease) l.cmp = flipped(l.cmp);
        break;
    case ConditionKind::RateOfChange:
    case ConditionKind::RatioToHistory:
        l.ok = false;
        break;
    }
    return l;
}

// The comparison "d ⊙ 0" decided on an interval [lo, hi]: True when all of it satisfies it, False
// when none of it does, Unknown otherwise.
Truth decide(Comparison cmp, double lo, double hi)
{
    switch (cmp) {
    case Comparison::Less:
        return hi < 0 ? Truth::True : lo >= 0 ? Truth::False : Truth::Unknown;
    case Comparison::LessEqual:
        return hi <= 0 ? Truth::True : lo > 0 ? Truth::False : Truth::Unknown;
    case Comparison::Greater:
        return lo > 0 ? Truth::True : hi <= 0 ? Truth::False : Truth::Unknown;
    case Comparison::GreaterEqual:
        return lo >= 0 ? Truth::True : hi < 0 ? Truth::False : Truth::Unknown;
    case Comparison::Between:
        break;
    }
    return Truth::Unknown;
}

bool satisfies(Comparison cmp, double d)
{
    return decide(cmp, d, d) == Truth::True;
}

// How many times the present sample would settle an estimate `d` whose interval half-width is
// `halfWidth(f)` with f times the sample: the smallest such f, or 0 when nothing would (d = 0).
template <typename HalfWidth> double settlingFactor(double d, HalfWidth halfWidth)
{
    if (d == 0.0 || !std::isfinite(d)) return 0.0;
    double lo = 1.0, hi = 2.0;
    while (halfWidth(hi) >= std::fabs(d)) {
        lo = hi;
        hi *= 2.0;
        if (hi > 1e7) return 0.0;
    }
    for (int i = 0; i < 8; ++i) { // "about": to within 1/256 of the doubling step
        const double mid = 0.5 * (lo + hi);
        (halfWidth(mid) >= std::fabs(d) ? lo : hi) = mid;
    }
    return hi;
}

Judgement missing(const QString& why)
{
    Judgement j;
    j.truth = Truth::Unknown;
    j.missingData = true;
    j.reason = why;
    return j;
}

QString windowLabel(qint64 fromMs, qint64 nowMs, qint64 sinceMs)
{
    return fromMs <= sinceMs ? QStringLiteral("since %1 ago").arg(Duration::format(nowMs - sinceMs))
                             : QStringLiteral("last %1").arg(Duration::format(nowMs - fromMs));
}

} // namespace

bool EvidenceJudge::expectsCounts(const MetricSpec& m) const
{
    if (m.kind != MetricKind::Rate) return false;
    if (m.hasCounterQueries() || !m.per.isEmpty()) return true;
    const SourceSpec* s = m_plan.source(m.source);
    if (s && s->type == SourceType::JsonLines && m.query.contains(QLatin1Char('/')) && !m.canary.isEmpty())
        return true; // counted events
    return m.simulatesCounts() && !m.canary.isEmpty() && s && s->type == SourceType::Simulator;
}

bool EvidenceJudge::judges(const Condition& c, const MetricSpec& m, const MetricReader& reader,
                           bool criterion) const
{
    if (c.comparison == Comparison::Between || c.kind == ConditionKind::RateOfChange || m.thresholdOnly)
        return false;
    if (c.usesHistory()) return false; // windows, totals and history: the window judge (WindowJudge)
    if (m.kind == MetricKind::Rate) {
        // Against a baseline, the baseline needs counts of its own (a series of the same counters) or
        // a known value; a captured or separately queried baseline stays on the threshold judge.
        if (c.usesBaseline() && m.baseline.kind != BaselineSpec::Kind::Series &&
            m.baseline.kind != BaselineSpec::Kind::Fixed)
            return false;
        return expectsCounts(m) || reader.counts(m.name, Series::Canary, 0)
                                       .has_value(); // expected, or present (rolloutctl simulate)
    }
    // A value against a captured baseline: one number taken at the start, no series of samples to
    // test against; the threshold judge compares with it.
    if (c.usesBaseline() && m.baseline.kind == BaselineSpec::Kind::Captured) return false;
    return criterion;
}

std::optional<Counts> EvidenceJudge::countsOf(const MetricSpec& m, const MetricReader& reader, Series s,
                                              qint64 fromMs, qint64 nowMs, bool* approximate,
                                              QString* why) const
{
    const QString which = s == Series::Canary ? QStringLiteral("canary") : QStringLiteral("baseline");
    const QString error = reader.lastError(m.name);
    if (m.hasCounterQueries() || m.per.isEmpty()) {
        const auto counts = reader.counts(m.name, s, fromMs);
        if (!counts) {
            *why = error.isEmpty() ? QStringLiteral("no %1 counts yet").arg(which) : error;
            return std::nullopt;
        }
        if (nowMs - counts->toMs > 2 * m.intervalMs) {
            *why = QStringLiteral("stale: the newest %1 counts are %2 old (polled every %3)%4")
                       .arg(which, Duration::format(nowMs - counts->toMs), Duration::format(m.intervalMs),
                            error.isEmpty() ? QString() : QStringLiteral("; ") + error);
            return std::nullopt;
        }
        return counts;
    }
    // Trials estimated from the request rate (`per`): ∫ rps dt, and events as ∫ ratio·rps dt.
    *approximate = true;
    const MetricSpec* per = m_plan.metric(m.per);
    const QList<Sample> rates = per ? reader.samples(per->name, s, fromMs, nowMs) : QList<Sample>{};
    const QList<Sample> ratios = reader.samples(m.name, s, fromMs, nowMs);
    if (rates.isEmpty() || ratios.isEmpty()) {
        *why = error.isEmpty() ? QStringLiteral("no %1 samples of %2 and %3 yet").arg(which, m.name, m.per)
                               : error;
        return std::nullopt;
    }
    const qint64 newest = std::min(rates.last().tMs, ratios.last().tMs);
    if (nowMs - newest > 2 * m.intervalMs) {
        *why = QStringLiteral("stale: the newest %1 sample is %2 old")
                   .arg(which, Duration::format(nowMs - newest));
        return std::nullopt;
    }
    Counts out{0.0, 0.0, rates.first().tMs, newest};
    int r = 0;
    for (int i = 1; i < ratios.size(); ++i) {
        while (r + 1 < rates.size() && rates[r + 1].tMs <= ratios[i].tMs)
            ++r;
        const double dt = double(ratios[i].tMs - ratios[i - 1].tMs) / 1000.0;
        const double rps = rates[r].value;
        if (!std::isfinite(rps) || !std::isfinite(ratios[i].value) || rps < 0) continue;
        out.trials += rps * dt;
        out.events += std::clamp(ratios[i].value / m.proportionScale(), 0.0, 1.0) * rps * dt;
    }
    return out;
}

Judgement EvidenceJudge::rate(const Condition& cond, const MetricSpec& m, const MetricReader& reader,
                              qint64 nowMs, qint64 fromMs, double alpha, bool display) const
{
    const double scale = m.proportionScale();
    const Linear l = linear(cond, scale);
    if (!l.ok) return missing(QStringLiteral("\"%1\" cannot be judged with evidence").arg(cond.text));
    bool approximate = false;
    QString why;
    const auto canary = countsOf(m, reader, Series::Canary, fromMs, nowMs, &approximate, &why);
    if (!canary) return missing(why);
    std::optional<Counts> base;
    const bool fixedBaseline = m.baseline.kind == BaselineSpec::Kind::Fixed;
    if (l.k != 0.0 && !fixedBaseline) {
        base = countsOf(m, reader, Series::Baseline, fromMs, nowMs, &approximate, &why);
        if (!base) return missing(why);
    }

    Judgement j;
    Evidence& e = j.evidence;
    e.present = true;
    e.method = QStringLiteral("sequential proportion test");
    e.level = 1.0 - alpha;
    e.approximate = approximate;
    e.fromMs = canary->fromMs;
    e.toMs = canary->toMs;
    e.canaryEvents = canary->events;
    e.canaryTrials = canary->trials;
    if (l.k == 0.0 && l.c == 0.0 && !approximate && canary->trials > 0) {
        // A threshold of 0 (seed 001's "error_rate <= 0%", seed 004's "error_rate > 0%"): the
        // counters count every request, so whether any event happened is known, not estimated —
        // no confidence bound of a proportion ever reaches 0.
        const bool any = canary->events > 0;
        const double pc0 = canary->events / canary->trials;
        e.method = QStringLiteral("count against 0");
        e.canaryEstimate = e.canaryLower = e.canaryUpper = pc0 * m.proportionScale();
        e.difference = e.canaryEstimate;
        j.observed = j.compared = e.canaryEstimate;
        j.sampleMs = canary->toMs;
        switch (l.cmp) {
        case Comparison::LessEqual:
            j.truth = any ? Truth::False : Truth::True;
            break;
        case Comparison::Greater:
            j.truth = any ? Truth::True : Truth::False;
            break;
        case Comparison::Less:
            j.truth = Truth::False;
            break;
        case Comparison::GreaterEqual:
        case Comparison::Between:
            j.truth = Truth::True;
            break;
        }
        return j;
    }
    const double pc = canary->trials > 0 ? canary->events / canary->trials : 0.0;
    const double vc = stats::proportionVariance(canary->events, canary->trials);
    double pb = 0.0, vb = 0.0;
    if (l.k != 0.0 && fixedBaseline) pb = m.baseline.value / scale; // a known number: no uncertainty
    if (base) {
        e.hasBaseline = true;
        e.baselineEvents = base->events;
        e.baselineTrials = base->trials;
        pb = base->trials > 0 ? base->events / base->trials : 0.0;
        vb = stats::proportionVariance(base->events, base->trials);
    }
    // The mixture's scale: effects of the order of the threshold (absolute) or of k× the pooled
    // rate (relative). docs/judgement.md explains why the choice only moves the bound by ~20%.
    const double pooled = fixedBaseline ? std::max(pb, pc)
                          : base && canary->trials + base->trials > 0
                              ? (canary->events + base->events) / (canary->trials + base->trials)
                              : pc;
    const double tau = std::max(l.k != 0.0 ? 0.5 * l.k * pooled : 0.5 * std::fabs(l.c), kMinMixtureScale);
    const double tau2 = tau * tau;
    const double d = pc - l.k * pb - l.c;
    // Plug-in variances under-cover while events are rare (0 errors give a variance near 0), so the
    // canary's variance is also taken at the decision boundary (the canary rate at which d = 0), and
    // the larger one is used: a score-test view, sound in both directions (docs/judgement.md).
    const double boundary = std::clamp(l.k * pb + l.c, 0.0, 1.0);
    const double atBoundary = canary->trials > 0 ? boundary * (1.0 - boundary) / canary->trials : vc;
    const double v = std::max(vc, atBoundary) + l.k * l.k * vb;
    const double b = stats::csHalfWidth(v, tau2, alpha);
    constexpr double kTol = 1e-6;
    // An absolute threshold is decided on the canary's own score interval (exact coverage for rare
    // events). It is only worked out when it could decide: harm needs the estimate past the
    // threshold, health needs it short of it.
    const bool absolute = l.k == 0.0;
    const bool couldDecide =
        !absolute || (l.cmp == Comparison::Greater || l.cmp == Comparison::GreaterEqual ? d > 0 : d < 0) ||
        display;
    stats::Interval ci{pc, pc};
    bool haveCi = false;
    if (absolute && couldDecide && canary->trials > 0) {
        ci = stats::proportionCs(canary->events, canary->trials, tau2, alpha, kTol);
        haveCi = true;
    }
    e.canaryEstimate = pc * scale;
    e.canaryLower = e.canaryUpper = kNaN;
    if (display && canary->trials > 0) {
        if (!haveCi) ci = stats::proportionCs(canary->events, canary->trials, tau2, alpha, kTol);
        haveCi = true;
        e.canaryLower = ci.lower * scale;
        e.canaryUpper = ci.upper * scale;
    }
    if (base) {
        e.baselineEstimate = pb * scale;
        e.baselineLower = e.baselineUpper = kNaN;
        if (display && base->trials > 0) {
            const stats::Interval bi = stats::proportionCs(base->events, base->trials, tau2, alpha, kTol);
            e.baselineLower = bi.lower * scale;
            e.baselineUpper = bi.upper * scale;
        }
    }
    e.difference = d * scale;
    j.observed = e.canaryEstimate;
    j.compared = e.canaryEstimate;
    if (base) j.baseline = e.baselineEstimate;
    j.sampleMs = canary->toMs;
    // An absolute threshold is decided on the canary's own score interval (exact coverage for rare
    // events); a comparison with the baseline on the difference.
    // Without the interval (it could not decide), the estimate alone: never past the threshold.
    const double lo = absolute ? (haveCi ? ci.lower : std::min(pc, 0.0) - 1.0) - l.c : d - b;
    const double hi = absolute ? (haveCi ? ci.upper : 2.0) - l.c : d + b;
    e.differenceLower = lo * scale;
    e.differenceUpper = hi * scale;
    j.truth = canary->trials > 0 ? decide(l.cmp, lo, hi) : Truth::Unknown;
    if (j.truth == Truth::Unknown && display) {
        const double f =
            l.k == 0.0
                ? settlingFactor(d,
                                 [&](double factor) {
                                     const stats::Interval at = stats::proportionCs(
                                         canary->events * factor, canary->trials * factor, tau2, alpha, kTol);
                                     return d < 0 ? at.upper - pc : pc - at.lower;
                                 })
                : settlingFactor(d,
                                 [&](double factor) { return stats::csHalfWidth(v / factor, tau2, alpha); });
        e.moreNeeded = canary->trials > 0 && f > 0 ? std::ceil(canary->trials * (f - 1.0)) : 0.0;
        j.reason = canary->trials > 0 ? QStringLiteral("not enough evidence yet")
                                      : QStringLiteral("no canary traffic yet");
    }
    return j;
}

Judgement EvidenceJudge::values(const Condition& cond, const MetricSpec& m, const MetricReader& reader,
                                qint64 nowMs, qint64 fromMs, double level) const
{
    Linear l = linear(cond, 1.0);
    if (!l.ok) return missing(QStringLiteral("\"%1\" cannot be judged with evidence").arg(cond.text));
    if (l.k != 0.0 && m.baseline.kind == BaselineSpec::Kind::Fixed) {
        // A known baseline (seed 002's 150 ms): v ⊙ k·b is a threshold, tested on the canary alone.
        l.c = l.k * m.baseline.value;
        l.k = 0.0;
    }
    const QString error = reader.lastError(m.name);
    auto collect = [&](Series s, std::vector<double>* out, QString* why) {
        const QList<Sample> samples = reader.samples(m.name, s, fromMs, nowMs);
        const QString which = s == Series::Canary ? QStringLiteral("canary") : QStringLiteral("baseline");
        if (samples.isEmpty()) {
            *why = error.isEmpty() ? QStringLiteral("no %1 sample yet").arg(which) : error;
            return false;
        }
        if (nowMs - samples.last().tMs > 2 * m.intervalMs) {
            *why =
                QStringLiteral("stale: the newest %1 sample is %2 old (polled every %3)")
                    .arg(which, Duration::format(nowMs - samples.last().tMs), Duration::format(m.intervalMs));
            return false;
        }
        for (const Sample& x : samples)
            if (std::isfinite(x.value)) out->push_back(x.value);
        return true;
    };
    QString why;
    std::vector<double> xs, ys;
    if (!collect(Series::Canary, &xs, &why)) return missing(why);
    if (l.k != 0.0 && !collect(Series::Baseline, &ys, &why)) return missing(why);

    Judgement j;
    Evidence& e = j.evidence;
    e.present = true;
    e.level = level;
    e.fromMs = fromMs;
    e.toMs = nowMs;
    e.canarySamples = int(xs.size());
    const double alpha = 1.0 - level;
    auto meanVar = [](const std::vector<double>& v) {
        double mean = 0.0, m2 = 0.0;
        for (std::size_t i = 0; i < v.size(); ++i) { // Welford
            const double delta = v[i] - mean;
            mean += delta / double(i + 1);
            m2 += delta * (v[i] - mean);
        }
        return std::pair<double, double>{mean, v.size() > 1 ? m2 / double(v.size() - 1) : 0.0};
    };
    const auto [mc, sc] = meanVar(xs);
    j.observed = j.compared = e.canaryEstimate = mc;
    j.sampleMs = nowMs;
    constexpr std::size_t kMinSamples = 3;
    if (l.k == 0.0) {
        e.method = QStringLiteral("sequential mean test");
        const double n = double(xs.size());
        const double scale = std::max(std::fabs(mc), std::fabs(l.c));
        const double floorVar = std::pow(1e-3 * scale, 2);
        const double v = std::max(sc, floorVar) / n;
        const double tau = std::max(0.1 * std::fabs(l.c), 1e-9);
        // Every sample exactly 0 against a threshold of 0 (a count of failures that stays at 0,
        // "assertion_failures <= 0"): no relative floor to give it, and nothing uncertain about it.
        const bool exact = sc == 0.0 && scale == 0.0;
        const double b = exact ? 0.0 : stats::csHalfWidth(v, tau * tau, alpha);
        const double d = mc - l.c;
        e.canaryLower = mc - b;
        e.canaryUpper = mc + b;
        e.difference = d;
        e.differenceLower = d - b;
        e.differenceUpper = d + b;
        j.truth = xs.size() >= kMinSamples ? decide(l.cmp, d - b, d + b) : Truth::Unknown;
        if (j.truth == Truth::Unknown) {
            const double f = settlingFactor(
                d, [&](double factor) { return stats::csHalfWidth(v / factor, tau * tau, alpha); });
            e.moreNeeded = f > 0 ? std::max(std::ceil(n * (f - 1.0)), double(kMinSamples) - n) : 0.0;
            j.reason = QStringLiteral("not enough evidence yet");
        }
        return j;
    }
    // Against the baseline: a rank test of the canary against k× the baseline, its error spent
    // over the looks (α/(n(n+1)) at the n-th canary sample, which sums to α).
    e.method = QStringLiteral("Mann-Whitney");
    e.hasBaseline = true;
    e.baselineSamples = int(ys.size());
    const auto [mb, sb] = meanVar(ys);
    (void)sc;
    (void)sb;
    e.baselineEstimate = mb;
    j.baseline = mb;
    for (double& y : ys)
        y *= l.k;
    const stats::MannWhitney mw = stats::mannWhitney(xs, ys);
    const double n = double(xs.size());
    const double spent = alpha / (n * (n + 1.0));
    e.difference = mw.hodgesLehmann;
    e.differenceLower = e.differenceUpper = kNaN;
    e.canaryLower = e.canaryUpper = e.baselineLower = e.baselineUpper = kNaN;
    const bool greater = l.cmp == Comparison::Greater || l.cmp == Comparison::GreaterEqual;
    const double pHolds = greater ? mw.pGreater : mw.pLess;
    const double pFails = greater ? mw.pLess : mw.pGreater;
    if (xs.size() >= kMinSamples && ys.size() >= kMinSamples && !mw.degenerate && pHolds < spent)
        j.truth = Truth::True;
    else if (xs.size() >= kMinSamples && ys.size() >= kMinSamples && !mw.degenerate && pFails < spent)
        j.truth = Truth::False;
    else
        j.truth = Truth::Unknown;
    j.compared = mb != 0.0 ? mc / mb : 0.0;
    j.reason = QStringLiteral("Mann-Whitney: p = %1 (needs < %2), shift %3")
                   .arg(std::min(pHolds, pFails), 0, 'g', 2)
                   .arg(spent, 0, 'g', 2)
                   .arg(ConditionParser::formatValue(mw.hodgesLehmann, m.unit));
    if (j.truth == Truth::Unknown) e.moreNeeded = std::max(0.0, double(kMinSamples) - n);
    return j;
}

Judgement EvidenceJudge::over(const Condition& c, const MetricSpec& m, const MetricReader& reader,
                              qint64 nowMs, qint64 fromMs, double level) const
{
    Judgement j = m.kind == MetricKind::Rate ? rate(c, m, reader, nowMs, fromMs, 1.0 - level, true)
                                             : values(c, m, reader, nowMs, fromMs, level);
    j.evidence.window = windowLabel(fromMs, nowMs, fromMs - 1);
    return j;
}

Judgement EvidenceJudge::criterion(const Condition& c, const MetricSpec& m, const MetricReader& reader,
                                   qint64 nowMs, qint64 sinceMs, double level) const
{
    Judgement j = m.kind == MetricKind::Rate ? rate(c, m, reader, nowMs, sinceMs, 1.0 - level, true)
                                             : values(c, m, reader, nowMs, sinceMs, level);
    j.evidence.window = QStringLiteral("this phase");
    if (j.truth == Truth::True && m.kind == MetricKind::Rate &&
        j.evidence.canaryTrials < m_plan.judgement.minTrials) {
        j.truth = Truth::Unknown;
        j.evidence.moreNeeded =
            std::max(j.evidence.moreNeeded, m_plan.judgement.minTrials - j.evidence.canaryTrials);
        j.reason = QStringLiteral("below the plan's minimum of %1 trials").arg(m_plan.judgement.minTrials);
    }
    return j;
}

EvidenceJudge::TriggerJudgement EvidenceJudge::trigger(const Condition& c, const MetricSpec& m,
                                                       const MetricReader& reader, qint64 nowMs,
                                                       qint64 sinceMs, qint64 forMs, double level) const
{
    // The error is spent half on the whole span since the rollout started (an always-valid
    // sequence over a growing sample: a steady regression shows there first) and half, evenly, on
    // the six trailing windows (a spike shows there): the union of all seven errs at most 1 − level.
    const double alphaSpan = (1.0 - level) / 2.0;
    const double alphaWindow = (1.0 - level) / 2.0 / double(kTriggerWindows);
    const qint64 shortest = std::max({forMs, kShortestWindowMs, 2 * m.intervalMs});
    TriggerJudgement out;
    qint64 w = shortest;
    qint64 decidingFrom = -1;
    qint64 shortestFrom = 0;
    for (int k = 0; k <= kTriggerWindows; ++k, w *= 4) {
        const qint64 from = k == kTriggerWindows ? sinceMs : std::max(sinceMs, nowMs - w);
        const Judgement j = rate(c, m, reader, nowMs, from, from <= sinceMs ? alphaSpan : alphaWindow, false);
        if (k == 0) {
            out.judgement = j;
            shortestFrom = from;
            const Linear l = linear(c, m.proportionScale());
            out.building = !j.missingData && j.truth != Truth::True && j.evidence.present &&
                           satisfies(l.cmp, j.evidence.difference) && j.evidence.canaryEvents > 0;
            if (j.missingData) return out;
        }
        if (j.truth == Truth::True) {
            decidingFrom = from;
            out.building = false;
            break;
        }
        if (from <= sinceMs) break; // the whole span is covered
    }
    // The verdict shown and recorded: the window that showed harm, else the shortest, with the
    // cohorts' own intervals worked out once.
    const qint64 shown = decidingFrom >= 0 ? decidingFrom : shortestFrom;
    out.judgement = rate(c, m, reader, nowMs, shown, shown <= sinceMs ? alphaSpan : alphaWindow, true);
    out.judgement.evidence.window = windowLabel(shown, nowMs, sinceMs);
    if (out.judgement.truth == Truth::Unknown)
        out.judgement.reason = QStringLiteral("no evidence of harm yet");
    return out;
}

EvidenceJudge::GlobalIncident EvidenceJudge::globalIncident(const Condition& c, const MetricSpec& m,
                                                            const MetricReader& reader, qint64 nowMs,
                                                            qint64 sinceMs, qint64 forMs, double level) const
{
    GlobalIncident out;
    if (m.kind != MetricKind::Rate || m.baseline.kind == BaselineSpec::Kind::None) return out;
    const double scale = m.proportionScale();
    const Linear l = linear(c, scale);
    if (!l.ok || l.cmp == Comparison::Less || l.cmp == Comparison::LessEqual)
        return {}; // a trigger on "too low" is not an incident of this kind
    const double alpha = (1.0 - level) / 2.0 / double(kTriggerWindows);
    const qint64 shortest = std::max({forMs, kShortestWindowMs, 2 * m.intervalMs});
    qint64 w = shortest;
    for (int k = 0; k < kTriggerWindows; ++k, w *= 4) {
        const qint64 from = nowMs - w;
        if (from <= sinceMs) break;
        bool approximate = false;
        QString why;
        const auto cw = countsOf(m, reader, Series::Canary, from, nowMs, &approximate, &why);
        const auto bw = countsOf(m, reader, Series::Baseline, from, nowMs, &approximate, &why);
        if (!cw || !bw || bw->trials <= 0 || cw->trials <= 0) return out;
        const double pb = bw->events / bw->trials;
        const double vb = stats::proportionVariance(bw->events, bw->trials);
        double reference = l.c; // absolute: the threshold itself
        double vr = 0.0;
        if (l.k != 0.0) { // relative: k× the baseline's own level before the window
            const auto all = countsOf(m, reader, Series::Baseline, sinceMs, nowMs, &approximate, &why);
            if (!all) return out;
            const double events = all->events - bw->events, trials = all->trials - bw->trials;
            if (trials <= 0) continue;
            reference = l.k * events / trials;
            vr = l.k * l.k * stats::proportionVariance(events, trials);
        }
        const double tau = std::max(0.5 * std::max(reference, pb), kMinMixtureScale);
        const double db = pb - reference;
        const double bb = stats::csHalfWidth(vb + vr, tau * tau, alpha);
        const double pc = cw->events / cw->trials;
        const double vd = stats::proportionVariance(cw->events, cw->trials) + vb;
        if (k == 0 && l.k == 0.0 &&
            db > 0) { // an absolute threshold: the baseline's own estimate is past it too
            out.baselineLooksHarmed = true;
            out.canaryWorse = pc - pb - stats::csHalfWidth(vd, tau * tau, alpha / 10.0) > 0;
            out.looksReason =
                QStringLiteral(
                    "both cohorts look bad: %1 is %2 on the canary and %3 on the baseline over the last %4; "
                    "the canary is not shown to be worse than the baseline")
                    .arg(m.name, ConditionParser::formatValue(pc * scale, m.unit),
                         ConditionParser::formatValue(pb * scale, m.unit), Duration::format(w));
        }
        if (db - bb <= 0) continue; // the baseline is not shown to be harmed over this window
        // Blaming the canary during an incident takes ten times the evidence: the cohorts are compared
        // at every look while both are bad, and a chance "worse" must not roll the canary back.
        const double bd = stats::csHalfWidth(vd, tau * tau, alpha / 10.0);
        out.baselineHarmed = true;
        if (pc - pb - bd > 0) { // the canary is shown to be worse: it is the canary
            out.canaryWorse = true;
            return out;
        }
        out.reason =
            QStringLiteral("both cohorts: %1 is %2 on the canary and %3 on the baseline over the last %4 "
                           "(the baseline %5); "
                           "the canary is no worse than the baseline")
                .arg(m.name, ConditionParser::formatValue(pc * scale, m.unit),
                     ConditionParser::formatValue(pb * scale, m.unit), Duration::format(w),
                     l.k != 0.0 ? QStringLiteral("was %1 before")
                                      .arg(ConditionParser::formatValue(reference / l.k * scale, m.unit))
                                : QStringLiteral("is over %1 too")
                                      .arg(ConditionParser::formatValue(l.c * scale, m.unit)));
        return out;
    }
    return out;
}

} // namespace rollout
