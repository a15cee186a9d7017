#include "sim/SimulatorHttpServer.h"

#include "sim/PrometheusExposition.h"
#include "sim/SimulatedService.h"

#include <QHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponse>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrlQuery>

namespace rollout {

namespace {

QHttpServerResponse text(const QByteArray& body,
                         QHttpServerResponse::StatusCode code = QHttpServerResponse::StatusCode::Ok)
{
    return QHttpServerResponse(QByteArrayLiteral("text/plain; charset=utf-8"), body + '\n', code);
}

} // namespace

SimulatorHttpServer::SimulatorHttpServer(SimulatedService& service, const Clock& clock, QString prefix,
                                         QObject* parent)
    : QObject(parent), m_service(service), m_clock(clock), m_prefix(std::move(prefix)),
      m_server(std::make_unique<QHttpServer>())
{
    using Method = QHttpServerRequest::Method;
    m_server->route(QStringLiteral("/metrics"), Method::Get, [this](const QHttpServerRequest&) {
        m_service.advanceTo(m_clock.nowMs());
        return QHttpServerResponse(QByteArrayLiteral("text/plain; version=0.0.4"),
                                   PrometheusExposition::render(m_service, m_prefix));
    });
    m_server->route(QStringLiteral("/-/truth"), Method::Get, [this](const QHttpServerRequest&) {
        m_service.advanceTo(m_clock.nowMs());
        QJsonObject out;
        for (const QString& cohort : {QStringLiteral("canary"), QStringLiteral("baseline")}) {
            QJsonObject o;
            auto put = [&](const char* key, const QString& signal, double q = 0.95) {
                SimulationHint h;
                h.signal = signal;
                h.quantile = q;
                const auto v = m_service.value(h, cohort);
                o.insert(QLatin1String(key), v ? QJsonValue(*v) : QJsonValue());
            };
            put("request_rate", QStringLiteral("request_rate"));
            put("error_ratio", QStringLiteral("error_ratio"));
            put("latency_p95", QStringLiteral("latency_quantile"), 0.95);
            put("latency_p99", QStringLiteral("latency_quantile"), 0.99);
            put("memory_mb", QStringLiteral("memory"));
            out.insert(cohort, o);
        }
        out.insert(QStringLiteral("canary_share_percent"), m_service.canaryShare());
        out.insert(QStringLiteral("canary_share_source"), m_shareSource);
        out.insert(QStringLiteral("now_ms"), double(m_service.nowMs()));
        return QHttpServerResponse(out);
    });
    m_server->route(QStringLiteral("/-/share"), Method::Post, [this](const QHttpServerRequest& r) {
        bool ok = false;
        const double percent = r.query().queryItemValue(QStringLiteral("percent")).toDouble(&ok);
        if (!ok || percent < 0 || percent > 100)
            return text("percent must be a number between 0 and 100",
                        QHttpServerResponse::StatusCode::BadRequest);
        m_service.advanceTo(m_clock.nowMs());
        m_service.setCanaryShare(percent);
        return text("ok");
    });
    m_server->route(QStringLiteral("/-/fault"), Method::Post, [this](const QHttpServerRequest& r) {
        QString why;
        m_service.advanceTo(m_clock.nowMs());
        const auto f = Fault::parse(r.query().queryItemValue(QStringLiteral("spec"), QUrl::FullyDecoded),
                                    m_service.nowMs(), &why);
        if (!f) return text(why.toUtf8(), QHttpServerResponse::StatusCode::BadRequest);
        m_service.addFault(*f);
        return text(QStringLiteral("%1 injected%2")
                        .arg(Fault::name(f->kind),
                             f->durationMs ? QStringLiteral(" for %1 ms").arg(f->durationMs) : QString())
                        .toUtf8());
    });
    m_server->route(QStringLiteral("/-/error-ratio"), Method::Post, [this](const QHttpServerRequest& r) {
        bool ok = false;
        const double ratio = r.query().queryItemValue(QStringLiteral("ratio")).toDouble(&ok);
        if (!ok || !(ratio >= 0 && ratio <= 1))
            return text("ratio must be a number between 0 and 1",
                        QHttpServerResponse::StatusCode::BadRequest);
        m_service.advanceTo(m_clock.nowMs());
        m_service.setBaseErrorRatio(ratio);
        return text("ok");
    });
    m_server->route(QStringLiteral("/-/clear"), Method::Post, [this](const QHttpServerRequest&) {
        m_service.clearFaults();
        return text("ok");
    });
}

SimulatorHttpServer::~SimulatorHttpServer() = default;

int SimulatorHttpServer::listen(const QHostAddress& address, quint16 port)
{
    return m_server->listen(address, port);
}

} // namespace rollout
