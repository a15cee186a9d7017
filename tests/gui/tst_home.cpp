// The console's home and its tabs on real widgets, offscreen: every rollout it knows is listed
// with where it stands and what waits on the person acting; "waiting on me" filters; the count is
// in the window title; two plans open at once in two tabs, each with its own state; a plan opens
// from File → Open recent and by drag and drop; a plan that does not load changes nothing.
#include "HomeView.h"
#include "MainWindow.h"
#include "PlanFixture.h"
#include "RolloutView.h"
#include "ShortcutSheet.h"
#include "plan/PlanLoader.h"
#include "runtime/RolloutAssembly.h"
#include "sim/DemoKeys.h"
#include "viewmodels/RolloutListModel.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QMenuBar>
#include <QMimeData>
#include <QSettings>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace rollout;

namespace {

// The demo plan under another rollout name, its flags in a flagd file of the test's.
QString writePlan(const QTemporaryDir& dir, const QString& rollout)
{
    QByteArray yaml = test::sourceFile(QStringLiteral("resources/demo/demo-plan.yaml"));
    yaml.replace("rollout: demo-new-checkout", "rollout: " + rollout.toUtf8());
    const QString path = dir.filePath(rollout + QStringLiteral(".yaml"));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly)) qFatal("cannot write %s", qPrintable(path));
    f.write(yaml);
    return path;
}

struct Console
{
    ManualClock clock{1'700'000'000'000};
    QTemporaryDir dir;
    QString ledgerPath = dir.filePath(QStringLiteral("ledger.sqlite"));
    int opened = 0;
    std::unique_ptr<MainWindow> window;

    Console()
    {
        MainWindow::Options o;
        o.clock = &clock;
        o.ledgerPath = ledgerPath;
        o.homeRefreshMs = 3'600'000; // refreshed by hand
        o.opener = [this](const QString& path, QString* problem) -> std::unique_ptr<OpenedRollout> {
            PlanLoadResult loaded = PlanLoader::loadFile(path);
            if (!loaded.plan) {
                *problem = loaded.errors.value(0).toString();
                return nullptr;
            }
            for (BackendSpec& b : loaded.plan->backends)
                if (b.type == BackendType::FlagdFile)
                    b.path = dir.filePath(loaded.plan->rollout + QStringLiteral("-flags.json"));
            RolloutAssembly::Options parts;
            parts.ledgerPath = ledgerPath;
            parts.notify = false;
            parts.addKeys = [](LedgerRecorder& recorder) {
                for (const QString& id :
                     {QStringLiteral("rm-demo"), QStringLiteral("pm-demo"), QStringLiteral("automation")})
                    recorder.addKey(id, DemoKeys::forPerson(id));
            };
            auto out = std::make_unique<OpenedRollout>();
            out->assembly = RolloutAssembly::build(std::move(*loaded.plan), clock, std::move(parts), problem);
            if (!out->assembly) return nullptr;
            out->start = false;
            ++opened;
            return out;
        };
        window = std::make_unique<MainWindow>(o);
        window->show();
    }
    QTabWidget* tabs() const { return window->findChild<QTabWidget*>(QStringLiteral("rolloutTabs")); }
    QAbstractItemModel* list() const
    {
        return window->findChild<QTableView*>(QStringLiteral("rolloutList"))->model();
    }
    QStringList listed() const
    {
        QStringList out;
        for (int r = 0; r < list()->rowCount(); ++r)
            out.append(list()->index(r, 0).data(RolloutListModel::RolloutRole).toString());
        return out;
    }
    int rowOf(const QString& rollout) const { return int(listed().indexOf(rollout)); }
    QString cell(const QString& rollout, int column) const
    {
        return list()->index(rowOf(rollout), column).data().toString();
    }
};

} // namespace

