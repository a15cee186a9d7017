#pragma once

#include <QAbstractButton>
#include <QElapsedTimer>
#include <QTimer>

namespace rollout {

// The big red rollback button. Guarded by hold-to-confirm rather than a dialog: on-call presses
// and holds (mouse, or Space/Enter from the keyboard) for a short moment while the button fills;
// letting go early cancels. No modal box stands between a paged engineer and the rollback, and
// a stray click or key press cannot roll back production. The reason is asked for afterwards.
class RollbackButton final : public QAbstractButton
{
    Q_OBJECT
public:
    explicit RollbackButton(QWidget* parent = nullptr);
    void setHoldMs(int ms) { m_holdMs = ms; }
    int holdMs() const { return m_holdMs; }
    QSize sizeHint() const override { return {300, 64}; }

Q_SIGNALS:
    void confirmed();
    void holdCancelled();

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void keyReleaseEvent(QKeyEvent* event) override;

private:
    void beginHold();
    void endHold();
    double progress() const;

    int m_holdMs = 800;
    bool m_holding = false;
    QElapsedTimer m_since;
    QTimer m_frame;
};

} // namespace rollout
