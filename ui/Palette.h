#pragma once

#include "viewmodels/Severity.h"

#include <QColor>
#include <QIdentityProxyModel>

namespace rollout {

// The few colours that carry meaning (good, warning, bad), readable on light and dark palettes.
class Palette
{
public:
    static bool dark();
    static QColor good() { return dark() ? QColor(0x66, 0xbb, 0x6a) : QColor(0x2e, 0x7d, 0x32); }
    static QColor warning() { return dark() ? QColor(0xff, 0xb7, 0x4d) : QColor(0xc1, 0x66, 0x00); }
    static QColor bad() { return dark() ? QColor(0xef, 0x53, 0x50) : QColor(0xc6, 0x28, 0x28); }
    static QColor accent() { return QColor(0x1e, 0x6f, 0xd9); }
    static QColor muted();
    static QColor forSeverity(Severity s);
};

// Turns the models' SeverityRole into a foreground colour for standard views.
class SeverityColorProxy final : public QIdentityProxyModel
{
    Q_OBJECT
public:
    using QIdentityProxyModel::QIdentityProxyModel;
    QVariant data(const QModelIndex& index, int role) const override;
};

} // namespace rollout
