#include "flags/CommandBackend.h"

#include "flags/HttpAdminBackend.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QRegularExpression>
#include <QTimer>

namespace rollout {

namespace {

const QString kStatus = QStringLiteral("status");
const QString kEnable = QStringLiteral("enable");
const QString kDisable = QStringLiteral("disable");
const QString kSetPercentage = QStringLiteral("set_percentage");
const QString kSetSegment = QStringLiteral("set_segment");

QString percentText(double percent)
{
    return QString::number(percent, 'g', 12);
}

} // namespace

// One read, or writes followed by a read, on one flag; shared by the callbacks of its commands.
struct CommandBackend::Run
{
    QString flag;
    QList<Write> writes;
    qsizetype index = 0;
    QStringList accepted; // writes that succeeded, named for a later failure's message
    QString readStep;     // "read" for read(), "read back" after writes
    // Why the state read back is not what was asked for (a whole sentence), empty when it is.
    std::function<QString(const FlagState&, const QString& source)> judge;
    QPointer<QObject> context;
    Done done;
    QElapsedTimer clock;
};

CommandBackend::CommandBackend(BackendSpec spec, QString workingDirectory, QObject* parent)
    : FlagBackend(spec.name, parent), m_spec(std::move(spec)), m_workingDirectory(std::move(workingDirectory))
{
}

QString CommandBackend::describe() const
{
    const QStringList status = m_spec.commands.value(kStatus).argv;
    return QStringLiteral("command backend %1 (status: %2)").arg(name(), ProcessOutcome::display(status));
}

QStringList CommandBackend::expand(const QStringList& argv, const Values& values)
{
    static const QRegularExpression placeholder(QStringLiteral("\\{(flag|percent|segment|enabled)\\}"));
    QStringList out;
    out.reserve(argv.size());
    for (const QString& arg : argv) {
        QString expanded;
        qsizetype last = 0;
        for (auto it = placeholder.globalMatch(arg); it.hasNext();) {
            const QRegularExpressionMatch m = it.next();
            expanded += QStringView(arg).mid(last, m.capturedStart() - last);
            last = m.capturedEnd();
            const QStringView key = m.capturedView(1);
            if (key == QLatin1String("flag"))
                expanded += values.flag;
            else if (key == QLatin1String("segment") && values.segment)
                expanded += *values.segment;
            else if (key == QLatin1String("percent") && values.percent)
                expanded += percentText(*values.percent);
            else if (key == QLatin1String("enabled") && values.enabled)
                expanded += *values.enabled ? QLatin1String("true") : QLatin1String("false");
            else
                expanded += m.capturedView(0);
        }
        expanded += QStringView(arg).mid(last);
        out.append(expanded);
    }
    return out;
}

void CommandBackend::read(const QString& flag, QObject* context, Done done)
{
    auto run = std::make_shared<Run>();
    run->flag = flag;
    run->readStep = QStringLiteral("read");
    run->context = context;
    run->done = std::move(done);
    run->clock.start();
    next(run);
}

// Stickiness is not passed: the commands decide who is in (seed 004 hashes the user id itself).
void CommandBackend::apply(const QString& flag, const FlagSetting& setting, const QString& /*stickiness*/,
                           QObject* context, Done done)
{
    auto run = std::make_shared<Run>();
    run->flag = flag;
    run->readStep = QStringLiteral("read back");
    run->context = context;
    run->done = std::move(done);
    run->clock.start();
    const Values values{flag, setting.percent, std::nullopt, setting.enabled};
    if (setting.enabled) {
        run->writes.append(
            {kSetPercentage, values,
             QStringLiteral("rollout percentage set to %1%").arg(percentText(setting.percent))});
        if (m_spec.commands.contains(kEnable))
            run->writes.append({kEnable, values, QStringLiteral("flag enabled")});
    } else if (m_spec.commands.contains(kDisable)) {
        run->writes.append({kDisable, values, QStringLiteral("flag disabled")});
    } else {
        Values zero = values;
        zero.percent = 0.0;
        run->writes.append({kSetPercentage, zero, QStringLiteral("rollout percentage set to 0%")});
    }
    run->judge = [setting](const FlagState& state, const QString& source) {
        if (state.matches(setting)) return QString();
        return QStringLiteral("asked for %1, but %2 says %3 (%4)")
            .arg(setting.describe(), source, state.describe(), state.detail);
    };
    next(run);
}

void CommandBackend::setSegment(const QString& flag, const QString& segment, bool enabled, QObject* context,
                                Done done)
{
    auto run = std::make_shared<Run>();
    run->flag = flag;
    run->readStep = QStringLiteral("read back");
    run->context = context;
    run->done = std::move(done);
    run->clock.start();
    if (!m_spec.commands.contains(kSetSegment)) {
        failLater(run, FlagResult::failure(
                           flag, name(), kSetSegment,
                           QStringLiteral("backend %1 cannot change one segment: the plan gives it no "
                                          "set_segment command, so \"%2\" was left as it is")
                               .arg(name(), segment)));
        return;
    }
    const QString asked = enabled ? QStringLiteral("segment %1 following the rollout again").arg(segment)
                                  : QStringLiteral("segment %1 held off").arg(segment);
    run->writes.append({kSetSegment, Values{flag, std::nullopt, segment, enabled}, asked});
    const bool canConfirm = !m_spec.commands.value(kStatus).segments.isEmpty();
    run->judge = [segment, enabled, asked, canConfirm](const FlagState& state, const QString& source) {
        if (!canConfirm)
            return QStringLiteral("asked for %1, but the status command has no \"segments\" pointer, so %2 "
                                  "cannot confirm it")
                .arg(asked, source);
        if (state.disabledSegments.contains(segment) != enabled) return QString();
        return QStringLiteral("asked for %1, but %2 says %3 (%4)")
            .arg(asked, source, state.describe(), state.detail);
    };
    next(run);
}

void CommandBackend::next(const std::shared_ptr<Run>& run)
{
    if (run->index < run->writes.size()) {
        const Write write = run->writes.at(run->index);
        exec(run, write.command, write.values, [this, run, write](const ProcessOutcome& outcome) {
            if (!outcome.success()) {
                FlagResult r = FlagResult::failure(
                    run->flag, name(), write.command,
                    QStringLiteral("backend %1: %2").arg(name(), outcome.failure()), outcome.timedOut);
                r.body = QString::fromUtf8(outcome.err.left(500)).trimmed();
                finish(run, r);
                return;
            }
            run->accepted.append(write.done);
            ++run->index;
            next(run);
        });
        return;
    }
    const CommandCall status = m_spec.commands.value(kStatus);
    exec(run, kStatus, Values{run->flag, std::nullopt, std::nullopt, std::nullopt},
         [this, run, status](const ProcessOutcome& outcome) {
             if (!outcome.success()) {
                 FlagResult r = FlagResult::failure(
                     run->flag, name(), run->readStep,
                     QStringLiteral("backend %1: %2").arg(name(), outcome.failure()), outcome.timedOut);
                 r.body = QString::fromUtf8(outcome.err.left(500)).trimmed();
                 finish(run, r);
                 return;
             }
             const QString source = QStringLiteral("\"%1\"").arg(outcome.command);
             HttpCall pointers; // the status command's pointers, read exactly like http_admin's
             pointers.enabled = status.enabled;
             pointers.percent = status.percent;
             pointers.segments = status.segments;
             QString problem;
             const std::optional<FlagState> state =
                 HttpAdminBackend::parseStatus(outcome.out, pointers, run->flag, &problem);
             FlagResult r;
             if (!state) {
                 problem.replace(QStringLiteral("the answer"), QStringLiteral("the output"));
                 QString shown = QString::fromUtf8(outcome.out.left(200)).trimmed();
                 if (shown.isEmpty()) shown = QStringLiteral("(nothing)");
                 r = FlagResult::failure(
                     run->flag, name(), run->readStep,
                     QStringLiteral("backend %1: the output of %2 is not the flag's state: %3; it "
                                    "printed: %4")
                         .arg(name(), source, problem, shown));
                 r.body = QString::fromUtf8(outcome.out.left(500)).trimmed();
             } else if (const QString wrong = run->judge ? run->judge(*state, source) : QString();
                        !wrong.isEmpty()) {
                 r = FlagResult::failure(run->flag, name(), QStringLiteral("read back"),
                                         QStringLiteral("backend %1: %2").arg(name(), wrong));
                 r.after = *state;
             } else {
                 r.verified = true;
                 r.after = *state;
                 r.message = QStringLiteral("%1 read back by %2").arg(state->describe(), source);
             }
             finish(run, r);
         });
}

void CommandBackend::exec(const std::shared_ptr<Run>& run, const QString& command, const Values& values,
                          std::function<void(const ProcessOutcome&)> then)
{
    if (!run->context) return; // whoever asked is gone; so is the answer
    ProcessRunner::Request request;
    request.argv = expand(m_spec.commands.value(command).argv, values);
    request.env = m_spec.env;
    request.workingDirectory = m_workingDirectory;
    request.timeoutMs = m_spec.timeoutMs;
    ProcessRunner::run(request, run->context, std::move(then));
}

void CommandBackend::finish(const std::shared_ptr<Run>& run, FlagResult result) const
{
    result.flag = run->flag;
    result.backend = name();
    result.elapsedMs = run->clock.elapsed();
    if (!result.verified && !run->accepted.isEmpty())
        result.message +=
            QStringLiteral(" (already done before this: %1)").arg(run->accepted.join(QStringLiteral(", ")));
    if (run->context && run->done) run->done(result);
}

void CommandBackend::failLater(const std::shared_ptr<Run>& run, FlagResult result)
{
    QTimer::singleShot(0, run->context, [self = QPointer<CommandBackend>(this), run, result] {
        if (self) self->finish(run, result);
    });
}

} // namespace rollout
