#include "MetricChartWidget.h"

#include "ChartMarkerLabels.h"
#include "ChartScale.h"
#include "Palette.h"
#include "judge/Statistics.h"
#include "plan/Duration.h"

#include <QLabel>
#include <QVBoxLayout>
#include <cmath>
#include <qcustomplot.h>

namespace rollout {

MetricChartWidget::MetricChartWidget(const MetricSpec& metric, const Plan& plan, const TimeSeriesStore& store,
                                     QWidget* parent)
    : QWidget(parent), m_metric(metric), m_plan(plan), m_store(store)
{
    setObjectName(QStringLiteral("chart_") + metric.name);
    setAccessibleName(tr("Chart of %1").arg(metric.name));
    m_scale = ChartScale::displayFactor(metric.unit);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    m_value = new QLabel(this);
    m_value->setObjectName(QStringLiteral("chartValue_") + metric.name);
    m_value->setTextFormat(Qt::RichText);
    layout->addWidget(m_value);
    m_plot = new QCustomPlot(this);
    m_plot->setMinimumHeight(150);
    layout->addWidget(m_plot, 1); // the plot gets the stretch, or it is squashed

    auto ticker = QSharedPointer<QCPAxisTickerDateTime>::create();
    ticker->setDateTimeFormat(QStringLiteral("HH:mm"));
    ticker->setDateTimeSpec(Qt::LocalTime);
    m_plot->xAxis->setTicker(ticker);
    m_plot->yAxis->setLabel(ChartScale::axisUnit(metric.unit));
    m_plot->yAxis->setRange(ChartScale::valueRange(std::nullopt).lower,
                            ChartScale::valueRange(std::nullopt).upper);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->axisRect()->setRangeDrag(Qt::Horizontal);
    m_plot->axisRect()->setRangeZoom(Qt::Horizontal);
    m_plot->setNoAntialiasingOnDrag(true);
    connect(m_plot, &QCustomPlot::mouseRelease, this, [this] { m_follow = false; });
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, [this] {
        m_follow = true;
        m_yValid = false; // double-click: back to following the newest data
    });
    m_plot->legend->setVisible(false); // shown once a baseline series exists
    m_plot->legend->setFont(font());
    m_plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignLeft);
    m_markerLabels = new ChartMarkerLabels(m_plot);
    // Where the canary line would be, when it has had no traffic in view.
    m_noTraffic = new QCPItemText(m_plot);
    m_noTraffic->setObjectName(QStringLiteral("noCanaryTraffic"));
    m_noTraffic->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_noTraffic->position->setCoords(0.5, 0.5);
    m_noTraffic->setPositionAlignment(Qt::AlignCenter);
    m_noTraffic->setText(ChartScale::noCanaryTrafficText());
    QFont big = font();
    big.setPointSizeF(big.pointSizeF() * 1.3);
    m_noTraffic->setFont(big);
    m_noTraffic->setVisible(false);
    m_hasCanary = !metric.canary.isEmpty();
    styleForPalette();
    addThresholds();
}

bool MetricChartWidget::showsNoCanaryTraffic() const
{
    return m_noTraffic->visible();
}

QList<QRectF> MetricChartWidget::markerLabelRects() const
{
    QList<QRectF> out;
    for (const MarkerLayout::Placed& p : m_markerLabels->placed())
        out.append(p.rect);
    return out;
}

QStringList MetricChartWidget::markerLabelTexts() const
{
    QStringList out;
    for (const MarkerLayout::Placed& p : m_markerLabels->placed())
        out.append(p.text);
    return out;
}

void MetricChartWidget::setEvidenceSince(qint64 sinceMs, double level)
{
    if (m_metric.kind != MetricKind::Rate) return;
    m_bandSinceMs = sinceMs;
    m_bandUpToMs = sinceMs;
    m_bandLevel = level;
    if (!m_bandLow) {
        m_bandLow = m_plot->addGraph();
        m_bandHigh = m_plot->addGraph();
        QColor band = Palette::accent();
        band.setAlpha(45);
        for (QCPGraph* g : {m_bandLow, m_bandHigh}) {
            g->setPen(Qt::NoPen);
            g->setLayer(QStringLiteral("background"));
        }
        m_bandHigh->setBrush(band);
        m_bandHigh->setChannelFillGraph(m_bandLow);
        m_bandHigh->setName(tr("canary %1% interval").arg(level * 100.0, 0, 'g', 3));
        m_bandLow->removeFromLegend();
    }
    m_bandLow->data()->clear();
    m_bandHigh->data()->clear();
}

