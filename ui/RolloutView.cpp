#include "RolloutView.h"

#include "EvidencePackWriter.h"
#include "GatePanel.h"
#include "HeaderBar.h"
#include "KeyUnlockDialog.h"
#include "LedgerPanel.h"
#include "MetricChartWidget.h"
#include "Palette.h"
#include "PhaseTimelineWidget.h"
#include "RollbackButton.h"
#include "SettingsDialog.h"
#include "core/Settings.h"
#include "ledger/DecisionChecks.h"
#include "ledger/EventCodec.h"
#include "notify/PagerDutyNotifier.h"
#include "notify/WebhookNotifier.h"
#include "plan/Duration.h"
#include "runtime/RolloutAssembly.h"
#include "runtime/RolloutRuntime.h"
#include "viewmodels/EventLogModel.h"
#include "viewmodels/FlagTableModel.h"
#include "viewmodels/LedgerTableModel.h"
#include "viewmodels/PhaseDetails.h"
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
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QShortcut>
#include <QSplitter>
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

RolloutView::RolloutView(RolloutAssembly& assembly, QWidget* parent)
    : QWidget(parent), m_assembly(assembly), m_runtime(assembly.runtime())
{
    RolloutRuntime& runtime = m_runtime;
    const Plan& plan = runtime.plan();
    setObjectName(QStringLiteral("rolloutView"));
    QWidget* central = this;
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(6, 6, 6, 6);

    m_header = new HeaderBar(runtime, central);
    layout->addWidget(m_header);

    // The automatic-rollback banner: impossible to miss, says which trigger, which values, since when.
    m_banner = new QFrame(central);
    m_banner->setObjectName(QStringLiteral("rollbackBanner"));
    m_banner->setStyleSheet(
        QStringLiteral("#rollbackBanner{background:%1;border-radius:6px} #rollbackBanner QLabel{color:white}")
            .arg(Palette::bad().name()));
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
        const ActionResult r =
            m_runtime.session().addNote(actor(), tr("rollback reason: %1").arg(m_reason->text()));
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
    connect(m_gate, &GatePanel::actionFinished, this, &RolloutView::report);

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
    connect(m_acknowledge, &QPushButton::clicked, this, &RolloutView::acknowledgeAlert);
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
    for (const Person& p :
         plan.people) // a person acts here; the automation's key signs only the engine's own decisions
        for (const QString& role : p.roles)
            if (role != Actor::automation().role)
                m_actingAs->addItem(QStringLiteral("%1 · %2").arg(p.name, role), QStringList{p.id, role});
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

    connect(m_advance, &QPushButton::clicked, this, &RolloutView::advance);
    connect(m_pause, &QPushButton::clicked, this, &RolloutView::togglePause);
    connect(m_rollback, &RollbackButton::confirmed, this, &RolloutView::rollbackNow);
    connect(m_rollback, &RollbackButton::holdCancelled, this, [this] {
        Q_EMIT statusMessage(tr("Rollback cancelled: press and hold to roll back."), 4000, false);
    });
    // Who acts here is remembered per rollout: a reopened tab acts as the same person and role.
    const QString actingKey = QStringLiteral("actingAs/") + plan.rollout;
    if (const int remembered = m_actingAs->findData(QSettings().value(actingKey).toStringList());
        remembered >= 0)
        m_actingAs->setCurrentIndex(remembered);
    connect(m_actingAs, &QComboBox::currentIndexChanged, this, [this, actingKey] {
        QSettings().setValue(actingKey, m_actingAs->currentData().toStringList());
        m_gate->setActor(actor());
        if (LedgerRecorder* r = m_runtime.recorder(); r && !r->canSign(actor().id))
            unlockKey(actor().id, tr("You now act as %1.").arg(actor().id));
        refresh();
    });
    m_gate->setActor(actor());

    connect(m_timeline, &PhaseTimelineWidget::phaseClicked, this, &RolloutView::showPhaseDetails);
    connect(&runtime, &RolloutRuntime::eventAppended, this, &RolloutView::onEvent);
    connect(&runtime, &RolloutRuntime::ticked, this, &RolloutView::refresh);
    connect(&runtime.store(), &TimeSeriesStore::updated, this, [this] {
        const qint64 now = m_runtime.clock().nowMs();
        for (MetricChartWidget* c : m_charts)
            c->refresh(now);
    });
    // The history first, as the signed records tell it (a reopened tab, a restarted console):
    // the Events tab and the charts' phase markers, without the alerts live events raise.
    for (const RolloutEvent& e : runtime.replay().events)
        showPastEvent(e);
    for (const RolloutEvent& e : runtime.events())
        onEvent(e);
    for (MetricChartWidget* c : m_charts)
        c->refresh(runtime.clock().nowMs());

    wireNotifier();
    wireDriver();
    refresh();
}

