#pragma once

#include "MarkerLayout.h"
#include "metrics/TimeSeriesStore.h"
#include "plan/Plan.h"

#include <QColor>
#include <QImage>

namespace rollout {

// Draws one metric over a time window into an image with QPainter (QtGui only: `rolloutctl
// report` links no widget): canary and baseline, success thresholds (green) and trigger
// thresholds (red, with a hard trigger's breach zone shaded), phase changes and rollbacks as
// vertical markers with labels that never overlap (MarkerLayout), time and value axes, and "no
// canary traffic yet" when the canary had none. Each series is reduced to its envelope per pixel
// column, so a week of samples costs what the image is wide.
class ChartRenderer final
{
public:
    struct Style
    {
        QColor background, text, grid, axis, canary, baseline, good, bad, accent, muted;
        static Style light(); // a printable page: dark on white
    };
    struct Marker
    {
        qint64 atMs = 0;
        QString label;
        bool bad = false;
    };

    ChartRenderer(const MetricSpec& metric, const Plan& plan, const TimeSeriesStore& store);

    void setWindow(qint64 fromMs, qint64 toMs);
    void addMarker(qint64 atMs, const QString& label, bool bad)
    {
        m_markers.append(Marker{atMs, label, bad});
    }
    void setStyle(const Style& style) { m_style = style; }

    QImage render(const QSize& size) const;
    // What the last render placed: the marker labels, the plot area, whether it said "no canary
    // traffic yet" (for tests).
    const QList<MarkerLayout::Placed>& markerLabels() const { return m_labels; }
    QRectF plotArea() const { return m_plotArea; }
    bool saidNoCanaryTraffic() const { return m_saidNoTraffic; }

private:
    const MetricSpec m_metric;
    const Plan& m_plan;
    const TimeSeriesStore& m_store;
    qint64 m_fromMs = 0;
    qint64 m_toMs = 0;
    QList<Marker> m_markers;
    Style m_style = Style::light();
    mutable QList<MarkerLayout::Placed> m_labels;
    mutable QRectF m_plotArea;
    mutable bool m_saidNoTraffic = false;
};

} // namespace rollout
