#include "MainWindow.h"

#include "plan/Duration.h"
#include "plan/Plan.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

namespace rollout {

MainWindow::MainWindow(const Plan& plan, QWidget* parent) : QMainWindow(parent)
{
    setWindowTitle(QStringLiteral("Rollout Console — %1").arg(plan.rollout));
    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    auto* title = new QLabel(QStringLiteral("<h2>%1</h2><p>%2 · %3</p>").arg(plan.rollout.toHtmlEscaped(), plan.description.toHtmlEscaped(), plan.environment.toHtmlEscaped()), central);
    layout->addWidget(title);
    auto* phases = new QTableWidget(int(plan.phases.size()), 4, central);
    phases->setObjectName(QStringLiteral("phaseTable"));
    phases->setHorizontalHeaderLabels({tr("Phase"), tr("Traffic"), tr("Minimum duration"), tr("Success criteria")});
    for (int i = 0; i < int(plan.phases.size()); ++i) {
        const PhaseSpec& ph = plan.phases[std::size_t(i)];
        QStringList criteria;
        for (const Condition& c : ph.success) criteria.append(c.text);
        phases->setItem(i, 0, new QTableWidgetItem(ph.name));
        phases->setItem(i, 1, new QTableWidgetItem(QString::number(ph.traffic) + QLatin1Char('%')));
        phases->setItem(i, 2, new QTableWidgetItem(Duration::format(ph.minDurationMs)));
        phases->setItem(i, 3, new QTableWidgetItem(criteria.join(QStringLiteral(", "))));
    }
    phases->horizontalHeader()->setStretchLastSection(true);
    layout->addWidget(phases, 1);
    setCentralWidget(central);
    resize(1100, 700);
}

} // namespace rollout
