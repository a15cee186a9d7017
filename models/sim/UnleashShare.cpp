#include "sim/UnleashShare.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <algorithm>
#include <optional>

namespace rollout {

QString UnleashShareResult::describe() const
{
    switch (failure) {
    case Failure::None:
        return QStringLiteral("share %1%").arg(percent);
    case Failure::UnleashError:
        return QStringLiteral("Unleash says: %1").arg(error);
    case Failure::NotJson:
        return QStringLiteral("answer is not JSON: %1").arg(error);
    case Failure::WrongShape:
        return QStringLiteral("answer has an unexpected shape: %1").arg(error);
    }
    return {};
}

namespace {

UnleashShareResult failed(UnleashShareResult::Failure f, const QString& why)
{
    UnleashShareResult r;
    r.failure = f;
    r.error = why;
    return r;
}

UnleashShareResult share(double percent)
{
    UnleashShareResult r;
    r.percent = percent;
    return r;
}

// Unleash sends rollout as a string ("25"); a number is accepted too.
std::optional<double> rolloutPercent(const QJsonValue& v)
{
    bool ok = v.isDouble();
    double p = v.toDouble();
    if (v.isString()) p = v.toString().trimmed().toDouble(&ok);
    if (!ok || p < 0 || p > 100) return std::nullopt;
    return p;
}

} // namespace

UnleashShareResult UnleashShare::parse(const QByteArray& body)
{
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &err);
    if (err.error != QJsonParseError::NoError)
        return failed(UnleashShareResult::Failure::NotJson, err.errorString());
    if (!doc.isObject())
        return failed(UnleashShareResult::Failure::WrongShape, QStringLiteral("not an object"));
    const QJsonObject o = doc.object();
    if (!o.contains(QLatin1String("enabled"))) {
        // 401 {"message":…}, 404 {"name":"NotFoundError","message":…}
        if (o.value(QLatin1String("message")).isString())
            return failed(UnleashShareResult::Failure::UnleashError,
                          o.value(QLatin1String("message")).toString());
        return failed(UnleashShareResult::Failure::WrongShape, QStringLiteral("no \"enabled\""));
    }
    if (!o.value(QLatin1String("enabled")).isBool())
        return failed(UnleashShareResult::Failure::WrongShape,
                      QStringLiteral("\"enabled\" is not true or false"));
    if (!o.value(QLatin1String("enabled")).toBool()) return share(0);
    const QJsonValue strategies = o.value(QLatin1String("strategies"));
    if (!strategies.isArray())
        return failed(UnleashShareResult::Failure::WrongShape,
                      QStringLiteral("\"strategies\" is not a list"));
    const QJsonArray list = strategies.toArray();
    if (list.isEmpty()) return share(100);
    double best = 0;
    for (const QJsonValue& v : list) {
        if (!v.isObject())
            return failed(UnleashShareResult::Failure::WrongShape,
                          QStringLiteral("a strategy is not an object"));
        const QJsonObject s = v.toObject();
        if (s.value(QLatin1String("disabled")).toBool(false)) continue;
        const QString name = s.value(QLatin1String("name")).toString();
        if (name == QLatin1String("default")) {
            best = 100;
        } else if (name == QLatin1String("flexibleRollout")) {
            const auto p = rolloutPercent(
                s.value(QLatin1String("parameters")).toObject().value(QLatin1String("rollout")));
            if (!p)
                return failed(UnleashShareResult::Failure::WrongShape,
                              QStringLiteral("flexibleRollout without a rollout between 0 and 100"));
            best = std::max(best, *p);
        }
    }
    return share(best);
}

} // namespace rollout
