#include "flags/HttpAdminBackend.h"

#include "flags/HttpFlagFailure.h"

#include <QElapsedTimer>
#include <QMetaObject>
#include <QPointer>
#include <QRegularExpression>
#include <nlohmann/json.hpp>

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

QString escaped(const QString& value, HttpAdminBackend::Target target)
{
    switch (target) {
    case HttpAdminBackend::Target::Path:
        return QString::fromLatin1(QUrl::toPercentEncoding(value));
    case HttpAdminBackend::Target::Body: {
        const std::string quoted = nlohmann::json(value.toStdString()).dump(); // "…", escaped
        return QString::fromStdString(quoted.substr(1, quoted.size() - 2));
    }
    case HttpAdminBackend::Target::Pointer: {
        QString out = value;
        out.replace(QLatin1Char('~'), QLatin1String("~0"));
        out.replace(QLatin1Char('/'), QLatin1String("~1"));
        return out;
    }
    }
    return value;
}

std::optional<bool> toBool(const nlohmann::json& v)
{
    if (v.is_boolean()) return v.get<bool>();
    if (v.is_string()) { // some admin APIs quote everything
        const QString s = QString::fromStdString(v.get<std::string>()).trimmed().toLower();
        if (s == QLatin1String("true")) return true;
        if (s == QLatin1String("false")) return false;
    }
    if (v.is_number_integer() && (v.get<int>() == 0 || v.get<int>() == 1)) return v.get<int>() == 1;
    return std::nullopt;
}

std::optional<double> toPercent(const nlohmann::json& v)
{
    std::optional<double> d;
    if (v.is_number()) d = v.get<double>();
    if (v.is_string()) {
        bool ok = false;
        const double parsed = QString::fromStdString(v.get<std::string>()).trimmed().toDouble(&ok);
        if (ok) d = parsed;
    }
    if (d && (*d < 0.0 || *d > 100.0)) return std::nullopt;
    return d;
}

QString where(const QUrl& url)
{
    return url.adjusted(QUrl::RemoveUserInfo).toString();
}

} // namespace

// One read, or writes followed by a read, on one flag; shared by the callbacks of its requests.
struct HttpAdminBackend::Run
{
    QString flag;
    QList<Write> writes;
    qsizetype index = 0;
    QStringList accepted; // writes the server took, named for a later failure's message
    QString readStep;     // "read" for read(), "read back" after writes
    // Why the state read back is not what was asked for (a whole sentence), empty when it is.
    std::function<QString(const FlagState&, const QString& server)> judge;
    QByteArray authorization;
    QPointer<QObject> context;
    Done done;
    QElapsedTimer clock;
};

HttpAdminBackend::HttpAdminBackend(BackendSpec spec, QObject* parent)
    : FlagBackend(spec.name, parent), m_spec(std::move(spec))
{
}

QString HttpAdminBackend::describe() const
{
    return QStringLiteral("http_admin %1 (backend %2)").arg(m_spec.url, name());
}

QString HttpAdminBackend::expand(const QString& text, const Values& values, Target target)
{
    static const QRegularExpression placeholder(QStringLiteral("\\{(flag|percent|segment|enabled)\\}"));
    QString out;
    qsizetype last = 0;
    for (auto it = placeholder.globalMatch(text); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        out += QStringView(text).mid(last, m.capturedStart() - last);
        last = m.capturedEnd();
        const QStringView key = m.capturedView(1);
        if (key == QLatin1String("flag"))
            out += escaped(values.flag, target);
        else if (key == QLatin1String("segment") && values.segment)
            out += escaped(*values.segment, target);
        else if (key == QLatin1String("percent") && values.percent)
            out += percentText(*values.percent);
        else if (key == QLatin1String("enabled") && values.enabled)
            out += *values.enabled ? QLatin1String("true") : QLatin1String("false");
        else
            out += m.capturedView(0);
    }
    out += QStringView(text).mid(last);
    return out;
}

