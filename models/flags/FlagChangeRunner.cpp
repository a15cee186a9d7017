#include "flags/FlagChangeRunner.h"

#include "core/Backoff.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QTimer>
#include <memory>

namespace rollout {

QList<FlagChange> FlagChange::forPhase(const Plan& plan, int index)
{
    QList<FlagChange> out;
    const QMap<QString, FlagSetting> settings = plan.flagSettingsFor(index);
    for (const FlagSpec& f : plan.flags)
        out.append(FlagChange{f.key, settings.value(f.key), {}, true});
    return out;
}

bool FlagChangeReport::allVerified() const
{
    for (const FlagResult& r : results)
        if (!r.verified) return false;
    return !results.isEmpty();
}

QStringList FlagChangeReport::notMoved() const
{
    QStringList out;
    for (const FlagResult& r : results)
        if (!r.verified) out.append(r.flag);
    return out;
}

QString FlagChangeReport::summary() const
{
    const qsizetype bad = notMoved().size();
    if (results.isEmpty()) return QStringLiteral("no flags to change");
    if (bad == 0) {
        QStringList states;
        for (const FlagResult& r : results)
            states.append(QStringLiteral("%1 %2").arg(r.flag, r.after.describe()));
        return QStringLiteral("%1 of %1 flag(s) verified in %2 ms: %3")
            .arg(results.size())
            .arg(elapsedMs)
            .arg(states.join(QStringLiteral(", ")));
    }
    QStringList why;
    for (const FlagResult& r : results)
        if (!r.verified) why.append(r.describe());
    return QStringLiteral("ESCALATE: %1 of %2 flag(s) not verified%3: %4")
        .arg(bad)
        .arg(results.size())
        .arg(deadlinePassed ? QStringLiteral(" before the deadline") : QString(),
             why.join(QStringLiteral("; ")));
}

namespace {

// One multi-flag operation in flight. Every timer and callback of it runs in `scope`, a child of
// the runner: deleting the scope when the operation ends (or with the runner) drops every late
// answer and pending retry, so a reply after the deadline changes nothing, and an operation never
// outlives its runner.
struct Operation : std::enable_shared_from_this<Operation>
{
    FlagChangeRunner* runner = nullptr;
    const FlagBackendSet* backends = nullptr;
    QList<FlagChange> changes;
    FlagChangeRunner::Options options;
    QPointer<QObject> caller;
    std::function<void(const FlagChangeReport&)> done;
    QPointer<QObject> scope;
    QList<std::optional<FlagResult>> results;
    QList<FlagResult> lastAttempt;
    QList<int> attempts;
    QElapsedTimer clock;
    bool readOnly = false;
    bool finished = false;

    void start()
    {
        scope = new QObject(runner);
        clock.start();
        results.resize(changes.size());
        lastAttempt.resize(changes.size());
        attempts.fill(0, changes.size());
        auto self = shared_from_this();
        QTimer::singleShot(int(options.deadlineMs), scope.data(), [self] { self->deadline(); });
        for (int i = 0; i < changes.size(); ++i)
            attempt(i);
        if (changes.isEmpty()) QTimer::singleShot(0, scope.data(), [self] { self->finish(false); });
    }

    void attempt(int i)
    {
        const FlagChange& c = changes[i];
        ++attempts[i];
        FlagBackend* backend = backends->backendFor(c.flag);
        if (!backend)
            return settle(i, FlagResult::failure(c.flag, {}, QStringLiteral("plan"),
                                                 QStringLiteral("no backend for flag %1").arg(c.flag)));
        auto self = shared_from_this();
        auto onResult = [self, i](const FlagResult& r) { self->settle(i, r); };
        if (readOnly)
            backend->read(c.flag, scope.data(), onResult);
        else if (!c.segment.isEmpty())
            backend->setSegment(c.flag, c.segment, c.segmentEnabled, scope.data(), onResult);
        else
            backend->apply(c.flag, c.setting, backends->stickinessFor(c.flag), scope.data(), onResult);
    }

    void settle(int i, FlagResult r)
    {
        if (finished) return;
        r.attempts = attempts[i];
        r.elapsedMs = clock.elapsed();
        lastAttempt[i] = r;
        const bool retry = !r.verified && !readOnly && (r.transient || r.step == QLatin1String("read back"));
        const qint64 backoff = Backoff::delayMs(options.firstBackoffMs, attempts[i], options.maxBackoffMs);
        if (retry && clock.elapsed() + backoff < options.deadlineMs) {
            auto self = shared_from_this();
            QTimer::singleShot(int(backoff), scope.data(), [self, i] { self->attempt(i); });
            return;
        }
        results[i] = r;
        Q_EMIT runner->flagFinished(r);
        for (const auto& res : results)
            if (!res) return;
        finish(false);
    }

    void deadline()
    {
        if (finished) return;
        for (int i = 0; i < changes.size(); ++i) {
            if (results[i]) continue;
            FlagResult r =
                lastAttempt[i].flag.isEmpty()
                    ? FlagResult::failure(changes[i].flag, {}, QStringLiteral("waiting"), QString())
                    : lastAttempt[i];
            r.verified = false;
            r.attempts = attempts[i];
            r.message =
                QStringLiteral("deadline of %1 s passed without a verified change%2")
                    .arg(double(options.deadlineMs) / 1000.0)
                    .arg(r.message.isEmpty() ? QString() : QStringLiteral("; last attempt: ") + r.message);
            results[i] = r;
            Q_EMIT runner->flagFinished(r);
        }
        finish(true);
    }

    void finish(bool deadlinePassed)
    {
        if (finished) return;
        finished = true;
        FlagChangeReport report;
        report.deadlinePassed = deadlinePassed;
        report.elapsedMs = clock.elapsed();
        for (const auto& r : results)
            report.results.append(*r);
        // Late answers go nowhere: the scope (and every pending call bound to it) dies once this returns.
        scope->deleteLater();
        if (caller && done) done(report);
    }
};

} // namespace

FlagChangeRunner::FlagChangeRunner(const FlagBackendSet& backends, QObject* parent)
    : QObject(parent), m_backends(backends)
{
}

void FlagChangeRunner::run(const QList<FlagChange>& changes, const Options& options, QObject* context,
                           std::function<void(const FlagChangeReport&)> done)
{
    auto op = std::make_shared<Operation>();
    op->runner = this;
    op->backends = &m_backends;
    op->changes = changes;
    op->options = options;
    op->caller = context;
    op->done = std::move(done);
    op->start();
}

void FlagChangeRunner::readAll(QObject* context, std::function<void(const FlagChangeReport&)> done,
                               qint64 deadlineMs)
{
    auto op = std::make_shared<Operation>();
    op->runner = this;
    op->backends = &m_backends;
    for (const QString& f : m_backends.flags())
        op->changes.append(FlagChange{f, {}, {}, true});
    op->options.deadlineMs = deadlineMs;
    op->readOnly = true;
    op->caller = context;
    op->done = std::move(done);
    op->start();
}

} // namespace rollout
