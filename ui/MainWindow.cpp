#include "MainWindow.h"

#include "EvidencePackWriter.h"
#include "GatePanel.h"
#include "SettingsDialog.h"
#include "core/Settings.h"
#include "KeyUnlockDialog.h"
#include "LedgerPanel.h"
#include "HeaderBar.h"
#include "MetricChartWidget.h"
#include "Palette.h"
#include "PhaseTimelineWidget.h"
#include "RollbackButton.h"
#include "plan/Duration.h"
#include "runtime/RolloutRuntime.h"
#include "viewmodels/EventLogModel.h"
#include "viewmodels/FlagTableModel.h"
#include "viewmodels/LedgerTableModel.h"
#include "ledger/EventCodec.h"
#include "viewmodels/SignOffModel.h"
#include "viewmodels/TriggerTableModel.h"

#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QFileDialog>
#include <QGridLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenuBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QShortcut>
#include <QSplitter>
#include <QMessageBox>
#include <QStatusBar>
#include <QSystemTrayIcon>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

namespace rollout {

namespace {

QTableView* makeTable(QAbstractItemModel* model, const QString& name, QWidget* parent)
{
    auto* proxy = new SeverityColorProxy(parent);
    proxy->setSourceModel(model);
    auto* view = new QTableView(parent);
    view->setObjectName(name);
    view->setModel(proxy);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->verticalHeader()->hide();
    view->horizontalHeader()->setStretchLastSection(true);
    view->setWordWrap(false);
    view->setAlternatingRowColors(true);
    return view;
}

} // namespace

MainWindow::MainWindow(RolloutRuntime& runtime, QWidget* parent) : QMainWindow(parent), m_runtime(runtime)
{
    const Plan& plan = runtime.plan();
    setWindowTitle(tr("Rollout Console — %1").arg(plan.rollout));
    setObjectName(QStringLiteral("mainWindow"));
    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(6, 6, 6, 6);

    m_header = new HeaderBar(runtime, central);
    layout->addWidget(m_header);

    // The automatic-rollback banner: impossible to miss, says which trigger, which values, since when.
    m_banner = new QFrame(central);
    m_banner->setObjectName(QStringLiteral("rollbackBanner"));
    m_banner->setStyleSheet(QStringLiteral("#rollbackBanner{background:%1;border-radius:6px} #rollbackBanner QLabel{color:white}").arg(Palette::bad().name()));
    auto* bannerLayout = new QHBoxLayout(m_banner);
    auto* bannerLines = new QVBoxLayout;
    m_bannerText = new QLabel(m_banner);
    m_bannerText->setObjectName(QStringLiteral("bannerText"));
    m_bannerText->setWordWrap(true);
    m_bannerText->setTextFormat(Qt::RichText);
    // What the flag services read back: the rollback is done only when this says verified.
    m_bannerFlags = new QLabel(m_banner);
    m_bannerFlags->setObjectName(QStringLiteral("bannerFlags"));
    m_bannerFlags->setWordWrap(true);
    m_bannerFlags->hide();
    bannerLines->addWidget(m_bannerText);
    bannerLines->addWidget(m_bannerFlags);
    m_bannerSteps = new QLabel(m_banner);
    m_bannerSteps->setObjectName(QStringLiteral("bannerSteps"));
    m_bannerSteps->setWordWrap(true);
    m_bannerSteps->hide();
    bannerLines->addWidget(m_bannerSteps);
    m_retryFlags = new QPushButton(tr("&Retry flags"), m_banner);
    m_retryFlags->setObjectName(QStringLiteral("retryFlagsButton"));
    m_retryFlags->setToolTip(tr("Write every flag's target again and read it back"));
    m_retryFlags->hide();
    m_reason = new QLineEdit(m_banner);
    m_reason->setObjectName(QStringLiteral("rollbackReason"));
    m_reason->setPlaceholderText(tr("Why? Add a reason (now or later) and press Enter"));
    m_reason->setMinimumWidth(320);
    auto* dismiss = new QPushButton(tr("Dismiss"), m_banner);
    bannerLayout->addLayout(bannerLines, 1);
    bannerLayout->addWidget(m_retryFlags);
    bannerLayout->addWidget(m_reason);
    bannerLayout->addWidget(dismiss);
    m_banner->hide();
    layout->addWidget(m_banner);
    connect(dismiss, &QPushButton::clicked, m_banner, &QWidget::hide);
    connect(m_reason, &QLineEdit::returnPressed, this, [this] {
        const ActionResult r = m_runtime.session().addNote(actor(), tr("rollback reason: %1").arg(m_reason->text()));
        if (r.ok) m_reason->clear();
        report(r.ok ? tr("Reason recorded.") : r.message, r.ok);
    });

    m_timeline = new PhaseTimelineWidget(plan, central);
    layout->addWidget(m_timeline);

    auto* split = new QSplitter(Qt::Horizontal, central);
    auto* chartArea = new QScrollArea(split);
    chartArea->setWidgetResizable(true);
    auto* chartHost = new QWidget(chartArea);
    auto* grid = new QGridLayout(chartHost);
    int i = 0;
    for (const MetricSpec& m : plan.metrics) {
        auto* chart = new MetricChartWidget(m, plan, runtime.store(), chartHost);
        grid->addWidget(chart, i / 2, i % 2);
        m_charts.append(chart);
        ++i;
    }
    chartArea->setWidget(chartHost);
    split->addWidget(chartArea);

    m_tabs = new QTabWidget(split);
    m_tabs->setObjectName(QStringLiteral("sideTabs"));
    m_gate = new GatePanel(runtime.session(), m_tabs);
    m_tabs->addTab(m_gate, tr("&Gate && checklist"));
    connect(m_gate, &GatePanel::actionFinished, this, &MainWindow::report);

    auto* triggerPage = new QWidget(m_tabs);
    auto* tl = new QVBoxLayout(triggerPage);
    m_triggers = new TriggerTableModel(runtime.session(), runtime.clock(), this);
    QTableView* triggerView = makeTable(m_triggers, QStringLiteral("triggerTable"), triggerPage);
    triggerView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    // The value with its interval and counts is the long column: it stretches and elides; the
    // tooltip holds it whole, with the method and the confidence.
    triggerView->horizontalHeader()->setSectionResizeMode(TriggerTableModel::Condition, QHeaderView::Stretch);
    triggerView->setTextElideMode(Qt::ElideRight);
    triggerView->setWordWrap(false);
    tl->addWidget(triggerView, 1);
    m_acknowledge = new QPushButton(tr("Ac&knowledge alert (keep going)"), triggerPage);
    m_acknowledge->setObjectName(QStringLiteral("acknowledgeButton"));
    tl->addWidget(m_acknowledge);
    connect(m_acknowledge, &QPushButton::clicked, this, &MainWindow::acknowledgeAlert);
    m_tabs->addTab(triggerPage, tr("&Triggers"));

    m_signOff = new SignOffModel(runtime.session(), this);
    QTableView* signOffView = makeTable(m_signOff, QStringLiteral("signOffTable"), m_tabs);
    signOffView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    signOffView->horizontalHeader()->setSectionResizeMode(SignOffModel::Notes, QHeaderView::Stretch);
    m_tabs->addTab(signOffView, tr("&Sign-off"));

    m_log = new EventLogModel(this);
    auto* logProxy = new SeverityColorProxy(this);
    logProxy->setSourceModel(m_log);
    auto* logView = new QListView(m_tabs);
    logView->setObjectName(QStringLiteral("eventLog"));
    logView->setModel(logProxy);
    logView->setUniformItemSizes(true);
    m_tabs->addTab(logView, tr("&Events"));
    connect(m_log, &QAbstractItemModel::rowsInserted, logView, &QListView::scrollToBottom);

    wireFlags();
    wireLedger();

    split->addWidget(m_tabs);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    split->setSizes({700, 620});
    layout->addWidget(split, 1);

    // The action bar: advance and pause on the left, the big rollback button on the right.
    auto* actions = new QHBoxLayout;
    actions->addWidget(new QLabel(tr("Acting as:"), central));
    m_actingAs = new QComboBox(central);
    m_actingAs->setObjectName(QStringLiteral("actingAs"));
    m_actingAs->setAccessibleName(tr("Acting as"));
    for (const Person& p : plan.people)   // a person acts here; the automation's key signs only the engine's own decisions
        for (const QString& role : p.roles)
            if (role != Actor::automation().role) m_actingAs->addItem(QStringLiteral("%1 · %2").arg(p.name, role), QStringList{p.id, role});
    actions->addWidget(m_actingAs);
    m_advance = new QPushButton(tr("Advance ▶"), central);
    m_advance->setObjectName(QStringLiteral("advanceButton"));
    m_advance->setMinimumHeight(48);
    m_pause = new QPushButton(tr("Pause"), central);
    m_pause->setObjectName(QStringLiteral("pauseButton"));
    m_pause->setMinimumHeight(48);
    actions->addWidget(m_advance);
    actions->addWidget(m_pause);
    actions->addStretch(1);
    m_rollback = new RollbackButton(central);
    m_rollback->setMinimumWidth(320);
    actions->addWidget(m_rollback);
    layout->addLayout(actions);
    setCentralWidget(central);

    connect(m_advance, &QPushButton::clicked, this, &MainWindow::advance);
    connect(m_pause, &QPushButton::clicked, this, &MainWindow::togglePause);
    connect(m_rollback, &RollbackButton::confirmed, this, &MainWindow::rollbackNow);
    connect(m_rollback, &RollbackButton::holdCancelled, this, [this] { statusBar()->showMessage(tr("Rollback cancelled: press and hold to roll back."), 4000); });
    connect(m_actingAs, &QComboBox::currentIndexChanged, this, [this] {
        m_gate->setActor(actor());
        if (LedgerRecorder* r = m_runtime.recorder(); r && !r->canSign(actor().id))
            unlockKey(actor().id, tr("You now act as %1.").arg(actor().id));
        refresh();
    });
    m_gate->setActor(actor());

    // Keyboard: every action has a shortcut.
    auto* rollout = menuBar()->addMenu(tr("&Rollout"));
    rollout->addAction(tr("&Advance"), QKeySequence(QStringLiteral("Ctrl+Shift+A")), this, &MainWindow::advance);
    rollout->addAction(tr("&Pause / resume"), QKeySequence(QStringLiteral("Ctrl+Shift+P")), this, &MainWindow::togglePause);
    rollout->addAction(tr("Focus the &rollback button (then hold Space)"), QKeySequence(QStringLiteral("Ctrl+Shift+R")), this,
                       [this] { m_rollback->setFocus(Qt::ShortcutFocusReason); });
    rollout->addAction(tr("Ac&knowledge alert"), QKeySequence(QStringLiteral("Ctrl+Shift+K")), this, &MainWindow::acknowledgeAlert);
    if (m_runtime.recorder())
        rollout->addAction(tr("Write &evidence pack…"), QKeySequence(QStringLiteral("Ctrl+Shift+E")), this, [this] {
            const QString folder = QFileDialog::getExistingDirectory(this, tr("Write the evidence pack into"));
            if (!folder.isEmpty()) writeEvidencePack(folder);
        });
    if (m_runtime.recorder())
        rollout->addAction(tr("&Unlock signing key…"), QKeySequence(QStringLiteral("Ctrl+Shift+U")), this,
                           [this] { unlockKey(actor().id, tr("Unlock the key you sign with.")); });
    if (m_runtime.recorder())
        rollout->addAction(tr("Unlock the &automation key…"), this, [this] {
            unlockKey(Actor::automation().id, tr("This console's own decisions (a trigger firing, an automatic rollback, a flag read-back) "
                                                 "are signed with the plan's automation key."));
        });
    rollout->addAction(tr("&Settings…"), QKeySequence(QStringLiteral("Ctrl+,")), this, [this] {
        Settings settings;
        SettingsDialog(settings, this).exec();
    });
    rollout->addSeparator();
    rollout->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);
    auto* view = menuBar()->addMenu(tr("&View"));
    for (int t = 0; t < m_tabs->count(); ++t)
        view->addAction(m_tabs->tabText(t).remove(QLatin1Char('&')), QKeySequence(QStringLiteral("Ctrl+%1").arg(t + 1)), this,
                        [this, t] { m_tabs->setCurrentIndex(t); });

