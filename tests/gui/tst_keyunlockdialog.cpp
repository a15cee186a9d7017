// The key-unlock dialog on real widgets, offscreen: a wrong passphrase's message (which names
// the key file and says why, over several lines) is shown whole — wrapped, and the dialog grown
// to hold it — never cut off.
#include "KeyUnlockDialog.h"
#include "ledger/Ed25519.h"

#include <QApplication>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>
#include <sodium.h>

using namespace rollout;

class TestKeyUnlockDialog final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY(Ed25519::initialize()); }

    void wrongPassphraseMessageIsShownWhole()
    {
        QTemporaryDir dir;
        // A key directory with a realistically long path, as under ~/.local/share.
        KeyStore store(
            dir.filePath(QStringLiteral("home/release-manager/.local/share/rollout-console/keys")));
        store.setLimits(crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
        QString problem;
        QVERIFY2(store.create(QStringLiteral("alice"), QStringLiteral("pm"), "correct passphrase", &problem),
                 qPrintable(problem));

        KeyUnlockDialog dialog(
            store, QStringLiteral("alice"),
            QStringLiteral("Approving phase 2 (10%) of new-checkout needs your signature."));
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        const QSize before = dialog.size();
        auto* field = dialog.findChild<QLineEdit*>(QStringLiteral("passphrase"));
        QVERIFY(field);
        QTest::keyClicks(field, QStringLiteral("wrong passphrase"));
        QTest::mouseClick(dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok),
                          Qt::LeftButton);

        auto* error = dialog.findChild<QLabel*>(QStringLiteral("unlockError"));
        QVERIFY(error);
        QTRY_VERIFY(error->isVisible());
        QVERIFY2(error->text().contains(QStringLiteral("wrong passphrase, or the file was altered")),
                 qPrintable(error->text()));
        QVERIFY(dialog.isVisible()); // still open: the user can try again
        QVERIFY(error->wordWrap());
        // Whole: as tall as its text needs at the width it has, and inside the dialog.
        QTRY_VERIFY2(error->height() >= error->heightForWidth(error->width()),
                     qPrintable(QStringLiteral("label %1x%2, needs %3 at that width")
                                    .arg(error->width())
                                    .arg(error->height())
                                    .arg(error->heightForWidth(error->width()))));
        QVERIFY(error->heightForWidth(error->width()) >
                error->fontMetrics().height()); // more than one line: wrapped
        QVERIFY2(
            error->width() >= error->minimumSizeHint().width(),
            qPrintable(QStringLiteral("%1 < %2").arg(error->width()).arg(error->minimumSizeHint().width())));
        QVERIFY(dialog.rect().contains(error->geometry()));
        QVERIFY(dialog.height() >= before.height());
        // The buttons are still below the message, not over it.
        const QWidget* buttons = dialog.findChild<QDialogButtonBox*>();
        QVERIFY(buttons->geometry().top() >= error->geometry().bottom());

        if (const QString shots = qEnvironmentVariable("ROLLOUT_SCREENSHOT_DIR"); !shots.isEmpty())
            QVERIFY(dialog.grab().save(shots + QStringLiteral("/key-unlock-wrong-passphrase.png")));
    }
};

QTEST_MAIN(TestKeyUnlockDialog)
#include "tst_keyunlockdialog.moc"
