#include "ChartMarkerLabels.h"

namespace rollout {

ChartMarkerLabels::ChartMarkerLabels(QCustomPlot* plot) : QCPLayerable(plot, QStringLiteral("axes"))
{
    setAntialiased(true);
}

void ChartMarkerLabels::add(double key, const QString& text, const QColor& color)
{
    m_markers.append(Marker{key, text, color});
}

void ChartMarkerLabels::applyDefaultAntialiasingHint(QCPPainter* painter) const
{
    applyAntialiasingHint(painter, mAntialiased, QCP::aeItems);
}

QRect ChartMarkerLabels::clipRect() const
{
    return mParentPlot->axisRect()->rect();
}

void ChartMarkerLabels::draw(QCPPainter* painter)
{
    const QCPAxisRect* rect = mParentPlot->axisRect();
    const QCPAxis* x = rect->axis(QCPAxis::atBottom);
    QList<MarkerLayout::Marker> at;
    at.reserve(m_markers.size());
    for (const Marker& m : std::as_const(m_markers))
        at.append({x->coordToPixel(m.key), m.text});
    const QFont font = mParentPlot->font();
    m_placed = MarkerLayout::place(at, QFontMetricsF(font), rect->left(), rect->right(), rect->top());
    painter->setFont(font);
    QColor back = mParentPlot->palette().color(QPalette::Base);
    back.setAlpha(210);
    for (const MarkerLayout::Placed& p : std::as_const(m_placed)) {
        painter->fillRect(p.rect, back);
        painter->setPen(m_markers[p.marker].color);
        painter->drawText(p.rect, Qt::AlignLeft | Qt::AlignVCenter, p.text);
    }
}

} // namespace rollout