    connect(m_timeline, &PhaseTimelineWidget::phaseClicked, this, &MainWindow::showPhaseDetails);
    // Desktop notifications for what on-call must not miss, when the desktop offers a tray.
    if (QSystemTrayIcon::isSystemTrayAvailable()) {
        m_tray = new QSystemTrayIcon(QApplication::windowIcon(), this);
        m_tray->setToolTip(windowTitle());
        m_tray->show();
    }
    connect(&runtime, &RolloutRuntime::eventAppended, this, &MainWindow::onEvent);
    connect(&runtime, &RolloutRuntime::ticked, this, &MainWindow::refresh);
    connect(&runtime.store(), &TimeSeriesStore::updated, this, [this] {
        const qint64 now = m_runtime.clock().nowMs();
        for (MetricChartWidget* c : m_charts) c->refresh(now);
    });
    for (const RolloutEvent& e : runtime.events()) onEvent(e);
    for (MetricChartWidget* c : m_charts) c->refresh(runtime.clock().nowMs());

    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    if (!settings.contains(QStringLiteral("window/geometry"))) resize(1280, 800);
    refresh();
}

MainWindow::~MainWindow() = default;

void MainWindow::closeEvent(QCloseEvent* event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    event->accept();
}

void MainWindow::addDemoAction(const QString& name, const QString& shortcut, std::function<void()> action)
{
    if (!m_demoMenu) m_demoMenu = menuBar()->addMenu(tr("&Demo"));
    m_demoMenu->addAction(name, QKeySequence(shortcut), this, [this, name, action] {
        action();
        statusBar()->showMessage(tr("Demo: %1").arg(name), 6000);
    });
}

