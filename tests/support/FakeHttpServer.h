#pragma once

#include <QByteArray>
#include <QList>
#include <QTcpServer>
#include <functional>

namespace rollout::test {

// A scripted HTTP/1.1 server on loopback for faults a real server will not produce on demand:
// a 500, a 503 with Retry-After, a request that never answers, a truncated or huge body, a
// connection reset in the middle of an answer. Each
// request is answered by `handler(path, body)`; a reply with hang = true is never answered.
class FakeHttpServer final : public QTcpServer
{
    Q_OBJECT
public:
    struct Reply
    {
        int status = 200;
        QByteArray body;
        QList<std::pair<QByteArray, QByteArray>> headers;
        bool hang = false;     // read the request, never answer
        bool truncate = false; // promise the whole body, send half, close
        qint64 bodyBytes = 0;  // > 0: stream this many bytes of filler instead of `body`
        bool reset = false;    // promise the whole body, send half, reset the connection (RST)
    };
    using Handler =
        std::function<Reply(const QByteArray& method, const QByteArray& path, const QByteArray& body)>;

    explicit FakeHttpServer(Handler handler, QObject* parent = nullptr);
    QString url() const; // http://127.0.0.1:PORT
    int requests() const { return m_requests; }
    QList<QByteArray> paths() const { return m_paths; }
    QByteArray lastHead() const { return m_lastHead; } // request line and headers of the last request

protected:
    void incomingConnection(qintptr socket) override;

private:
    Handler m_handler;
    int m_requests = 0;
    QList<QByteArray> m_paths;
    QByteArray m_lastHead;
};

} // namespace rollout::test
