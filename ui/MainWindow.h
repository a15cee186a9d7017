#pragma once

#include "ledger/SharedStoreWorker.h"
#include "runtime/DriverView.h"
#include "viewmodels/RolloutDirectory.h"

#include <QMainWindow>
#include <functional>
#include <memory>

class QMenu;
class QMimeData;
class QSystemTrayIcon;
class QTabWidget;
class QTimer;

namespace rollout {

class HomeView;
class RolloutAssembly;
class RolloutListModel;
class RolloutView;

// A rollout put together for a tab: its parts, and whatever else must live as long (the demo's
// simulator).
struct OpenedRollout
{
    std::unique_ptr<RolloutAssembly> assembly;
    std::shared_ptr<void> companion;
    QString planPath;
    bool start = true; // the runtime ticks on its own timer (tests tick it by hand)
};

// The console's window: the home list first, then one tab per open rollout. It owns the menus
// (File, Rollout, View, Help), the status bar and the tray; what concerns one rollout is done by
// the RolloutView in the current tab.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
public:
    // Puts a plan file's rollout together: null with `problem` when it cannot be.
    using Opener = std::function<std::unique_ptr<OpenedRollout>(const QString& planPath, QString* problem)>;
    // Closing a tab, or quitting, while this console drives a running rollout.
    enum class DrivingChoice
    {
        HandOver,    // give the lease back at once: a follower (a watch, another console) takes over
        KeepDriving, // in the background: the tab goes, the rollout is still driven (the tray shows it)
        Cancel
    };
    // Asked with the rollouts driven; `canKeep` is false when there is no tray to keep them in.
    using DrivingQuestion =
        std::function<DrivingChoice(const QStringList& rollouts, bool quitting, bool canKeep)>;
    struct Options
    {
        Opener opener;
        QString ledgerPath;                       // the ledger the home list reads
        QList<RolloutDirectory::Source> examples; // plans listed whether or not opened
        const Clock* clock = nullptr;
        int homeRefreshMs = 3000;
        DrivingQuestion askWhileDriving; // default: a message box
        // The shared store: the home lists every rollout it holds, with its driver and the
        // driver's live health (a direct query, off the UI thread). Not set: the local ledger only.
        StoreSettings store;
    };

    explicit MainWindow(Options options, QWidget* parent = nullptr);
    ~MainWindow() override;

    // Opens a plan file in a tab (or shows its tab when its rollout is open); the view, or null
    // after saying why.
    RolloutView* openPlan(const QString& planPath);
    // Adds a rollout already put together (the demo); it becomes the current tab when `show`.
    RolloutView* addRollout(std::unique_ptr<OpenedRollout> opened, bool show = true);
    RolloutView* currentView() const;
    RolloutView* viewOf(const QString& rollout) const;
    // Shows a rollout's tab, putting it back when it was driven in the background.
    void showView(RolloutView* view);
    // The open rollouts this console drives that are running (started, not complete or rolled
    // back), among those of `views` (all when empty).
    QStringList drivenRunning(const QList<RolloutView*>& views = {}) const;
    int openCount() const;
    HomeView* home() const { return m_home; }
    RolloutListModel* rolloutList() const { return m_list; }
    // How many rollouts wait on the person acting (the title and the tray say it too).
    int waitingCount() const;
    // Rebuilds the home's rows (and asks the store for its rollouts, answered off the UI thread).
    void refreshHome();
    void showHome();
    // A menu of fault injections, for the embedded demo: name → action.
    void addDemoAction(const QString& name, const QString& shortcut, std::function<void()> action);

    // The plan files (*.yaml, *.yml) among dropped data; drag and drop opens each.
    static QStringList planFilesIn(const QMimeData& mime);

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    struct Tab;
    void buildMenus();
    void openInteractively();
    void closeTab(int index);
    void showHomeRows();
    // What to do when closing `views` (all when empty) while they drive running rollouts
    // (HandOver when none does: there is nothing to ask).
    DrivingChoice askWhileDriving(const QList<RolloutView*>& views, bool quitting);
    void handOver(RolloutView* view);
    void rememberRecent(const QString& planPath);
    void fillRecentMenu();
    void updateTitle();
    void showAbout();
    void showShortcuts();
    void forCurrent(const std::function<void(RolloutView&)>& action);

    Options m_options;
    QTabWidget* m_tabs;
    HomeView* m_home;
    RolloutListModel* m_list;
    std::vector<std::unique_ptr<Tab>> m_open;
    std::unique_ptr<SharedStoreWorker> m_store; // the home's reads of the shared store
    bool m_storeAsked = false;
    QList<StoredRollout> m_storeRollouts;
    QHash<QString, DriverView> m_storeViews;
    QString m_storeError;
    QMenu* m_recent = nullptr;
    QMenu* m_demoMenu = nullptr;
    QMenu* m_viewMenu = nullptr;
    QMenu* m_helpMenu = nullptr;
    QList<QAction*> m_rolloutActions;
    QSystemTrayIcon* m_tray = nullptr;
    QTimer* m_homeTimer;
    RolloutDirectory m_directory; // the home's summaries of rollouts not open, re-read only on change
    QString m_identity;
};

} // namespace rollout
