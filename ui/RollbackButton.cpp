#include "RollbackButton.h"

#include "Palette.h"

#include <QKeyEvent>
#include <QPainter>
#include <QPainterPath>

namespace rollout {

RollbackButton::RollbackButton(QWidget* parent) : QAbstractButton(parent)
{
    setObjectName(QStringLiteral("rollbackButton"));
    setText(tr("ROLL BACK"));
    setAccessibleName(tr("Roll back: press and hold"));
    setToolTip(tr("Press and hold to roll every flag back to the previous phase (Ctrl+Shift+R focuses it; "
                  "hold Space)."));
    setFocusPolicy(Qt::StrongFocus);
    setCursor(Qt::PointingHandCursor);
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    m_frame.setInterval(16);
    connect(&m_frame, &QTimer::timeout, this, [this] {
        if (!m_holding) return;
        if (progress() >= 1.0) {
            m_holding = false;
            m_frame.stop();
            update();
            Q_EMIT confirmed();
            return;
        }
        update();
    });
}

double RollbackButton::progress() const
{
    return m_holding ? std::min(1.0, double(m_since.elapsed()) / m_holdMs) : 0.0;
}

void RollbackButton::beginHold()
{
    if (!isEnabled() || m_holding) return;
    m_holding = true;
    m_since.start();
    m_frame.start();
    update();
}

void RollbackButton::endHold()
{
    if (!m_holding) return;
    m_holding = false;
    m_frame.stop();
    update();
    Q_EMIT holdCancelled();
}

void RollbackButton::mousePressEvent(QMouseEvent* event)
{
    if (event->button() == Qt::LeftButton) beginHold();
}

void RollbackButton::mouseReleaseEvent(QMouseEvent* event)
{
    if (event->button() == Qt::LeftButton) endHold();
}

void RollbackButton::keyPressEvent(QKeyEvent* event)
{
    if (event->key() == Qt::Key_Space || event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter) {
        if (!event->isAutoRepeat()) beginHold();
        return;
    }
    QAbstractButton::keyPressEvent(event);
}

void RollbackButton::keyReleaseEvent(QKeyEvent* event)
{
    if (event->key() == Qt::Key_Space || event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter) {
        if (!event->isAutoRepeat()) endHold();
        return;
    }
    QAbstractButton::keyReleaseEvent(event);
}

void RollbackButton::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QRectF r = QRectF(rect()).adjusted(1, 1, -1, -1);
    QPainterPath path;
    path.addRoundedRect(r, 8, 8);
    const QColor base = isEnabled() ? QColor(0xb7, 0x1c, 0x1c) : QColor(0x9e, 0x9e, 0x9e);
    p.fillPath(path, base);
    if (m_holding) {
        p.save();
        p.setClipPath(path);
        p.fillRect(QRectF(r.left(), r.top(), r.width() * progress(), r.height()), QColor(0x6d, 0x00, 0x00));
        p.restore();
    }
    if (hasFocus()) {
        p.setPen(QPen(Qt::white, 2, Qt::DashLine));
        p.drawRoundedRect(r.adjusted(4, 4, -4, -4), 6, 6);
    }
    p.setPen(Qt::white);
    QFont f = font();
    f.setBold(true);
    f.setPointSizeF(f.pointSizeF() * 1.5);
    p.setFont(f);
    const QString label = m_holding ? tr("HOLD… rolling back") : text();
    p.drawText(r.adjusted(0, -8, 0, 0), Qt::AlignCenter, label);
    f.setBold(false);
    f.setPointSizeF(font().pointSizeF() * 0.85);
    p.setFont(f);
    p.drawText(r.adjusted(0, 0, 0, -6), Qt::AlignHCenter | Qt::AlignBottom, tr("press and hold"));
}

} // namespace rollout
