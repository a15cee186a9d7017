#pragma once

#include "metrics/TimeSeriesStore.h"
#include "plan/Plan.h"

#include <QHash>
#include <QWidget>
#include <qcustomplot.h>

class QLabel;

namespace rollout {

class ChartMarkerLabels;

// One live chart per metric (QCustomPlot): canary and baseline series, success thresholds
// (green) and trigger thresholds (red, with the breach zone shaded), phase changes and rollbacks
// as vertical markers, drag to pan and wheel to zoom in time, the last value and a stale badge.
// New samples are appended incrementally and repainted at most once per store notification.
class MetricChartWidget final : public QWidget
{
    Q_OBJECT
public:
    MetricChartWidget(const MetricSpec& metric, const Plan& plan, const TimeSeriesStore& store,
                      QWidget* parent = nullptr);

    // Pull what arrived since last time and repaint (queued, coalesced by Qt).
    void refresh(qint64 nowMs);
    void addMarker(qint64 atMs, const QString& label, bool bad);
    void setVisibleSpanMs(qint64 spanMs) { m_spanMs = spanMs; }
    // A rate with counts: from here on the chart draws the canary's always-valid confidence band
    // over the evidence gathered since `sinceMs` (the phase's start), at confidence `level`.
    void setEvidenceSince(qint64 sinceMs, double level);
    QCustomPlot* plot() const { return m_plot; }
    int pointCount() const;
    // What the chart says (for tests): "no canary traffic yet" instead of a flat canary line, and
    // the marker labels the last replot drew (pixels of plot(); they never overlap).
    bool showsNoCanaryTraffic() const;
    QList<QRectF> markerLabelRects() const;
    QStringList markerLabelTexts() const;

private:
    void addThresholds();
    void refreshBand(qint64 nowMs);
    void styleForPalette();

    const MetricSpec m_metric;
    const Plan& m_plan;
    const TimeSeriesStore& m_store;
    QCustomPlot* m_plot;
    QLabel* m_value;
    ChartMarkerLabels* m_markerLabels;
    QCPItemText* m_noTraffic;
    bool m_hasCanary = false;
    qint64 m_lastCanaryTrafficMs = std::numeric_limits<qint64>::min(); // newest canary sample with traffic
    QHash<QString, QCPGraph*> m_graphs;                                // series key → graph
    QHash<QString, qint64> m_lastAppended; // series key → newest key plotted (ms)
    qint64 m_spanMs = 15 * 60 * 1000;
    bool m_follow = true; // keep the newest data in view until the user pans
    double m_scale = 1.0; // display unit factor (ratio → %)
    QCPRange m_y;         // the y range shown while following, widened as points arrive
    bool m_yValid = false;
    qint64 m_yScannedMs = 0;     // when the last exact rescan ran
    qint64 m_yScannedUpToMs = 0; // newest key (ms) folded into m_y
    qint64 m_ySpanMs = 0;
    QCPGraph* m_bandLow = nullptr; // the canary's confidence band (rates with counts)
    QCPGraph* m_bandHigh = nullptr;
    qint64 m_bandSinceMs = 0;
    qint64 m_bandUpToMs = 0;
    double m_bandLevel = 0.95;
};

} // namespace rollout
