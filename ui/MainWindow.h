#pragma once

#include <QMainWindow>

namespace rollout {

struct Plan;

// The console's main window. For now it shows the loaded plan's phases; the timeline, charts,
// checklists and rollback button arrive with the console issue.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(const Plan& plan, QWidget* parent = nullptr);
};

} // namespace rollout