Actor MainWindow::actor() const
{
    const QStringList who = m_actingAs->currentData().toStringList();
    if (who.size() != 2) return Actor{QStringLiteral("console"), QStringLiteral("operator")};
    return Actor{who[0], who[1]};
}

void MainWindow::report(const QString& message, bool ok)
{
    statusBar()->showMessage(message, ok ? 5000 : 12000);
    if (!ok) statusBar()->setStyleSheet(QStringLiteral("color:%1").arg(Palette::bad().name()));
    else statusBar()->setStyleSheet({});
    refresh();
}

void MainWindow::advance()
{
    if (AdvanceClaimer* claimer = m_runtime.claimer()) {   // shared store: claim first, so that two consoles never both advance
        m_advance->setEnabled(false);
        statusBar()->showMessage(tr("Asking the shared store for the advance…"));
        claimer->advance(actor(), [this](const ActionResult& r) { report(r.ok ? r.message : tr("Cannot advance: %1").arg(r.message), r.ok); });
        return;
    }
    const ActionResult r = m_runtime.session().advance(actor());
    report(r.ok ? r.message : tr("Cannot advance: %1").arg(r.message), r.ok);
}

void MainWindow::togglePause()
{
    RolloutSession& s = m_runtime.session();
    const ActionResult r = s.isPaused() ? s.resume(actor()) : s.pause(actor(), tr("paused from the console"));
    report(r.ok ? (s.isPaused() ? tr("Paused: no phase advances; triggers keep watching.") : tr("Resumed.")) : r.message, r.ok);
}

