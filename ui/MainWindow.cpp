#include "MainWindow.h"

#include "HeaderBar.h"
#include "HomeView.h"
#include "Palette.h"
#include "RolloutView.h"
#include "SettingsDialog.h"
#include "ShortcutSheet.h"
#include "core/Settings.h"
#include "plan/PlanLoader.h"
#include "runtime/RolloutAssembly.h"
#include "viewmodels/RolloutListModel.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QSystemTrayIcon>
#include <QTabBar>
#include <QTabWidget>
#include <QTimer>

namespace rollout {

namespace {

const char* const kRecentKey = "recent/plans";
const char* const kIdentityKey = "identity/person";
constexpr int kRecentMax = 10;

bool isPlanFile(const QString& path)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    return suffix == QLatin1String("yaml") || suffix == QLatin1String("yml");
}

} // namespace

struct MainWindow::Tab
{
    std::unique_ptr<OpenedRollout> opened;
    RolloutView* view = nullptr;
};

MainWindow::MainWindow(Options options, QWidget* parent) : QMainWindow(parent), m_options(std::move(options))
{
    setObjectName(QStringLiteral("mainWindow"));
    setAcceptDrops(true);
    m_list = new RolloutListModel(this);
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("rolloutTabs"));
    m_tabs->setDocumentMode(true);
    m_tabs->setTabsClosable(true);
    m_tabs->setMovable(true);
    m_home = new HomeView(*m_list, m_tabs);
    m_tabs->addTab(m_home, tr("⌂ Home"));
    m_tabs->tabBar()->setTabButton(0, QTabBar::RightSide, nullptr); // home stays
    m_tabs->tabBar()->setTabButton(0, QTabBar::LeftSide, nullptr);
    setCentralWidget(m_tabs);
    connect(m_tabs, &QTabWidget::tabCloseRequested, this, &MainWindow::closeTab);
    connect(m_tabs, &QTabWidget::currentChanged, this, [this] {
        // Only the rollout on screen polls its metrics while it follows another driver.
        for (const auto& t : m_open)
            t->opened->assembly->runtime().setOnScreen(t->view == currentView());
        const bool rollout = currentView() != nullptr;
        for (QAction* a : std::as_const(m_rolloutActions))
            a->setEnabled(rollout);
        if (!rollout) refreshHome();
        updateTitle();
    });
    connect(m_home, &HomeView::openRequested, this, [this](const QString& rollout, const QString& planPath) {
        if (RolloutView* v = viewOf(rollout)) {
            showView(v);
            return;
        }
        if (planPath.isEmpty()) {
            statusBar()->showMessage(
                tr("%1: its plan was never opened here; open the plan file (Ctrl+O)").arg(rollout), 8000);
            return;
        }
        openPlan(planPath);
    });
    m_identity = QSettings().value(QLatin1String(kIdentityKey)).toString();
    connect(m_home, &HomeView::identityChanged, this, [this](const QString& id) {
        m_identity = id;
        QSettings().setValue(QLatin1String(kIdentityKey), id);
        refreshHome();
    });
    connect(m_list, &RolloutListModel::waitingCountChanged, this, &MainWindow::updateTitle);

    if (QSystemTrayIcon::isSystemTrayAvailable()) {
        m_tray = new QSystemTrayIcon(QApplication::windowIcon(), this);
        m_tray->show();
        // Driving in the background: a click on the tray icon brings the window back.
        connect(m_tray, &QSystemTrayIcon::activated, this, [this] {
            showNormal();
            raise();
            activateWindow();
        });
    }
    buildMenus();
    if (m_options.store.isSet()) {
        m_store = std::make_unique<SharedStoreWorker>(m_options.store);
        connect(m_store.get(), &SharedStoreWorker::rolloutsRead, this,
                [this](const QList<StoredRollout>& rollouts, const QList<StoredView>& views,
                       const QString& error) {
                    m_storeAsked = false;
                    m_storeError = error;
                    if (!error.isEmpty()) {
                        statusBar()->showMessage(
                            tr("The home cannot list the shared store's rollouts: %1").arg(error), 8000);
                        return;
                    }
                    m_storeRollouts = rollouts;
                    m_storeViews.clear();
                    for (const StoredView& stored : views) {
                        QString problem;
                        if (std::optional<DriverView> v = DriverView::fromJson(stored.view, &problem)) {
                            v->ageMs = stored.ageMs;
                            v->driverLive = stored.driverLive;
                            m_storeViews.insert(stored.rollout, *v);
                        }
                    }
                    showHomeRows();
                });
    }
    m_homeTimer = new QTimer(this);
    connect(m_homeTimer, &QTimer::timeout, this, &MainWindow::refreshHome);
    m_homeTimer->start(m_options.homeRefreshMs);

    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    if (!settings.contains(QStringLiteral("window/geometry"))) resize(1280, 800);
    updateTitle();
}

