#pragma once

#include "core/ProcessRunner.h"
#include "flags/FlagBackend.h"

#include <memory>
#include <optional>

namespace rollout {

// A flag service driven by commands the plan declares (seed 000's `kubectl patch configmap`,
// seed 004's Python `set_percentage`): one argument vector per operation, run without a shell,
// each under the backend's deadline. Every write is followed by the status command, whose
// standard output (JSON) is read through the plan's pointers; a change is verified only when
// that read-back shows what was asked for. A command that fails, hangs or prints something
// that is not the state is reported with the backend, the command, its exit status and stderr.
class CommandBackend final : public FlagBackend
{
    Q_OBJECT
public:
    // `workingDirectory`: where the commands run and relative programs resolve (the plan's directory).
    explicit CommandBackend(BackendSpec spec, QString workingDirectory = {}, QObject* parent = nullptr);

    QString describe() const override;
    void read(const QString& flag, QObject* context, Done done) override;
    // On: set_percentage with {percent}, then enable (when the plan has it). Off: disable, or
    // set_percentage 0 when the plan has no disable command. Then the status command, compared.
    void apply(const QString& flag, const FlagSetting& setting, const QString& stickiness, QObject* context,
               Done done) override;
    void setSegment(const QString& flag, const QString& segment, bool enabled, QObject* context,
                    Done done) override;

    struct Values
    {
        QString flag;
        std::optional<double> percent;
        std::optional<QString> segment;
        std::optional<bool> enabled;
    };
    // Pure: each argument with {flag}, {percent} (a bare number: 25, 12.5), {segment} and
    // {enabled} (true/false) replaced as plain text, inside that argument only; an unset one is
    // left as written. No shell ever sees the result, so nothing needs quoting.
    static QStringList expand(const QStringList& argv, const Values& values);

private:
    struct Write
    {
        QString command; // the plan's name for it: enable, set_percentage, …
        Values values;
        QString done; // what it achieved, for a person: "rollout percentage set to 25%"
    };
    struct Run;

    void next(const std::shared_ptr<Run>& run);
    void exec(const std::shared_ptr<Run>& run, const QString& command, const Values& values,
              std::function<void(const ProcessOutcome&)> then);
    void finish(const std::shared_ptr<Run>& run, FlagResult result) const;
    void failLater(const std::shared_ptr<Run>& run, FlagResult result);

    BackendSpec m_spec;
    QString m_workingDirectory;
};

} // namespace rollout