void MainWindow::rollbackNow()
{
    // Works whatever the metrics say: it only needs the session (and the flag backends).
    const ActionResult r = m_runtime.session().rollback(actor(), tr("manual rollback from the console"), false);
    report(r.message, r.ok);
    m_reason->setFocus();
}

void MainWindow::wireFlags()
{
    FlagSync* flags = m_runtime.flags();
    if (!flags) return;
    m_flagTable = new FlagTableModel(*flags, this);
    QTableView* view = makeTable(m_flagTable, QStringLiteral("flagTable"), m_tabs);
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    view->horizontalHeader()->setSectionResizeMode(FlagTableModel::Result, QHeaderView::Stretch);
    view->horizontalHeader()->setStretchLastSection(false);
    view->setTextElideMode(Qt::ElideMiddle);
    view->setWordWrap(true);
    m_tabs->addTab(view, tr("&Flags"));
    connect(m_flagTable, &FlagTableModel::summaryChanged, this, &MainWindow::onFlagSummary);
    connect(flags, &FlagSync::readFinished, this, &MainWindow::showFlagHealth);
    connect(flags, &FlagSync::operationFinished, this, [this](const QString&, const FlagChangeReport& r) { showFlagHealth(r); });
    connect(m_retryFlags, &QPushButton::clicked, flags, [this, flags] {
        flags->applyCurrent(tr("retry from the console by %1").arg(actor().id));
    });
}