MainWindow::~MainWindow()
{
    // Each view goes before the rollout it shows; the tabs say nothing more while they go.
    disconnect(m_tabs, nullptr, this, nullptr);
    m_homeTimer->stop();
    for (auto& t : m_open) {
        delete t->view;
        t->view = nullptr;
    }
    m_open.clear();
}

void MainWindow::buildMenus()
{
    auto* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open plan…"), QKeySequence::Open, this, &MainWindow::openInteractively);
    m_recent = file->addMenu(tr("Open &recent"));
    m_recent->setObjectName(QStringLiteral("recentMenu"));
    fillRecentMenu();
    file->addAction(tr("&Home"), QKeySequence(QStringLiteral("Ctrl+Shift+H")), this, &MainWindow::showHome);
    file->addAction(tr("&Close tab"), QKeySequence::Close, this,
                    [this] { closeTab(m_tabs->currentIndex()); });
    file->addSeparator();
    file->addAction(tr("&Settings…"), QKeySequence(QStringLiteral("Ctrl+,")), this, [this] {
        Settings settings;
        SettingsDialog(settings, this).exec();
    });
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    // Keyboard: every action has a shortcut. They act on the rollout in the current tab.
    auto* rollout = menuBar()->addMenu(tr("&Rollout"));
    auto add = [this, rollout](const QString& name, const QString& keys, void (RolloutView::*slot)()) {
        QAction* a = rollout->addAction(
            name, this, [this, slot] { forCurrent([slot](RolloutView& v) { (v.*slot)(); }); });
        if (!keys.isEmpty()) a->setShortcut(QKeySequence(keys));
        m_rolloutActions.append(a);
    };
    add(tr("&Advance"), QStringLiteral("Ctrl+Shift+A"), &RolloutView::advance);
    add(tr("&Pause / resume"), QStringLiteral("Ctrl+Shift+P"), &RolloutView::togglePause);
    add(tr("Focus the &rollback button (then hold Space)"), QStringLiteral("Ctrl+Shift+R"),
        &RolloutView::focusRollback);
    add(tr("Ac&knowledge alert"), QStringLiteral("Ctrl+Shift+K"), &RolloutView::acknowledgeAlert);
    add(tr("Write &evidence pack…"), QStringLiteral("Ctrl+Shift+E"),
        &RolloutView::writeEvidencePackInteractively);
    add(tr("&Unlock signing key…"), QStringLiteral("Ctrl+Shift+U"), &RolloutView::unlockOwnKey);
    add(tr("Unlock the a&utomation key…"), QString(), &RolloutView::unlockAutomationKey);

    m_viewMenu = menuBar()->addMenu(tr("&View"));
    const QStringList sides = {
        tr("Gate && checklist"), tr("Triggers"), tr("Sign-off"), tr("Events"), tr("Flags"), tr("Ledger")};
    for (int t = 0; t < sides.size(); ++t) {
        QAction* a =
            m_viewMenu->addAction(sides[t], QKeySequence(QStringLiteral("Ctrl+%1").arg(t + 1)), this,
                                  [this, t] { forCurrent([t](RolloutView& v) { v.showSideTab(t); }); });
        m_rolloutActions.append(a);
    }
    m_viewMenu->addSeparator();
    m_viewMenu->addAction(tr("&Next tab"), QKeySequence(QStringLiteral("Ctrl+PgDown")), this, [this] {
        m_tabs->setCurrentIndex((m_tabs->currentIndex() + 1) % m_tabs->count());
    });
    m_viewMenu->addAction(tr("&Previous tab"), QKeySequence(QStringLiteral("Ctrl+PgUp")), this, [this] {
        m_tabs->setCurrentIndex((m_tabs->currentIndex() + m_tabs->count() - 1) % m_tabs->count());
    });

    auto* help = menuBar()->addMenu(tr("&Help"));
    m_helpMenu = help;
    help->addAction(tr("&Keyboard shortcuts"), QKeySequence(QStringLiteral("F1")), this,
                    &MainWindow::showShortcuts);
    help->addAction(tr("&About Rollout Console"), this, &MainWindow::showAbout);
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
    for (QAction* a : std::as_const(m_rolloutActions))
        a->setEnabled(false);
}

