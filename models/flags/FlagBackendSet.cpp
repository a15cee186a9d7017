#include "flags/FlagBackendSet.h"

#include "flags/CommandBackend.h"
#include "flags/FlagdFileBackend.h"
#include "flags/HttpAdminBackend.h"
#include "flags/UnleashBackend.h"

#include <QDir>
#include <QFileInfo>

namespace rollout {

std::optional<FlagBackendSet> FlagBackendSet::fromPlan(const Plan& plan, QString* problem, qint64 timeoutMs)
{
    FlagBackendSet set;
    const QDir planDir = QFileInfo(plan.fileName).absoluteDir();
    for (const BackendSpec& b : plan.backends) {
        switch (b.type) {
        case BackendType::FlagdFile: {
            const QString path = QDir::isAbsolutePath(b.path) || plan.fileName.isEmpty()
                                     ? b.path
                                     : planDir.absoluteFilePath(b.path);
            set.add(std::make_unique<FlagdFileBackend>(b.name, path));
            break;
        }
        case BackendType::Unleash: {
            UnleashBackend::Options o;
            o.url = QUrl(b.url);
            if (!o.url.isValid() || o.url.scheme().isEmpty()) {
                *problem = QStringLiteral("backend %1: \"%2\" is not a URL").arg(b.name, b.url);
                return std::nullopt;
            }
            o.project = b.project;
            o.environment = b.environment.isEmpty() ? plan.environment : b.environment;
            o.tokenEnv = b.tokenEnv;
            o.timeoutMs = timeoutMs;
            set.add(std::make_unique<UnleashBackend>(b.name, o));
            break;
        }
        case BackendType::HttpAdmin: {
            if (!QUrl(b.url).isValid()) {
                *problem = QStringLiteral("backend %1: \"%2\" is not a URL").arg(b.name, b.url);
                return std::nullopt;
            }
            auto admin = std::make_unique<HttpAdminBackend>(b);
            admin->setTimeout(timeoutMs);
            set.add(std::move(admin));
            break;
        }
        case BackendType::Command: // runs in the plan's directory; the plan's own `timeout` bounds each
                                   // command
            set.add(std::make_unique<CommandBackend>(b, plan.fileName.isEmpty() ? QString()
                                                                                : planDir.absolutePath()));
            break;
        }
    }
    for (const FlagSpec& f : plan.flags)
        set.assign(f.key, f.backend, f.stickiness);
    return set;
}

std::optional<FlagBackendSet> FlagBackendSet::forEnvironment(const Plan& plan, const QString& environment,
                                                             QString* problem, qint64 timeoutMs)
{
    FlagBackendSet set;
    for (const BackendSpec& b : plan.backends) {
        if (b.type != BackendType::Unleash) continue;
        UnleashBackend::Options o;
        o.url = QUrl(b.url);
        if (!o.url.isValid() || o.url.scheme().isEmpty()) {
            *problem = QStringLiteral("backend %1: \"%2\" is not a URL").arg(b.name, b.url);
            return std::nullopt;
        }
        o.project = b.project;
        o.environment = environment;
        o.tokenEnv = b.tokenEnv;
        o.timeoutMs = timeoutMs;
        set.add(std::make_unique<UnleashBackend>(b.name, o));
    }
    for (const FlagSpec& f : plan.flags)
        if (f.environments.contains(environment)) set.assign(f.key, f.backend, f.stickiness);
    return set;
}

void FlagBackendSet::add(std::unique_ptr<FlagBackend> backend)
{
    const QString name = backend->name();
    m_backends[name] = std::move(backend);
}

void FlagBackendSet::assign(const QString& flag, const QString& backend, const QString& stickiness)
{
    if (!m_flagOrder.contains(flag)) m_flagOrder.append(flag);
    m_flagBackend.insert(flag, backend);
    m_stickiness.insert(flag, stickiness);
}

FlagBackend* FlagBackendSet::backendFor(const QString& flag) const
{
    const auto it = m_backends.find(m_flagBackend.value(flag));
    return it == m_backends.end() ? nullptr : it->second.get();
}

QList<FlagBackend*> FlagBackendSet::backends() const
{
    QList<FlagBackend*> out;
    for (const auto& [name, b] : m_backends)
        out.append(b.get());
    return out;
}

} // namespace rollout