void MainWindow::wireLedger()
{
    LedgerRecorder* recorder = m_runtime.recorder();
    if (!recorder) return;
    m_keys = std::make_unique<KeyStore>(Settings().text(Settings::Key::KeysDirectory));
    m_ledgerTable = new LedgerTableModel(this);
    auto* panel = new LedgerPanel(*m_ledgerTable, m_tabs);
    m_tabs->addTab(panel, tr("&Ledger"));
    connect(panel, &LedgerPanel::actionFinished, this, &MainWindow::report);
    showLedgerVerdicts();
    connect(recorder, &LedgerRecorder::recorded, this, [this](const LedgerRecord& r) {
        m_ledgerTable->appendOwn(r);
        if (r.type == toString(EventType::ApprovalRecorded))
            m_signOff->setSignatureStatus(r.payload.value(QStringLiteral("to_phase")).toInt(), r.actor, true,
                                          tr("signed by %1 with key %2").arg(r.actor, r.keyId));
        // A decision is "stored" only once it is on disk; until then it says so.
        if (m_runtime.recorder()->isDurable())
            m_header->setConnection(tr("ledger"), int(Severity::Good), tr("%1 record(s) signed and stored").arg(m_ledgerTable->rowCount()));
    });
    connect(recorder, &LedgerRecorder::queued, this, [this](const QString&) {
        m_header->setConnection(tr("ledger"), int(Severity::Warning),
                                tr("writing %1 decision(s) to disk…").arg(m_runtime.recorder()->pendingWrites()));
    });
    connect(recorder, &LedgerRecorder::notRecorded, this, [this](const RolloutEvent&, const QString& why) {
        m_header->setConnection(tr("ledger"), int(Severity::Bad), why);
        report(why, false);
    });
    if (LedgerSync* sync = m_runtime.sync()) {
        m_header->setConnection(tr("shared store"), int(Severity::Muted), tr("not reached yet"));
        connect(sync, &LedgerSync::storeHealth, this, [this](bool reachable, const QString& why) {
            m_header->setConnection(tr("shared store"), int(reachable ? Severity::Good : Severity::Bad), why);
        });
        connect(sync, &LedgerSync::applied, this, [this](int count) {
            if (count == 0) return;
            // Other consoles' approvals: their signatures in the sign-off table, like ours.
            showVerdicts(LedgerVerifier::verify(m_runtime.recorder()->ledger().records(m_runtime.plan().rollout), m_runtime.plan()));
            report(tr("%1 decision(s) from other consoles applied").arg(count), true);
        });
        connect(sync, &LedgerSync::rejected, this, [this](const QString& id, const QStringList& reasons) {
            m_header->setConnection(tr("shared store"), int(Severity::Bad), tr("record %1 rejected: %2").arg(id, reasons.join(QStringLiteral("; "))));
            report(tr("A shared record does not verify and was not applied: %1").arg(reasons.join(QStringLiteral("; "))), false);
        });
        connect(sync, &LedgerSync::tampering, this, [this, panel](const QString& id, const QString& why) {
            m_header->setConnection(tr("shared store"), int(Severity::Bad), tr("TAMPERING: %1: %2").arg(id, why));
            m_header->addTampering(why);
            panel->addTampering(why);
            report(tr("Ledger %1").arg(why), false);
        });
    }
}

void MainWindow::showLedgerVerdicts()
{
    const LedgerReplay::Outcome& replay = m_runtime.replay();
    showVerdicts(replay.verdicts);
    // (Called while the window is being built: the status bar only, no refresh of half-made views.)
    if (!replay.skipped.isEmpty())
        statusBar()->showMessage(tr("%1 ledger record(s) not replayed: %2").arg(replay.skipped.size()).arg(replay.skipped.first()), 20000);
}

