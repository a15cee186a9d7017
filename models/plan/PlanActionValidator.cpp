#include "plan/PlanActionValidator.h"

#include <algorithm>

namespace rollout {

namespace {

using J = YamlCursor;

YAML::Node at(const YAML::Node& n, const char* key)
{
    return n.IsMap() && n[key].IsDefined() ? n[key] : n;
}

YAML::Node itemOf(const YAML::Node& list, std::size_t i)
{
    return list.IsSequence() && i < list.size() ? list[i] : list;
}

void checkSteps(const Plan& plan, const std::vector<ActionStep>& steps, const YAML::Node& list,
                const QString& path, bool afterRollback, YamlCursor& c)
{
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const ActionStep& s = steps[i];
        const YAML::Node n = itemOf(list, i);
        const QString p = J::index(path, int(i));
        switch (s.kind) {
        case ActionStep::Kind::Rollback:
        case ActionStep::Kind::RollbackToZero:
            if (afterRollback)
                c.error(n, p,
                        QStringLiteral("rollback_actions run after a rollback: they hold a segment off, "
                                       "call, notify or escalate, "
                                       "but do not roll back again"));
            break;
        case ActionStep::Kind::HoldSegment:
            break;
        case ActionStep::Kind::Call: {
            const BackendSpec* b = plan.backend(s.backend);
            if (!b) {
                c.error(at(n, "call"), J::join(p, QStringLiteral("call")),
                        QStringLiteral("unknown backend \"%1\"").arg(s.backend));
            } else if (b->type != BackendType::HttpAdmin) {
                c.error(
                    at(n, "call"), J::join(p, QStringLiteral("call")),
                    QStringLiteral("backend \"%1\" is %2; only an http_admin backend has operations to call")
                        .arg(s.backend, toString(b->type)));
            } else if (!b->operations.contains(s.operation)) {
                const QStringList names = b->operations.keys();
                c.error(at(n, "call"), J::join(p, QStringLiteral("call")),
                        QStringLiteral("backend \"%1\" has no operation \"%2\" (operations: %3)")
                            .arg(s.backend, s.operation,
                                 names.isEmpty()
                                     ? QStringLiteral("none; add backends.%1.operations").arg(s.backend)
                                     : names.join(QStringLiteral(", "))));
            }
            break;
        }
        case ActionStep::Kind::Notify: {
            QStringList envs;
            for (const Notification& note : plan.notify)
                envs.append(note.webhookEnv);
            if (!envs.contains(s.webhookEnv))
                c.error(at(n, "notify"), J::join(p, QStringLiteral("notify")),
                        QStringLiteral("\"%1\" is not one of the plan's webhooks (notify: %2)")
                            .arg(s.webhookEnv,
                                 envs.isEmpty() ? QStringLiteral("none") : envs.join(QStringLiteral(", "))));
            break;
        }
        case ActionStep::Kind::Escalate:
            break;
        }
    }
}

QStringList audienceOf(const CohortSpec& c)
{
    if (c.kind == CohortSpec::Kind::Roles) return c.roles;
    if (c.kind == CohortSpec::Kind::Segments) return c.segments;
    return {};
}

} // namespace

