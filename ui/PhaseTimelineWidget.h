#pragma once

#include "engine/GateStatus.h"

#include <QWidget>

namespace rollout {

struct Plan;

// The phase timeline: every phase as a segment with its traffic and minimum duration, coloured
// done / current / pending / rolled back; under the current one, its gate (criteria, checklist,
// approvals, time left). Clicking a segment asks for that phase's details.
class PhaseTimelineWidget final : public QWidget
{
    Q_OBJECT
public:
    explicit PhaseTimelineWidget(const Plan& plan, QWidget* parent = nullptr);

    // current: -1 before the start; rolledBackFrom: the phase a rollback left, or -1.
    void setProgress(int current, bool complete, int rolledBackFrom, const GateStatus& gate);
    QSize sizeHint() const override { return {900, 118}; }
    QSize minimumSizeHint() const override { return {500, 110}; }

Q_SIGNALS:
    void phaseClicked(int phase);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;

private:
    QRectF segmentRect(int i) const;

    const Plan& m_plan;
    int m_current = -1;
    bool m_complete = false;
    int m_rolledBackFrom = -1;
    GateStatus m_gate;
};

} // namespace rollout