std::optional<FlagState> HttpAdminBackend::parseStatus(const QByteArray& body, const HttpCall& status,
                                                       const QString& flag, QString* problem)
{
    const nlohmann::json doc =
        nlohmann::json::parse(body.constData(), body.constData() + body.size(), nullptr, false);
    if (doc.is_discarded()) {
        *problem = QStringLiteral("the answer is not JSON");
        return std::nullopt;
    }
    const Values values{flag, std::nullopt, std::nullopt, std::nullopt};
    std::optional<bool> enabled;
    std::optional<double> percent;
    FlagState state;
    QStringList detail;
    try {
        // The value at the expanded pointer, or nullptr (with `pointer` set for the message).
        auto at = [&](const QString& templ, QString* pointer) -> const nlohmann::json* {
            *pointer = expand(templ, values, Target::Pointer);
            const nlohmann::json::json_pointer p(pointer->toStdString());
            return doc.contains(p) ? &doc.at(p) : nullptr;
        };
        QString pointer;
        if (!status.enabled.isEmpty()) {
            const nlohmann::json* v = at(status.enabled, &pointer);
            if (!v) {
                *problem =
                    QStringLiteral("the answer has no value at %1: is the flag \"%2\" defined on the server?")
                        .arg(pointer, flag);
                return std::nullopt;
            }
            enabled = toBool(*v);
            if (!enabled) {
                *problem = QStringLiteral("the value at %1 is %2, not true or false")
                               .arg(pointer, QString::fromStdString(v->dump()));
                return std::nullopt;
            }
            detail.append(QStringLiteral("%1 = %2").arg(pointer, QString::fromStdString(v->dump())));
        }
        if (!status.percent.isEmpty()) {
            const nlohmann::json* v = at(status.percent, &pointer);
            if (!v) {
                *problem = QStringLiteral("the answer has no value at %1").arg(pointer);
                return std::nullopt;
            }
            percent = toPercent(*v);
            if (!percent) {
                *problem = QStringLiteral("the value at %1 is %2, not a percentage between 0 and 100")
                               .arg(pointer, QString::fromStdString(v->dump()));
                return std::nullopt;
            }
            detail.append(QStringLiteral("%1 = %2").arg(pointer, QString::fromStdString(v->dump())));
        }
        if (!status.segments.isEmpty()) {
            const nlohmann::json* v = at(status.segments, &pointer);
            if (v && !v->is_null()) { // absent or null: nothing held off
                if (!v->is_array()) {
                    *problem = QStringLiteral("the value at %1 is not a list of segment names").arg(pointer);
                    return std::nullopt;
                }
                for (const nlohmann::json& s : *v) {
                    if (!s.is_string()) {
                        *problem =
                            QStringLiteral("the value at %1 is not a list of segment names").arg(pointer);
                        return std::nullopt;
                    }
                    state.disabledSegments.append(QString::fromStdString(s.get<std::string>()));
                }
                detail.append(QStringLiteral("%1 = %2").arg(pointer, QString::fromStdString(v->dump())));
            }
        }
    } catch (const nlohmann::json::exception& e) {
        *problem = QStringLiteral("bad JSON pointer in the status call: %1").arg(QString::fromUtf8(e.what()));
        return std::nullopt;
    }
    state.exists = true;
    // At 0% nobody gets the feature, whatever the on/off switch says.
    state.enabled = enabled.value_or(percent.value_or(0.0) > 0.0) && percent.value_or(100.0) > 0.0;
    state.percent = percent.value_or(state.enabled ? 100.0 : 0.0);
    state.detail = detail.join(QStringLiteral(", "));
    return state;
}

void HttpAdminBackend::read(const QString& flag, QObject* context, Done done)
{
    auto run = std::make_shared<Run>();
    run->flag = flag;
    run->readStep = QStringLiteral("read");
    run->context = context;
    run->done = std::move(done);
    start(run);
}