class TestHome final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("rollout-console-tests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_home"));
    }
    void init() { QSettings().clear(); }

    void twoPlansOpenInTwoTabsEachWithItsOwnState()
    {
        Console c;
        const QString a = writePlan(c.dir, QStringLiteral("checkout-a"));
        const QString b = writePlan(c.dir, QStringLiteral("checkout-b"));
        RolloutView* va = c.window->openPlan(a);
        RolloutView* vb = c.window->openPlan(b);
        QVERIFY(va && vb && va != vb);
        QCOMPARE(c.tabs()->count(), 3); // home + two
        QCOMPARE(c.window->currentView(), vb);
        // Opening the same rollout again shows its tab; nothing is put together twice.
        QCOMPARE(c.window->openPlan(a), va);
        QCOMPARE(c.opened, 2);
        QCOMPARE(c.window->currentView(), va);
        QVERIFY(c.window->windowTitle().contains(QLatin1String("checkout-a")));

        // A decision in one tab does not reach the other.
        RolloutSession& sa = const_cast<RolloutRuntime&>(va->runtime()).session();
        QVERIFY(sa.recordApproval(1, Actor{QStringLiteral("rm-demo"), QStringLiteral("release-manager")},
                                  true, {})
                    .ok);
        QCOMPARE(sa.approvals(1).size(), 1);
        QVERIFY(vb->runtime().session().approvals(1).isEmpty());

        // Both are on the home list, open; closing a tab keeps the rollout listed (a recent plan).
        c.window->refreshHome();
        QVERIFY(c.listed().contains(QLatin1String("checkout-a")));
        QVERIFY(c.cell(QStringLiteral("checkout-b"), RolloutListModel::Rollout)
                    .contains(QLatin1String("(open)")));
        c.tabs()->tabCloseRequested(c.tabs()->indexOf(vb));
        QCOMPARE(c.tabs()->count(), 2);
        QVERIFY(!c.window->viewOf(QStringLiteral("checkout-b")));
        QVERIFY(c.listed().contains(QLatin1String("checkout-b")));
        QVERIFY(!c.cell(QStringLiteral("checkout-b"), RolloutListModel::Rollout)
                     .contains(QLatin1String("(open)")));
        // The home tab cannot be closed.
        c.tabs()->tabCloseRequested(0);
        QCOMPARE(c.tabs()->count(), 2);
    }

    void theHomeSaysWhatWaitsOnThePersonActing()
    {
        Console c;
        const QString a = writePlan(c.dir, QStringLiteral("checkout-a"));
        RolloutView* va = c.window->openPlan(a);
        c.window->showHome();
        c.window->refreshHome();
        auto* identity = c.window->findChild<QComboBox*>(QStringLiteral("identity"));
        QVERIFY(identity);
        identity->setCurrentText(QStringLiteral("rm-demo"));
        // Not started: the gate to phase 1 waits for rm-demo's approval (release-manager).
        QVERIFY2(c.cell(QStringLiteral("checkout-a"), RolloutListModel::Waiting)
                     .contains(QLatin1String("approve phase 1 as release-manager")),
                 qPrintable(c.cell(QStringLiteral("checkout-a"), RolloutListModel::Waiting)));
        QCOMPARE(c.window->waitingCount(), 1);
        QVERIFY2(c.window->windowTitle().contains(QLatin1String("1 waiting on you")),
                 qPrintable(c.window->windowTitle()));
        QCOMPARE(c.cell(QStringLiteral("checkout-a"), RolloutListModel::Status),
                 QStringLiteral("not started"));
        QVERIFY(c.cell(QStringLiteral("checkout-a"), RolloutListModel::Blocked)
                    .contains(QLatin1String("release-manager approval")));

        // Once rm-demo approved, the checklist they approve still waits on them; once ticked, nothing.
        const Actor rm{QStringLiteral("rm-demo"), QStringLiteral("release-manager")};
        RolloutSession& s = const_cast<RolloutRuntime&>(va->runtime()).session();
        QVERIFY(s.recordApproval(0, rm, true, {}).ok);
        c.window->refreshHome();
        QVERIFY(!c.cell(QStringLiteral("checkout-a"), RolloutListModel::Waiting)
                     .contains(QLatin1String("approve")));
        QVERIFY(c.cell(QStringLiteral("checkout-a"), RolloutListModel::Waiting)
                    .contains(QLatin1String("checklist item")));
        for (const QString& item : s.gateItems(0))
            QVERIFY(s.setChecklistItem(0, item, true, rm).ok);
        c.window->refreshHome();
        QCOMPARE(c.cell(QStringLiteral("checkout-a"), RolloutListModel::Waiting), QString());
        QCOMPARE(c.window->waitingCount(), 0);
        QVERIFY(!c.window->windowTitle().contains(QLatin1String("waiting on you")));
        // pm-demo approves none of phase 1: nothing of it waits on them.
        identity->setCurrentText(QStringLiteral("pm-demo"));
        QCOMPARE(identity->currentText(), QStringLiteral("pm-demo"));
        QCOMPARE(c.cell(QStringLiteral("checkout-a"), RolloutListModel::Waiting), QString());
        identity->setCurrentText(QStringLiteral("rm-demo"));

        // "Waiting on me" lists only the rollouts that do: a second one, untouched, waits on rm-demo.
        const QString b = writePlan(c.dir, QStringLiteral("checkout-b"));
        QVERIFY(c.window->openPlan(b));
        c.window->showHome();
        c.window->refreshHome();
        QCOMPARE(c.window->waitingCount(), 1);
        auto* filter = c.window->findChild<QCheckBox*>(QStringLiteral("waitingOnMe"));
        QCOMPARE(c.list()->rowCount(), 2);
        filter->setChecked(true);
        QCOMPARE(c.listed(), QStringList{QStringLiteral("checkout-b")});
        filter->setChecked(false);
        QCOMPARE(c.list()->rowCount(), 2);
    }

    void aPlanOpensFromTheRecentListAndByDragAndDrop()
    {
        const QTemporaryDir keep;
        QString a;
        {
            Console c;
            a = writePlan(c.dir, QStringLiteral("checkout-a"));
            QFile::copy(a, keep.filePath(QStringLiteral("checkout-a.yaml")));
            a = keep.filePath(QStringLiteral("checkout-a.yaml"));
            QVERIFY(c.window->openPlan(a));
        }
        Console c;
        // Remembered: listed on the home without being open, and in File → Open recent.
        c.window->refreshHome();
        QVERIFY(c.listed().contains(QLatin1String("checkout-a")));
        QCOMPARE(c.cell(QStringLiteral("checkout-a"), RolloutListModel::Rollout),
                 QStringLiteral("checkout-a"));
        auto* recent = c.window->findChild<QMenu*>(QStringLiteral("recentMenu"));
        QAction* first = recent->actions().value(0);
        QVERIFY(first && first->data().toString() == a);
        first->trigger();
        QVERIFY(c.window->viewOf(QStringLiteral("checkout-a")));

        // Dropped: a plan file opens; anything else is not taken.
        const QString b = writePlan(c.dir, QStringLiteral("checkout-b"));
        QMimeData mime;
        mime.setUrls({QUrl::fromLocalFile(b),
                      QUrl::fromLocalFile(c.dir.filePath(QStringLiteral("notes.txt"))),
                      QUrl(QStringLiteral("https://example.com/plan.yaml"))});
        QCOMPARE(MainWindow::planFilesIn(mime), QStringList{b});
        for (const QString& path : MainWindow::planFilesIn(mime))
            QVERIFY(c.window->openPlan(path));
        QVERIFY(c.window->viewOf(QStringLiteral("checkout-b")));
    }

    void aPlanThatDoesNotLoadChangesNothing()
    {
        Console c;
        const QString bad = c.dir.filePath(QStringLiteral("bad.yaml"));
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("rollout: [unclosed\n");
        f.close();
        QTimer::singleShot(0, [] { // the warning box: closed as a user would
            if (QWidget* box = QApplication::activeModalWidget()) box->close();
        });
        QVERIFY(!c.window->openPlan(bad));
        QCOMPARE(c.tabs()->count(), 1);
        QCOMPARE(c.opened, 0);
    }

    void theShortcutSheetListsTheMenusShortcuts()
    {
        Console c;
        const QList<QStringList> rows = ShortcutSheet::rows(*c.window->menuBar());
        QStringList keys;
        for (const QStringList& r : rows)
            keys.append(r.value(2));
        for (const QKeySequence& k :
             {QKeySequence(QKeySequence::Open), QKeySequence(QStringLiteral("Ctrl+Shift+A")),
              QKeySequence(QStringLiteral("Ctrl+Shift+R")), QKeySequence(QStringLiteral("F1"))})
            QVERIFY2(keys.contains(k.toString(QKeySequence::NativeText)), qPrintable(k.toString()));
    }
};

QTEST_MAIN(TestHome)
#include "tst_home.moc"
