#pragma once

#include "plan/Plan.h"

#include <QObject>
#include <QString>
#include <QStringList>
#include <functional>

namespace rollout {

// A flag as its service reports it on a read.
struct FlagState
{
    bool exists = false;
    bool enabled = false;
    double percent = 0.0;         // share of traffic that gets the feature while enabled (0..100)
    QString stickiness;           // the attribute the split hashes ("default", "userId", …)
    QStringList disabledSegments; // segments held off while everyone else follows `percent`
    QString audienceContext;      // "role" / "segment": the flag is limited to `audience` (a cohort)
    QStringList audience;
    QString detail; // how the service expresses it, for a person ("flexibleRollout 25%")

    FlagSetting setting() const
    {
        return enabled ? FlagSetting{true, percent, audienceContext, audience}
                       : FlagSetting{false, 0.0, {}, {}};
    }
    // True when this state is what `wanted` asks for (percentages compared to 0.01).
    bool matches(const FlagSetting& wanted) const;
    QString describe() const; // "off", "25% sticky on userId", "on (beta_users held off)"
};

// The outcome of one call on one flag. A change is `verified` only when a separate read after
// the write returned the asked-for value; anything else says which step failed and why.
struct FlagResult
{
    QString flag;
    QString backend;
    bool verified = false;
    FlagState before;       // read before writing (when the backend reads first)
    FlagState after;        // what the read-back said
    QString step;           // where it stopped: "read", "create strategy", "write", "enable", "read back" …
    int status = 0;         // HTTP status when a server answered, else 0
    QString body;           // the server's answer (first 500 bytes) when it failed
    QString message;        // one sentence a person can act on
    bool transient = false; // worth retrying: timeout, refused, 5xx, 429
    int attempts = 1;
    qint64 elapsedMs = 0;

    static FlagResult failure(const QString& flag, const QString& backend, const QString& step,
                              const QString& message, bool transient = false);
    QString describe() const; // "USE_SAFE_EVAL: verified 25%" / "ux_updates: FAILED at write: HTTP 401 …"
};

// One flag service (Unleash, a flagd file, an HTTP admin API). Every call is asynchronous; its
// result arrives exactly once through `done`, in `context`'s thread, and is dropped if `context`
// is gone. Implementations never report a write as verified without reading it back.
class FlagBackend : public QObject
{
    Q_OBJECT
public:
    using Done = std::function<void(const FlagResult&)>;

    explicit FlagBackend(QString name, QObject* parent = nullptr) : QObject(parent), m_name(std::move(name))
    {
    }
    ~FlagBackend() override = default;

    const QString& name() const { return m_name; }
    // What a person sees for this connection: "unleash http://127.0.0.1:4242 (project default, production)".
    virtual QString describe() const = 0;

    // Reads the flag's state into result.after; verified means the read succeeded.
    virtual void read(const QString& flag, QObject* context, Done done) = 0;
    // Turns the flag on at `setting.percent` (sticky on `stickiness`) or off, then reads it back.
    virtual void apply(const QString& flag, const FlagSetting& setting, const QString& stickiness,
                       QObject* context, Done done) = 0;
    // Holds one segment off (enabled = false) or lets it follow the rollout again (true), leaving
    // everyone else as they are: seed 002's partial rollback. Read back like apply.
    virtual void setSegment(const QString& flag, const QString& segment, bool enabled, QObject* context,
                            Done done) = 0;

private:
    QString m_name;
};

} // namespace rollout
