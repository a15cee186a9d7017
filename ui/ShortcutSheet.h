#pragma once

#include <QDialog>

class QMenuBar;

namespace rollout {

// Help → Keyboard shortcuts: every menu action that has a shortcut, read from the menus
// themselves (so the sheet never disagrees with them), plus the few keys that are not in a menu.
class ShortcutSheet final : public QDialog
{
    Q_OBJECT
public:
    ShortcutSheet(const QMenuBar& menus, QWidget* parent = nullptr);
    // (menu, action, keys) rows, for the sheet and its test.
    static QList<QStringList> rows(const QMenuBar& menus);
};

} // namespace rollout
