#pragma once

#include <QByteArray>
#include <QString>

namespace rollout {

// What one answer of Unleash's client API (GET /api/client/features/KEY) says about the canary's
// share of traffic, in percent; or why it says nothing.
struct UnleashShareResult
{
    enum class Failure
    {
        None,
        UnleashError,
        NotJson,
        WrongShape
    };
    Failure failure = Failure::None;
    double percent = 0; // 0..100 when ok
    QString error;      // Unleash's own message verbatim (UnleashError), or what was wrong

    bool ok() const { return failure == Failure::None; }
    QString describe() const;
};

// A pure function from the client API's bytes to a share, evaluated as Unleash evaluates the flag
// for anonymous traffic: disabled → 0; enabled without strategies → 100 (Unleash treats that as
// on for everyone); otherwise the largest share among the active strategies, where flexibleRollout
// gives parameters.rollout and "default" gives 100. Other strategies (user ids, host names…)
// select no share of random traffic and count as 0. Disabled strategies never reach the client
// API, but one marked disabled is skipped all the same.
class UnleashShare
{
public:
    static UnleashShareResult parse(const QByteArray& body);
};

} // namespace rollout
