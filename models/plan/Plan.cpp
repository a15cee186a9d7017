#include "plan/Plan.h"

#include <algorithm>

namespace rollout {

QString FlagSetting::describe() const
{
    if (!enabled) return QStringLiteral("off");
    const QString share =
        percent >= 100.0 ? QStringLiteral("on") : QString::number(percent, 'g', 4) + QLatin1Char('%');
    if (audience.isEmpty()) return share;
    return QStringLiteral("%1 for %2 %3")
        .arg(share,
             audienceContext == QLatin1String("role") ? QStringLiteral("roles") : QStringLiteral("segments"),
             audience.join(QStringLiteral(", ")));
}

QString CohortSpec::describe() const
{
    switch (kind) {
    case Kind::All:
        return QStringLiteral("all users");
    case Kind::Random:
        return QStringLiteral("random");
    case Kind::Sticky:
        return QStringLiteral("sticky on %1").arg(attribute);
    case Kind::Segments:
        return QStringLiteral("segments: %1").arg(segments.join(QStringLiteral(", ")));
    case Kind::Roles:
        return QStringLiteral("roles: %1").arg(roles.join(QStringLiteral(", ")));
    }
    return {};
}

int Checklist::itemCount() const
{
    int n = 0;
    for (const auto& s : sections)
        n += int(s.items.size());
    return n;
}

namespace {
template <typename T> const T* findByName(const std::vector<T>& v, const QString& name)
{
    for (const T& x : v)
        if (x.name == name) return &x;
    return nullptr;
}
} // namespace

const MetricSpec* Plan::metric(const QString& name) const
{
    return findByName(metrics, name);
}
const SourceSpec* Plan::source(const QString& name) const
{
    return findByName(sources, name);
}
const BackendSpec* Plan::backend(const QString& name) const
{
    return findByName(backends, name);
}
const Checklist* Plan::checklist(const QString& name) const
{
    return findByName(checklists, name);
}
const BudgetSpec* Plan::budget(const QString& name) const
{
    return findByName(budgets, name);
}

std::vector<TriggerSpec> Plan::triggersFor(int index) const
{
    std::vector<TriggerSpec> out = triggers;
    if (index < 0 || index >= int(phases.size())) return out;
    for (const TriggerSpec& o : phases[std::size_t(index)].triggers) {
        auto it =
            std::find_if(out.begin(), out.end(), [&](const TriggerSpec& t) { return t.name == o.name; });
        if (o.disabled) {
            if (it != out.end()) out.erase(it);
        } else if (it != out.end()) {
            *it = o;
        } else {
            out.push_back(o);
        }
    }
    return out;
}

QMap<QString, FlagSetting> Plan::flagSettingsFor(int index) const
{
    QMap<QString, FlagSetting> out;
    for (const FlagSpec& f : flags)
        out.insert(f.key, FlagSetting{false, 0.0});
    if (index < 0 || index >= int(phases.size())) return out;
    const PhaseSpec& ph = phases[std::size_t(index)];
    for (const FlagSpec& f : flags) {
        FlagSetting s =
            ph.flags.contains(f.key) ? ph.flags.value(f.key) : FlagSetting{ph.traffic > 0.0, ph.traffic};
        // A cohort of roles or segments limits the flag where its service can say so (Unleash);
        // elsewhere a phase's cohort only says whom the phase is for (the validator refuses a
        // flag's own cohort there).
        const CohortSpec c = cohortFor(index, f.key);
        const BackendSpec* b = backend(f.backend);
        if (s.enabled && b && b->type == BackendType::Unleash &&
            (c.kind == CohortSpec::Kind::Roles || c.kind == CohortSpec::Kind::Segments)) {
            s.audienceContext =
                c.kind == CohortSpec::Kind::Roles ? QStringLiteral("role") : QStringLiteral("segment");
            s.audience = c.kind == CohortSpec::Kind::Roles ? c.roles : c.segments;
        }
        out[f.key] = s;
    }
    return out;
}

CohortSpec Plan::cohortFor(int index, const QString& flag) const
{
    if (index < 0 || index >= int(phases.size())) return {};
    const PhaseSpec& ph = phases[std::size_t(index)];
    return ph.flagCohorts.contains(flag) ? ph.flagCohorts.value(flag) : ph.cohort;
}

QMap<QString, FlagSetting> Plan::environmentSettings(const QString& env) const
{
    QMap<QString, FlagSetting> out;
    for (const FlagSpec& f : flags)
        if (f.environments.contains(env)) out.insert(f.key, f.environments.value(env));
    return out;
}

QString ActionStep::describe() const
{
    switch (kind) {
    case Kind::Rollback:
        return QStringLiteral("rollback");
    case Kind::RollbackToZero:
        return QStringLiteral("rollback_to_zero");
    case Kind::HoldSegment:
        return QStringLiteral("hold_segment %1").arg(segment);
    case Kind::Call:
        return QStringLiteral("call %1.%2").arg(backend, operation);
    case Kind::Notify:
        return QStringLiteral("notify %1").arg(webhookEnv);
    case Kind::Escalate:
        return QStringLiteral("escalate %1")
            .arg(severity.isEmpty() ? QStringLiteral("(trigger's severity)") : severity);
    }
    return {};
}

QString toString(SourceType t)
{
    switch (t) {
    case SourceType::Simulator:
        return QStringLiteral("simulator");
    case SourceType::Prometheus:
        return QStringLiteral("prometheus");
    case SourceType::JsonHttp:
        return QStringLiteral("json_http");
    case SourceType::JsonLines:
        return QStringLiteral("json_lines");
    }
    return {};
}

QString toString(BackendType t)
{
    switch (t) {
    case BackendType::FlagdFile:
        return QStringLiteral("flagd_file");
    case BackendType::Unleash:
        return QStringLiteral("unleash");
    case BackendType::HttpAdmin:
        return QStringLiteral("http_admin");
    case BackendType::Command:
        return QStringLiteral("command");
    }
    return {};
}

QString toString(TriggerKind k)
{
    return k == TriggerKind::Hard ? QStringLiteral("hard") : QStringLiteral("soft");
}

QString toString(TriggerAction a)
{
    switch (a) {
    case TriggerAction::RollbackPrevious:
        return QStringLiteral("rollback");
    case TriggerAction::RollbackToZero:
        return QStringLiteral("rollback_to_zero");
    case TriggerAction::Pause:
        return QStringLiteral("pause");
    case TriggerAction::Alert:
        return QStringLiteral("alert");
    }
    return {};
}

QString toString(BadDirection b)
{
    switch (b) {
    case BadDirection::High:
        return QStringLiteral("high");
    case BadDirection::Low:
        return QStringLiteral("low");
    case BadDirection::Neither:
        return QStringLiteral("neither");
    }
    return {};
}

} // namespace rollout