void MainWindow::showAbout()
{
    QMessageBox box(this);
    box.setObjectName(QStringLiteral("aboutBox"));
    box.setWindowTitle(tr("About Rollout Console"));
    box.setIconPixmap(QApplication::windowIcon().pixmap(64, 64));
    box.setTextFormat(Qt::RichText);
    box.setText(
        tr("<h3>Rollout Console %1</h3>"
           "<p>Drive progressive feature rollouts: phases gated by live metrics, checklists and signed "
           "approvals, with automatic and one-click rollback. <code>rolloutctl</code> runs the same engine "
           "headless.</p>"
           "<p>Every decision is signed (Ed25519, libsodium) into a local ledger shared through "
           "PostgreSQL.</p>"
           "<p>Built with Qt %2, QCustomPlot, yaml-cpp, nlohmann/json, spdlog and libsodium.</p>")
            .arg(QCoreApplication::applicationVersion(), QString::fromLatin1(qVersion())));
    box.exec();
}

void MainWindow::showShortcuts()
{
    ShortcutSheet(*menuBar(), this).exec();
}

void MainWindow::forCurrent(const std::function<void(RolloutView&)>& action)
{
    if (RolloutView* v = currentView())
        action(*v);
    else
        statusBar()->showMessage(tr("Open a rollout first: this acts on the rollout in the current tab."),
                                 5000);
}

RolloutView* MainWindow::currentView() const
{
    return qobject_cast<RolloutView*>(m_tabs->currentWidget());
}

RolloutView* MainWindow::viewOf(const QString& rollout) const
{
    for (const auto& t : m_open)
        if (t->view && t->view->runtime().plan().rollout == rollout) return t->view;
    return nullptr;
}

int MainWindow::openCount() const
{
    return int(m_open.size());
}

RolloutView* MainWindow::addRollout(std::unique_ptr<OpenedRollout> opened, bool show)
{
    const QString rollout = opened->assembly->runtime().plan().rollout;
    if (RolloutView* v = viewOf(rollout)) {
        if (show) showView(v);
        return v;
    }
    auto tab = std::make_unique<Tab>();
    tab->opened = std::move(opened);
    tab->view = new RolloutView(*tab->opened->assembly, m_tabs);
    RolloutView* view = tab->view;
    connect(view, &RolloutView::statusMessage, this,
            [this, view](const QString& text, int timeoutMs, bool bad) {
                if (currentView() != view) return;
                statusBar()->setStyleSheet(bad ? QStringLiteral("color:%1").arg(Palette::bad().name())
                                               : QString());
                statusBar()->showMessage(text, timeoutMs);
            });
    connect(view, &RolloutView::notify, this,
            [this](const QString& title, const QString& text, bool critical) {
                if (m_tray)
                    m_tray->showMessage(
                        title, text, critical ? QSystemTrayIcon::Critical : QSystemTrayIcon::Warning, 30000);
            });
    const int index = m_tabs->addTab(view, rollout);
    m_tabs->setTabToolTip(index, tab->opened->planPath);
    if (!tab->opened->planPath.isEmpty() && !tab->opened->planPath.startsWith(QLatin1Char(':')))
        rememberRecent(tab->opened->planPath);
    RolloutRuntime& runtime = tab->opened->assembly->runtime();
    const bool start = tab->opened->start;
    m_open.push_back(std::move(tab));
    if (start) {
        runtime.tick();
        runtime.start();
    }
    if (show)
        m_tabs->setCurrentWidget(view);
    else
        runtime.setOnScreen(false);
    refreshHome();
    return view;
}