RolloutView::~RolloutView() = default;

Actor RolloutView::actor() const
{
    const QStringList who = m_actingAs->currentData().toStringList();
    if (who.size() != 2) return Actor{QStringLiteral("console"), QStringLiteral("operator")};
    return Actor{who[0], who[1]};
}

void RolloutView::report(const QString& message, bool ok)
{
    Q_EMIT statusMessage(message, ok ? 5000 : 12000, !ok);
    refresh();
}

void RolloutView::advance()
{
    if (AdvanceClaimer* claimer =
            m_runtime.claimer()) { // shared store: claim first, so that two consoles never both advance
        m_advance->setEnabled(false);
        Q_EMIT statusMessage(tr("Asking the shared store for the advance…"), 0, false);
        claimer->advance(actor(), [this](const ActionResult& r) {
            report(r.ok ? r.message : tr("Cannot advance: %1").arg(r.message), r.ok);
        });
        return;
    }
    const ActionResult r = m_runtime.session().advance(actor());
    report(r.ok ? r.message : tr("Cannot advance: %1").arg(r.message), r.ok);
}

void RolloutView::togglePause()
{
    RolloutSession& s = m_runtime.session();
    const ActionResult r = s.isPaused() ? s.resume(actor()) : s.pause(actor(), tr("paused from the console"));
    report(r.ok ? (s.isPaused() ? tr("Paused: no phase advances; triggers keep watching.") : tr("Resumed."))
                : r.message,
           r.ok);
}

void RolloutView::rollbackNow()
{
    // Works whatever the metrics say: it only needs the session (and the flag backends).
    const ActionResult r =
        m_runtime.session().rollback(actor(), tr("manual rollback from the console"), false);
    report(r.message, r.ok);
    m_reason->setFocus();
}

void RolloutView::wireFlags()
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
    connect(m_flagTable, &FlagTableModel::summaryChanged, this, &RolloutView::onFlagSummary);
    connect(flags, &FlagSync::readFinished, this, &RolloutView::showFlagHealth);
    connect(flags, &FlagSync::operationFinished, this,
            [this](const QString&, const FlagChangeReport& r) { showFlagHealth(r); });
    connect(m_retryFlags, &QPushButton::clicked, flags, [this, flags] {
        // After drift, writing the recorded state again is a person's signed decision.
        if (m_runtime.session().driftHeld()) {
            const ActionResult r =
                m_runtime.session().reapplyFlags(actor(), tr("re-applied from the console"));
            report(r.ok ? r.message : tr("Not re-applied: %1").arg(r.message), r.ok);
            return;
        }
        flags->applyCurrent(tr("retry from the console by %1").arg(actor().id));
    });
}