void MainWindow::showVerdicts(const QList<RecordVerdict>& verdicts)
{
    m_ledgerTable->setVerdicts(verdicts);
    QList<SignOffModel::Unverified> unverified;
    for (const RecordVerdict& v : verdicts) {
        for (const QString& t : LedgerReplay::tamperingOf(v))
            m_header->addTampering(t);
        if (!v.record || v.record->type != toString(EventType::ApprovalRecorded)) continue;
        const LedgerRecord& r = *v.record;
        const int phase = r.payload.value(QStringLiteral("to_phase")).toInt();
        if (countsForGate(v)) {
            m_signOff->setSignatureStatus(phase, r.actor, true, tr("signed by %1 with key %2").arg(r.actor, r.keyId));
            continue;
        }
        QStringList why;
        for (const RecordVerdict::Failure& f : v.failures) why.append(QStringLiteral("%1: %2").arg(f.check, f.why));
        unverified.append({phase, r.actor, r.role, r.payload.value(QStringLiteral("note")).toString(), why.join(QStringLiteral("; ")),
                           r.payload.value(QStringLiteral("decision")).toString() == QLatin1String("approve"), r.timestampMs});
    }
    m_signOff->setUnverified(unverified);
    const int bad = m_ledgerTable->failures();
    m_header->setConnection(tr("ledger"), int(bad ? Severity::Bad : Severity::Good),
                            bad ? tr("%1 record(s) do not verify and do not count: see the Ledger tab").arg(bad)
                                : tr("%1 record(s), all verified").arg(verdicts.size()));
}

QString MainWindow::writeEvidencePack(const QString& folder)
{
    if (!m_runtime.recorder()) return {};
    const Plan& plan = m_runtime.plan();
    const QList<RecordVerdict> verdicts = LedgerVerifier::verify(m_runtime.recorder()->ledger().records(plan.rollout), plan);
    QString problem;
    const std::optional<QString> page = EvidencePackWriter::write(folder, plan, verdicts, m_runtime.store(), m_runtime.clock().nowMs(), &problem);
    report(page ? tr("Evidence pack written: %1").arg(*page) : tr("Evidence pack not written: %1").arg(problem), page.has_value());
    return page.value_or(QString());
}

bool MainWindow::unlockKey(const QString& personId, const QString& why)
{
    LedgerRecorder* recorder = m_runtime.recorder();
    if (!recorder || !m_keys) return false;
    KeyUnlockDialog dialog(*m_keys, personId, why, this);
    if (dialog.exec() != QDialog::Accepted || !dialog.key()) return false;
    const KeyStore::UnlockedKey& k = *dialog.key();
    recorder->addKey(personId, Ed25519::KeyPair{k.publicKey, k.secretKey});
    report(tr("%1's key %2 unlocked: your decisions are signed with it.").arg(personId, k.keyId), true);
    return true;
}

void MainWindow::onFlagSummary(const QString& summary, bool failed)
{
    m_bannerFlags->setText(tr("Flags — %1").arg(summary));
    m_bannerFlags->show();
    m_retryFlags->setVisible(failed);
    // A flag that did not move is an escalation whatever caused the change: say it loudly.
    if (failed) {
        m_bannerText->setText(tr("<b style='font-size:large'>FLAGS NOT VERIFIED</b> — the flag service did not confirm the change. "
                                 "Escalate, or retry; see the Flags tab."));
        m_banner->show();
        if (m_tray) m_tray->showMessage(tr("Flags not verified: %1").arg(m_runtime.plan().rollout), summary, QSystemTrayIcon::Critical, 30000);
        report(summary, false);
    }
}

void MainWindow::showFlagHealth(const FlagChangeReport& report)
{
    QMap<QString, QStringList> problems;
    QSet<QString> seen;
    for (const FlagResult& r : report.results) {
        const FlagBackend* b = m_runtime.flags()->backends().backendFor(r.flag);
        const QString name = b ? b->name() : r.backend;
        seen.insert(name);
        if (!r.verified) problems[name].append(r.describe());
    }
    for (const QString& name : seen) {
        const FlagBackend* b = nullptr;
        for (FlagBackend* candidate : m_runtime.flags()->backends().backends())
            if (candidate->name() == name) b = candidate;
        const QString where = b ? b->describe() : name;
        const bool bad = problems.contains(name);
        m_header->setConnection(tr("%1 (flags)").arg(name), int(bad ? Severity::Bad : Severity::Good),
                                bad ? QStringLiteral("%1: %2").arg(where, problems.value(name).join(QStringLiteral("; "))) : tr("%1: ok").arg(where));
    }
    // Recorded means applied, and nobody changes a flag behind the rollout's back unseen.
    const RolloutSession& s = m_runtime.session();
    if (s.drifting()) m_header->setConnection(tr("flags vs rollout"), int(Severity::Bad), s.driftSummary());
    else if (!s.flagsApplied())
        m_header->setConnection(tr("flags vs rollout"), int(Severity::Warning),
                                tr("the last decision is recorded but not yet read back on the flag services: finishing it"));
    else if (report.allVerified()) m_header->setConnection(tr("flags vs rollout"), int(Severity::Good), tr("every flag reads back as the rollout says"));
}

