#include "FakeHttpServer.h"

#include <QTcpSocket>
#include <sys/socket.h>

namespace rollout::test {

namespace {

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 409:
        return "Conflict";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    default:
        return "Status";
    }
}

} // namespace

FakeHttpServer::FakeHttpServer(Handler handler, QObject* parent)
    : QTcpServer(parent), m_handler(std::move(handler))
{
    listen(QHostAddress::LocalHost, 0);
}

QString FakeHttpServer::url() const
{
    return QStringLiteral("http://127.0.0.1:%1").arg(serverPort());
}

void FakeHttpServer::incomingConnection(qintptr descriptor)
{
    auto* socket = new QTcpSocket(this);
    socket->setSocketDescriptor(descriptor);
    auto buffer = std::make_shared<QByteArray>();
    connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    connect(socket, &QTcpSocket::readyRead, socket, [this, socket, buffer] {
        *buffer += socket->readAll();
        const qsizetype end = buffer->indexOf("\r\n\r\n");
        if (end < 0) return;
        const QByteArray head = buffer->left(end);
        qsizetype length = 0;
        for (const QByteArray& line : head.split('\n'))
            if (line.toLower().startsWith("content-length:")) length = line.mid(15).trimmed().toLongLong();
        if (buffer->size() < end + 4 + length) return;
        const QByteArray body = buffer->mid(end + 4, length);
        const QList<QByteArray> requestLine = head.left(head.indexOf('\r')).split(' ');
        buffer->clear();
        ++m_requests;
        const QByteArray method = requestLine.value(0), path = requestLine.value(1);
        m_paths.append(path);
        m_lastHead = head;
        const Reply r = m_handler(method, path, body);
        if (r.hang) return;
        const qint64 size = r.bodyBytes > 0 ? r.bodyBytes : r.body.size();
        QByteArray out = "HTTP/1.1 " + QByteArray::number(r.status) + ' ' + reasonPhrase(r.status) +
                         "\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(size) +
                         "\r\nConnection: close\r\n";
        for (const auto& [k, v] : r.headers)
            out += k + ": " + v + "\r\n";
        out += "\r\n";
        socket->write(out);
        if (r.bodyBytes > 0) {
            const QByteArray chunk(64 * 1024, 'x');
            // Stream as the client reads, so that the server itself holds little memory.
            auto left = std::make_shared<qint64>(r.bodyBytes);
            auto pump = [socket, chunk, left] {
                while (*left > 0 && socket->bytesToWrite() < 1024 * 1024) {
                    const qint64 n = std::min<qint64>(*left, chunk.size());
                    socket->write(chunk.constData(), n);
                    *left -= n;
                }
                if (*left == 0) socket->disconnectFromHost();
            };
            connect(socket, &QTcpSocket::bytesWritten, socket, pump);
            pump();
            return;
        }
        socket->write(r.truncate || r.reset ? r.body.left(r.body.size() / 2) : r.body);
        if (r.reset) {
            // Linger 0: close() sends RST instead of FIN, as a crashed peer or a middlebox does.
            socket->flush();
            const ::linger hard{1, 0};
            ::setsockopt(int(socket->socketDescriptor()), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
            socket->abort();
            return;
        }
        socket->disconnectFromHost();
    });
}

} // namespace rollout::test
