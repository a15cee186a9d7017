// Marker labels along a chart's top never overlap, at any zoom: the phase changes of a rollout
// that advanced twice within seconds ("→ 1%" over "0%" on the demo) are staggered, a crowd is
// elided or thinned, a label never leaves the plot, and a lone label is shown whole.
#include "MarkerLayout.h"

#include <QGuiApplication>
#include <QRandomGenerator>
#include <QTest>

using namespace rollout;

namespace {

void verifyNoOverlap(const QList<MarkerLayout::Placed>& placed, double left, double right)
{
    for (int i = 0; i < placed.size(); ++i) {
        QVERIFY2(placed[i].rect.left() >= left && placed[i].rect.right() <= right + 0.5,
                 qPrintable(QStringLiteral("label %1 leaves the plot").arg(i)));
        for (int j = i + 1; j < placed.size(); ++j)
            QVERIFY2(!placed[i].rect.intersects(placed[j].rect),
                     qPrintable(QStringLiteral("'%1' overlaps '%2'").arg(placed[i].text, placed[j].text)));
    }
}

} // namespace

class TestMarkerLayout final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void aLoneLabelIsWholeRightOfItsMarker()
    {
        const QFontMetricsF fm(QGuiApplication::font());
        const auto placed = MarkerLayout::place({{100, QStringLiteral("→ 10%")}}, fm, 50, 600, 20);
        QCOMPARE(placed.size(), 1);
        QCOMPARE(placed[0].text, QStringLiteral("→ 10%"));
        QVERIFY(placed[0].rect.left() > 100 && placed[0].rect.left() < 110);
        QCOMPARE(placed[0].rect.top(), 21.0);
    }

    void twoAdvancesSecondsApartAreStaggered()
    {
        const QFontMetricsF fm(QGuiApplication::font());
        // 15 minutes on 600 px: two seconds apart is under two pixels.
        const auto placed = MarkerLayout::place(
            {{300, QStringLiteral("→ 1%")}, {301.3, QStringLiteral("rollback")}}, fm, 50, 650, 20);
        QCOMPARE(placed.size(), 2);
        QCOMPARE(placed[0].text, QStringLiteral("→ 1%"));
        QCOMPARE(placed[1].text, QStringLiteral("rollback"));
        QVERIFY(placed[1].rect.top() >= placed[0].rect.bottom()); // the second row
        verifyNoOverlap(placed, 50, 650);
    }

    void aCrowdIsElidedOrThinnedNeverOverlapping_data()
    {
        QTest::addColumn<int>("count");
        QTest::addColumn<double>("spacing");
        QTest::newRow("ten at one pixel") << 10 << 1.0;
        QTest::newRow("thirty at 8 px") << 30 << 8.0;
        QTest::newRow("hundred at 25 px") << 100 << 25.0;
        QTest::newRow("five at 40 px") << 5 << 40.0;
    }

    void aCrowdIsElidedOrThinnedNeverOverlapping()
    {
        QFETCH(int, count);
        QFETCH(double, spacing);
        const QFontMetricsF fm(QGuiApplication::font());
        QList<MarkerLayout::Marker> markers;
        for (int i = 0; i < count; ++i)
            markers.append({60 + i * spacing, QStringLiteral("→ %1%").arg(i * 5)});
        const auto placed = MarkerLayout::place(markers, fm, 50, 700, 0);
        verifyNoOverlap(placed, 50, 700);
        QVERIFY(!placed.isEmpty());
        // The newest marker in view always keeps a label (left of it, at the right edge).
        int newest = -1;
        for (int i = 0; i < count; ++i)
            if (markers[i].x <= 700) newest = i;
        bool found = false;
        for (const auto& p : placed)
            found = found || p.marker == newest;
        QVERIFY2(found, qPrintable(QString::number(newest)));
    }

    void randomMarkersNeverOverlap()
    {
        const QFontMetricsF fm(QGuiApplication::font());
        QRandomGenerator rng(13);
        for (int round = 0; round < 300; ++round) {
            QList<MarkerLayout::Marker> markers;
            const int n = rng.bounded(1, 25);
            const double width = 100 + rng.bounded(900);
            for (int i = 0; i < n; ++i)
                markers.append({rng.bounded(width + 100) - 50,
                                i % 3 == 0 ? QStringLiteral("rollback")
                                           : QStringLiteral("→ %1%").arg(rng.bounded(101))});
            const auto placed = MarkerLayout::place(markers, fm, 0, width, 0, 1 + rng.bounded(3));
            verifyNoOverlap(placed, 0, width);
            for (const auto& p : placed)
                QVERIFY(markers[p.marker].x >= 0 && markers[p.marker].x <= width);
        }
    }

    void markersOutsideTheViewHaveNoLabel()
    {
        const QFontMetricsF fm(QGuiApplication::font());
        const auto placed =
            MarkerLayout::place({{10, QStringLiteral("a")}, {900, QStringLiteral("b")}}, fm, 50, 600, 0);
        QVERIFY(placed.isEmpty());
    }
};

QTEST_MAIN(TestMarkerLayout)
#include "tst_markerlayout.moc"