void PlanActionValidator::validate(const Plan& plan, const YAML::Node& root, YamlCursor& c)
{
    for (std::size_t i = 0; i < plan.triggers.size(); ++i) {
        const YAML::Node tn = itemOf(root["triggers"], i);
        checkSteps(plan, plan.triggers[i].actions, at(tn, "actions"),
                   J::join(J::index(QStringLiteral("triggers"), int(i)), QStringLiteral("actions")), false,
                   c);
    }
    checkSteps(plan, plan.rollbackActions, root["rollback_actions"], QStringLiteral("rollback_actions"), true,
               c);

    for (std::size_t i = 0; i < plan.phases.size(); ++i) {
        const PhaseSpec& ph = plan.phases[i];
        const YAML::Node pn = itemOf(root["phases"], i);
        const QString pp = J::index(QStringLiteral("phases"), int(i));
        for (std::size_t t = 0; t < ph.triggers.size(); ++t) {
            const YAML::Node tn = itemOf(at(pn, "triggers"), t);
            checkSteps(
                plan, ph.triggers[t].actions, at(tn, "actions"),
                J::join(J::index(J::join(pp, QStringLiteral("triggers")), int(t)), QStringLiteral("actions")),
                false, c);
        }
        const YAML::Node cn = at(pn, "cohorts");
        for (auto it = ph.flagCohorts.begin(); it != ph.flagCohorts.end(); ++it) {
            const QString p = J::join(J::join(pp, QStringLiteral("cohorts")), it.key());
            const YAML::Node n =
                cn.IsMap() && cn[it.key().toStdString()].IsDefined() ? cn[it.key().toStdString()] : cn;
            const auto f = std::find_if(plan.flags.begin(), plan.flags.end(),
                                        [&](const FlagSpec& fs) { return fs.key == it.key(); });
            if (f == plan.flags.end()) {
                QStringList keys;
                for (const FlagSpec& fs : plan.flags)
                    keys.append(fs.key);
                c.error(n, p,
                        QStringLiteral("unknown flag \"%1\": a phase gives its own cohort only to a flag of "
                                       "the plan (flags: %2)")
                            .arg(it.key(), keys.join(QStringLiteral(", "))));
                continue;
            }
            const BackendSpec* b = plan.backend(f->backend);
            if (b && b->type != BackendType::Unleash)
                c.error(n, p,
                        QStringLiteral(
                            "flag \"%1\" lives in %2 backend \"%3\", which cannot limit a flag to a cohort; "
                            "only an unleash backend can (a constraint on the strategy)")
                            .arg(it.key(), toString(b->type), b->name));
            if (it.value().kind == CohortSpec::Kind::Roles && it.value().roles.isEmpty())
                c.error(n, p, QStringLiteral("a cohort of roles needs at least one role"));
            if (it.value().kind == CohortSpec::Kind::Segments && it.value().segments.isEmpty())
                c.error(n, p, QStringLiteral("a cohort of segments needs at least one segment"));
        }
    }

    for (std::size_t i = 0; i < plan.flags.size(); ++i) {
        const FlagSpec& f = plan.flags[i];
        const BackendSpec* b = plan.backend(f.backend);
        if (!b || b->type == BackendType::Unleash) continue;
        for (auto it = f.environments.begin(); it != f.environments.end(); ++it)
            if (plan.environments.contains(it.key()) && it.key() != plan.environment)
                c.error(at(itemOf(root["flags"], i), "environments"),
                        J::join(J::index(QStringLiteral("flags"), int(i)),
                                QStringLiteral("environments.") + it.key()),
                        QStringLiteral("flag \"%1\" lives in %2 backend \"%3\", which has no environment "
                                       "\"%4\" to set; only an unleash backend has environments")
                            .arg(f.key, toString(b->type), b->name, it.key()));
    }
}

QStringList PlanActionValidator::warnings(const Plan& plan)
{
    QStringList out;
    for (int i = 1; i < int(plan.phases.size()); ++i) {
        const QMap<QString, FlagSetting> before = plan.flagSettingsFor(i - 1), now = plan.flagSettingsFor(i);
        const PhaseSpec& ph = plan.phases[std::size_t(i)];
        for (const FlagSpec& f : plan.flags) {
            const FlagSetting b = before.value(f.key), n = now.value(f.key);
            if (!b.enabled || !n.enabled || n.percent < b.percent) continue; // off, or meant to shrink
            const QStringList was = audienceOf(plan.cohortFor(i - 1, f.key)),
                              is = audienceOf(plan.cohortFor(i, f.key));
            if (is.isEmpty()) continue; // everyone now: wider, not narrower
            // From everyone to a cohort, or to fewer of the same roles or segments.
            bool subset = was.isEmpty() || is.size() < was.size();
            for (const QString& a : is)
                subset = subset && (was.isEmpty() || was.contains(a));
            if (!subset || ph.flagCohorts.contains(f.key)) continue; // its own cohort says it means it
            out.append(QStringLiteral("%1:%2:%3: phases[%4].cohort: flag \"%5\" narrows from %6 to %7 in "
                                      "\"%8\" while its share stays %9; "
                                      "if only some flags are meant to narrow, give those their own cohort "
                                      "(cohorts: {FLAG: {roles: [...]}}), "
                                      "or keep this one for everyone with cohorts: {FLAG: {}}")
                           .arg(plan.fileName)
                           .arg(ph.where.line)
                           .arg(ph.where.column)
                           .arg(i)
                           .arg(f.key,
                                was.isEmpty() ? QStringLiteral("everyone") : was.join(QStringLiteral(", ")),
                                is.join(QStringLiteral(", ")), ph.name, n.describe()));
        }
    }
    return out;
}

} // namespace rollout