// The band at each second since the phase started: the canary's proportion so far with its
// confidence sequence (stats::proportionCs, as the judge computes it), narrowing as evidence grows.
void MetricChartWidget::refreshBand(qint64 nowMs)
{
    if (!m_bandLow || nowMs <= m_bandUpToMs) return;
    const qint64 step = std::max<qint64>(m_metric.intervalMs, 1000);
    QVector<double> keys, lows, highs;
    for (qint64 t = m_bandUpToMs + step; t <= nowMs; t += step) {
        const auto c = m_store.countsBetween(m_metric.name, Series::Canary, m_bandSinceMs, t);
        m_bandUpToMs = t;
        if (!c || c->trials <= 0 || c->toMs <= m_bandSinceMs) continue;
        const double p = c->events / c->trials;
        const double tau = std::max(0.5 * p, 0.005); // as the judge: effects of at least half a point
        const stats::Interval ci = stats::proportionCs(c->events, c->trials, tau * tau, 1.0 - m_bandLevel);
        keys.append(double(t) / 1000.0);
        lows.append(ci.lower * m_metric.proportionScale() * m_scale);
        highs.append(ci.upper * m_metric.proportionScale() * m_scale);
    }
    if (keys.isEmpty()) return;
    m_bandLow->addData(keys, lows, true);
    m_bandHigh->addData(keys, highs, true);
}

void MetricChartWidget::styleForPalette()
{
    const QPalette p = palette();
    m_plot->setBackground(p.color(QPalette::Base));
    for (QCPAxis* a : {m_plot->xAxis, m_plot->yAxis}) {
        a->setBasePen(QPen(p.color(QPalette::Mid)));
        a->setTickPen(QPen(p.color(QPalette::Mid)));
        a->setSubTickPen(QPen(p.color(QPalette::Mid)));
        a->setTickLabelColor(p.color(QPalette::Text));
        a->setLabelColor(p.color(QPalette::Text));
        a->grid()->setPen(QPen(p.color(QPalette::Midlight), 0, Qt::DotLine));
    }
    QColor legendBack = p.color(QPalette::Base);
    legendBack.setAlpha(200);
    m_plot->legend->setBrush(legendBack);
    m_plot->legend->setBorderPen(Qt::NoPen);
    m_plot->legend->setTextColor(p.color(QPalette::Text));
    m_noTraffic->setColor(Palette::muted());
}

void MetricChartWidget::addThresholds()
{
    for (const ChartScale::Level& l : ChartScale::levels(m_metric, m_plan)) {
        if (l.breachAbove) {
            auto* zone = new QCPItemRect(m_plot); // the breach zone of a hard trigger
            zone->topLeft->setTypeX(QCPItemPosition::ptAxisRectRatio);
            zone->topLeft->setTypeY(QCPItemPosition::ptAxisRectRatio);
            zone->topLeft->setCoords(0, 0);
            zone->bottomRight->setTypeX(QCPItemPosition::ptAxisRectRatio);
            zone->bottomRight->setTypeY(QCPItemPosition::ptPlotCoords);
            zone->bottomRight->setCoords(1, l.value * m_scale);
            QColor c = Palette::bad();
            c.setAlpha(28);
            zone->setBrush(c);
            zone->setPen(Qt::NoPen);
            zone->setClipToAxisRect(true);
            zone->setLayer(QStringLiteral("background"));
        }
        auto* line = new QCPItemStraightLine(m_plot);
        line->point1->setCoords(0, l.value * m_scale);
        line->point2->setCoords(1, l.value * m_scale);
        line->setPen(QPen(l.trigger ? Palette::bad() : Palette::good(), 1.2, Qt::DashLine));
    }
}

void MetricChartWidget::addMarker(qint64 atMs, const QString& label, bool bad)
{
    auto* line = new QCPItemStraightLine(m_plot);
    line->point1->setCoords(double(atMs) / 1000.0, 0);
    line->point2->setCoords(double(atMs) / 1000.0, 1);
    line->setPen(QPen(bad ? Palette::bad() : Palette::accent(), 1.5, bad ? Qt::SolidLine : Qt::DashDotLine));
    m_markerLabels->add(double(atMs) / 1000.0, label, bad ? Palette::bad() : Palette::accent());
}

int MetricChartWidget::pointCount() const
{
    int n = 0;
    for (QCPGraph* g : m_graphs)
        n += g->dataCount();
    return n;
}

