#include "ChartRenderer.h"

#include "ChartScale.h"

#include <QDateTime>
#include <QGuiApplication>
#include <QPainter>
#include <QPainterPath>
#include <climits>
#include <cmath>

namespace rollout {

namespace {

// A tick step of 1, 2, 2.5 or 5 × 10^k giving at most `maxTicks` ticks over `span`.
double niceStep(double span, int maxTicks)
{
    const double raw = span / std::max(1, maxTicks);
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    for (double f : {1.0, 2.0, 2.5, 5.0, 10.0})
        if (f * mag >= raw) return f * mag;
    return 10.0 * mag;
}

QString tickText(double v, double step)
{
    int decimals = std::max(0, int(-std::floor(std::log10(step) + 1e-9)));
    if (std::abs(step * std::pow(10.0, decimals) - std::round(step * std::pow(10.0, decimals))) > 1e-6)
        ++decimals; // 2.5 × 10^k
    if (std::abs(v) < step * 1e-6) v = 0.0;
    return QString::number(v, 'f', decimals);
}

// Time steps (s) a reader counts in; the first that leaves at least `minPx` between ticks.
qint64 timeStepS(double spanS, double widthPx, double minPx)
{
    static const qint64 steps[] = {10,   15,   30,    60,    120,   300,   600,    900,   1800,
                                   3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800};
    for (qint64 s : steps)
        if (widthPx * double(s) / std::max(1.0, spanS) >= minPx) return s;
    return 604800;
}

} // namespace

ChartRenderer::Style ChartRenderer::Style::light()
{
    Style s;
    s.background = Qt::white;
    s.text = QColor(0x20, 0x20, 0x20);
    s.grid = QColor(0xdd, 0xdd, 0xdd);
    s.axis = QColor(0x88, 0x88, 0x88);
    s.accent = QColor(0x1e, 0x6f, 0xd9);
    s.canary = s.accent;
    s.baseline = QColor(0x80, 0x80, 0x80);
    s.good = QColor(0x2e, 0x7d, 0x32);
    s.bad = QColor(0xc6, 0x28, 0x28);
    s.muted = QColor(0x70, 0x70, 0x70);
    return s;
}

ChartRenderer::ChartRenderer(const MetricSpec& metric, const Plan& plan, const TimeSeriesStore& store)
    : m_metric(metric), m_plan(plan), m_store(store)
{
}

void ChartRenderer::setWindow(qint64 fromMs, qint64 toMs)
{
    m_fromMs = fromMs;
    m_toMs = std::max(toMs, fromMs + 1000);
}

QImage ChartRenderer::render(const QSize& size) const
{
    QImage image(size, QImage::Format_ARGB32_Premultiplied);
    image.fill(m_style.background);
    QPainter p(&image);
    p.setRenderHint(QPainter::Antialiasing);
    p.setRenderHint(QPainter::TextAntialiasing);
    QFont font = QGuiApplication::font();
    p.setFont(font);
    const QFontMetricsF fm(font);
    const double scale = ChartScale::displayFactor(m_metric.unit);
    const QString unit = ChartScale::axisUnit(m_metric.unit);
    const QStringList keys = m_store.seriesOf(m_metric.name);

    // The series in the window, and their value range.
    struct Line
    {
        QString key;
        QList<Sample> samples;
    };
    QList<Line> lines;
    std::optional<ChartScale::Range> data;
    for (const QString& key : keys) {
        Line l{key, m_store.window(m_metric.name, key, m_fromMs, m_toMs)};
        for (const Sample& s : l.samples) {
            if (!std::isfinite(s.value)) continue;
            const double v = s.value * scale;
            data = data ? ChartScale::Range{std::min(data->lower, v), std::max(data->upper, v)}
                        : ChartScale::Range{v, v};
        }
        lines.append(l);
    }
    const ChartScale::Range y = ChartScale::valueRange(data);
    const double yStep = niceStep(y.upper - y.lower, 5);

    // Title line, then the plot area with room for the value ticks on the left.
    QFont bold = font;
    bold.setBold(true);
    const double titleH = fm.height() + 8;
    double tickW = 0;
    for (double v = std::ceil(y.lower / yStep) * yStep; v <= y.upper + yStep * 1e-9; v += yStep)
        tickW = std::max(tickW, fm.horizontalAdvance(tickText(v, yStep)));
    const double left = 10 + fm.height() + 4 + tickW + 6;
    const QRectF plot(left, titleH, size.width() - left - 14, size.height() - titleH - fm.height() - 10);
    m_plotArea = plot;
    const double spanS = double(m_toMs - m_fromMs) / 1000.0;
    auto px = [&](qint64 tMs) {
        return plot.left() + plot.width() * double(tMs - m_fromMs) / double(m_toMs - m_fromMs);
    };
    auto py = [&](double v) { return plot.bottom() - plot.height() * (v - y.lower) / (y.upper - y.lower); };

    p.setFont(bold);
    p.setPen(m_style.text);
    QString title = m_metric.name;
    if (!unit.isEmpty()) title += QStringLiteral(" (%1)").arg(unit);
    p.drawText(QPointF(plot.left(), fm.ascent() + 3), title);
    p.setFont(font);

    // Breach zones, then the grid.
    const QList<ChartScale::Level> levels = ChartScale::levels(m_metric, m_plan);
    p.save();
    p.setClipRect(plot);
    for (const ChartScale::Level& l : levels) {
        if (!l.breachAbove) continue;
        QColor c = m_style.bad;
        c.setAlpha(28);
        p.fillRect(QRectF(QPointF(plot.left(), plot.top()),
                          QPointF(plot.right(), std::max(plot.top(), py(l.value * scale)))),
                   c);
    }
    p.restore();
    p.setPen(QPen(m_style.grid, 1, Qt::DotLine));
    for (double v = std::ceil(y.lower / yStep) * yStep; v <= y.upper + yStep * 1e-9; v += yStep)
        p.drawLine(QPointF(plot.left(), py(v)), QPointF(plot.right(), py(v)));
    const qint64 tStep = timeStepS(spanS, plot.width(), fm.horizontalAdvance(QStringLiteral("00:00")) * 2.2);
    const qint64 offsetS = QDateTime::fromMSecsSinceEpoch(m_fromMs).offsetFromUtc();
    QList<qint64> timeTicks;
    for (qint64 t = ((m_fromMs / 1000 + offsetS) / tStep + 1) * tStep - offsetS; t * 1000 <= m_toMs;
         t += tStep)
        timeTicks.append(t * 1000);
    for (qint64 t : timeTicks)
        p.drawLine(QPointF(px(t), plot.top()), QPointF(px(t), plot.bottom()));

    // The series: baseline under canary; per pixel column its first, lowest, highest and last value.
    p.save();
    p.setClipRect(plot.adjusted(0, -1, 0, 1));
    std::sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
        return (a.key == QLatin1String("baseline")) > (b.key == QLatin1String("baseline"));
    });
    for (const Line& l : lines) {
        const bool baseline = l.key == QLatin1String("baseline");
        p.setPen(QPen(baseline ? m_style.baseline : m_style.canary, baseline ? 1.2 : 1.6));
        QPolygonF poly;
        auto flush = [&] {
            if (poly.size() > 1)
                p.drawPolyline(poly);
            else if (poly.size() == 1)
                p.drawPoint(poly.first());
            poly.clear();
        };
        int column = INT_MIN;
        double first = 0, lo = 0, hi = 0, last = 0;
        auto emitColumn = [&] {
            if (column == INT_MIN) return;
            const double x = plot.left() + column + 0.5;
            poly << QPointF(x, py(first));
            if (lo != first) poly << QPointF(x, py(lo));
            if (hi != lo) poly << QPointF(x, py(hi));
            if (last != hi) poly << QPointF(x, py(last));
        };
        for (const Sample& s : l.samples) {
            if (!std::isfinite(s.value)) { // a gap breaks the line
                emitColumn();
                column = INT_MIN;
                flush();
                continue;
            }
            const double v = s.value * scale;
            const int c = int(std::floor(px(s.tMs) - plot.left()));
            if (c != column) {
                emitColumn();
                column = c;
                first = lo = hi = last = v;
            } else {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
                last = v;
            }
        }
        emitColumn();
        flush();
    }
    // Threshold levels.
    for (const ChartScale::Level& l : levels) {
        p.setPen(QPen(l.trigger ? m_style.bad : m_style.good, 1.2, Qt::DashLine));
        p.drawLine(QPointF(plot.left(), py(l.value * scale)), QPointF(plot.right(), py(l.value * scale)));
    }
    // Markers, their labels laid out so that none overlaps another.
    QList<MarkerLayout::Marker> labels;
    for (const Marker& m : m_markers) {
        const double x = px(m.atMs);
        labels.append({x, m.label});
        if (x < plot.left() || x > plot.right()) continue;
        p.setPen(QPen(m.bad ? m_style.bad : m_style.accent, 1.5, m.bad ? Qt::SolidLine : Qt::DashDotLine));
        p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
    }
    m_labels = MarkerLayout::place(labels, fm, plot.left(), plot.right(), plot.top());
    for (const MarkerLayout::Placed& l : std::as_const(m_labels)) {
        QColor back = m_style.background;
        back.setAlpha(210);
        p.fillRect(l.rect, back);
        p.setPen(m_markers[l.marker].bad ? m_style.bad : m_style.accent);
        p.drawText(l.rect, Qt::AlignLeft | Qt::AlignVCenter, l.text);
    }
    p.restore();

    // No canary traffic: say so where the line would be.
    m_saidNoTraffic = !m_metric.canary.isEmpty() || keys.contains(QStringLiteral("canary"))
                          ? !ChartScale::canaryHasTraffic(m_metric, m_store, m_fromMs, m_toMs)
                          : false;
    if (m_saidNoTraffic) {
        QFont big = font;
        big.setPointSizeF(font.pointSizeF() * 1.3);
        p.setFont(big);
        p.setPen(m_style.muted);
        p.drawText(plot, Qt::AlignCenter, ChartScale::noCanaryTrafficText());
        p.setFont(font);
    }

    // Axes and their labels.
    p.setPen(QPen(m_style.axis, 1));
    p.drawLine(plot.bottomLeft(), plot.bottomRight());
    p.drawLine(plot.bottomLeft(), plot.topLeft());
    p.setPen(m_style.text);
    for (double v = std::ceil(y.lower / yStep) * yStep; v <= y.upper + yStep * 1e-9; v += yStep) {
        const QString text = tickText(v, yStep);
        p.drawText(QRectF(left - 6 - tickW, py(v) - fm.height() / 2, tickW, fm.height()),
                   Qt::AlignRight | Qt::AlignVCenter, text);
    }
    const bool days = spanS > 20 * 3600;
    for (qint64 t : timeTicks) {
        const QString text = QDateTime::fromMSecsSinceEpoch(t).toString(days ? QStringLiteral("ddd HH:mm")
                                                                             : QStringLiteral("HH:mm"));
        const double w = fm.horizontalAdvance(text);
        p.drawText(QRectF(px(t) - w / 2, plot.bottom() + 3, w, fm.height()), Qt::AlignCenter, text);
    }
    if (!unit.isEmpty()) {
        p.save();
        p.translate(10 + fm.ascent(), plot.center().y());
        p.rotate(-90);
        const double w = fm.horizontalAdvance(unit);
        p.drawText(QPointF(-w / 2, 0), unit);
        p.restore();
    }

    // Legend, bottom left inside the plot, when there is more than one line.
    if (lines.size() > 1) {
        QStringList names;
        for (const Line& l : lines)
            names.append(l.key == QLatin1String("baseline") ? QStringLiteral("baseline")
                         : l.key.isEmpty()                  ? m_metric.name
                                                            : l.key);
        double w = 0;
        for (const QString& n : names)
            w = std::max(w, fm.horizontalAdvance(n));
        const QRectF box(plot.left() + 6, plot.bottom() - 6 - names.size() * fm.height() - 6, w + 36,
                         names.size() * fm.height() + 6);
        QColor back = m_style.background;
        back.setAlpha(220);
        p.fillRect(box, back);
        for (int i = 0; i < names.size(); ++i) {
            const double ly = box.top() + 3 + i * fm.height() + fm.height() / 2;
            const bool baseline = lines[i].key == QLatin1String("baseline");
            p.setPen(QPen(baseline ? m_style.baseline : m_style.canary, 2));
            p.drawLine(QPointF(box.left() + 4, ly), QPointF(box.left() + 26, ly));
            p.setPen(m_style.text);
            p.drawText(QPointF(box.left() + 32, ly + fm.ascent() / 2 - 1), names[i]);
        }
    }
    return image;
}

} // namespace rollout
