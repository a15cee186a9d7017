// The console following a rollout that `rolloutctl watch` drives, on real widgets (offscreen)
// against the real PostgreSQL and Unleash: the console's tab follows (it runs no engine of its
// own and says who drives), a decision watch signs appears in its events and timeline, a
// checklist tick from the console reaches watch, and a rollback from the console's button is
// applied by watch, which sets the flag off and reads it back. The timing goal (≤ 1 s) is
// bench_follow's; here the arrival is only asserted within a generous bound.
#include "Await.h"
#include "MainWindow.h"
#include "PlanFixture.h"
#include "RequireServers.h"
#include "RollbackButton.h"
#include "RolloutView.h"
#include "TestKeys.h"
#include "flags/UnleashFeature.h"
#include "ledger/KeyStore.h"
#include "ledger/SharedStore.h"
#include "plan/PlanLoader.h"
#include "runtime/RolloutAssembly.h"
#include "viewmodels/RolloutListModel.h"

#include <QAbstractItemModel>
#include <QFile>
#include <QLabel>
#include <QListView>
#include <QProcess>
#include <QSettings>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>
#include <QUuid>
#include <sodium.h>

using namespace rollout;
using test::exchange;

namespace {

Ed25519::KeyPair rmKey()
{
    return test::seededKey("follow console rm");
}

QString env(const char* name)
{
    return qEnvironmentVariable(name);
}

} // namespace