void MainWindow::acknowledgeAlert()
{
    for (const Alert& a : m_runtime.session().alerts()) {
        if (a.acknowledged) continue;
        const ActionResult r = m_runtime.session().acknowledgeAlert(a.id, actor(), tr("acknowledged from the console"));
        report(r.ok ? tr("Alert #%1 acknowledged; the rollout goes on.").arg(a.id) : r.message, r.ok);
        return;
    }
    report(tr("No open alert."), true);
}

void MainWindow::showPhaseDetails(int phase)
{
    const Plan& plan = m_runtime.plan();
    if (phase < 0 || phase >= int(plan.phases.size())) return;
    const PhaseSpec& ph = plan.phases[std::size_t(phase)];
    QStringList lines;
    lines.append(tr("<h3>Phase %1: %2</h3>").arg(phase + 1).arg(ph.name.toHtmlEscaped()));
    if (!ph.description.isEmpty()) lines.append(QStringLiteral("<p>%1</p>").arg(ph.description.toHtmlEscaped()));
    QStringList flags;
    for (auto it = ph.flags.begin(); it != ph.flags.end(); ++it) flags.append(it.key() + QLatin1Char('=') + it.value().describe());
    lines.append(tr("<p><b>Traffic</b> %1%%2 · <b>cohort</b> %3 · <b>minimum</b> %4%5</p>")
                     .arg(ph.traffic)
                     .arg(flags.isEmpty() ? QString() : QStringLiteral(" (") + flags.join(QStringLiteral(", ")) + QLatin1Char(')'))
                     .arg(ph.cohort.describe().toHtmlEscaped(), Duration::format(ph.minDurationMs),
                          ph.optional ? tr(" · optional") : QString()));
    QStringList success;
    for (const Condition& c : ph.success) success.append(c.text.toHtmlEscaped());
    for (const QString& a : ph.attest) success.append(tr("%1 (a person confirms)").arg(a.toHtmlEscaped()));
    if (!success.isEmpty()) lines.append(tr("<p><b>To leave it</b>, held for the minimum:<br>• %1</p>").arg(success.join(QStringLiteral("<br>• "))));
    QStringList entry;
    if (!ph.checklist.isEmpty()) entry.append(tr("checklist “%1”").arg(ph.checklist.toHtmlEscaped()));
    for (const ApprovalRequirement& a : ph.approvals)
        entry.append(tr("%1× %2 approval%3").arg(a.count).arg(a.role.toHtmlEscaped(), a.mandatory ? tr(" (MANDATORY)") : QString()));
    if (!entry.isEmpty()) lines.append(tr("<p><b>To enter it:</b> %1</p>").arg(entry.join(QStringLiteral(", "))));
    QStringList triggers;
    for (const TriggerSpec& t : plan.triggersFor(phase))
        triggers.append(QStringLiteral("%1: %2 for %3 → %4").arg(t.name.toHtmlEscaped(), t.when.text.toHtmlEscaped(), Duration::format(t.forMs),
                                                            t.kind == TriggerKind::Hard ? toString(t.action) : tr("alert")));
    if (!triggers.isEmpty()) lines.append(tr("<p><b>Triggers in force:</b><br>• %1</p>").arg(triggers.join(QStringLiteral("<br>• "))));
    QMessageBox box(QMessageBox::Information, tr("Phase %1").arg(phase + 1), lines.join(QString()), QMessageBox::Close, this);
    box.setObjectName(QStringLiteral("phaseDetails"));
    box.setTextFormat(Qt::RichText);
    box.exec();
}

