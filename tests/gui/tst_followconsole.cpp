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
#include "plan/PlanLoader.h"
#include "runtime/RolloutAssembly.h"
#include "viewmodels/RolloutListModel.h"

#include <QAbstractItemModel>
#include <QFile>
#include <QListView>
#include <QProcess>
#include <QSettings>
#include <QStandardPaths>
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
        const QString id = QUuid::createUuid().toString(QUuid::Id128).left(8);
        m_rollout = QStringLiteral("followed-%1").arg(id);
        m_flag = QStringLiteral("followed-%1").arg(id);
        m_plan = m_dir.filePath(QStringLiteral("plan.yaml"));
        QFile f(m_plan);
        QVERIFY(f.open(QIODevice::WriteOnly));
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
                    .arg(m_rollout, env("ROLLOUT_PROMETHEUS_URL"), m_unleash, m_flag,
                         Ed25519::encodePublicKey(rmKey().publicKey), automationKey)
                    .toUtf8());
        f.close();
        exchange("POST", m_unleash + QStringLiteral("/api/admin/projects/default/features"),
                 QStringLiteral("{\"name\":\"%1\",\"type\":\"release\"}").arg(m_flag).toUtf8(),
                 qgetenv("ROLLOUT_UNLEASH_ADMIN_TOKEN"));
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
        MainWindow::Options o;
        o.clock = &clock;
        o.ledgerPath = m_dir.filePath(QStringLiteral("console.sqlite"));
        o.opener = [&](const QString& path, QString* problem) -> std::unique_ptr<OpenedRollout> {
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
        MainWindow window(o);
        window.show();
        RolloutView* view = window.openPlan(m_plan);
        QVERIFY(view);
        const RolloutRuntime& runtime = view->runtime();
        auto lease = [&] { return const_cast<RolloutRuntime&>(runtime).lease(); };
        // Following is assumed until the store answers; then the lease says who drives.
        QTRY_VERIFY_WITH_TIMEOUT(lease() && lease()->state() == DriveLease::State::Following, 10000);
        QVERIFY(runtime.following());
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
    }
};

QTEST_MAIN(TestFollowConsole)
#include "tst_followconsole.moc"
