#include "flags/UnleashBackend.h"

#include "flags/HttpFlagFailure.h"
#include "flags/UnleashFeature.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QPointer>
#include <QTimer>
#include <cmath>
#include <memory>

namespace rollout {

namespace {

bool sameSegments(QStringList a, QStringList b)
{
    a.sort();
    b.sort();
    return a == b;
}

bool reached(const UnleashFeature& f, const UnleashTarget& t)
{
    if (f.enabled != t.enabled) return false;
    if (!t.enabled) return true; // off: the strategy no longer matters
    return !f.strategyId.isEmpty() && std::abs(f.rollout - t.rollout) < 0.01 &&
           f.stickiness == t.stickiness && sameSegments(f.heldOffSegments, t.heldOffSegments) &&
           sameSegments(f.audience, t.audience) &&
           (t.audience.isEmpty() || f.audienceContext == t.audienceContext);
}

QString describeTarget(const UnleashTarget& t)
{
    if (!t.enabled) return QStringLiteral("off");
    QString out = QStringLiteral("%1% sticky on %2").arg(t.rollout).arg(t.stickiness);
    if (!t.heldOffSegments.isEmpty())
        out += QStringLiteral(" (%1 held off)").arg(t.heldOffSegments.join(QStringLiteral(", ")));
    if (!t.audience.isEmpty())
        out += QStringLiteral(" for %1 %2").arg(t.audienceContext, t.audience.join(QStringLiteral(", ")));
    return out;
}

} // namespace

// One change in flight: read, write the strategy, switch the environment, read back. Each
// step's callback moves it on; the first failure ends it with the step's name.
struct UnleashChange : std::enable_shared_from_this<UnleashChange>
{
    UnleashBackend* backend = nullptr;
    QString flag;
    UnleashBackend::TargetFn decide;
    QPointer<QObject> context;
    FlagBackend::Done done;
    QByteArray authorization;
    QElapsedTimer clock;
    FlagResult result;
    UnleashTarget target;
    UnleashFeature before;
    bool readOnly = false; // a read: one GET, no target

    QString featurePath() const
    {
        return QStringLiteral("/api/admin/projects/%1/features/%2").arg(backend->m_options.project, flag);
    }
    QString environmentPath() const
    {
        return featurePath() + QStringLiteral("/environments/") + backend->m_options.environment;
    }

