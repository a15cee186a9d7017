#pragma once

#include "flags/FlagBackend.h"
#include "net/HttpClient.h"

#include <memory>
#include <optional>

namespace rollout {

// A flag service reached through an application's own admin API whose endpoints and bodies the
// plan templates (seed 003: POST …/feature-flags/enable|disable, POST …/ab-testing/update,
// GET …/feature-flags/status). Every write is followed by the plan's status call; a change is
// verified only when that read-back shows what was asked for.
class HttpAdminBackend final : public FlagBackend
{
    Q_OBJECT
public:
    explicit HttpAdminBackend(BackendSpec spec, QObject* parent = nullptr);

    QString describe() const override;
    void read(const QString& flag, QObject* context, Done done) override;
    // On: set_percentage with {percent}, then enable (when the plan has it). Off: disable, or
    // set_percentage 0 when the plan has no disable call. Then the status call, compared.
    void apply(const QString& flag, const FlagSetting& setting, const QString& stickiness, QObject* context,
               Done done) override;
    void setSegment(const QString& flag, const QString& segment, bool enabled, QObject* context,
                    Done done) override;

    // One of the plan's named admin operations (an action step's `call`): sent with `body` (the
    // operation's own when unset), then, when the operation has a check, read back and compared.
    // `flag` fills {flag}. `accepted`: a 2xx answer; `verified`: the check read back what it expects.
    struct OperationResult
    {
        QString operation;
        bool accepted = false;
        bool checked = false; // the operation has a check: accepted alone is not enough
        bool verified = false;
        int status = 0;
        QString message;
    };
    void operate(const QString& operation, const QString& flag, const std::optional<QString>& body,
                 QObject* context, std::function<void(const OperationResult&)> done);

    // The deadline of each request (not of a whole apply); 10 s unless a test wants less.
    void setTimeout(qint64 ms) { m_timeoutMs = ms; }

    // What a template's placeholders stand for; an unset one is left as written.
    struct Values
    {
        QString flag;
        std::optional<double> percent;
        std::optional<QString> segment;
        std::optional<bool> enabled;
    };
    // Where an expanded template goes, which decides how substituted text is escaped.
    enum class Target
    {
        Path,
        Body,
        Pointer
    };

    // Pure: `text` with {flag}, {percent} (a bare number: 25, 12.5), {segment} and {enabled}
    // (true/false) replaced in one pass; strings are percent-encoded in a path, JSON-escaped in a
    // body (the template supplies the quotes) and ~-escaped in a JSON pointer (RFC 6901).
    static QString expand(const QString& text, const Values& values, Target target);
    // Pure: the flag's state in a status answer, found through the status call's pointers, or
    // nullopt and why (not JSON, no value at a pointer, a value of the wrong kind).
    static std::optional<FlagState> parseStatus(const QByteArray& body, const HttpCall& status,
                                                const QString& flag, QString* problem);

private:
    struct Write
    {
        QString call; // the plan's name for it: enable, set_percentage, …
        Values values;
        QString done; // what it achieved, for a person: "rollout percentage set to 25%"
    };
    struct Run;

    void start(const std::shared_ptr<Run>& run);
    void next(const std::shared_ptr<Run>& run);
    void send(const std::shared_ptr<Run>& run, const HttpCall& call, const Values& values,
              std::function<void(const HttpResponse&, const QUrl&)> then);
    void finish(const std::shared_ptr<Run>& run, FlagResult result) const;
    QUrl urlFor(const HttpCall& call, const Values& values) const;

    BackendSpec m_spec;
    HttpClient m_http;
    qint64 m_timeoutMs = 10000;
};

} // namespace rollout
