// The console's main window on real widgets, offscreen, driven by objectName: the gate holds the
// Advance button until it is green, the checklist and sign-off reach the engine, the rollback
// button needs a hold, and an automatic rollback raises the banner.
#include "FakeFlagBackend.h"
#include "GatePanel.h"
#include "LedgerPanel.h"
#include "MainWindow.h"
#include "PlanFixture.h"
#include "RollbackButton.h"
#include "RolloutView.h"
#include "SettingsDialog.h"
#include "ledger/DecisionChecks.h"
#include "ledger/LedgerVerifier.h"
#include "ledger/LocalLedger.h"
#include "runtime/RolloutAssembly.h"
#include "sim/DemoKeys.h"
#include "viewmodels/ChecklistModel.h"
#include "viewmodels/FlagTableModel.h"
#include "viewmodels/RolloutDirectory.h"

#include <QAbstractItemModel>
#include <QApplication>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

using namespace rollout;

namespace {

// The demo rollout as the console puts it together (RolloutAssembly), except that its one flag
// lives in an in-memory flag service the tests can make fail, and the tests tick it by hand.
struct Console
{
    ManualClock clock{1'700'000'000'000};
    QTemporaryDir dir;
    test::FakeFlagBackend* flags = nullptr;
    QStringList keys;
    QString deviceKeys; // the device key's folder; empty: none
    QString ledgerPath;
    RolloutRuntime* built = nullptr;
    MainWindow* windowPtr;
    MainWindow& window;
    RolloutView* view;
    RolloutRuntime& runtime;

    // `unlocked`: whose keys are unlocked in this console (default: everyone's).
    explicit Console(const QString& ledger = {}, std::optional<QStringList> unlocked = std::nullopt,
                     const QString& deviceKeyFolder = {})
        : keys(unlocked.value_or(QStringList{QStringLiteral("rm-demo"), QStringLiteral("pm-demo"),
                                             QStringLiteral("oncall-demo"), QStringLiteral("automation")})),
          deviceKeys(deviceKeyFolder),
          ledgerPath(ledger.isEmpty() ? dir.filePath(QStringLiteral("ledger.sqlite")) : ledger),
          windowPtr(new MainWindow(windowOptions())), window(*windowPtr), view(window.addRollout(open())),
          runtime(*built)
    {
        window.show();
    }
    ~Console() { delete windowPtr; }

    MainWindow::Options windowOptions()
    {
        MainWindow::Options o;
        o.clock = &clock;
        o.ledgerPath = ledgerPath;
        o.homeRefreshMs = 3'600'000;
        return o;
    }
    std::unique_ptr<OpenedRollout> open()
    {
        FlagBackendSet set;
        auto fake = std::make_unique<test::FakeFlagBackend>(QStringLiteral("flags"));
        flags = fake.get();
        set.add(std::move(fake));
        set.assign(QStringLiteral("new-checkout"), QStringLiteral("flags"), QStringLiteral("userId"));
        RolloutAssembly::Options parts;
        parts.ledgerPath = ledgerPath;
        parts.flags = std::move(set);
        parts.addKeys = [this](LedgerRecorder& recorder) {
            for (const QString& id : keys)
                recorder.addKey(id, DemoKeys::forPerson(id));
        };
        parts.deviceKeyDirectory = deviceKeys;
        QString problem;
        auto opened = std::make_unique<OpenedRollout>();
        opened->assembly = RolloutAssembly::build(
            test::loadPlan(test::sourceFile(QStringLiteral("resources/demo/demo-plan.yaml"))), clock,
            std::move(parts), &problem);
        if (!opened->assembly) qFatal("%s", qPrintable(problem));
        opened->start = false;
        built = &opened->assembly->runtime();
        built->flags()->setDeadlineMs(500);
        return opened;
    }

