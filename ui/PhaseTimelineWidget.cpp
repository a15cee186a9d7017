#include "PhaseTimelineWidget.h"

#include "Palette.h"
#include "plan/Duration.h"
#include "plan/Plan.h"

#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>

namespace rollout {

PhaseTimelineWidget::PhaseTimelineWidget(const Plan& plan, QWidget* parent) : QWidget(parent), m_plan(plan)
{
    setObjectName(QStringLiteral("phaseTimeline"));
    setAccessibleName(tr("Phase timeline"));
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    setMouseTracking(true);
}

void PhaseTimelineWidget::setProgress(int current, bool complete, int rolledBackFrom, const GateStatus& gate)
{
    m_current = current;
    m_complete = complete;
    m_rolledBackFrom = rolledBackFrom;
    m_gate = gate;
    QStringList tip;
    for (const GateCheck& c : gate.checks)
        tip.append(QStringLiteral("%1 %2%3").arg(
            c.state == CheckState::Met      ? QStringLiteral("✓")
            : c.state == CheckState::NotMet ? QStringLiteral("✗")
                                            : QStringLiteral("?"),
            c.label, c.detail.isEmpty() ? QString() : QStringLiteral(": ") + c.detail));
    setToolTip(tip.join(QLatin1Char('\n')));
    update();
}

QRectF PhaseTimelineWidget::segmentRect(int i) const
{
    const int n = std::max<int>(1, int(m_plan.phases.size()));
    const qreal gap = 6;
    const qreal w = (width() - 16 - gap * (n - 1)) / n;
    return {8 + i * (w + gap), 8, w, 54};
}

void PhaseTimelineWidget::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette pal = palette();
    for (int i = 0; i < int(m_plan.phases.size()); ++i) {
        const PhaseSpec& ph = m_plan.phases[std::size_t(i)];
        const QRectF r = segmentRect(i);
        QColor fill = pal.color(QPalette::Button);
        QColor text = pal.color(QPalette::ButtonText);
        QString state = tr("pending");
        if (m_complete || i < m_current) {
            fill = Palette::good();
            text = Qt::white;
            state = tr("done");
        } else if (i == m_current) {
            fill = Palette::accent();
            text = Qt::white;
            state = tr("current");
        }
        if (i == m_rolledBackFrom) {
            fill = Palette::bad();
            text = Qt::white;
            state = tr("rolled back");
        }
        QPainterPath path;
        path.addRoundedRect(r, 6, 6);
        p.fillPath(path, fill);
        if (i == m_current) {
            p.setPen(QPen(pal.color(QPalette::Highlight).darker(130), 2));
            p.drawPath(path);
        }
        p.setPen(text);
        QFont f = font();
        f.setBold(true);
        f.setPointSizeF(f.pointSizeF() * 1.15);
        p.setFont(f);
        const QString traffic =
            ph.traffic == 0.0 && ph.flags.isEmpty() ? tr("shadow") : QStringLiteral("%1%").arg(ph.traffic);
        p.drawText(r.adjusted(8, 4, -8, -26), Qt::AlignLeft | Qt::AlignVCenter, traffic);
        f.setBold(false);
        f.setPointSizeF(font().pointSizeF() * 0.92);
        p.setFont(f);
        p.drawText(r.adjusted(8, 4, -8, -26), Qt::AlignRight | Qt::AlignVCenter,
                   ph.minDurationMs ? Duration::format(ph.minDurationMs) : QString());
        p.drawText(r.adjusted(8, 26, -8, -4), Qt::AlignLeft | Qt::AlignVCenter,
                   p.fontMetrics().elidedText(QStringLiteral("%1 · %2").arg(ph.name, state), Qt::ElideRight,
                                              int(r.width() - 16)));
    }
    // The gate of the current phase, under the timeline.
    p.setPen(pal.color(QPalette::WindowText));
    QFont f = font();
    p.setFont(f);
    QString line;
    if (m_complete) {
        line = tr("Rollout complete.");
    } else {
        int criteria = 0, criteriaMet = 0, inconclusive = 0;
        for (const GateCheck& c : m_gate.checks) {
            if (c.kind != GateCheck::Kind::Criterion) continue;
            ++criteria;
            criteriaMet += c.state == CheckState::Met;
            inconclusive += c.state == CheckState::Inconclusive;
        }
        const QString next = m_gate.toPhase < int(m_plan.phases.size())
                                 ? tr("Gate to %1").arg(m_plan.phases[std::size_t(m_gate.toPhase)].name)
                                 : tr("Gate to completion");
        QStringList parts;
        parts.append(m_gate.open ? tr("%1: OPEN").arg(next) : tr("%1: closed").arg(next));
        if (criteria)
            parts.append(tr("criteria %1/%2 ✓%3")
                             .arg(criteriaMet)
                             .arg(criteria)
                             .arg(inconclusive ? tr(", %1 inconclusive").arg(inconclusive) : QString()));
        if (m_gate.checklistTotal)
            parts.append(tr("checklist %1/%2").arg(m_gate.checklistDone).arg(m_gate.checklistTotal));
        if (m_gate.approvalsNeeded)
            parts.append(tr("approvals %1/%2").arg(m_gate.approvalsDone).arg(m_gate.approvalsNeeded));
        if (m_gate.opensInMs > 0)
            parts.append(tr("opens in %1 at the earliest").arg(Duration::format(m_gate.opensInMs)));
        line = parts.join(QStringLiteral("   ·   "));
    }
    const QRectF under(8, 70, width() - 16, 40);
    p.setPen(m_gate.open ? Palette::good() : pal.color(QPalette::WindowText));
    p.drawText(under, Qt::AlignLeft | Qt::AlignVCenter | Qt::TextWordWrap, line);
}

void PhaseTimelineWidget::mousePressEvent(QMouseEvent* event)
{
    for (int i = 0; i < int(m_plan.phases.size()); ++i)
        if (segmentRect(i).contains(event->position())) Q_EMIT phaseClicked(i);
}

} // namespace rollout
