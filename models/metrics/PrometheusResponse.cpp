#include "metrics/PrometheusResponse.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <cmath>
#include <limits>

namespace rollout {

QString PromResponse::describe() const
{
    switch (failure) {
    case Failure::None:
        return QStringLiteral("ok (%1 series)").arg(series.size());
    case Failure::PrometheusError:
        return QStringLiteral("%1: %2").arg(errorType, error);
    case Failure::NotJson:
        return QStringLiteral("response is not JSON: %1").arg(error);
    case Failure::WrongShape:
        return QStringLiteral("response has an unexpected shape: %1").arg(error);
    }
    return {};
}

namespace {

PromResponse failed(PromResponse::Failure f, const QString& why)
{
    PromResponse r;
    r.failure = f;
    r.error = why;
    return r;
}

// [ <unix seconds, float>, "<value string>" ]
bool parsePoint(const QJsonValue& v, Sample* out)
{
    if (!v.isArray()) return false;
    const QJsonArray a = v.toArray();
    if (a.size() != 2 || !a[0].isDouble() || !a[1].isString()) return false;
    const QString s = a[1].toString();
    double value;
    if (s == QLatin1String("NaN"))
        value = std::numeric_limits<double>::quiet_NaN();
    else if (s == QLatin1String("+Inf") || s == QLatin1String("Inf"))
        value = std::numeric_limits<double>::infinity();
    else if (s == QLatin1String("-Inf"))
        value = -std::numeric_limits<double>::infinity();
    else {
        bool ok = false;
        value = s.toDouble(&ok);
        if (!ok) return false;
    }
    out->tMs = qint64(std::llround(a[0].toDouble() * 1000.0));
    out->value = value;
    return true;
}

} // namespace

QString PrometheusResponseParser::labelsKey(const Labels& labels)
{
    QStringList parts;
    for (auto it = labels.begin(); it != labels.end(); ++it)
        parts.append(QStringLiteral("%1=\"%2\"").arg(it.key(), it.value()));
    return QLatin1Char('{') + parts.join(QLatin1Char(',')) + QLatin1Char('}');
}

QString PrometheusResponseParser::errorDetail(const QByteArray& body)
{
    const auto shorten = [](QString text) {
        text = text.simplified();
        return text.size() > 200 ? text.left(199) + QChar(0x2026) : text;
    };
    const QByteArray trimmed = body.trimmed();
    if (trimmed.isEmpty() || trimmed.startsWith('<')) return {}; // nothing, or a proxy's HTML page
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(trimmed, &pe);
    if (pe.error == QJsonParseError::NoError) {
        const QJsonObject o = doc.object();
        const QString error = o.value(QLatin1String("error")).toString();
        const QString type = o.value(QLatin1String("errorType")).toString();
        if (!error.isEmpty())
            return shorten(type.isEmpty() ? error : QStringLiteral("%1: %2").arg(type, error));
        const QString message = o.value(QLatin1String("message")).toString();
        return message.isEmpty() ? QString() : shorten(message);
    }
    const qsizetype eol = trimmed.indexOf('\n');
    return shorten(QString::fromUtf8(eol < 0 ? trimmed : trimmed.left(eol)));
}

PromResponse PrometheusResponseParser::parse(const QByteArray& body)
{
    using F = PromResponse::Failure;
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &pe);
    if (pe.error != QJsonParseError::NoError)
        return failed(F::NotJson, QStringLiteral("%1 at byte %2").arg(pe.errorString()).arg(pe.offset));
    if (!doc.isObject()) return failed(F::WrongShape, QStringLiteral("top level is not an object"));
    const QJsonObject root = doc.object();
    const QString status = root.value(QLatin1String("status")).toString();
    if (status == QLatin1String("error")) {
        PromResponse r = failed(F::PrometheusError, root.value(QLatin1String("error")).toString());
        r.errorType = root.value(QLatin1String("errorType")).toString();
        return r;
    }
    if (status != QLatin1String("success"))
        return failed(F::WrongShape, QStringLiteral("status is \"%1\", not success or error").arg(status));
    const QJsonObject data = root.value(QLatin1String("data")).toObject();
    PromResponse r;
    for (const QJsonValue& w : root.value(QLatin1String("warnings")).toArray())
        r.warnings.append(w.toString());
    r.resultType = data.value(QLatin1String("resultType")).toString();
    const QJsonValue result = data.value(QLatin1String("result"));
    if (r.resultType == QLatin1String("scalar")) {
        PromSeries s;
        Sample p;
        if (!parsePoint(result, &p))
            return failed(F::WrongShape, QStringLiteral("scalar result is not [time, \"value\"]"));
        s.samples.append(p);
        r.series.append(s);
        return r;
    }
    if (r.resultType != QLatin1String("vector") && r.resultType != QLatin1String("matrix"))
        return failed(F::WrongShape,
                      QStringLiteral("resultType \"%1\" is not a number series (vector, matrix or scalar)")
                          .arg(r.resultType));
    if (!result.isArray()) return failed(F::WrongShape, QStringLiteral("data.result is not a list"));
    const bool matrix = r.resultType == QLatin1String("matrix");
    for (const QJsonValue& item : result.toArray()) {
        const QJsonObject o = item.toObject();
        PromSeries s;
        const QJsonObject metric = o.value(QLatin1String("metric")).toObject();
        for (auto it = metric.begin(); it != metric.end(); ++it)
            s.labels.insert(it.key(), it.value().toString());
        if (matrix) {
            const QJsonValue values = o.value(QLatin1String("values"));
            if (!values.isArray())
                return failed(F::WrongShape, QStringLiteral("a matrix series has no \"values\" list"));
            for (const QJsonValue& v : values.toArray()) {
                Sample p;
                if (!parsePoint(v, &p))
                    return failed(F::WrongShape, QStringLiteral("a matrix point is not [time, \"value\"]"));
                s.samples.append(p);
            }
        } else {
            Sample p;
            if (!parsePoint(o.value(QLatin1String("value")), &p))
                return failed(F::WrongShape, QStringLiteral("a vector sample is not [time, \"value\"]"));
            s.samples.append(p);
        }
        r.series.append(s);
    }
    return r;
}

} // namespace rollout