RolloutView* MainWindow::openPlan(const QString& planPath)
{
    // A rollout already open is shown, never put together a second time (two engines, one rollout).
    if (const PlanLoadResult peek = PlanLoader::loadFile(planPath); peek.plan)
        if (RolloutView* v = viewOf(peek.plan->rollout)) {
            showView(v);
            return v;
        }
    QString problem;
    std::unique_ptr<OpenedRollout> opened = m_options.opener ? m_options.opener(planPath, &problem) : nullptr;
    if (!opened) {
        statusBar()->setStyleSheet(QStringLiteral("color:%1").arg(Palette::bad().name()));
        statusBar()->showMessage(
            tr("%1 was not opened: %2").arg(planPath, problem.section(QLatin1Char('\n'), 0, 0)), 15000);
        QMessageBox::warning(
            this, tr("Rollout Console"),
            tr("The plan %1 cannot be opened; nothing was changed.\n\n%2").arg(planPath, problem));
        return nullptr;
    }
    opened->planPath = planPath;
    return addRollout(std::move(opened));
}

void MainWindow::openInteractively()
{
    const QString start = QSettings().value(QLatin1String(kRecentKey)).toStringList().value(0);
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Open a rollout plan"), QFileInfo(start).absolutePath(),
                                     tr("Rollout plans (*.yaml *.yml);;All files (*)"));
    if (!path.isEmpty()) openPlan(path);
}

void MainWindow::showView(RolloutView* view)
{
    if (m_tabs->indexOf(view) < 0) { // driven in the background: its tab comes back
        const int index = m_tabs->addTab(view, view->runtime().plan().rollout);
        view->show();
        for (const auto& t : m_open)
            if (t->view == view) m_tabs->setTabToolTip(index, t->opened->planPath);
    }
    m_tabs->setCurrentWidget(view);
}

QStringList MainWindow::drivenRunning(const QList<RolloutView*>& views) const
{
    QStringList out;
    for (const auto& t : m_open) {
        if (!views.isEmpty() && !views.contains(t->view)) continue;
        RolloutRuntime& runtime = t->opened->assembly->runtime();
        const RolloutState state = runtime.session().state();
        const bool running =
            state == RolloutState::Running || state == RolloutState::Paused || state == RolloutState::Alert;
        if (running && runtime.lease() && runtime.lease()->state() == DriveLease::State::Driving)
            out.append(runtime.plan().rollout);
    }
    return out;
}

MainWindow::DrivingChoice MainWindow::askWhileDriving(const QList<RolloutView*>& views, bool quitting)
{
    const QStringList driven = drivenRunning(views);
    if (driven.isEmpty()) return DrivingChoice::HandOver; // nothing driven: nothing to hand over
    const bool canKeep = m_tray != nullptr || !quitting;
    if (m_options.askWhileDriving) return m_options.askWhileDriving(driven, quitting, canKeep);
    QMessageBox box(this);
    box.setObjectName(QStringLiteral("drivingQuestion"));
    box.setIcon(QMessageBox::Warning);
    box.setWindowTitle(quitting ? tr("Quit while driving?") : tr("Close while driving?"));
    box.setText(
        tr("This console drives %1, and the rollout is running.").arg(driven.join(QStringLiteral(", "))));
    box.setInformativeText(
        tr("Hand over gives the lease back now: a watch or another console following it takes over at once. "
           "Keep driving goes on in the background (the tray icon brings the window back). Without either, "
           "nobody drives until the lease lapses."));
    QPushButton* hand = box.addButton(tr("&Hand over"), QMessageBox::AcceptRole);
    QPushButton* keep =
        canKeep ? box.addButton(tr("&Keep driving in the background"), QMessageBox::ActionRole) : nullptr;
    box.addButton(QMessageBox::Cancel);
    box.setDefaultButton(hand);
    box.exec();
    if (box.clickedButton() == static_cast<QAbstractButton*>(hand)) return DrivingChoice::HandOver;
    if (keep && box.clickedButton() == static_cast<QAbstractButton*>(keep)) return DrivingChoice::KeepDriving;
    return DrivingChoice::Cancel;
}

