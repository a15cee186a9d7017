// PassphraseSource: the environment variable the user names — set, unset, empty. (The terminal
// path without a terminal is run through rolloutctl in tst_keystore's commandLine().)
#include "ledger/PassphraseSource.h"

#include <QTest>

using namespace rollout;

class TestPassphraseSource final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void fromEnvironment()
    {
        qputenv("ROLLOUT_TST_PASSPHRASE", "s3cret pass\xc3\xa9");
        QString problem;
        const auto pass =
            PassphraseSource::fromEnvironment(QStringLiteral("ROLLOUT_TST_PASSPHRASE"), &problem);
        QVERIFY2(pass, qPrintable(problem));
        QCOMPARE(*pass, QByteArray("s3cret pass\xc3\xa9"));
        const auto viaObtain = PassphraseSource::obtain(QStringLiteral("ROLLOUT_TST_PASSPHRASE"),
                                                        QStringLiteral("unused: "), true, &problem);
        QVERIFY2(viaObtain, qPrintable(problem));
        QCOMPARE(*viaObtain, *pass);
    }

    void unsetOrEmpty()
    {
        qunsetenv("ROLLOUT_TST_UNSET");
        QString problem;
        QVERIFY(!PassphraseSource::fromEnvironment(QStringLiteral("ROLLOUT_TST_UNSET"), &problem));
        QCOMPARE(problem,
                 QStringLiteral(
                     "the environment variable ROLLOUT_TST_UNSET (named by --passphrase-env) is not set"));
        qputenv("ROLLOUT_TST_EMPTY", "");
        QVERIFY(!PassphraseSource::fromEnvironment(QStringLiteral("ROLLOUT_TST_EMPTY"), &problem));
        QVERIFY2(problem.contains(QLatin1String("ROLLOUT_TST_EMPTY")) &&
                     problem.contains(QLatin1String("empty passphrase is refused")),
                 qPrintable(problem));
        QVERIFY(!PassphraseSource::fromEnvironment(QString(), &problem));
    }
};

QTEST_GUILESS_MAIN(TestPassphraseSource)
#include "tst_passphrasesource.moc"
