#include "Palette.h"

#include <QApplication>
#include <QFont>
#include <QPalette>

namespace rollout {

bool Palette::dark()
{
    const QPalette p = QApplication::palette();
    return p.color(QPalette::Window).lightness() < p.color(QPalette::WindowText).lightness();
}

QColor Palette::muted()
{
    return QApplication::palette().color(QPalette::Disabled, QPalette::WindowText);
}

QColor Palette::forSeverity(Severity s)
{
    switch (s) {
    case Severity::Good:
        return good();
    case Severity::Warning:
        return warning();
    case Severity::Bad:
        return bad();
    case Severity::Muted:
        return muted();
    case Severity::Normal:
        break;
    }
    return {};
}

QVariant SeverityColorProxy::data(const QModelIndex& index, int role) const
{
    if (role == Qt::ForegroundRole) {
        const QVariant s = QIdentityProxyModel::data(index, SeverityRole);
        if (s.isValid() && Severity(s.toInt()) != Severity::Normal)
            return Palette::forSeverity(Severity(s.toInt()));
    }
    if (role == Qt::FontRole) {
        const QVariant s = QIdentityProxyModel::data(index, SeverityRole);
        if (s.isValid() && (Severity(s.toInt()) == Severity::Bad)) {
            QFont f;
            f.setBold(true);
            return f;
        }
    }
    return QIdentityProxyModel::data(index, role);
}

} // namespace rollout