void RolloutView::wireLedger()
{
    LedgerRecorder* recorder = m_runtime.recorder();
    if (!recorder) return;
    m_keys = std::make_unique<KeyStore>(Settings().text(Settings::Key::KeysDirectory));
    m_ledgerTable = new LedgerTableModel(this);
    auto* panel = new LedgerPanel(*m_ledgerTable, m_tabs);
    m_tabs->addTab(panel, tr("&Ledger"));
    connect(panel, &LedgerPanel::actionFinished, this, &RolloutView::report);
    showLedgerVerdicts();
    connect(recorder, &LedgerRecorder::recorded, this, [this](const LedgerRecord& r) {
        m_ledgerTable->appendOwn(r);
        if (r.type == toString(EventType::ApprovalRecorded))
            m_signOff->setSignatureStatus(r.payload.value(QStringLiteral("to_phase")).toInt(), r.actor, true,
                                          tr("signed by %1 with key %2").arg(r.actor, r.keyId));
        // A decision is "stored" only once it is on disk; until then it says so.
        if (m_runtime.recorder()->isDurable())
            m_header->setConnection(tr("ledger"), int(Severity::Good),
                                    tr("%1 record(s) signed and stored").arg(m_ledgerTable->rowCount()));
    });
    connect(recorder, &LedgerRecorder::queued, this, [this](const QString&) {
        m_header->setConnection(
            tr("ledger"), int(Severity::Warning),
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
            showVerdicts(m_runtime.sync()->lastVerdicts()); // verified once, by the sync
            report(tr("%1 decision(s) from other consoles applied").arg(count), true);
        });
        connect(sync, &LedgerSync::rejected, this, [this](const QString& id, const QStringList& reasons) {
            m_header->setConnection(tr("shared store"), int(Severity::Bad),
                                    tr("record %1 rejected: %2").arg(id, reasons.join(QStringLiteral("; "))));
            report(tr("A shared record does not verify and was not applied: %1")
                       .arg(reasons.join(QStringLiteral("; "))),
                   false);
        });
        connect(sync, &LedgerSync::tampering, this, [this, panel](const QString& id, const QString& why) {
            m_header->setConnection(tr("shared store"), int(Severity::Bad),
                                    tr("TAMPERING: %1: %2").arg(id, why));
            m_header->addTampering(why);
            panel->addTampering(why);
            report(tr("Ledger %1").arg(why), false);
        });
    }
}

void RolloutView::showLedgerVerdicts()
{
    const LedgerReplay::Outcome& replay = m_runtime.replay();
    showVerdicts(replay.verdicts);
    // (Called while the window is being built: the status bar only, no refresh of half-made views.)
    if (!replay.skipped.isEmpty())
        Q_EMIT statusMessage(
            tr("%1 ledger record(s) not replayed: %2").arg(replay.skipped.size()).arg(replay.skipped.first()),
            20000, true);
}

void RolloutView::showVerdicts(const QList<RecordVerdict>& verdicts)
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
            m_signOff->setSignatureStatus(phase, r.actor, true,
                                          tr("signed by %1 with key %2").arg(r.actor, r.keyId));
            continue;
        }
        QStringList why;
        for (const RecordVerdict::Failure& f : v.failures)
            why.append(QStringLiteral("%1: %2").arg(f.check, f.why));
        unverified.append({phase, r.actor, r.role, r.payload.value(QStringLiteral("note")).toString(),
                           why.join(QStringLiteral("; ")),
                           r.payload.value(QStringLiteral("decision")).toString() == QLatin1String("approve"),
                           r.timestampMs});
    }
    m_signOff->setUnverified(unverified);
    const int bad = m_ledgerTable->failures();
    m_header->setConnection(
        tr("ledger"), int(bad ? Severity::Bad : Severity::Good),
        bad ? tr("%1 record(s) do not verify and do not count: see the Ledger tab").arg(bad)
            : tr("%1 record(s), all verified").arg(verdicts.size()));
}

QString RolloutView::writeEvidencePack(const QString& folder)
{
    if (!m_runtime.recorder()) return {};
    const Plan& plan = m_runtime.plan();
    const QList<RecordVerdict> verdicts =
        LedgerVerifier::verify(m_runtime.recorder()->ledger().records(plan.rollout), plan);
    QString problem;
    const std::optional<QString> page = EvidencePackWriter::write(folder, plan, verdicts, m_runtime.store(),
                                                                  m_runtime.clock().nowMs(), &problem);
    report(page ? tr("Evidence pack written: %1").arg(*page)
                : tr("Evidence pack not written: %1").arg(problem),
           page.has_value());
    return page.value_or(QString());
}

bool RolloutView::unlockKey(const QString& personId, const QString& why)
{
    LedgerRecorder* recorder = m_runtime.recorder();
    if (!recorder || !m_keys) return false;
    KeyUnlockDialog dialog(*m_keys, personId, why, this);
    if (dialog.exec() != QDialog::Accepted || !dialog.key()) return false;
    const KeyStore::UnlockedKey& k = *dialog.key();
    recorder->addKey(personId, Ed25519::KeyPair{k.publicKey, k.secretKey});
    report(tr("%1's key %2 unlocked: your decisions are signed with it.").arg(personId, k.keyId), true);
    countersignPending(personId);
    return true;
}