void MainWindow::handOver(RolloutView* view)
{
    for (const auto& t : m_open)
        if (t->view == view)
            if (DriveLease* lease = t->opened->assembly->runtime().lease()) lease->stop(); // given back now
}

void MainWindow::closeTab(int index)
{
    QWidget* w = m_tabs->widget(index);
    if (w == m_home || !w) return;
    auto* view = qobject_cast<RolloutView*>(w);
    switch (askWhileDriving({view}, false)) {
    case DrivingChoice::Cancel:
        return;
    case DrivingChoice::KeepDriving:
        m_tabs->removeTab(index); // the view and its rollout stay: driven in the background
        view->hide();
        statusBar()->showMessage(tr("%1 is still driven by this console, in the background: open it from the "
                                    "home to see it again.")
                                     .arg(view->runtime().plan().rollout),
                                 10000);
        refreshHome();
        return;
    case DrivingChoice::HandOver:
        handOver(view);
        break;
    }
    for (auto it = m_open.begin(); it != m_open.end(); ++it) {
        if ((*it)->view != w) continue;
        m_tabs->removeTab(index);
        delete (*it)->view; // the view before the rollout it shows
        m_open.erase(it);
        break;
    }
    refreshHome();
}

void MainWindow::rememberRecent(const QString& planPath)
{
    QSettings settings;
    QStringList recent = settings.value(QLatin1String(kRecentKey)).toStringList();
    const QString absolute = QFileInfo(planPath).absoluteFilePath();
    recent.removeAll(absolute);
    recent.prepend(absolute);
    while (recent.size() > kRecentMax)
        recent.removeLast();
    settings.setValue(QLatin1String(kRecentKey), recent);
    fillRecentMenu();
}

void MainWindow::fillRecentMenu()
{
    m_recent->clear();
    const QStringList recent = QSettings().value(QLatin1String(kRecentKey)).toStringList();
    for (int i = 0; i < recent.size(); ++i) {
        QAction* a = m_recent->addAction(QStringLiteral("&%1 %2").arg(i + 1).arg(recent[i]), this,
                                         [this, path = recent[i]] { openPlan(path); });
        a->setData(recent[i]);
    }
    if (recent.isEmpty())
        m_recent->addAction(tr("(none yet)"))->setEnabled(false);
    else {
        m_recent->addSeparator();
        m_recent->addAction(tr("Clear the list"), this, [this] {
            QSettings().remove(QLatin1String(kRecentKey));
            fillRecentMenu();
        });
    }
}

int MainWindow::waitingCount() const
{
    return m_list->waitingCount();
}

void MainWindow::refreshHome()
{
    if (m_store && !m_storeAsked) {
        m_storeAsked = true;
        m_store->readRollouts();
    }
    showHomeRows();
}

