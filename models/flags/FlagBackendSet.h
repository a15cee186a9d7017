#pragma once

#include "flags/FlagBackend.h"
#include "plan/Plan.h"

#include <QMap>
#include <memory>
#include <optional>

namespace rollout {

// The flag services one plan talks to, built from its `backends`, and which flag lives where.
// A plan's relative flagd paths resolve against the plan file's directory.
class FlagBackendSet final
{
public:
    // Nullopt and `problem` set when a backend cannot be made (e.g. a URL that does not parse).
    static std::optional<FlagBackendSet> fromPlan(const Plan& plan, QString* problem,
                                                  qint64 timeoutMs = 10000);
    // The services of another of the plan's environments, holding the flags that have a fixed
    // setting there (seed 002). Only an unleash backend has environments (the validator says so).
    static std::optional<FlagBackendSet> forEnvironment(const Plan& plan, const QString& environment,
                                                        QString* problem, qint64 timeoutMs = 10000);
    FlagBackendSet() = default;
    FlagBackendSet(FlagBackendSet&&) = default;
    FlagBackendSet& operator=(FlagBackendSet&&) = default;

    void add(std::unique_ptr<FlagBackend> backend);
    void assign(const QString& flag, const QString& backend, const QString& stickiness = {});
    FlagBackend* backendFor(const QString& flag) const;
    QString stickinessFor(const QString& flag) const { return m_stickiness.value(flag); }
    QStringList flags() const { return m_flagOrder; }
    QList<FlagBackend*> backends() const;

private:
    std::map<QString, std::unique_ptr<FlagBackend>> m_backends;
    QMap<QString, QString> m_flagBackend;
    QMap<QString, QString> m_stickiness;
    QStringList m_flagOrder;
};

} // namespace rollout