    void feed(double errorRate)
    {
        const qint64 t = clock.nowMs();
        TimeSeriesStore& s = runtime.store();
        s.append(QStringLiteral("requests"), QStringLiteral("canary"), {t, 40});
        s.append(QStringLiteral("error_rate"), QStringLiteral("canary"), {t, errorRate});
        s.append(QStringLiteral("error_rate"), QStringLiteral("baseline"), {t, 0.001});
        s.append(QStringLiteral("latency_p95"), QStringLiteral("canary"), {t, 0.2});
        s.append(QStringLiteral("latency_p95"), QStringLiteral("baseline"), {t, 0.2});
        s.append(QStringLiteral("memory"), QStringLiteral("canary"), {t, 30});
        // The counts behind the error rate, as the simulator gives them: 40 canary requests a
        // second, 4,000 baseline ones at 0.1%.
        m_counts[0] += 40.0 * errorRate;
        m_counts[1] += 40.0;
        m_counts[2] += 4.0;
        m_counts[3] += 4000.0;
        s.appendCounts(QStringLiteral("error_rate"), QStringLiteral("canary"), t, m_counts[0], m_counts[1]);
        s.appendCounts(QStringLiteral("error_rate"), QStringLiteral("baseline"), t, m_counts[2], m_counts[3]);
    }
    double m_counts[4] = {0, 0, 0, 0};
    void run(int seconds, double errorRate = 0.001)
    {
        for (int i = 0; i < seconds; ++i) {
            clock.advanceMs(1000);
            feed(errorRate);
            runtime.tick();
        }
    }
    template <typename T> T* find(const char* name) const
    {
        return window.findChild<T*>(QLatin1String(name));
    }

    // Tick every checklist item through the view's model, as a click on its box does.
    void tickChecklist()
    {
        auto* tree = find<QTreeView>("checklistView");
        QAbstractItemModel* m = tree->model();
        for (int s = 0; s < m->rowCount(); ++s) {
            const QModelIndex section = m->index(s, 0);
            for (int i = 0; i < m->rowCount(section); ++i)
                QVERIFY(m->setData(m->index(i, 0, section), Qt::Checked, Qt::CheckStateRole));
        }
    }
    void start()
    {
        tickChecklist();
        QTest::mouseClick(find<QPushButton>("approveButton"), Qt::LeftButton);
        feed(0.001);
        runtime.tick();
        QTRY_VERIFY(find<QPushButton>("advanceButton")->isEnabled());
        QTest::mouseClick(find<QPushButton>("advanceButton"), Qt::LeftButton);
        QCOMPARE(runtime.session().currentPhase(), 0);
        QTRY_VERIFY(!runtime.flags()->busy());
        QVERIFY(flags->state(QStringLiteral("new-checkout")).matches(FlagSetting{true, 1.0}));
    }
    void holdRollback()
    {
        auto* button = find<RollbackButton>("rollbackButton");
        button->setHoldMs(50);
        QTest::mousePress(button, Qt::LeftButton);
        QTRY_COMPARE(runtime.session().currentPhase(), -1);
        QTest::mouseRelease(button, Qt::LeftButton);
    }
    QString flagResult() const
    {
        QAbstractItemModel* m = find<QTableView>("flagTable")->model();
        return m->index(0, FlagTableModel::Result).data().toString();
    }
};

} // namespace