// Stickiness is not sent: the admin API's A/B framework decides who is in, and has no setting for it.
void HttpAdminBackend::apply(const QString& flag, const FlagSetting& setting, const QString& /*stickiness*/,
                             QObject* context, Done done)
{
    auto run = std::make_shared<Run>();
    run->flag = flag;
    run->readStep = QStringLiteral("read back");
    run->context = context;
    run->done = std::move(done);
    const Values values{flag, setting.percent, std::nullopt, setting.enabled};
    if (setting.enabled) {
        run->writes.append(
            {kSetPercentage, values,
             QStringLiteral("rollout percentage set to %1%").arg(percentText(setting.percent))});
        if (m_spec.calls.contains(kEnable))
            run->writes.append({kEnable, values, QStringLiteral("flag enabled")});
    } else if (m_spec.calls.contains(kDisable)) {
        run->writes.append({kDisable, values, QStringLiteral("flag disabled")});
    } else {
        Values zero = values;
        zero.percent = 0.0;
        run->writes.append({kSetPercentage, zero, QStringLiteral("rollout percentage set to 0%")});
    }
    run->judge = [setting](const FlagState& state, const QString& server) {
        if (state.matches(setting)) return QString();
        return QStringLiteral("asked for %1, but %2 says %3 (%4)")
            .arg(setting.describe(), server, state.describe(), state.detail);
    };
    start(run);
}

void HttpAdminBackend::setSegment(const QString& flag, const QString& segment, bool enabled, QObject* context,
                                  Done done)
{
    auto run = std::make_shared<Run>();
    run->flag = flag;
    run->readStep = QStringLiteral("read back");
    run->context = context;
    run->done = std::move(done);
    if (!m_spec.calls.contains(kSetSegment)) {
        FlagResult r = FlagResult::failure(
            flag, name(), kSetSegment,
            QStringLiteral("%1 (backend %2) cannot change one segment: the plan gives it no "
                           "set_segment call, so \"%3\" was left as it is")
                .arg(m_spec.url, name(), segment));
        QMetaObject::invokeMethod(
            context,
            [self = QPointer<HttpAdminBackend>(this), run, r] {
                if (self) self->finish(run, r);
            },
            Qt::QueuedConnection);
        return;
    }
    const QString asked = enabled ? QStringLiteral("segment %1 following the rollout again").arg(segment)
                                  : QStringLiteral("segment %1 held off").arg(segment);
    run->writes.append({kSetSegment, Values{flag, std::nullopt, segment, enabled}, asked});
    const bool canConfirm = !m_spec.calls.value(kStatus).segments.isEmpty();
    run->judge = [segment, enabled, asked, canConfirm](const FlagState& state, const QString& server) {
        if (!canConfirm)
            return QStringLiteral("asked for %1, but the status call has no \"segments\" pointer, so %2 "
                                  "cannot confirm it")
                .arg(asked, server);
        if (state.disabledSegments.contains(segment) != enabled) return QString();
        return QStringLiteral("asked for %1, but %2 says %3 (%4)")
            .arg(asked, server, state.describe(), state.detail);
    };
    start(run);
}

void HttpAdminBackend::start(const std::shared_ptr<Run>& run)
{
    run->clock.start();
    // Read per call: the variable may be set after the plan was loaded, and is never kept.
    const Credentials credentials =
        Credentials::fromEnvironment(m_spec.tokenEnv, QString(), QString(), /*bearer*/ true);
    if (!credentials.problem.isEmpty()) {
        FlagResult r = FlagResult::failure(run->flag, name(), QStringLiteral("credentials"),
                                           QStringLiteral("%1 (backend %2): %3; nothing was sent")
                                               .arg(m_spec.url, name(), credentials.problem));
        QMetaObject::invokeMethod(
            run->context,
            [self = QPointer<HttpAdminBackend>(this), run, r] {
                if (self) self->finish(run, r);
            },
            Qt::QueuedConnection);
        return;
    }
    run->authorization = credentials.authorization;
    next(run);
}

