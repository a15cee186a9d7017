#pragma once

#include "engine/RolloutEvent.h"

#include <QWidget>
#include <memory>

class QComboBox;
class QFrame;
class QLabel;
class QLineEdit;
class QPushButton;
class QTabWidget;

namespace rollout {

class RolloutAssembly;
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

// One rollout, in a tab of the console: the header, timeline, charts, gate and checklist,
// triggers, sign-off table, event log, flags and ledger, over item models, and the action bar.
// It holds no logic of its own: actions go to the session as the acting person; what it has to
// say goes out as statusMessage (the window's status bar) and notify (the desktop's tray).
class RolloutView final : public QWidget
{
    Q_OBJECT
public:
    explicit RolloutView(RolloutAssembly& assembly, QWidget* parent = nullptr);
    ~RolloutView() override;

    const RolloutRuntime& runtime() const { return m_runtime; }
    HeaderBar* header() const { return m_header; }
    // Writes the evidence pack (page, charts, ledger) into `folder`; the page's path, or empty.
    QString writeEvidencePack(const QString& folder);
    QStringList sideTabNames() const;
    bool canSign() const;

public Q_SLOTS:
    // Countersigns what was recorded in `personId`'s name with this device's key while their key
    // was locked (a rollback): called once their key is unlocked here.
    void countersignPending(const QString& personId);
    void advance();
    void togglePause();
    void rollbackNow();
    void acknowledgeAlert();
    void focusRollback();
    void writeEvidencePackInteractively();
    void unlockOwnKey();
    void unlockAutomationKey();
    void showSideTab(int index);

Q_SIGNALS:
    void statusMessage(const QString& text, int timeoutMs, bool bad);
    void notify(const QString& title, const QString& text, bool critical);

private:
    void refresh();
    void onEvent(const RolloutEvent& e);
    // A decision of the replayed history: its line in the Events tab and its chart marker.
    void showPastEvent(const RolloutEvent& e);
    void report(const QString& message, bool ok);
    void showPhaseDetails(int phase);
    void wireFlags();
    void wireLedger();
    void wireNotifier();
    void wireDriver();
    // Following: the driver's gate, triggers and flag read-back, with whose and how old
    // (RolloutViewDriver.cpp).
    void showDriverView();
    QString driverNote() const; // "Verdicts as watch (automation) on build-7, pid 42 sees them, 1.2 s ago."
    void showLedgerVerdicts();
    void showVerdicts(const QList<struct RecordVerdict>& verdicts);
    // Unlocks `personId`'s signing key (a dialog); false when it stays locked.
    bool unlockKey(const QString& personId, const QString& why);
    void onFlagSummary(const QString& summary, bool failed);
    void showFlagHealth(const FlagChangeReport& report);
    Actor actor() const;

    RolloutAssembly& m_assembly;
    RolloutRuntime& m_runtime;
    HeaderBar* m_header;
    QFrame* m_banner;
    QLabel* m_bannerText;
    QLabel* m_bannerFlags;
    QLabel* m_bannerSteps; // the action list's steps as they finish, and escalations
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
    int m_rolledBackFrom = -1;
};

} // namespace rollout
