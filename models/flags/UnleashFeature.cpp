#include "flags/UnleashFeature.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <cmath>

namespace rollout {

namespace {

const QString kFlexible = QStringLiteral("flexibleRollout");
const QString kSegmentContext = QStringLiteral("segment");

std::optional<double> number(const QJsonValue& v)
{
    if (v.isDouble()) return v.toDouble();
    if (v.isString()) {
        bool ok = false;
        const double d = v.toString().trimmed().toDouble(&ok);
        if (ok) return d;
    }
    return std::nullopt;
}

bool isHeldOffConstraint(const QJsonObject& c)
{
    return c.value(QStringLiteral("contextName")).toString() == kSegmentContext &&
           c.value(QStringLiteral("operator")).toString() == QLatin1String("NOT_IN");
}

bool isAudienceConstraint(const QJsonObject& c)
{
    const QString context = c.value(QStringLiteral("contextName")).toString();
    return (context == QLatin1String("role") || context == kSegmentContext) &&
           c.value(QStringLiteral("operator")).toString() == QLatin1String("IN") &&
           !c.value(QStringLiteral("inverted")).toBool();
}

} // namespace

FlagState UnleashFeature::state() const
{
    FlagState s;
    s.exists = environmentFound;
    s.enabled = enabled && !strategyId.isEmpty();
    s.percent = strategyId.isEmpty() ? 0.0 : rollout;
    s.stickiness = stickiness;
    s.disabledSegments = heldOffSegments;
    s.audienceContext = audienceContext;
    s.audience = audience;
    s.detail = strategyId.isEmpty() ? QStringLiteral("no flexibleRollout strategy; environment %1")
                                          .arg(enabled ? QStringLiteral("on") : QStringLiteral("off"))
                                    : QStringLiteral("flexibleRollout %1%, environment %2")
                                          .arg(rollout)
                                          .arg(enabled ? QStringLiteral("on") : QStringLiteral("off"));
    if (otherStrategies > 0)
        s.detail += QStringLiteral("; %1 other strateg%2 may also expose it")
                        .arg(otherStrategies)
                        .arg(otherStrategies == 1 ? QStringLiteral("y") : QStringLiteral("ies"));
    return s;
}

std::optional<UnleashFeature> UnleashFeature::parse(const QByteArray& body, const QString& environment,
                                                    QString* problem)
{
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(body, &error);
    if (error.error != QJsonParseError::NoError) {
        *problem = QStringLiteral("not JSON (%1 at byte %2)").arg(error.errorString()).arg(error.offset);
        return std::nullopt;
    }
    if (!doc.isObject() || !doc.object().value(QStringLiteral("name")).isString()) {
        *problem = QStringLiteral("not an Unleash feature (no \"name\")");
        return std::nullopt;
    }
    const QJsonObject root = doc.object();
    UnleashFeature f;
    f.name = root.value(QStringLiteral("name")).toString();
    const QJsonValue envs = root.value(QStringLiteral("environments"));
    if (!envs.isArray()) {
        *problem = QStringLiteral("feature \"%1\" has no \"environments\" list").arg(f.name);
        return std::nullopt;
    }
    for (const QJsonValue& ev : envs.toArray()) {
        const QJsonObject env = ev.toObject();
        if (env.value(QStringLiteral("name")).toString() != environment) continue;
        f.environmentFound = true;
        f.enabled = env.value(QStringLiteral("enabled")).toBool();
        for (const QJsonValue& sv : env.value(QStringLiteral("strategies")).toArray()) {
            const QJsonObject st = sv.toObject();
            if (st.value(QStringLiteral("disabled")).toBool()) continue; // a paused strategy exposes nobody
            if (f.strategyId.isEmpty() && st.value(QStringLiteral("name")).toString() == kFlexible) {
                const QJsonObject params = st.value(QStringLiteral("parameters")).toObject();
                const std::optional<double> rollout = number(params.value(QStringLiteral("rollout")));
                if (!rollout || !std::isfinite(*rollout) || *rollout < 0.0 || *rollout > 100.0) {
                    *problem =
                        QStringLiteral("feature \"%1\": flexibleRollout has no valid rollout parameter")
                            .arg(f.name);
                    return std::nullopt;
                }
                f.strategyId = st.value(QStringLiteral("id")).toString();
                f.strategy = st;
                f.rollout = *rollout;
                f.stickiness = params.value(QStringLiteral("stickiness")).toString();
                for (const QJsonValue& cv : st.value(QStringLiteral("constraints")).toArray()) {
                    if (isHeldOffConstraint(cv.toObject()))
                        for (const QJsonValue& v : cv.toObject().value(QStringLiteral("values")).toArray())
                            f.heldOffSegments.append(v.toString());
                    if (isAudienceConstraint(cv.toObject()) && f.audience.isEmpty()) {
                        f.audienceContext = cv.toObject().value(QStringLiteral("contextName")).toString();
                        for (const QJsonValue& v : cv.toObject().value(QStringLiteral("values")).toArray())
                            f.audience.append(v.toString());
                    }
                }
            } else {
                ++f.otherStrategies;
            }
        }
    }
    if (!f.environmentFound) {
        *problem = QStringLiteral("feature \"%1\" has no environment \"%2\"").arg(f.name, environment);
        return std::nullopt;
    }
    return f;
}

QJsonObject UnleashFeature::strategyBody(const QJsonObject& base, const QString& flag, double rollout,
                                         const QString& stickiness, const QStringList& heldOffSegments,
                                         const QString& audienceContext, const QStringList& audience)
{
    QJsonObject out;
    // Only the fields a strategy update takes: id and other read-only fields stay behind.
    for (const char* key : {"title", "disabled", "segments", "variants", "sortOrder"})
        if (base.contains(QLatin1String(key)) && !base.value(QLatin1String(key)).isNull())
            out.insert(QLatin1String(key), base.value(QLatin1String(key)));
    out.insert(QStringLiteral("name"), kFlexible);
    QJsonObject params = base.value(QStringLiteral("parameters")).toObject();
    params.insert(QStringLiteral("rollout"), QString::number(rollout, 'g', 6));
    params.insert(QStringLiteral("stickiness"),
                  stickiness.isEmpty() ? QStringLiteral("default") : stickiness);
    if (!params.contains(QStringLiteral("groupId"))) params.insert(QStringLiteral("groupId"), flag);
    out.insert(QStringLiteral("parameters"), params);
    QJsonArray constraints;
    for (const QJsonValue& cv : base.value(QStringLiteral("constraints")).toArray())
        if (!isHeldOffConstraint(cv.toObject()) && !isAudienceConstraint(cv.toObject()))
            constraints.append(cv);
    if (!audience.isEmpty()) {
        QJsonObject c;
        c.insert(QStringLiteral("contextName"), audienceContext);
        c.insert(QStringLiteral("operator"), QStringLiteral("IN"));
        c.insert(QStringLiteral("values"), QJsonArray::fromStringList(audience));
        c.insert(QStringLiteral("inverted"), false);
        c.insert(QStringLiteral("caseInsensitive"), false);
        constraints.append(c);
    }
    if (!heldOffSegments.isEmpty()) {
        QJsonObject c;
        c.insert(QStringLiteral("contextName"), kSegmentContext);
        c.insert(QStringLiteral("operator"), QStringLiteral("NOT_IN"));
        c.insert(QStringLiteral("values"), QJsonArray::fromStringList(heldOffSegments));
        c.insert(QStringLiteral("inverted"), false);
        c.insert(QStringLiteral("caseInsensitive"), false);
        constraints.append(c);
    }
    out.insert(QStringLiteral("constraints"), constraints);
    return out;
}

} // namespace rollout
