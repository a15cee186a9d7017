#pragma once

#include "flags/FlagBackend.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <optional>

namespace rollout {

// One Unleash feature as the Admin API describes it (GET /api/admin/projects/P/features/KEY),
// reduced to what a rollout needs in one environment. Pure parsing: bytes in, value or error out.
struct UnleashFeature
{
    QString name;
    bool environmentFound = false;
    bool enabled = false; // the environment's on/off switch
    QString strategyId;   // the flexibleRollout strategy Rollout Console drives
    QJsonObject strategy; // its whole body, to PUT back with one parameter changed
    double rollout = 0.0; // its `rollout` parameter, 0..100
    QString stickiness;
    QStringList heldOffSegments; // a `segment NOT_IN [...]` constraint on it
    QString audienceContext;     // a `role IN [...]` or `segment IN [...]` constraint: the cohort
    QStringList audience;
    int otherStrategies = 0; // strategies besides ours: they may expose the flag too

    // The state a person should see; percent is the strategy's rollout while the environment is on.
    FlagState state() const;

    static std::optional<UnleashFeature> parse(const QByteArray& body, const QString& environment,
                                               QString* problem);
    // A strategy body for POST/PUT: `base` (an existing strategy, or empty) with rollout,
    // stickiness and the held-off segments set; other constraints and parameters are kept.
    // `audience` (in `audienceContext`, role or segment) limits the strategy to a cohort: an IN
    // constraint, replacing the one a previous phase wrote.
    static QJsonObject strategyBody(const QJsonObject& base, const QString& flag, double rollout,
                                    const QString& stickiness, const QStringList& heldOffSegments,
                                    const QString& audienceContext = {}, const QStringList& audience = {});
};

} // namespace rollout
