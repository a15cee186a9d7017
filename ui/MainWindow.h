#pragma once

#include "engine/RolloutEvent.h"

#include <QMainWindow>

#include <functional>
#include <memory>

class QComboBox;
class QFrame;
class QLabel;
class QLineEdit;
class QListView;
class QPushButton;
class QTabWidget;
class QTableView;
class QSystemTrayIcon;

namespace rollout {

class RolloutRuntime;
class HeaderBar;
class PhaseTimelineWidget;
class MetricChartWidget;
class GatePanel;
class RollbackButton;
class TriggerTableModel;
class SignOffModel;
class EventLogModel;
class FlagTableModel;
class LedgerTableModel;
class KeyStore;
struct LedgerRecord;
struct FlagChangeReport;
struct Actor;

// The console's main window. It wires the views to one running rollout and holds no logic of
// its own: the header, timeline, charts, gate and checklist, triggers, sign-off table and event
// log are separate widgets over item models; actions go to the session as the acting person.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(RolloutRuntime& runtime, QWidget* parent = nullptr);
    ~MainWindow() override;

    // A menu of fault injections, for the embedded demo: name → action.
    void addDemoAction(const QString& name, const QString& shortcut, std::function<void()> action);
    HeaderBar* header() const { return m_header; }
    // Writes the evidence pack (page, charts, ledger) into `folder`; the page's path, or empty.
    QString writeEvidencePack(const QString& folder);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void refresh();
    void onEvent(const RolloutEvent& e);
    void advance();
    void togglePause();
    void rollbackNow();
    void acknowledgeAlert();
    void report(const QString& message, bool ok);
    void showPhaseDetails(int phase);
    void wireFlags();
    void wireLedger();
    void showLedgerVerdicts();
    void showVerdicts(const QList<struct RecordVerdict>& verdicts);
    // Unlocks `personId`'s signing key (a dialog); false when it stays locked.
    bool unlockKey(const QString& personId, const QString& why);
    void onFlagSummary(const QString& summary, bool failed);
    void showFlagHealth(const FlagChangeReport& report);
    Actor actor() const;

    RolloutRuntime& m_runtime;
    HeaderBar* m_header;
    QFrame* m_banner;
    QLabel* m_bannerText;
    QLabel* m_bannerFlags;
    QLabel* m_bannerSteps;          // the action list's steps as they finish, and escalations
    QStringList m_stepLines;
    QPushButton* m_retryFlags;
    QLineEdit* m_reason;
    PhaseTimelineWidget* m_timeline;
    QList<MetricChartWidget*> m_charts;
    QTabWidget* m_tabs;
    GatePanel* m_gate;
    TriggerTableModel* m_triggers;
    SignOffModel* m_signOff;
    EventLogModel* m_log;
    FlagTableModel* m_flagTable = nullptr;
    LedgerTableModel* m_ledgerTable = nullptr;
    std::unique_ptr<KeyStore> m_keys;
    QPushButton* m_advance;
    QPushButton* m_pause;
    QPushButton* m_acknowledge;
    RollbackButton* m_rollback;
    QComboBox* m_actingAs;
    QMenu* m_demoMenu = nullptr;
    QSystemTrayIcon* m_tray = nullptr;
    int m_rolledBackFrom = -1;
};

} // namespace rollout