void RolloutView::countersignPending(const QString& personId)
{
    LedgerRecorder* recorder = m_runtime.recorder();
    const Plan& plan = m_runtime.plan();
    const QList<RecordVerdict> verdicts =
        LedgerVerifier::verify(recorder->ledger().records(plan.rollout), plan);
    const QStringList pending = DecisionChecks::pendingCountersignatures(verdicts, personId);
    if (pending.isEmpty()) return;
    Actor who = actor();
    if (who.id != personId)
        for (const Person& p : plan.people)
            if (p.id == personId) who = Actor{p.id, p.roles.value(0)};
    int done = 0;
    for (const QString& id : pending)
        if (m_runtime.session().countersign(who, id).ok) ++done;
    report(tr("%1 countersigned %2 rollback(s) recorded with this device's key while their key was locked.")
               .arg(personId)
               .arg(done),
           done == int(pending.size()));
}

void RolloutView::onFlagSummary(const QString& summary, bool failed)
{
    m_bannerFlags->setText(tr("Flags — %1").arg(summary));
    m_bannerFlags->show();
    m_retryFlags->setVisible(failed);
    // A flag that did not move is an escalation whatever caused the change: say it loudly.
    if (failed) {
        m_bannerText->setText(tr("<b style='font-size:large'>FLAGS NOT VERIFIED</b> — the flag service did "
                                 "not confirm the change. "
                                 "Escalate, or retry; see the Flags tab."));
        m_banner->show();
        Q_EMIT notify(tr("Flags not verified: %1").arg(m_runtime.plan().rollout), summary, true);
        report(summary, false);
    }
}

void RolloutView::showFlagHealth(const FlagChangeReport& report)
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
        m_header->setFlagService(name, where, problems.value(name));
    }
    // Recorded means applied, and nobody changes a flag behind the rollout's back unseen.
    const RolloutSession& s = m_runtime.session();
    if (s.drifting() || s.driftHeld()) {
        m_header->setConnection(tr("flags vs rollout"), int(Severity::Bad),
                                tr("%1 — automatic promotion held: re-apply the recorded state or roll back")
                                    .arg(s.drifting() ? s.driftSummary() : tr("the flags drifted")));
        m_retryFlags->setText(tr("&Re-apply recorded state"));
        m_retryFlags->show();
        m_banner->show();
    } else if (!s.flagsApplied())
        m_header->setConnection(
            tr("flags vs rollout"), int(Severity::Warning),
            tr("the last decision is recorded but not yet read back on the flag services: finishing it"));
    else if (report.allVerified())
        m_header->setConnection(tr("flags vs rollout"), int(Severity::Good),
                                tr("every flag reads back as the rollout says"));
}

void RolloutView::acknowledgeAlert()
{
    for (const Alert& a : m_runtime.session().alerts()) {
        if (a.acknowledged) continue;
        const ActionResult r =
            m_runtime.session().acknowledgeAlert(a.id, actor(), tr("acknowledged from the console"));
        report(r.ok ? tr("Alert #%1 acknowledged; the rollout goes on.").arg(a.id) : r.message, r.ok);
        return;
    }
    report(tr("No open alert."), true);
}

void RolloutView::showPhaseDetails(int phase)
{
    const QString html = PhaseDetails::html(m_runtime.plan(), phase);
    if (html.isEmpty()) return;
    QMessageBox box(QMessageBox::Information, tr("Phase %1").arg(phase + 1), html, QMessageBox::Close, this);
    box.setObjectName(QStringLiteral("phaseDetails"));
    box.setTextFormat(Qt::RichText);
    box.exec();
}

void RolloutView::showPastEvent(const RolloutEvent& e)
{
    m_log->append(e);
    const Plan& plan = m_runtime.plan();
    if (e.type == EventType::PhaseAdvanced && e.toPhase >= 0 && e.toPhase < int(plan.phases.size())) {
        m_rolledBackFrom = -1;
        for (MetricChartWidget* c : m_charts) {
            c->addMarker(e.atMs, tr("→ %1%").arg(plan.phases[std::size_t(e.toPhase)].traffic), false);
            c->setEvidenceSince(e.atMs, plan.judgement.confidence);
        }
    } else if (e.type == EventType::RolledBack) {
        m_rolledBackFrom = e.fromPhase;
        for (MetricChartWidget* c : m_charts)
            c->addMarker(e.atMs, tr("rollback"), true);
    }
}

