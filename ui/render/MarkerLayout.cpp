#include "MarkerLayout.h"

#include <algorithm>
#include <numeric>
#include <vector>

namespace rollout {

QList<MarkerLayout::Placed> MarkerLayout::place(const QList<Marker>& markers, const QFontMetricsF& fm,
                                                double left, double right, double top, int maxRows)
{
    maxRows = std::max(1, maxRows);
    std::vector<int> order(std::size_t(markers.size()));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return markers[a].x < markers[b].x; });
    // An elided label keeps at least one character and the ellipsis, or it says nothing.
    const double minWidth = fm.horizontalAdvance(QStringLiteral("W…"));
    const double lineHeight = fm.height();

    struct Box
    {
        double start;
        double width;
        int marker;
    };
    // Each row holds its boxes left to right, none overlapping the next.
    std::vector<std::vector<Box>> rows(static_cast<std::size_t>(maxRows));
    auto rowEnd = [&](int r) {
        const std::vector<Box>& row = rows[std::size_t(r)];
        return row.empty() ? -1e300 : row.back().start + row.back().width;
    };
    for (int m : order) {
        const double x = markers[m].x;
        if (!(x >= left && x <= right)) continue; // off the visible range (or NaN)
        const double natural = fm.horizontalAdvance(markers[m].text);
        const double roomRight = right - (x + kPad), roomLeft = (x - kPad) - left;
        // Right of the marker when it fits; left of it near the right edge; else cut, where there is more
        // room.
        Box box{x + kPad, natural, m};
        if (roomRight < natural) {
            if (roomLeft >= natural)
                box.start = x - kPad - natural;
            else if (roomRight >= roomLeft)
                box.width = roomRight;
            else
                box = Box{left, roomLeft, m};
        }
        if (box.width < minWidth) continue;
        int row = -1;
        for (int r = 0; r < maxRows && row < 0; ++r)
            if (rowEnd(r) + kGap <= box.start) row = r;
        if (row < 0) {
            // Every row is taken here: the row whose labels end first gives way to this newer one,
            // its last labels elided to end before it, or dropped when too little would be left.
            row = 0;
            for (int r = 1; r < maxRows; ++r)
                if (rowEnd(r) < rowEnd(row)) row = r;
            std::vector<Box>& boxes = rows[std::size_t(row)];
            while (!boxes.empty() && boxes.back().start + minWidth + kGap > box.start)
                boxes.pop_back();
            if (!boxes.empty())
                boxes.back().width = std::min(boxes.back().width, box.start - kGap - boxes.back().start);
        }
        rows[std::size_t(row)].push_back(box);
    }

    QList<Placed> out;
    for (int r = 0; r < maxRows; ++r)
        for (const Box& b : rows[std::size_t(r)]) {
            const QString& full = markers[b.marker].text;
            const QString text =
                fm.horizontalAdvance(full) <= b.width ? full : fm.elidedText(full, Qt::ElideRight, b.width);
            if (text.isEmpty()) continue;
            const double width = std::min(fm.horizontalAdvance(text), b.width);
            out.append(Placed{b.marker,
                              QRectF(b.start, top + 1.0 + r * (lineHeight + 1.0), width, lineHeight), text});
        }
    return out;
}

} // namespace rollout