void MetricChartWidget::refresh(qint64 nowMs)
{
    refreshBand(nowMs);
    for (const QString& key : m_store.seriesOf(m_metric.name)) {
        QCPGraph* g = m_graphs.value(key);
        if (!g) {
            g = m_plot->addGraph();
            const bool baseline = key == QLatin1String("baseline");
            g->setName(baseline ? tr("baseline") : tr("canary"));
            // One-pixel pens: QCustomPlot draws them as fast polylines; a wider pen goes through Qt's
            // stroker and made a 24 h frame ~45× slower (bench_console). The canary stands out by colour.
            g->setPen(QPen(baseline ? Palette::muted() : Palette::accent(), 1.0));
            g->setAdaptiveSampling(true);
            m_graphs.insert(key, g);
            m_plot->legend->setVisible(m_graphs.size() > 1);
        }
        const qint64 from = m_lastAppended.value(key, std::numeric_limits<qint64>::min()) + 1;
        const QList<Sample> fresh = m_store.window(m_metric.name, key, from, nowMs);
        if (fresh.isEmpty()) continue;
        QVector<double> keys, values;
        keys.reserve(fresh.size());
        values.reserve(fresh.size());
        const bool canary = key == QLatin1String("canary");
        m_hasCanary = m_hasCanary || canary;
        for (const Sample& s : fresh) {
            keys.append(double(s.tMs) / 1000.0);
            values.append(std::isfinite(s.value) ? s.value * m_scale
                                                 : std::nan("")); // NaN breaks the line: a gap
            if (canary && ChartScale::isTraffic(m_metric, s.value)) m_lastCanaryTrafficMs = s.tMs;
        }
        g->addData(keys, values, true);
        m_lastAppended.insert(key, fresh.last().tMs);
    }
    if (m_follow) {
        m_plot->xAxis->setRange(double(nowMs - m_spanMs) / 1000.0, double(nowMs) / 1000.0 + 5);
        // The y range: scanning every visible point of every series each second costs more than
        // drawing them (24 h × 8 series), so new points only widen it; an exact rescan, which can
        // also shrink it, runs every 30 s or when the visible span changed.
        const bool rescan = !m_yValid || nowMs - m_yScannedMs >= 30000 || m_ySpanMs != m_spanMs;
        bool found = !rescan;
        QCPRange y = rescan ? QCPRange() : m_y;
        for (QCPGraph* g : std::as_const(m_graphs)) { // the band is not scanned: early on it spans 0–100%
            bool ok = false;
            const QCPRange r =
                rescan ? g->getValueRange(ok, QCP::sdBoth, m_plot->xAxis->range())
                       : g->data()->valueRange(ok, QCP::sdBoth,
                                               QCPRange(double(m_yScannedUpToMs) / 1000.0 + 1e-6, 1e300));
            if (!ok) continue;
            y = found ? QCPRange(std::min(y.lower, r.lower), std::max(y.upper, r.upper)) : r;
            found = true;
        }
        if (rescan) {
            m_yScannedMs = nowMs;
            m_ySpanMs = m_spanMs;
        }
        m_yScannedUpToMs = nowMs;
        if (found) {
            m_y = y;
            m_yValid = true;
        }
        // Flat or no data gives a sane unit-tall axis, never one in units of 10⁻⁹.
        const ChartScale::Range shown =
            ChartScale::valueRange(found ? std::optional(ChartScale::Range{y.lower, y.upper}) : std::nullopt);
        m_plot->yAxis->setRange(shown.lower, shown.upper);
    }
    // No canary traffic in view (counted trials when the metric has counts, else the samples):
    // say so where its line would be.
    if (m_hasCanary) {
        const QCPRange view = m_plot->xAxis->range();
        const qint64 fromMs = qint64(view.lower * 1000.0), toMs = qint64(view.upper * 1000.0);
        const std::optional<bool> counted = ChartScale::countedTraffic(m_metric, m_store, fromMs, toMs);
        m_noTraffic->setVisible(!(counted ? *counted : m_lastCanaryTrafficMs >= fromMs));
    }
    // The headline: last value, its age, and a stale badge when it is older than two intervals.
    const auto last = m_store.latest(m_metric.name, Series::Canary);
    const QString error = m_store.lastError(m_metric.name);
    QString text = QStringLiteral("<b>%1</b>").arg(m_metric.name.toHtmlEscaped());
    if (last) {
        const qint64 age = nowMs - last->tMs;
        text += QStringLiteral("  %1").arg(ConditionParser::formatValue(last->value, m_metric.unit));
        if (const auto b = m_store.latest(m_metric.name, Series::Baseline))
            text += tr("  <span style='color:%1'>baseline %2</span>")
                        .arg(Palette::muted().name(), ConditionParser::formatValue(b->value, m_metric.unit));
        if (age > 2 * m_metric.intervalMs || !std::isfinite(last->value))
            text += QStringLiteral("  <span style='background:%1;color:white'>&nbsp;STALE %2&nbsp;</span>")
                        .arg(Palette::warning().name(), Duration::format(age));
    } else {
        text += QStringLiteral("  <span style='background:%1;color:white'>&nbsp;NO DATA&nbsp;</span>")
                    .arg(Palette::warning().name());
    }
    if (!error.isEmpty())
        text += QStringLiteral("  <span style='color:%1'>%2</span>")
                    .arg(Palette::bad().name(), error.toHtmlEscaped());
    m_value->setText(text);
    m_value->setToolTip(error);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace rollout