void RolloutView::onEvent(const RolloutEvent& e)
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
        m_stepLines.append(
            e.type == EventType::Escalated
                ? tr("ESCALATED %1: %2").arg(e.severity, e.reason)
                : tr("%1 %2 — %3: %4")
                      .arg(e.outcome == QLatin1String("failed") ? QStringLiteral("✗") : QStringLiteral("✓"),
                           e.step, e.outcome == QLatin1String("failed") ? tr("FAILED") : e.outcome,
                           e.reason));
        m_bannerSteps->setText(
            m_stepLines.mid(std::max<qsizetype>(0, m_stepLines.size() - 8)).join(QLatin1Char('\n')));
        m_bannerSteps->show();
        m_banner->show();
    } else if (e.type == EventType::RolledBack) {
        m_rolledBackFrom = e.fromPhase;
        m_stepLines.clear();
        m_bannerSteps->hide();
        for (MetricChartWidget* c : m_charts)
            c->addMarker(e.atMs, tr("rollback"), true);
        QStringList values;
        for (auto it = e.values.begin(); it != e.values.end(); ++it) {
            const MetricSpec* m = plan.metric(it.key());
            values.append(QStringLiteral("%1 = %2").arg(
                it.key(), ConditionParser::formatValue(it.value(), m ? m->unit : Unit::None)));
        }
        const QString target =
            e.toPhase < 0
                ? tr("zero: every flag off")
                : tr("phase %1 (%2%)").arg(e.toPhase + 1).arg(plan.phases[std::size_t(e.toPhase)].traffic);
        const QString when = QDateTime::fromMSecsSinceEpoch(e.atMs).toString(QStringLiteral("HH:mm:ss"));
        if (e.automatic) {
            m_bannerText->setText(
                tr("<b style='font-size:large'>AUTOMATIC ROLLBACK at %1</b> — trigger <b>%2</b> held since "
                   "%3.<br>%4<br>Rolled back to %5. Values: %6")
                    .arg(when, e.trigger.toHtmlEscaped(),
                         QDateTime::fromMSecsSinceEpoch(e.sinceMs).toString(QStringLiteral("HH:mm:ss")),
                         e.reason.toHtmlEscaped(), target,
                         values.join(QStringLiteral(", ")).toHtmlEscaped()));
        } else if (LedgerRecorder* r = m_runtime.recorder(); r && !r->canSign(e.actor) && r->hasDeviceKey()) {
            // Rolled back at once all the same: this installation's key signed it in their name.
            m_bannerText->setText(
                tr("<b style='font-size:large'>ROLLED BACK at %1</b> by %2 on this device — to %3.<br>"
                   "Recorded with this device's key: %2's signature pending. Unlock %2's key "
                   "(Rollout → Unlock signing key) to countersign it.")
                    .arg(when, e.actor.toHtmlEscaped(), target));
        } else {
            m_bannerText->setText(tr("<b style='font-size:large'>ROLLED BACK at %1</b> by %2 — to %3.")
                                      .arg(when, e.actor.toHtmlEscaped(), target));
        }
        m_banner->show();
        if (e.automatic)
            Q_EMIT notify(tr("Automatic rollback: %1").arg(plan.rollout),
                          tr("%1 — rolled back to %2").arg(e.trigger, target), true);
    } else if (e.type == EventType::AlertRaised) {
        Q_EMIT notify(tr("Alert: %1").arg(plan.rollout), e.reason, false);
        m_tabs->setCurrentIndex(1);
        Q_EMIT statusMessage(tr("ALERT: %1 — acknowledge (Ctrl+Shift+K) or roll back").arg(e.reason), 20000,
                             true);
    }
    refresh();
}