void MainWindow::showHomeRows()
{
    QList<RolloutSummary> rows;
    QSet<QString> open;
    QStringList people;
    QList<RolloutDirectory::Source> plans;
    for (const auto& t : m_open) {
        const RolloutSession& s = t->view->runtime().session();
        for (const Person& p : s.plan().people)
            if (!people.contains(p.id) && p.id != Actor::automation().id) people.append(p.id);
    }
    if (m_identity.isEmpty() && !people.isEmpty()) m_identity = people.first();
    for (const auto& t : m_open) {
        const RolloutSession& s = t->view->runtime().session();
        RolloutSummary r = RolloutSummary::of(s, m_identity, true);
        r.open = true;
        r.planPath = t->opened->planPath;
        r.source = tr("open");
        if (DriveLease* lease = t->opened->assembly->runtime().lease();
            lease && lease->state() == DriveLease::State::Following)
            r.driver = QStringLiteral("%1 (%2)").arg(lease->holder().kind, lease->holder().person);
        rows.append(r);
        open.insert(s.plan().rollout);
    }
    for (const QString& path : QSettings().value(QLatin1String(kRecentKey)).toStringList())
        plans.append({path, tr("recent plan")});
    plans += m_options.examples;
    if (m_options.clock) {
        const QList<RolloutSummary> known =
            m_directory.readCached(plans, m_options.ledgerPath, m_identity, open, *m_options.clock);
        rows += known;
    }
    // Every rollout of the shared store: those known here get its driver and live health; the
    // others are listed from the store alone.
    for (const StoredRollout& stored : std::as_const(m_storeRollouts)) {
        const auto view = m_storeViews.constFind(stored.rollout);
        const DriverView* v = view == m_storeViews.constEnd() ? nullptr : &*view;
        const auto known = std::find_if(rows.begin(), rows.end(),
                                        [&](const RolloutSummary& r) { return r.rollout == stored.rollout; });
        if (known == rows.end())
            rows.append(RolloutSummary::ofStore(stored, v));
        else if (!known->open)
            known->addDriverView(stored, v);
    }
    m_home->setPeople(people, m_identity);
    m_list->setSummaries(rows, m_options.clock ? m_options.clock->nowMs() : 0);
    updateTitle();
}

void MainWindow::showHome()
{
    m_tabs->setCurrentWidget(m_home);
}

void MainWindow::updateTitle()
{
    const int waiting = m_list->waitingCount();
    const RolloutView* v = currentView();
    QString title = v ? tr("Rollout Console — %1").arg(v->runtime().plan().rollout) : tr("Rollout Console");
    if (waiting > 0) title += tr(" — %n waiting on you", nullptr, waiting);
    setWindowTitle(title);
    if (m_tray)
        m_tray->setToolTip(waiting > 0 ? tr("Rollout Console: %n rollout(s) waiting on you", nullptr, waiting)
                                       : tr("Rollout Console: nothing waiting on you"));
    const int home = m_tabs->indexOf(m_home);
    m_tabs->setTabText(home, waiting > 0 ? tr("⌂ Home (%1)").arg(waiting) : tr("⌂ Home"));
}

void MainWindow::addDemoAction(const QString& name, const QString& shortcut, std::function<void()> action)
{
    if (!m_demoMenu) {
        m_demoMenu = new QMenu(tr("&Demo"), this);
        menuBar()->insertMenu(m_helpMenu->menuAction(), m_demoMenu);
    }
    m_demoMenu->addAction(name, QKeySequence(shortcut), this, [this, name, action] {
        action();
        statusBar()->showMessage(tr("Demo: %1").arg(name), 6000);
    });
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    switch (askWhileDriving({}, true)) {
    case DrivingChoice::Cancel:
        event->ignore();
        return;
    case DrivingChoice::KeepDriving:
        // The window goes; the application and every rollout it drives stay, in the tray.
        QApplication::setQuitOnLastWindowClosed(false);
        hide();
        if (m_tray)
            m_tray->showMessage(tr("Rollout Console still drives"),
                                drivenRunning().join(QStringLiteral(", ")), QSystemTrayIcon::Information,
                                8000);
        event->ignore();
        return;
    case DrivingChoice::HandOver:
        for (const auto& t : m_open)
            handOver(t->view);
        break;
    }
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    event->accept();
}

QStringList MainWindow::planFilesIn(const QMimeData& mime)
{
    QStringList out;
    for (const QUrl& url : mime.urls())
        if (url.isLocalFile() && isPlanFile(url.toLocalFile())) out.append(url.toLocalFile());
    return out;
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (!planFilesIn(*event->mimeData()).isEmpty()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    for (const QString& path : planFilesIn(*event->mimeData()))
        openPlan(path);
    event->acceptProposedAction();
}

} // namespace rollout