void HttpAdminBackend::next(const std::shared_ptr<Run>& run)
{
    if (run->index < run->writes.size()) {
        const Write write = run->writes.at(run->index);
        send(run, m_spec.calls.value(write.call), write.values,
             [this, run, write](const HttpResponse& response, const QUrl& url) {
                 if (!response.success()) {
                     finish(run, httpFlagFailure(run->flag, name(), write.call, response, url));
                     return;
                 }
                 run->accepted.append(write.done);
                 ++run->index;
                 next(run);
             });
        return;
    }
    const HttpCall status = m_spec.calls.value(kStatus);
    send(run, status, Values{run->flag, std::nullopt, std::nullopt, std::nullopt},
         [this, run, status](const HttpResponse& response, const QUrl& url) {
             if (!response.success()) {
                 finish(run, httpFlagFailure(run->flag, name(), run->readStep, response, url));
                 return;
             }
             const QString server = QStringLiteral("%1 (HTTP %2)").arg(where(url)).arg(response.status);
             QString problem;
             const std::optional<FlagState> state = parseStatus(response.body, status, run->flag, &problem);
             FlagResult r;
             if (!state) {
                 r = FlagResult::failure(run->flag, name(), run->readStep,
                                         QStringLiteral("%1: %2").arg(server, problem));
                 r.body = QString::fromUtf8(response.body.left(500)).trimmed();
             } else if (const QString wrong = run->judge ? run->judge(*state, server) : QString();
                        !wrong.isEmpty()) {
                 r = FlagResult::failure(run->flag, name(), QStringLiteral("read back"), wrong);
                 r.after = *state;
             } else {
                 r.verified = true;
                 r.after = *state;
                 r.message = QStringLiteral("%1 read back from %2").arg(state->describe(), server);
             }
             r.status = response.status;
             finish(run, r);
         });
}

