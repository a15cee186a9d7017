#pragma once

#include <QFontMetricsF>
#include <QList>
#include <QRectF>
#include <QString>

namespace rollout {

// Where the labels of a chart's vertical markers (phase changes, rollbacks) go along its top
// edge, so that no two ever overlap whatever the zoom: each label starts just right of its marker
// (or ends just left of it near the right edge), in the first row free there (up to `maxRows`
// rows, staggered downwards); when every row is taken, the labels of the row that ends first are
// elided to end before the newer one, or dropped when too little of them would be left. A label
// never leaves the plot. Shared by the console's charts (QCustomPlot) and the evidence pack's.
class MarkerLayout final
{
public:
    struct Marker
    {
        double x = 0; // the marker line, in pixels
        QString text;
    };
    struct Placed
    {
        int marker = -1; // index into the markers given
        QRectF rect;     // where the text is drawn (its advance × line height)
        QString text;    // the text, elided when it had to be
    };
    static constexpr double kPad = 3.0; // between a marker line and its label
    static constexpr double kGap = 4.0; // between two labels in a row

    static QList<Placed> place(const QList<Marker>& markers, const QFontMetricsF& fm, double left,
                               double right, double top, int maxRows = 3);
};

} // namespace rollout
