#include "ShortcutSheet.h"

#include <QAction>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QMenu>
#include <QMenuBar>
#include <QTableWidget>
#include <QVBoxLayout>

namespace rollout {

namespace {

void collect(const QMenu* menu, const QString& path, QList<QStringList>& out)
{
    for (const QAction* a : menu->actions()) {
        if (a->isSeparator()) continue;
        const QString name = a->text().remove(QLatin1Char('&'));
        if (a->menu()) {
            collect(a->menu(), path + QStringLiteral(" › ") + name, out);
            continue;
        }
        if (a->shortcut().isEmpty()) continue;
        out.append({path, name, a->shortcut().toString(QKeySequence::NativeText)});
    }
}

} // namespace

QList<QStringList> ShortcutSheet::rows(const QMenuBar& menus)
{
    QList<QStringList> out;
    for (const QAction* top : menus.actions())
        if (top->menu()) collect(top->menu(), top->text().remove(QLatin1Char('&')), out);
    // Keys that live on a widget, not in a menu.
    out.append({tr("Rollback button"), tr("Roll back (hold while focused)"), tr("Space (held)")});
    out.append({tr("Tabs"), tr("Next / previous rollout tab"), QStringLiteral("Ctrl+Tab / Ctrl+Shift+Tab")});
    return out;
}

ShortcutSheet::ShortcutSheet(const QMenuBar& menus, QWidget* parent) : QDialog(parent)
{
    setObjectName(QStringLiteral("shortcutSheet"));
    setWindowTitle(tr("Keyboard shortcuts"));
    const QList<QStringList> all = rows(menus);
    auto* table = new QTableWidget(int(all.size()), 3, this);
    table->setObjectName(QStringLiteral("shortcutTable"));
    table->setHorizontalHeaderLabels({tr("Where"), tr("Action"), tr("Keys")});
    table->verticalHeader()->hide();
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setAlternatingRowColors(true);
    for (int r = 0; r < all.size(); ++r)
        for (int c = 0; c < 3; ++c)
            table->setItem(r, c, new QTableWidgetItem(all[r].value(c)));
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(table);
    layout->addWidget(buttons);
    resize(640, 520);
}

} // namespace rollout
