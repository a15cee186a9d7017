// HttpClient against a scripted loopback server: Retry-After in both of its forms (and capped),
// an error status said with its reason phrase, and no Qt warning when a reply is aborted (the
// deadline) or the peer resets the connection in the middle of an answer.
#include "FakeHttpServer.h"
#include "net/HttpClient.h"

#include <QDateTime>
#include <QLocale>
#include <QRegularExpression>
#include <QTest>

using namespace rollout;
using Reply = test::FakeHttpServer::Reply;

namespace {

// An IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") for `ms` since the epoch.
QByteArray httpDate(qint64 ms)
{
    return QLocale::c()
        .toString(QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC),
                  QStringLiteral("ddd, dd MMM yyyy HH:mm:ss 'GMT'"))
        .toLatin1();
}

HttpResponse fetch(const QString& url, qint64 timeoutMs = 5000)
{
    HttpClient client;
    QObject context;
    HttpRequest req;
    req.url = QUrl(url + QStringLiteral("/api/v1/query?query=up"));
    req.timeoutMs = timeoutMs;
    HttpResponse out;
    bool done = false;
    client.send(req, &context, [&](const HttpResponse& r) {
        out = r;
        done = true;
    });
    if (!QTest::qWaitFor([&] { return done; }, 15000)) qWarning("no callback within 15 s");
    return out;
}

} // namespace

class TestHttpClient final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init()
    {
        // Reading a reply that is no longer open prints this; it must never be printed.
        QTest::failOnWarning(QRegularExpression(QStringLiteral("device not open")));
    }

    void retryAfter_data()
    {
        const qint64 now = 1'700'000'000'000; // 2023-11-14 22:13:20 UTC
        QTest::addColumn<QByteArray>("value");
        QTest::addColumn<qint64>("now");
        QTest::addColumn<qint64>("expected"); // -1: not a Retry-After
        QTest::newRow("7") << QByteArray("7") << now << qint64(7000);
        QTest::newRow(" 7 ") << QByteArray(" 7 ") << now << qint64(7000);
        QTest::newRow("0") << QByteArray("0") << now << qint64(0);
        QTest::newRow("300 (the cap)") << QByteArray("300") << now << qint64(300000);
        QTest::newRow("86400 capped") << QByteArray("86400") << now << qint64(300000);
        QTest::newRow("huge capped") << QByteArray("99999999999999999999999") << now << qint64(300000);
        QTest::newRow("negative") << QByteArray("-5") << now << qint64(-1);
        QTest::newRow("fraction") << QByteArray("1.5") << now << qint64(-1);
        QTest::newRow("empty") << QByteArray("") << now << qint64(-1);
        QTest::newRow("garbage") << QByteArray("soon") << now << qint64(-1);
        QTest::newRow("IMF-fixdate +20s") << httpDate(now + 20000) << now << qint64(20000);
        QTest::newRow("IMF-fixdate past") << httpDate(now - 20000) << now << qint64(0);
        QTest::newRow("IMF-fixdate a day ahead, capped")
            << httpDate(now + 86'400'000) << now << qint64(300000);
        QTest::newRow("RFC 850") << QByteArray("Tuesday, 14-Nov-23 22:13:50 GMT") << now << qint64(30000);
        QTest::newRow("asctime") << QByteArray("Tue Nov 14 22:14:00 2023") << now << qint64(40000);
        QTest::newRow("asctime, day padded") << QByteArray("Wed Nov  1 00:00:00 2023") << now << qint64(0);
        QTest::newRow("date without GMT") << QByteArray("Tue, 14 Nov 2023 22:13:50") << now << qint64(-1);
    }

    void retryAfter()
    {
        QFETCH(QByteArray, value);
        QFETCH(qint64, now);
        QFETCH(qint64, expected);
        const std::optional<qint64> got = HttpResponse::parseRetryAfter(value, now);
        QCOMPARE(got.value_or(-1), expected);
    }

    // A 503 with Retry-After: the status, its reason and the wait, in one line; the date form
    // counts from the answer's own Date header, not this machine's clock.
    void errorStatusIsDescribed()
    {
        int kind = 0;
        test::FakeHttpServer server([&kind](const QByteArray&, const QByteArray&, const QByteArray&) {
            Reply r;
            r.status = 503;
            r.body = "busy";
            const qint64 serverNow =
                QDateTime::currentMSecsSinceEpoch() + 3'600'000; // its clock is an hour ahead
            if (kind == 0)
                r.headers = {{"Retry-After", "7"}};
            else
                r.headers = {{"Date", httpDate(serverNow)}, {"Retry-After", httpDate(serverNow + 12000)}};
            return r;
        });
        HttpResponse r = fetch(server.url());
        QCOMPARE(r.status, 503);
        QCOMPARE(r.retryAfterMs.value_or(-1), qint64(7000));
        const QString text = r.describe(QUrl(server.url() + QStringLiteral("/api/v1/query?query=up")));
        QCOMPARE(text, server.url() +
                           QStringLiteral("/api/v1/query: HTTP 503 Service Unavailable (Retry-After 7s)"));
        kind = 1;
        r = fetch(server.url());
        QVERIFY2(r.retryAfterMs && *r.retryAfterMs >= 11000 && *r.retryAfterMs <= 12000,
                 qPrintable(QString::number(r.retryAfterMs.value_or(-1))));
    }

    // The deadline aborts the reply; the peer resets the connection after half an answer; the
    // peer closes after half an answer. Each ends in one clear description, and no warning.
    void abortedOrResetRepliesAreNotRead_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("expected");
        QTest::newRow("deadline") << 0 << QStringLiteral("no answer within the deadline");
        QTest::newRow("reset mid-answer") << 1 << QStringLiteral("HTTP 200, then the answer was cut off: ");
        QTest::newRow("closed mid-answer") << 2 << QStringLiteral("HTTP 200, then the answer was cut off: ");
        QTest::newRow("reset mid-answer, 500") << 3 << QStringLiteral("HTTP 500");
    }

    void abortedOrResetRepliesAreNotRead()
    {
        QFETCH(int, kind);
        QFETCH(QString, expected);
        test::FakeHttpServer server([kind](const QByteArray&, const QByteArray&, const QByteArray&) {
            Reply r;
            r.body = QByteArray(R"({"status":"success","data":{"resultType":"vector","result":[]}})")
                         .repeated(200);
            if (kind == 0) r.hang = true;
            if (kind == 1 || kind == 3) r.reset = true;
            if (kind == 2) r.truncate = true;
            if (kind == 3) r.status = 500;
            return r;
        });
        const HttpResponse r = fetch(server.url(), kind == 0 ? 300 : 5000);
        QVERIFY(!r.success());
        const QString text = r.describe(QUrl(server.url()));
        QVERIFY2(text.startsWith(server.url() + QStringLiteral(": ")), qPrintable(text));
        QVERIFY2(text.contains(expected), qPrintable(text));
        if (kind == 0)
            QVERIFY(r.timedOut);
        else if (kind != 3)
            QVERIFY2(!r.answered(),
                     qPrintable(text)); // half a body is no answer, whatever its status line said
    }
};

QTEST_GUILESS_MAIN(TestHttpClient)
#include "tst_httpclient.moc"