class TestMainWindow final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void advanceIsDisabledUntilTheGateIsGreen()
    {
        Console c;
        auto* advance = c.find<QPushButton>("advanceButton");
        QVERIFY(advance);
        QVERIFY(!advance->isEnabled());
        QVERIFY(advance->toolTip().contains(QStringLiteral("checklist: 0/6 ticked")));
        c.tickChecklist();
        QVERIFY(!advance->isEnabled());
        QVERIFY(advance->toolTip().contains(QStringLiteral("release-manager approval")));
        QTest::mouseClick(c.find<QPushButton>("approveButton"), Qt::LeftButton);
        QVERIFY(advance->isEnabled());
        QTest::mouseClick(advance, Qt::LeftButton);
        QCOMPARE(c.runtime.session().currentPhase(), 0);
        // In phase 1: time and criteria must hold for 2 minutes; the attestation is unticked.
        c.run(30);
        QVERIFY(!advance->isEnabled());
        QVERIFY(advance->toolTip().contains(QStringLiteral("time in phase")));
    }

    void tickingAChecklistItemRecordsWhoDidIt()
    {
        Console c;
        int ticks = 0;
        QObject::connect(&c.runtime, &RolloutRuntime::eventAppended, &c.window, [&](const RolloutEvent& e) {
            if (e.type == EventType::ChecklistItemSet && e.ticked && e.actor == QStringLiteral("rm-demo"))
                ++ticks;
        });
        auto* tree = c.find<QTreeView>("checklistView");
        QAbstractItemModel* m = tree->model();
        QVERIFY(m->setData(m->index(0, 0, m->index(0, 0)), Qt::Checked, Qt::CheckStateRole));
        QCOMPARE(ticks, 1);
        QCOMPARE(m->index(0, 1, m->index(0, 0)).data().toString(), QStringLiteral("rm-demo"));
        QCOMPARE(c.runtime.session().tickedItems(0).size(), 1);
    }

    void tickingAChecklistItemWritesASignedRecord()
    {
        Console c;
        auto* tree = c.find<QTreeView>("checklistView");
        QAbstractItemModel* m = tree->model();
        QVERIFY(m->setData(m->index(0, 0, m->index(0, 0)), Qt::Checked, Qt::CheckStateRole));
        const QList<LedgerRecord> records = c.runtime.recorder()->ledger().records();
        QCOMPARE(records.size(), 1);
        QCOMPARE(records.first().type, QStringLiteral("checklist_item_set"));
        QCOMPARE(records.first().actor, QStringLiteral("rm-demo"));
        QVERIFY(records.first().signatureValid());
        QCOMPARE(c.find<QTableView>("ledgerTable")->model()->rowCount(), 1);
        c.start();
        QCOMPARE(c.find<QTableView>("ledgerTable")->model()->rowCount(),
                 int(c.runtime.recorder()->ledger().records().size()));
    }

    void aTamperedApprovalShowsACrossInTheSignOffTable()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("shared.sqlite"));
        {
            Console a(path);
            QTest::mouseClick(a.find<QPushButton>("approveButton"), Qt::LeftButton);
            QCOMPARE(a.runtime.session().approvals(0).size(), 1);
            QAbstractItemModel* m = a.find<QTableView>("signOffTable")->model();
            QCOMPARE(m->index(0, 6).data().toString(), QStringLiteral("✓ valid"));
        }
        { // Someone with the file swaps the signer's name in the approval.
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("tamper"));
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral(
                "UPDATE records SET body = CAST(replace(CAST(body AS TEXT), 'rm-demo', 'pm-demo') AS BLOB) "
                "WHERE type = 'approval_recorded'")));
            QCOMPARE(q.numRowsAffected(), 1);
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("tamper"));
        Console b(path);
        QVERIFY(b.runtime.session().approvals(0).isEmpty()); // it does not count
        QAbstractItemModel* m = b.find<QTableView>("signOffTable")->model();
        int crossed = -1;
        for (int r = 0; r < m->rowCount(); ++r)
            if (m->index(r, 6).data().toString().startsWith(QStringLiteral("✗"))) crossed = r;
        QVERIFY(crossed >= 0);
        QVERIFY2(m->index(crossed, 6).data().toString().contains(QStringLiteral("signature")),
                 qPrintable(m->index(crossed, 6).data().toString()));
        QVERIFY(m->index(crossed, 3).data().toString().contains(QStringLiteral("does not count")));
        QVERIFY(b.find<QLabel>("ledgerSummary")->text().contains(QStringLiteral("do not verify")));
    }

    void aDeletedRecordShowsLedgerTamperingInTheHeaderAndTheLedgerTab()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("deleted.sqlite"));
        {
            Console a(path);
            a.tickChecklist();
            QTest::mouseClick(a.find<QPushButton>("approveButton"), Qt::LeftButton);
            QVERIFY(a.runtime.recorder()->ledger().records().size() >= 3);
            QVERIFY(a.find<QLabel>("ledgerTamperingLabel")->isHidden());
        }
        { // Someone with the file deletes a record from the middle of the chain.
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("delete"));
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("DELETE FROM records WHERE seq = 2")));
            QCOMPARE(q.numRowsAffected(), 1);
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("delete"));
        Console b(path);
        QCOMPARE(b.runtime.session().approvals(0).size(),
                 1); // the authentic approval after the gap still counts
        auto* header = b.find<QLabel>("ledgerTamperingLabel");
        QVERIFY(!header->isHidden());
        QVERIFY2(header->text().contains(QStringLiteral("ledger tampering:")) &&
                     header->text().contains(QStringLiteral("is missing (deleted?)")),
                 qPrintable(header->text()));
        QVERIFY2(b.find<QLabel>("ledgerSummary")
                     ->text()
                     .contains(QStringLiteral("ledger tampering at 1 record(s)")),
                 qPrintable(b.find<QLabel>("ledgerSummary")->text()));
        // What a pull reports (a record altered in the shared store) is listed above the table.
        auto* panel = b.window.findChild<LedgerPanel*>();
        QVERIFY(panel);
        panel->addTampering(QStringLiteral(
            "tampering: record x was changed in the shared store (its signature does not match its body)"));
        QVERIFY(!b.find<QLabel>("ledgerTampering")->isHidden());
        QVERIFY(b.find<QLabel>("ledgerTampering")
                    ->text()
                    .contains(QStringLiteral("was changed in the shared store")));
    }

    void settingsAreSavedAndNoSecretIsAsked()
    {
        QTemporaryDir dir;
        Settings settings(
            std::make_unique<QSettings>(dir.filePath(QStringLiteral("s.ini")), QSettings::IniFormat));
        SettingsDialog dialog(settings);
        dialog.show();
        auto* host = dialog.findChild<QLineEdit*>(QStringLiteral("setting_store_host"));
        QVERIFY(host);
        QTest::keyClicks(host, QStringLiteral("db.internal"));
        for (QLineEdit* e : dialog.findChildren<QLineEdit*>())
            QVERIFY(e->echoMode() == QLineEdit::Normal &&
                    !e->accessibleName().contains(QStringLiteral("assword:")));
        if (const QString shots = qEnvironmentVariable("ROLLOUT_SCREENSHOT_DIR"); !shots.isEmpty())
            dialog.grab().save(shots + QStringLiteral("/settings.png"));
        QTest::mouseClick(dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Save),
                          Qt::LeftButton);
        QCOMPARE(settings.text(Settings::Key::StoreHost), QStringLiteral("db.internal"));
    }

    void signOffTableShowsApprovalsAndMandatoryOnes()
    {
        Console c;
        auto* table = c.find<QTableView>("signOffTable");
        QAbstractItemModel* m = table->model();
        bool mandatory = false;
        for (int r = 0; r < m->rowCount(); ++r)
            mandatory = mandatory || m->index(r, 2).data().toString().contains(QStringLiteral("MANDATORY"));
        QVERIFY(mandatory);
        QCOMPARE(m->index(0, 1).data().toString(), QStringLiteral("awaiting"));
        QTest::mouseClick(c.find<QPushButton>("approveButton"), Qt::LeftButton);
        QCOMPARE(m->index(0, 1).data().toString(), QStringLiteral("rm-demo"));
        QCOMPARE(m->index(0, 3).data().toString(), QStringLiteral("approve"));
    }

    void rollbackButtonNeedsAHold()
    {
        Console c;
        c.start();
        auto* button = c.find<RollbackButton>("rollbackButton");
        button->setHoldMs(150);
        // A click is not a rollback.
        QTest::mouseClick(button, Qt::LeftButton);
        QCOMPARE(c.runtime.session().currentPhase(), 0);
        // A hold is.
        QTest::mousePress(button, Qt::LeftButton);
        QTRY_COMPARE(c.runtime.session().currentPhase(), -1);
        QTest::mouseRelease(button, Qt::LeftButton);
        QVERIFY(c.find<QWidget>("rollbackBanner")->isVisible());
        QVERIFY(c.find<QLabel>("bannerText")->text().contains(QStringLiteral("ROLLED BACK")));
        QCOMPARE(c.find<QLabel>("stateLabel")->text(), QStringLiteral("ROLLED BACK"));
    }

    void rollbackWorksWithTheKeyboard()
    {
        Console c;
        c.start();
        auto* button = c.find<RollbackButton>("rollbackButton");
        button->setHoldMs(100);
        button->setFocus();
        QTest::keyPress(button, Qt::Key_Space);
        QTRY_COMPARE(c.runtime.session().currentPhase(), -1);
        QTest::keyRelease(button, Qt::Key_Space);
    }

    void aRollbackIsDoneOnlyWhenTheFlagReadsBackOff()
    {
        Console c;
        c.start();
        c.holdRollback();
        QTRY_VERIFY(
            c.find<QLabel>("bannerFlags")->text().contains(QStringLiteral("1 of 1 flag(s) verified")));
        QVERIFY(!c.flags->state(QStringLiteral("new-checkout")).enabled);
        QVERIFY2(c.flagResult().startsWith(QStringLiteral("✓ verified")), qPrintable(c.flagResult()));
        QVERIFY(!c.find<QPushButton>("retryFlagsButton")->isVisible());
    }

    void aRollbackTheFlagServiceRefusesIsNeverDone()
    {
        Console c;
        c.start();
        c.flags->script(QStringLiteral("new-checkout"), {test::FakeFlagBackend::Fault::Permanent});
        c.holdRollback();
        QTRY_VERIFY(c.find<QPushButton>("retryFlagsButton")->isVisible());
        const QString banner = c.find<QLabel>("bannerText")->text() + c.find<QLabel>("bannerFlags")->text();
        QVERIFY2(banner.contains(QStringLiteral("FLAGS NOT VERIFIED")) &&
                     banner.contains(QStringLiteral("ESCALATE")),
                 qPrintable(banner));
        QVERIFY(!banner.contains(QStringLiteral("flag(s) verified in")));
        QVERIFY2(c.flagResult().startsWith(QStringLiteral("✗ write")), qPrintable(c.flagResult()));
        QVERIFY(
            c.flags->state(QStringLiteral("new-checkout")).enabled); // still exposed: the UI must not pretend
        // Retry writes the target again; the service now accepts and reads back off.
        QTest::mouseClick(c.find<QPushButton>("retryFlagsButton"), Qt::LeftButton);
        QTRY_VERIFY(
            c.find<QLabel>("bannerFlags")->text().contains(QStringLiteral("1 of 1 flag(s) verified")));
        QVERIFY(!c.flags->state(QStringLiteral("new-checkout")).enabled);
        QVERIFY(!c.find<QPushButton>("retryFlagsButton")->isVisible());
    }

    // ROLL BACK held while the acting person's key is locked (and no automation key here): the
    // rollback happens at once and is recorded, signed with this device's key, "signature pending";
    // the header, the home, a reopened tab all say rolled back; unlocking countersigns it.
    void aRollbackWithTheKeyLockedIsRecordedAndCountersignedLater()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("locked.sqlite"));
        const QString deviceKeys = dir.filePath(QStringLiteral("keys"));
        {
            Console a(path);
            a.start();
        }
        Console b(path, QStringList{}, deviceKeys);
        QCOMPARE(b.runtime.session().currentPhase(), 0);
        QVERIFY(!b.runtime.recorder()->canSign(QStringLiteral("rm-demo")));
        b.holdRollback();
        QTRY_VERIFY(!b.flags->state(QStringLiteral("new-checkout")).enabled);
        const QString banner = b.find<QLabel>("bannerText")->text();
        QVERIFY2(banner.contains(QStringLiteral("ROLLED BACK")) &&
                     banner.contains(QStringLiteral("signature pending")),
                 qPrintable(banner));
        QCOMPARE(toString(b.runtime.session().state()), toString(RolloutState::RolledBack));
        QTRY_VERIFY(b.runtime.decisions().settled());
        QVERIFY2(
            b.find<QLabel>("stateLabel")->text().contains(QStringLiteral("rolled back"), Qt::CaseInsensitive),
            qPrintable(b.find<QLabel>("stateLabel")->text()));
        // On record, verified, signed by the device in rm-demo's name.
        const Plan plan = b.runtime.plan();
        const QList<RecordVerdict> verdicts =
            LedgerVerifier::verify(b.runtime.recorder()->ledger().records(plan.rollout), plan);
        QString rollbackId;
        for (const RecordVerdict& v : verdicts) {
            QVERIFY2(v.ok, qPrintable(v.id + QStringLiteral(": ") +
                                      (v.failures.isEmpty() ? QString() : v.failures.first().why)));
            if (v.record && v.record->type == QLatin1String("rolled_back")) rollbackId = v.id;
        }
        QVERIFY(!rollbackId.isEmpty());
        QCOMPARE(DecisionChecks::pendingCountersignatures(verdicts, QStringLiteral("rm-demo")),
                 QStringList{rollbackId});
        // The home (as it reads every plan from the ledger) and a reopened tab stand rolled back.
        const QList<RolloutSummary> home = RolloutDirectory::read(
            {{QStringLiteral(ROLLOUT_SOURCE_DIR "/resources/demo/demo-plan.yaml"), QStringLiteral("recent")}},
            path, QStringLiteral("rm-demo"), {}, b.clock);
        QCOMPARE(home.size(), 1);
        QCOMPARE(toString(home.first().state), toString(RolloutState::RolledBack));
        {
            Console reopened(path, QStringList{}, deviceKeys);
            QCOMPARE(toString(reopened.runtime.session().state()), toString(RolloutState::RolledBack));
        }
        // rm-demo unlocks their key: the console countersigns what was signed in their name.
        b.runtime.recorder()->addKey(QStringLiteral("rm-demo"),
                                     DemoKeys::forPerson(QStringLiteral("rm-demo")));
        b.view->countersignPending(QStringLiteral("rm-demo"));
        QTRY_VERIFY(b.runtime.decisions().settled());
        const QList<RecordVerdict> after =
            LedgerVerifier::verify(b.runtime.recorder()->ledger().records(plan.rollout), plan);
        QVERIFY(DecisionChecks::pendingCountersignatures(after, QStringLiteral("rm-demo")).isEmpty());
        for (const RecordVerdict& v : after)
            if (v.id == rollbackId)
                QVERIFY2(v.notes.join(QLatin1Char(' ')).contains(QStringLiteral("countersigned by rm-demo")),
                         qPrintable(v.notes.join(QLatin1Char(' '))));
    }

    void automaticRollbackRaisesTheBanner()
    {
        Console c;
        c.start();
        QVERIFY(!c.find<QWidget>("rollbackBanner")->isVisible());
        c.run(40,
              0.2); // the demo's hard trigger: error_rate > 5% for 15s, shown on 40 canary requests a second
        QCOMPARE(c.runtime.session().currentPhase(), -1);
        QVERIFY(c.find<QWidget>("rollbackBanner")->isVisible());
        const QString text = c.find<QLabel>("bannerText")->text();
        QVERIFY2(text.contains(QStringLiteral("AUTOMATIC ROLLBACK")) &&
                     text.contains(QStringLiteral("error rate critical")),
                 qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("error_rate = 20%")), qPrintable(text));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