void HttpAdminBackend::send(const std::shared_ptr<Run>& run, const HttpCall& call, const Values& values,
                            std::function<void(const HttpResponse&, const QUrl&)> then)
{
    if (!run->context) return; // whoever asked is gone; so is the answer
    HttpRequest request;
    request.method = call.method.toLatin1();
    request.url = urlFor(call, values);
    request.body = expand(call.body, values, Target::Body).toUtf8();
    request.timeoutMs = m_timeoutMs;
    request.maxBytes = 1024 * 1024;
    request.headers.append({QByteArrayLiteral("Accept"), QByteArrayLiteral("application/json")});
    if (!run->authorization.isEmpty())
        request.headers.append({QByteArrayLiteral("Authorization"), run->authorization});
    if (!request.body.isEmpty())
        request.headers.append({QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")});
    m_http.send(
        request, run->context,
        [url = request.url, then = std::move(then)](const HttpResponse& response) { then(response, url); });
}

void HttpAdminBackend::finish(const std::shared_ptr<Run>& run, FlagResult result) const
{
    result.flag = run->flag;
    result.backend = name();
    result.elapsedMs = run->clock.elapsed();
    if (!result.verified && !run->accepted.isEmpty())
        result.message += QStringLiteral(" (already accepted before this: %1)")
                              .arg(run->accepted.join(QStringLiteral(", ")));
    // A server that echoes the request must not put the token into a message or a log.
    const qsizetype space = run->authorization.indexOf(' ');
    const QString token = QString::fromUtf8(run->authorization.mid(space + 1));
    if (token.size() >= 4) {
        result.message.replace(token, QStringLiteral("[token]"));
        result.body.replace(token, QStringLiteral("[token]"));
    }
    if (run->context && run->done) run->done(result);
}

void HttpAdminBackend::operate(const QString& operation, const QString& flag,
                               const std::optional<QString>& body, QObject* context,
                               std::function<void(const OperationResult&)> done)
{
    OperationResult result;
    result.operation = operation;
    const auto fail = [context, done](OperationResult r) {
        QMetaObject::invokeMethod(
            context, [done, r] { done(r); }, Qt::QueuedConnection);
    };
    if (!m_spec.operations.contains(operation)) {
        result.message = QStringLiteral("backend %1 has no operation \"%2\"").arg(name(), operation);
        return fail(result);
    }
    const HttpOperation op = m_spec.operations.value(operation);
    result.checked = !op.checkPath.isEmpty();
    const Credentials credentials =
        Credentials::fromEnvironment(m_spec.tokenEnv, QString(), QString(), /*bearer*/ true);
    if (!credentials.problem.isEmpty()) {
        result.message = QStringLiteral("%1 (backend %2): %3; nothing was sent")
                             .arg(m_spec.url, name(), credentials.problem);
        return fail(result);
    }
    const Values values{flag, std::nullopt, std::nullopt, std::nullopt};
    const QByteArray token = credentials.authorization.mid(credentials.authorization.indexOf(' ') + 1);
    // A server that echoes the request must not put the token into a message.
    const auto redact = [token](QString text) {
        if (token.size() >= 4) text.replace(QString::fromUtf8(token), QStringLiteral("[token]"));
        return text;
    };
    const auto request = [this, credentials, values](const QString& method, const QString& path,
                                                     const QString& text) {
        HttpRequest r;
        r.method = method.toLatin1();
        r.url = urlFor(HttpCall{method, path, {}, {}, {}, {}}, values);
        r.body = expand(text, values, Target::Body).toUtf8();
        r.timeoutMs = m_timeoutMs;
        r.maxBytes = 1024 * 1024;
        r.headers.append({QByteArrayLiteral("Accept"), QByteArrayLiteral("application/json")});
        if (!credentials.authorization.isEmpty())
            r.headers.append({QByteArrayLiteral("Authorization"), credentials.authorization});
        if (!r.body.isEmpty())
            r.headers.append({QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")});
        return r;
    };
    const HttpRequest call = request(op.method, op.path, body.value_or(op.body));
    m_http.send(
        call, context,
        [this, op, call, result, done, request, redact, context](const HttpResponse& r) mutable {
            result.status = r.status;
            if (!r.success()) {
                result.message =
                    redact(QStringLiteral("%1 %2 %3").arg(op.method, op.name, r.describe(call.url)));
                return done(result);
            }
            result.accepted = true;
            if (op.checkPath.isEmpty()) {
                result.message =
                    QStringLiteral("%1 answered HTTP %2 (nothing to read back: the operation has no check)")
                        .arg(op.name)
                        .arg(r.status);
                return done(result);
            }
            const HttpRequest check = request(QStringLiteral("GET"), op.checkPath, {});
            m_http.send(check, context, [op, check, result, done, redact](const HttpResponse& c) mutable {
                if (!c.success()) {
                    result.message = redact(QStringLiteral("%1 accepted, but its check failed: %2")
                                                .arg(op.name, c.describe(check.url)));
                    return done(result);
                }
                const nlohmann::json answer = nlohmann::json::parse(c.body.toStdString(), nullptr, false);
                const nlohmann::json want =
                    nlohmann::json::parse(op.checkEquals.toStdString(), nullptr, false);
                const nlohmann::json wanted =
                    want.is_discarded() ? nlohmann::json(op.checkEquals.toStdString()) : want;
                if (answer.is_discarded()) {
                    result.message = QStringLiteral("%1 accepted, but %2 did not answer JSON")
                                         .arg(op.name, check.url.toString());
                    return done(result);
                }
                const nlohmann::json::json_pointer p(op.checkPointer.toStdString());
                if (!answer.contains(p)) {
                    result.message = QStringLiteral("%1 accepted, but %2 has no value at %3")
                                         .arg(op.name, check.url.toString(), op.checkPointer);
                    return done(result);
                }
                const nlohmann::json& got = answer.at(p);
                result.verified = got == wanted;
                result.message =
                    result.verified
                        ? QStringLiteral("%1 read back: %2 = %3")
                              .arg(op.name, op.checkPointer, QString::fromStdString(got.dump()))
                        : QStringLiteral("%1 accepted, but the read-back says %2 = %3 (expected %4)")
                              .arg(op.name, op.checkPointer, QString::fromStdString(got.dump()),
                                   QString::fromStdString(wanted.dump()));
                done(result);
            });
        });
}

QUrl HttpAdminBackend::urlFor(const HttpCall& call, const Values& values) const
{
    QString base = m_spec.url;
    while (base.endsWith(QLatin1Char('/')))
        base.chop(1);
    QString path = expand(call.path, values, Target::Path);
    if (!path.startsWith(QLatin1Char('/'))) path.prepend(QLatin1Char('/'));
    return QUrl(base + path);
}

} // namespace rollout
