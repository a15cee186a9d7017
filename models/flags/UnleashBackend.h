#pragma once

#include "flags/FlagBackend.h"
#include "net/HttpClient.h"

#include <QUrl>

namespace rollout {

struct UnleashFeature;

// Drives one Unleash project/environment through the Admin API: a flag's exposure is its
// `flexibleRollout` strategy (created when missing) plus the environment's on/off switch. Every
// change ends with a separate GET of the feature; only a read-back that matches is "verified".
// The admin token comes from the environment variable the plan names and is never logged.
class UnleashBackend final : public FlagBackend
{
    Q_OBJECT
public:
    struct Options
    {
        QUrl url; // http://127.0.0.1:4242
        QString project = QStringLiteral("default");
        QString environment = QStringLiteral("development");
        QString tokenEnv;         // the variable holding an admin token ("*:*.secret")
        qint64 timeoutMs = 10000; // per request
    };

    UnleashBackend(QString name, Options options, QObject* parent = nullptr);

    QString describe() const override;
    void read(const QString& flag, QObject* context, Done done) override;
    void apply(const QString& flag, const FlagSetting& setting, const QString& stickiness, QObject* context,
               Done done) override;
    void setSegment(const QString& flag, const QString& segment, bool enabled, QObject* context,
                    Done done) override;

private:
    // What one change wants the flag to look like, given what it looks like now.
    // What the change wants, given the flag now; null for a read.
    using TargetFn =
        std::function<bool(const UnleashFeature& now, struct UnleashTarget& target, QString* refusal)>;
    void change(const QString& flag, TargetFn decide, QObject* context, Done done);

    friend struct UnleashChange;
    Options m_options;
    HttpClient m_http;
};

// The state a change drives towards.
struct UnleashTarget
{
    bool enabled = false;
    double rollout = 0.0;
    QString stickiness;
    QStringList heldOffSegments;
    QString audienceContext;
    QStringList audience;
};

} // namespace rollout
