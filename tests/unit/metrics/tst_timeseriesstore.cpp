// The bounded per-series rings behind charts and the engine.
#include "metrics/TimeSeriesStore.h"

#include <QSignalSpy>
#include <QTest>

using namespace rollout;

class TestTimeSeriesStore final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void ringDropsOldestWhenFull()
    {
        SampleRing r(3);
        for (int i = 1; i <= 5; ++i)
            QVERIFY(r.append({i * 1000, double(i)}));
        QCOMPARE(r.size(), std::size_t(3));
        QCOMPARE(r.oldestSample()->value, 3.0);
        QCOMPARE(r.newest()->value, 5.0);
    }

    void ringRefusesOutOfOrderSamples()
    {
        SampleRing r(10);
        QVERIFY(r.append({2000, 1}));
        QVERIFY(!r.append({2000, 2}));
        QVERIFY(!r.append({1000, 3}));
        QCOMPARE(r.size(), std::size_t(1));
        QCOMPARE(r.newest()->value, 1.0);
    }

    void lookupsByTime()
    {
        SampleRing r(100);
        for (int i = 0; i < 50; ++i)
            r.append({i * 1000, double(i)});
        QCOMPARE(r.atOrBefore(10'500)->value, 10.0);
        QCOMPARE(r.atOrBefore(10'000)->value, 10.0);
        QVERIFY(!r.atOrBefore(-1));
        const QList<Sample> w = r.window(5000, 9000);
        QCOMPARE(w.size(), 5);
        QCOMPARE(w.first().value, 5.0);
        QCOMPARE(w.last().value, 9.0);
    }

    void wrappedRingKeepsOrderForLookups()
    {
        SampleRing r(7);
        for (int i = 0; i < 20; ++i)
            r.append({i * 1000, double(i)});
        QCOMPARE(r.window(0, 100'000).size(), 7);
        QCOMPARE(r.atOrBefore(15'200)->value, 15.0);
        QCOMPARE(r.window(0, 100'000).first().value, 13.0);
    }

    void canaryFallsBackToTheOnlySeries()
    {
        TimeSeriesStore s;
        s.append(QStringLiteral("m"), {}, {1000, 1});
        QCOMPARE(s.latest(QStringLiteral("m"), Series::Canary)->value, 1.0);
        QVERIFY(!s.latest(QStringLiteral("m"), Series::Baseline));
        s.append(QStringLiteral("m"), QStringLiteral("canary"), {1000, 2});
        s.append(QStringLiteral("m"), QStringLiteral("baseline"), {1000, 3});
        QCOMPARE(s.latest(QStringLiteral("m"), Series::Canary)->value, 2.0);
        QCOMPARE(s.latest(QStringLiteral("m"), Series::Baseline)->value, 3.0);
        QCOMPARE(s.seriesOf(QStringLiteral("m")).size(), 3);
    }

    void notificationsAreCoalesced()
    {
        TimeSeriesStore s;
        s.setCoalesceIntervalMs(20);
        QSignalSpy spy(&s, &TimeSeriesStore::updated);
        for (int i = 0; i < 1000; ++i)
            s.append(QStringLiteral("m"), {}, {i, double(i)});
        s.setError(QStringLiteral("other"), QStringLiteral("prom: HTTP 500"));
        QTRY_COMPARE(spy.count(), 1);
        QTest::qWait(60); // nothing else arrived: no second notification
        QCOMPARE(spy.count(), 1);
        QCOMPARE(s.lastError(QStringLiteral("other")), QStringLiteral("prom: HTTP 500"));
    }
};

QTEST_GUILESS_MAIN(TestTimeSeriesStore)
#include "tst_timeseriesstore.moc"