class TestFollowConsole final : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_plan, m_keys, m_flag, m_unleash, m_rollout;

    bool unleashEnabled(bool* enabled)
    {
        const HttpResponse r =
            exchange("GET", m_unleash + QStringLiteral("/api/admin/projects/default/features/") + m_flag, {},
                     qgetenv("ROLLOUT_UNLEASH_ADMIN_TOKEN"));
        QString problem;
        const auto feature = UnleashFeature::parse(r.body, QStringLiteral("development"), &problem);
        if (!feature) return false;
        *enabled = feature->enabled;
        return true;
    }

    static bool logHas(MainWindow& window, const QString& text)
    {
        QAbstractItemModel* log = window.findChild<QListView*>(QStringLiteral("eventLog"))->model();
        for (int r = 0; r < log->rowCount(); ++r)
            if (log->index(r, 0).data().toString().contains(text)) return true;
        return false;
    }

    static QString driverDot(RolloutView* view)
    {
        auto* dot = view->findChild<QLabel*>(QStringLiteral("connection_driver"));
        return dot ? dot->text() : QString();
    }

    MainWindow::Options consoleOptions(SystemClock& clock)
    {
        MainWindow::Options o;
        o.clock = &clock;
        o.ledgerPath = m_dir.filePath(QStringLiteral("console.sqlite"));
        o.opener = [this, &clock](const QString& path, QString* problem) -> std::unique_ptr<OpenedRollout> {
            PlanLoadResult loaded = PlanLoader::loadFile(path);
            if (!loaded.plan) return nullptr;
            RolloutAssembly::Options parts;
            parts.ledgerPath = m_dir.filePath(QStringLiteral("console.sqlite"));
            parts.backgroundWriter = true;
            parts.store = StoreSettings::fromEnvironment();
            parts.notify = false;
            parts.driverKind = QStringLiteral("console");
            parts.driverPerson = QStringLiteral("rm");
            parts.addKeys = [](LedgerRecorder& recorder) { recorder.addKey(QStringLiteral("rm"), rmKey()); };
            auto opened = std::make_unique<OpenedRollout>();
            opened->assembly =
                RolloutAssembly::build(std::move(*loaded.plan), clock, std::move(parts), problem);
            return opened->assembly ? std::move(opened) : nullptr;
        };
        return o;
    }

    // A plan of a rollout of its own (one flag in Unleash, created), half then all.
    QString writePlan(const QString& rollout, const QString& automationKey)
    {
        const QString path = m_dir.filePath(rollout + QStringLiteral(".yaml"));
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly)) return {};
        f.write(QStringLiteral(
                    "rollout: %1\n"
                    "environment: development\n"
                    "auto_start: true\n"
                    "sources: {prom: {type: prometheus, url: \"%2\", timeout: 5s}}\n"
                    "backends: {unleash: {type: unleash, url: \"%3\", token_env: "
                    "ROLLOUT_UNLEASH_ADMIN_TOKEN, project: default}}\n"
                    "flags: [{key: %4, backend: unleash, stickiness: userId}]\n"
                    "metrics:\n"
                    "  up: {source: prom, unit: count, interval: 1s, query: \"sum(up)\"}\n"
                    "triggers:\n"
                    "  - {name: nothing scraped, when: up < 0, for: 5s, kind: hard, action: rollback}\n"
                    "checklists: {go: {release: [Change approved]}}\n"
                    "phases:\n"
                    "  - {name: half, traffic: 50%, checklist: go}\n"
                    "  - {name: all, traffic: 100%}\n"
                    "people:\n"
                    "  - {id: rm, name: Rita, roles: [rm], key: \"%5\"}\n"
                    "  - {id: automation, roles: [automation], key: \"%6\"}\n")
                    .arg(rollout, env("ROLLOUT_PROMETHEUS_URL"), m_unleash, rollout,
                         Ed25519::encodePublicKey(rmKey().publicKey), automationKey)
                    .toUtf8());
        f.close();
        exchange("POST", m_unleash + QStringLiteral("/api/admin/projects/default/features"),
                 QStringLiteral("{\"name\":\"%1\",\"type\":\"release\"}").arg(rollout).toUtf8(),
                 qgetenv("ROLLOUT_UNLEASH_ADMIN_TOKEN"));
        return path;
    }
    QString m_automationKey;

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("rollout-console-tests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_followconsole"));
        QSettings().clear();
        m_unleash = env("ROLLOUT_UNLEASH_URL");
        if (m_unleash.isEmpty() || env("ROLLOUT_PROMETHEUS_URL").isEmpty() ||
            env("ROLLOUT_PG_HOST").isEmpty())
            ROLLOUT_SKIP_OR_FAIL("run through scripts/test.sh: the servers' variables are unset");
        QVERIFY(Ed25519::initialize());
        m_keys = m_dir.filePath(QStringLiteral("keys"));
        KeyStore store(m_keys);
        store.setLimits(crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
        QString problem;
        QVERIFY2(store.create(QStringLiteral("automation"), QStringLiteral("automation"),
                              "automation passphrase", &problem),
                 qPrintable(problem));
        const QString automationKey = store.info(QStringLiteral("automation"), &problem)->publicKey;
        m_automationKey = automationKey;
        const QString id = QUuid::createUuid().toString(QUuid::Id128).left(8);
        m_rollout = QStringLiteral("followed-%1").arg(id);
        m_flag = m_rollout; // writePlan names the flag after the rollout
        m_plan = writePlan(m_rollout, automationKey);
        QVERIFY(!m_plan.isEmpty());
    }

    void theConsoleFollowsWatchAndWatchAppliesTheConsolesRollback()
    {
        // watch drives: it takes the rollout's lease and waits for the checklist.
        auto* watch = new QProcess(this);
        QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
        e.insert(QStringLiteral("ROLLOUT_TEST_WATCH_PASS"), QStringLiteral("automation passphrase"));
        e.insert(QStringLiteral("XDG_STATE_HOME"), m_dir.filePath(QStringLiteral("state")));
        watch->setProcessEnvironment(e);
        watch->start(QStringLiteral(ROLLOUT_BINARY_DIR "/app/rolloutctl"),
                     {QStringLiteral("watch"), m_plan, QStringLiteral("--db"),
                      m_dir.filePath(QStringLiteral("watch.sqlite")), QStringLiteral("--keys-dir"), m_keys,
                      QStringLiteral("--passphrase-env"), QStringLiteral("ROLLOUT_TEST_WATCH_PASS"),
                      QStringLiteral("--tick"), QStringLiteral("250")});
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT((out += watch->readAllStandardOutput()).contains("watching"), 20000);

        // The console opens the plan as File → Open does: its own ledger, rm's key, the store.
        SystemClock clock;
        MainWindow::Options o = consoleOptions(clock);
        MainWindow window(o);
        window.show();
        RolloutView* view = window.openPlan(m_plan);
        QVERIFY(view);
        const RolloutRuntime& runtime = view->runtime();
        auto lease = [&] { return const_cast<RolloutRuntime&>(runtime).lease(); };
        // Following is assumed until the store answers; then the lease says who drives.
        QTRY_VERIFY_WITH_TIMEOUT(lease() && lease()->state() == DriveLease::State::Following, 10000);
        QVERIFY(runtime.following());
        // The console says it follows (a hollow dot), in its events, and shows watch's verdicts
        // with whose they are and how old.
        QVERIFY2(driverDot(view).contains(QStringLiteral("○")) &&
                     driverDot(view).contains(QLatin1String("following watch")),
                 qPrintable(driverDot(view)));
        QVERIFY(logHas(window, QStringLiteral("this console follows")));
        auto* source = view->findChild<QLabel*>(QStringLiteral("gateSource"));
        QVERIFY(source);
        QTRY_VERIFY_WITH_TIMEOUT(source->text().contains(QLatin1String("Verdicts as watch (automation)")),
                                 10000);
        // The home says who drives it.
        window.refreshHome();
        QAbstractItemModel* list = window.findChild<QTableView*>(QStringLiteral("rolloutList"))->model();
        QVERIFY2(list->index(0, RolloutListModel::Status)
                     .data()
                     .toString()
                     .contains(QLatin1String("driven by watch (automation)")),
                 qPrintable(list->index(0, RolloutListModel::Status).data().toString()));

        // The console ticks the checklist (a click on its box): watch applies it, starts the
        // rollout (signed with the automation key), and the start appears in the console.
        auto* tree = window.findChild<QTreeView*>(QStringLiteral("checklistView"));
        QAbstractItemModel* m = tree->model();
        const QModelIndex section = m->index(0, 0);
        QVERIFY(m->setData(m->index(0, 0, section), Qt::Checked, Qt::CheckStateRole));
        QTRY_COMPARE_WITH_TIMEOUT(runtime.session().currentPhase(), 0, 30000);
        QAbstractItemModel* log = window.findChild<QListView*>(QStringLiteral("eventLog"))->model();
        bool seen = false;
        for (int r = 0; r < log->rowCount(); ++r)
            seen = seen || log->index(r, 0).data().toString().contains(QLatin1String("automation"));
        QVERIFY2(seen, "watch's start is not in the console's events");
        QTRY_VERIFY_WITH_TIMEOUT(runtime.session().flagsApplied(), 20000);
        bool enabled = false;
        QVERIFY(unleashEnabled(&enabled));
        QVERIFY(enabled);
        // The Flags tab shows the flag as watch read it back (this console reads nothing itself).
        QAbstractItemModel* flags = window.findChild<QTableView*>(QStringLiteral("flagTable"))->model();
        QTRY_VERIFY_WITH_TIMEOUT(
            flags->index(0, 2).data().toString().contains(QLatin1String("50%")) &&
                flags->index(0, 3).data().toString().contains(QLatin1String("read back by watch")),
            5000);
        // For the README (ROLLOUT_SCREENSHOT_DIR set): the follower, at 1280×800, on its gate.
        if (const QString shots = qEnvironmentVariable("ROLLOUT_SCREENSHOT_DIR"); !shots.isEmpty()) {
            window.resize(1280, 800);
            view->showSideTab(0);
            QTest::qWait(1500); // a few of watch's views, and the charts' backfill
            QVERIFY(window.grab().save(shots + QStringLiteral("/followed.png")));
            view->showSideTab(1);
            QTest::qWait(300);
            QVERIFY(window.grab().save(shots + QStringLiteral("/followed-triggers.png")));
            view->showSideTab(0);
        }

        // The console's rollback button: signed here, applied by watch, read back in Unleash.
        auto* button = window.findChild<RollbackButton*>(QStringLiteral("rollbackButton"));
        button->setHoldMs(50);
        QTest::mousePress(button, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(runtime.session().state() == RolloutState::RolledBack, 5000);
        QTest::mouseRelease(button, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(watch->state() == QProcess::NotRunning, 30000);
        out += watch->readAllStandardOutput();
        QVERIFY2(watch->exitCode() == 3, out.constData());
        QVERIFY(unleashEnabled(&enabled));
        QVERIFY(!enabled);
        QTRY_VERIFY_WITH_TIMEOUT(runtime.session().flagsApplied(), 20000); // watch's read-back, arrived
        // watch gave the lease back on its way out: the console takes over, and says so.
        QTRY_VERIFY_WITH_TIMEOUT(lease()->state() == DriveLease::State::Driving, 15000);
        QVERIFY(logHas(window, QStringLiteral("this console now drives")));
        QVERIFY2(driverDot(view).contains(QStringLiteral("●")) &&
                     driverDot(view).contains(QLatin1String("driving")),
                 qPrintable(driverDot(view)));
        QVERIFY(!source->isVisible());
    }

    // The home lists every rollout of the shared store by a direct query, also one this console
    // has never opened nor pulled (its own ledger is empty), with the driver's health and phase.
    void theHomeListsTheStoresRollouts()
    {
        SystemClock clock;
        MainWindow::Options o = consoleOptions(clock);
        o.ledgerPath = m_dir.filePath(QStringLiteral("empty-home.sqlite"));
        o.store = StoreSettings::fromEnvironment();
        MainWindow window(o);
        window.refreshHome();
        QAbstractItemModel* list = window.findChild<QTableView*>(QStringLiteral("rolloutList"))->model();
        int row = -1;
        QTRY_VERIFY_WITH_TIMEOUT(([&] {
                                     for (int r = 0; r < list->rowCount(); ++r)
                                         if (list->index(r, RolloutListModel::Rollout).data().toString() ==
                                             m_rollout)
                                             row = r;
                                     return row >= 0;
                                 }()),
                                 10000);
        // The first case's rollout: rolled back, as its last driver published it (the row is the
        // recent plan's first, rebuilt from this empty ledger; the store's answer follows).
        const auto health = [&] { return list->index(row, RolloutListModel::Health).data().toString(); };
        QTRY_VERIFY2_WITH_TIMEOUT(health().contains(QLatin1String("the driver's view")), qPrintable(health()),
                                  10000);
        QVERIFY2(health().contains(QLatin1String("rolled back")), qPrintable(health()));
        QVERIFY2(list->index(row, RolloutListModel::Phase)
                     .data()
                     .toString()
                     .contains(QLatin1String("rolled back")),
                 qPrintable(list->index(row, RolloutListModel::Phase).data().toString()));
    }

    // Closing the tab of a running rollout this console drives asks: kept, it is still driven in
    // the background; quitting and handing over gives the lease back at once.
    void closingWhileDrivingAsks()
    {
        const QString rollout =
            QStringLiteral("driven-%1").arg(QUuid::createUuid().toString(QUuid::Id128).left(8));
        const QString plan = writePlan(rollout, m_automationKey);
        QVERIFY(!plan.isEmpty());
        SystemClock clock;
        MainWindow::Options o = consoleOptions(clock);
        QList<QStringList> asked;
        MainWindow::DrivingChoice answer = MainWindow::DrivingChoice::KeepDriving;
        o.askWhileDriving = [&](const QStringList& rollouts, bool, bool) {
            asked.append(rollouts);
            return answer;
        };
        MainWindow window(o);
        window.show();
        RolloutView* view = window.openPlan(plan);
        QVERIFY(view);
        DriveLease* lease = const_cast<RolloutRuntime&>(view->runtime()).lease();
        QTRY_VERIFY_WITH_TIMEOUT(lease->state() == DriveLease::State::Driving, 10000);
        QVERIFY(logHas(window, QStringLiteral("this console drives")));

        // Not started: closing asks nothing. Started by rm: it does.
        auto* tabs = window.findChild<QTabWidget*>(QStringLiteral("rolloutTabs"));
        QVERIFY(window.drivenRunning().isEmpty());
        auto* tree = view->findChild<QTreeView*>(QStringLiteral("checklistView"));
        QAbstractItemModel* m = tree->model();
        QVERIFY(m->setData(m->index(0, 0, m->index(0, 0)), Qt::Checked, Qt::CheckStateRole));
        QTRY_VERIFY_WITH_TIMEOUT(view->runtime().session().gate().open, 10000);
        view->advance();
        QTRY_COMPARE_WITH_TIMEOUT(view->runtime().session().currentPhase(), 0, 15000);
        QCOMPARE(window.drivenRunning(), QStringList{rollout});

        Q_EMIT tabs->tabCloseRequested(tabs->indexOf(view));
        QCOMPARE(asked.size(), 1);
        QCOMPARE(asked.first(), QStringList{rollout});
        QCOMPARE(tabs->indexOf(view), -1);      // the tab went
        QCOMPARE(window.viewOf(rollout), view); // the rollout did not
        QCOMPARE(lease->state(), DriveLease::State::Driving);
        window.showView(view);
        QVERIFY(tabs->indexOf(view) > 0);

        answer = MainWindow::DrivingChoice::Cancel;
        QVERIFY(!window.close());
        QCOMPARE(asked.size(), 2);
        answer = MainWindow::DrivingChoice::HandOver;
        QVERIFY(window.close());
        QCOMPARE(asked.size(), 3);
        SharedStore check(StoreSettings::fromEnvironment());
        QVERIFY(!check.readLease(rollout).holder.isSet()); // given back at once, not left to lapse
    }
};

QTEST_MAIN(TestFollowConsole)
#include "tst_followconsole.moc"