    void send(const QByteArray& method, const QString& path, const QByteArray& body, const QString& step,
              std::function<void(const HttpResponse&)> next)
    {
        HttpRequest req;
        req.method = method;
        req.url = backend->m_options.url;
        req.url.setPath(backend->m_options.url.path() + path);
        req.body = body;
        req.timeoutMs = backend->m_options.timeoutMs;
        req.headers.append({QByteArrayLiteral("Authorization"), authorization});
        req.headers.append({QByteArrayLiteral("Accept"), QByteArrayLiteral("application/json")});
        if (!body.isEmpty())
            req.headers.append({QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")});
        auto self = shared_from_this();
        const QUrl url = req.url;
        backend->m_http.send(req, context, [self, step, url, next = std::move(next)](const HttpResponse& r) {
            if (!r.success())
                return self->fail(httpFlagFailure(self->flag, self->backend->name(), step, r, url));
            next(r);
        });
    }

    void readFeature(const QString& step, std::function<void(const UnleashFeature&)> next)
    {
        auto self = shared_from_this();
        send("GET", featurePath(), {}, step, [self, step, next = std::move(next)](const HttpResponse& r) {
            QString problem;
            const std::optional<UnleashFeature> f =
                UnleashFeature::parse(r.body, self->backend->m_options.environment, &problem);
            if (!f) {
                FlagResult fail = FlagResult::failure(
                    self->flag, self->backend->name(), step,
                    QStringLiteral("%1 answered, but %2").arg(self->backend->describe(), problem));
                fail.status = r.status;
                fail.body = QString::fromUtf8(r.body.left(500));
                return self->fail(fail);
            }
            next(*f);
        });
    }

    void fail(FlagResult r)
    {
        r.before = before.state();
        r.elapsedMs = clock.elapsed();
        finish(std::move(r));
    }

    void finish(FlagResult r)
    {
        if (context && done) done(r);
        done = nullptr;
    }

    void start()
    {
        result.flag = flag;
        result.backend = backend->name();
        clock.start();
        auto self = shared_from_this();
        readFeature(QStringLiteral("read"), [self](const UnleashFeature& now) {
            self->before = now;
            if (self->readOnly) {
                FlagResult r = self->result;
                r.verified = true;
                r.before = r.after = now.state();
                r.elapsedMs = self->clock.elapsed();
                return self->finish(r);
            }
            QString refusal;
            if (!self->decide(now, self->target, &refusal))
                return self->fail(
                    FlagResult::failure(self->flag, self->backend->name(), QStringLiteral("plan"), refusal));
            // Less exposure first: switching off is the fastest way to stop harm.
            if (!self->target.enabled) return self->switchEnvironment([self] { self->readBack(); });
            self->writeStrategy([self] { self->switchEnvironment([self] { self->readBack(); }); });
        });
    }

    void writeStrategy(std::function<void()> next)
    {
        const bool has = !before.strategyId.isEmpty();
        if (has && std::abs(before.rollout - target.rollout) < 0.01 &&
            before.stickiness == target.stickiness &&
            sameSegments(before.heldOffSegments, target.heldOffSegments) &&
            sameSegments(before.audience, target.audience) &&
            before.audienceContext == target.audienceContext)
            return next();
        const QJsonObject body =
            UnleashFeature::strategyBody(before.strategy, flag, target.rollout, target.stickiness,
                                         target.heldOffSegments, target.audienceContext, target.audience);
        const QByteArray json = QJsonDocument(body).toJson(QJsonDocument::Compact);
        if (has)
            send("PUT", environmentPath() + QStringLiteral("/strategies/") + before.strategyId, json,
                 QStringLiteral("write strategy"), [next](const HttpResponse&) { next(); });
        else
            send("POST", environmentPath() + QStringLiteral("/strategies"), json,
                 QStringLiteral("create strategy"), [next](const HttpResponse&) { next(); });
    }

    void switchEnvironment(std::function<void()> next)
    {
        if (before.enabled == target.enabled) return next();
        const QString step = target.enabled ? QStringLiteral("enable") : QStringLiteral("disable");
        send("POST", environmentPath() + (target.enabled ? QStringLiteral("/on") : QStringLiteral("/off")),
             {}, step, [next](const HttpResponse&) { next(); });
    }

    void readBack()
    {
        auto self = shared_from_this();
        readFeature(QStringLiteral("read back"), [self](const UnleashFeature& after) {
            FlagResult r = self->result;
            r.before = self->before.state();
            r.after = after.state();
            r.elapsedMs = self->clock.elapsed();
            r.verified = reached(after, self->target);
            if (!r.verified) {
                r.step = QStringLiteral("read back");
                r.message = QStringLiteral("%1 accepted the change but reads back %2, not %3")
                                .arg(self->backend->describe(), after.state().describe(),
                                     describeTarget(self->target));
            }
            self->finish(r);
        });
    }
};

UnleashBackend::UnleashBackend(QString name, Options options, QObject* parent)
    : FlagBackend(std::move(name), parent), m_options(std::move(options))
{
}

QString UnleashBackend::describe() const
{
    return QStringLiteral("Unleash %1 (project %2, environment %3)")
        .arg(m_options.url.toString(QUrl::RemoveUserInfo), m_options.project, m_options.environment);
}

void UnleashBackend::change(const QString& flag, TargetFn decide, QObject* context, Done done)
{
    auto op = std::make_shared<UnleashChange>();
    op->backend = this;
    op->flag = flag;
    op->decide = std::move(decide);
    op->readOnly = !op->decide;
    op->context = context;
    op->done = std::move(done);
    const Credentials credentials = Credentials::fromEnvironment(m_options.tokenEnv, {}, {}, false);
    if (m_options.tokenEnv.isEmpty() || !credentials.problem.isEmpty()) {
        const QString why = m_options.tokenEnv.isEmpty()
                                ? QStringLiteral("the plan names no token_env for %1").arg(describe())
                                : credentials.problem;
        QTimer::singleShot(0, context, [op, why] {
            op->finish(
                FlagResult::failure(op->flag, op->backend->name(), QStringLiteral("credentials"), why));
        });
        return;
    }
    op->authorization = credentials.authorization;
    op->start();
}

void UnleashBackend::read(const QString& flag, QObject* context, Done done)
{
    change(flag, nullptr, context, std::move(done)); // no target: read only
}

void UnleashBackend::apply(const QString& flag, const FlagSetting& setting, const QString& stickiness,
                           QObject* context, Done done)
{
    change(
        flag,
        [setting, stickiness](const UnleashFeature& now, UnleashTarget& t, QString*) {
            t.enabled = setting.enabled;
            t.rollout = setting.enabled ? setting.percent : now.rollout;
            t.stickiness = stickiness.isEmpty() ? QStringLiteral("default") : stickiness;
            t.heldOffSegments = now.heldOffSegments;
            t.audienceContext = setting.enabled ? setting.audienceContext : now.audienceContext;
            t.audience = setting.enabled ? setting.audience : now.audience;
            if (!setting.enabled) t.stickiness = now.stickiness;
            return true;
        },
        context, std::move(done));
}

void UnleashBackend::setSegment(const QString& flag, const QString& segment, bool enabled, QObject* context,
                                Done done)
{
    change(
        flag,
        [segment, enabled](const UnleashFeature& now, UnleashTarget& t, QString* refusal) {
            if (now.strategyId.isEmpty() && !now.enabled && !enabled) {
                t.enabled = false; // off for everyone: the segment is held off already, nothing to write
                return true;
            }
            if (now.strategyId.isEmpty()) {
                *refusal = QStringLiteral(
                    "the flag has no flexibleRollout strategy in this environment to hold a segment off in");
                return false;
            }
            t.enabled = now.enabled;
            t.rollout = now.rollout;
            t.stickiness = now.stickiness;
            t.heldOffSegments = now.heldOffSegments;
            t.audienceContext = now.audienceContext;
            t.audience = now.audience;
            t.heldOffSegments.removeAll(segment);
            if (!enabled) t.heldOffSegments.append(segment);
            return true;
        },
        context, std::move(done));
}

} // namespace rollout
