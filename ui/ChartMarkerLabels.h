#pragma once

#include "MarkerLayout.h"

#include <QColor>
#include <qcustomplot.h>

namespace rollout {

// The labels of a chart's vertical markers, drawn along the top of its axis rect and laid out
// again at every replot (MarkerLayout: staggered or elided, never overlapping, at any zoom).
class ChartMarkerLabels final : public QCPLayerable
{
public:
    explicit ChartMarkerLabels(QCustomPlot* plot);

    void add(double key, const QString& text, const QColor& color);
    // What the last replot drew (for tests): the rectangles are in the plot's pixels.
    const QList<MarkerLayout::Placed>& placed() const { return m_placed; }

protected:
    void applyDefaultAntialiasingHint(QCPPainter* painter) const override;
    QRect clipRect() const override;
    void draw(QCPPainter* painter) override;

private:
    struct Marker
    {
        double key;
        QString text;
        QColor color;
    };
    QList<Marker> m_markers;
    QList<MarkerLayout::Placed> m_placed;
};

} // namespace rollout