void RolloutView::refresh()
{
    const RolloutSession& s = m_runtime.session();
    // Worked out once per tick, in the session (or the driver's, while following); the panels share it.
    const GateStatus g = m_runtime.gateShown();
    m_gate->setSourceNote(driverNote());
    m_header->refresh();
    m_timeline->setProgress(s.currentPhase(), s.isComplete(), m_rolledBackFrom, g);
    m_gate->refresh();
    m_triggers->refresh();
    m_signOff->refresh();
    // An advance is this session's decision: its own gate decides (while following, the driver's
    // open gate is not enough: this console has not judged the criteria).
    m_advance->setEnabled(g.open && s.gate().open && !(m_runtime.claimer() && m_runtime.claimer()->busy()));
    const Plan& plan = s.plan();
    m_advance->setText(g.toPhase >= int(plan.phases.size())
                           ? tr("Complete ✔")
                           : tr("Advance to %1%  ▶").arg(plan.phases[std::size_t(g.toPhase)].traffic));
    m_advance->setToolTip(g.open ? tr("The gate is open.") : tr("Missing: %1").arg(g.missing()));
    m_pause->setText(s.isPaused() ? tr("Resume") : tr("Pause"));
    bool openAlert = false;
    for (const Alert& a : s.alerts())
        openAlert = openAlert || !a.acknowledged;
    m_acknowledge->setEnabled(openAlert);
    m_rollback->setEnabled(s.currentPhase() >= 0 || s.isComplete());
}

} // namespace rollout

namespace rollout {

void RolloutView::wireNotifier()
{
    if (PagerDutyNotifier* pager = m_assembly.pager()) { // escalation: its health beside the webhooks'
        m_header->setConnection(tr("pager"),
                                int(pager->problem().isEmpty() ? Severity::Good : Severity::Warning),
                                pager->problem().isEmpty() ? tr("PagerDuty configured") : pager->problem());
        connect(pager, &PagerDutyNotifier::failed, this,
                [this](const QString& action, const QString& key, const QString& why) {
                    m_header->setConnection(tr("pager"), int(Severity::Bad),
                                            tr("%1 %2 failed: %3").arg(action, key, why));
                });
        connect(pager, &PagerDutyNotifier::delivered, this,
                [this](const QString& action, const QString& key) {
                    m_header->setConnection(tr("pager"), int(Severity::Good),
                                            tr("last: %1 %2 accepted").arg(action, key));
                });
    }
    WebhookNotifier* notifier = m_assembly.notifier();
    if (!notifier || m_runtime.plan().notify.empty()) return;
    const QStringList problems = notifier->problems();
    m_header->setConnection(tr("webhooks"), int(problems.isEmpty() ? Severity::Good : Severity::Warning),
                            problems.isEmpty()
                                ? tr("%1 webhook(s) configured").arg(m_runtime.plan().notify.size())
                                : problems.join(QLatin1Char('\n')));
    connect(notifier, &WebhookNotifier::failed, this,
            [this](const QString& kind, const QString& env, const QString& why) {
                m_header->setConnection(tr("webhooks"), int(Severity::Bad),
                                        tr("%1 via %2 failed: %3").arg(kind, env, why));
            });
    connect(notifier, &WebhookNotifier::delivered, this, [this](const QString& kind, const QString& env) {
        m_header->setConnection(tr("webhooks"), int(Severity::Good),
                                tr("last: %1 via %2 delivered").arg(kind, env));
    });
}

void RolloutView::focusRollback()
{
    m_rollback->setFocus(Qt::ShortcutFocusReason);
}

void RolloutView::writeEvidencePackInteractively()
{
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Write the evidence pack into"));
    if (!folder.isEmpty()) writeEvidencePack(folder);
}

void RolloutView::unlockOwnKey()
{
    unlockKey(actor().id, tr("Unlock the key you sign with."));
}

void RolloutView::unlockAutomationKey()
{
    unlockKey(Actor::automation().id,
              tr("This console's own decisions (a trigger firing, an automatic rollback, a flag read-back) "
                 "are signed with the plan's automation key."));
}

void RolloutView::showSideTab(int index)
{
    if (index >= 0 && index < m_tabs->count()) m_tabs->setCurrentIndex(index);
}

QStringList RolloutView::sideTabNames() const
{
    QStringList names;
    for (int t = 0; t < m_tabs->count(); ++t)
        names.append(m_tabs->tabText(t).remove(QLatin1Char('&')));
    return names;
}

} // namespace rollout

namespace rollout {

bool RolloutView::canSign() const
{
    return m_runtime.recorder() != nullptr;
}

} // namespace rollout