void MainWindow::onEvent(const RolloutEvent& e)
{
    m_log->append(e);
    const Plan& plan = m_runtime.plan();
    if (e.type == EventType::PhaseAdvanced) {
        m_rolledBackFrom = -1;
        m_banner->hide();
        m_bannerFlags->hide();
        for (MetricChartWidget* c : m_charts) {
            c->addMarker(e.atMs, tr("→ %1%").arg(plan.phases[std::size_t(e.toPhase)].traffic), false);
            c->setEvidenceSince(e.atMs, plan.judgement.confidence);
        }
    } else if (e.type == EventType::ActionStepDone || e.type == EventType::Escalated) {
        // Each step of an action list as it finishes (verified, done, FAILED), and escalations.
        m_stepLines.append(e.type == EventType::Escalated ? tr("ESCALATED %1: %2").arg(e.severity, e.reason)
                                                          : tr("%1 %2 — %3: %4").arg(e.outcome == QLatin1String("failed") ? QStringLiteral("✗") : QStringLiteral("✓"),
                                                                                     e.step, e.outcome == QLatin1String("failed") ? tr("FAILED") : e.outcome, e.reason));
        m_bannerSteps->setText(m_stepLines.mid(std::max<qsizetype>(0, m_stepLines.size() - 8)).join(QLatin1Char('\n')));
        m_bannerSteps->show();
        m_banner->show();
    } else if (e.type == EventType::RolledBack) {
        m_rolledBackFrom = e.fromPhase;
        m_stepLines.clear();
        m_bannerSteps->hide();
        for (MetricChartWidget* c : m_charts) c->addMarker(e.atMs, tr("rollback"), true);
        QStringList values;
        for (auto it = e.values.begin(); it != e.values.end(); ++it) {
            const MetricSpec* m = plan.metric(it.key());
            values.append(QStringLiteral("%1 = %2").arg(it.key(), ConditionParser::formatValue(it.value(), m ? m->unit : Unit::None)));
        }
        const QString target = e.toPhase < 0 ? tr("zero: every flag off") : tr("phase %1 (%2%)").arg(e.toPhase + 1).arg(plan.phases[std::size_t(e.toPhase)].traffic);
        const QString when = QDateTime::fromMSecsSinceEpoch(e.atMs).toString(QStringLiteral("HH:mm:ss"));
        if (e.automatic) {
            m_bannerText->setText(tr("<b style='font-size:large'>AUTOMATIC ROLLBACK at %1</b> — trigger <b>%2</b> held since %3.<br>%4<br>Rolled back to %5. Values: %6")
                                      .arg(when, e.trigger.toHtmlEscaped(), QDateTime::fromMSecsSinceEpoch(e.sinceMs).toString(QStringLiteral("HH:mm:ss")),
                                           e.reason.toHtmlEscaped(), target, values.join(QStringLiteral(", ")).toHtmlEscaped()));
        } else {
            m_bannerText->setText(tr("<b style='font-size:large'>ROLLED BACK at %1</b> by %2 — to %3.").arg(when, e.actor.toHtmlEscaped(), target));
        }
        m_banner->show();
        if (m_tray && e.automatic)
            m_tray->showMessage(tr("Automatic rollback: %1").arg(plan.rollout), tr("%1 — rolled back to %2").arg(e.trigger, target),
                                QSystemTrayIcon::Critical, 30000);
    } else if (e.type == EventType::AlertRaised) {
        if (m_tray) m_tray->showMessage(tr("Alert: %1").arg(plan.rollout), e.reason, QSystemTrayIcon::Warning, 20000);
        m_tabs->setCurrentIndex(1);
        statusBar()->showMessage(tr("ALERT: %1 — acknowledge (Ctrl+Shift+K) or roll back").arg(e.reason), 20000);
    }
    refresh();
}

void MainWindow::refresh()
{
    const RolloutSession& s = m_runtime.session();
    const GateStatus g = s.gate();
    m_header->refresh();
    m_timeline->setProgress(s.currentPhase(), s.isComplete(), m_rolledBackFrom, g);
    m_gate->refresh();
    m_triggers->refresh();
    m_signOff->refresh();
    m_advance->setEnabled(g.open && !(m_runtime.claimer() && m_runtime.claimer()->busy()));
    const Plan& plan = s.plan();
    m_advance->setText(g.toPhase >= int(plan.phases.size()) ? tr("Complete ✔")
                                                            : tr("Advance to %1%  ▶").arg(plan.phases[std::size_t(g.toPhase)].traffic));
    m_advance->setToolTip(g.open ? tr("The gate is open.") : tr("Missing: %1").arg(g.missing()));
    m_pause->setText(s.isPaused() ? tr("Resume") : tr("Pause"));
    bool openAlert = false;
    for (const Alert& a : s.alerts()) openAlert = openAlert || !a.acknowledged;
    m_acknowledge->setEnabled(openAlert);
    m_rollback->setEnabled(s.currentPhase() >= 0 || s.isComplete());
}

} // namespace rollout
