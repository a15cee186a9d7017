#include "plan/PlanValidator.h"

#include "plan/PlanActionValidator.h"

#include <QSet>
#include <cmath>

namespace rollout {

namespace {

// The node of sequence item `i` in `root[section]`, or the section itself.
YAML::Node item(const YAML::Node& root, const char* section, std::size_t i)
{
    const YAML::Node s = root[section];
    if (s.IsSequence() && i < s.size()) return s[i];
    return s;
}

YAML::Node field(const YAML::Node& n, const char* key)
{
    if (n.IsMap() && n[key].IsDefined()) return n[key];
    return n;
}

YAML::Node named(const YAML::Node& root, const char* section, const QString& name)
{
    const YAML::Node s = root[section];
    if (s.IsMap() && s[name.toStdString()].IsDefined()) return s[name.toStdString()];
    return s;
}

} // namespace

void PlanValidator::validate(const Plan& plan, const YAML::Node& root, YamlCursor& c,
                             const QSet<QString>& badSources)
{
    using J = YamlCursor;
    // Sources of metrics.
    for (const MetricSpec& m : plan.metrics) {
        const YAML::Node n = named(root, "metrics", m.name);
        const QString p = J::join(QStringLiteral("metrics"), m.name);
        if (m.source.isEmpty()) continue;
        const SourceSpec* s = plan.source(m.source);
        if (!s) {
            QStringList names;
            for (const auto& src : plan.sources)
                names.append(src.name);
            c.error(field(n, "source"), J::join(p, QStringLiteral("source")),
                    QStringLiteral("unknown source \"%1\" (sources: %2)")
                        .arg(m.source, names.isEmpty() ? QStringLiteral("none defined")
                                                       : names.join(QStringLiteral(", "))));
            continue;
        }
        if (badSources.contains(s->name)) continue;
        if (s->type != SourceType::Simulator && m.query.isEmpty())
            c.error(n, J::join(p, QStringLiteral("query")),
                    QStringLiteral("a metric from a %1 source needs a query").arg(toString(s->type)));
        if (s->type == SourceType::Simulator && m.simulate.signal.isEmpty())
            c.error(n, J::join(p, QStringLiteral("simulate")),
                    QStringLiteral("a metric from the simulator needs simulate.signal"));
        if (!m.per.isEmpty()) {
            const MetricSpec* per = plan.metric(m.per);
            if (!per || per->unit != Unit::PerSecond)
                c.error(
                    field(n, "per"), J::join(p, QStringLiteral("per")),
                    QStringLiteral("\"per\" names the request-rate metric (unit rps) this rate is a share "
                                   "of; \"%1\" is %2")
                        .arg(m.per, per ? QStringLiteral("in %1").arg(ConditionParser::unitName(per->unit))
                                        : QStringLiteral("not a metric of this plan")));
            else if (per->canary != m.canary)
                c.error(field(n, "per"), J::join(p, QStringLiteral("per")),
                        QStringLiteral("\"%1\" must split its cohorts with the same canary labels as \"%2\"")
                            .arg(m.per, m.name));
        }
        if (s->type == SourceType::JsonHttp && m.hasCounterQueries())
            c.error(field(n, "events"), J::join(p, QStringLiteral("events")),
                    QStringLiteral("counts come from Prometheus counters or JSON Lines events, not from a "
                                   "json_http source"));
        if (m.baseline.kind == BaselineSpec::Kind::Series && m.canary.isEmpty())
            c.error(n, J::join(p, QStringLiteral("canary")),
                    QStringLiteral("a baseline series needs canary labels too, to tell the two apart"));
    }

    // Flags and their backends.
    QSet<QString> flagKeys;
    if (plan.flags.empty())
        c.error(root, QStringLiteral("flags"), QStringLiteral("a plan needs at least one flag to roll out"));
    for (std::size_t i = 0; i < plan.flags.size(); ++i) {
        const FlagSpec& f = plan.flags[i];
        const YAML::Node n = item(root, "flags", i);
        const QString p = J::index(QStringLiteral("flags"), int(i));
        if (flagKeys.contains(f.key))
            c.error(field(n, "key"), J::join(p, QStringLiteral("key")),
                    QStringLiteral("flag \"%1\" is listed twice").arg(f.key));
        flagKeys.insert(f.key);
        if (!f.backend.isEmpty() && !plan.backend(f.backend))
            c.error(field(n, "backend"), J::join(p, QStringLiteral("backend")),
                    QStringLiteral("unknown backend \"%1\"").arg(f.backend));
        for (auto it = f.environments.begin(); it != f.environments.end(); ++it)
            if (!plan.environments.contains(it.key()))
                c.error(field(n, "environments"), J::join(p, QStringLiteral("environments.") + it.key()),
                        QStringLiteral("unknown environment \"%1\" (environments: %2)")
                            .arg(it.key(), plan.environments.join(QStringLiteral(", "))));
    }
    for (const BackendSpec& b : plan.backends)
        if (b.type == BackendType::Unleash && b.tokenEnv.isEmpty())
            c.error(
                named(root, "backends", b.name),
                J::join(QStringLiteral("backends"), b.name + QStringLiteral(".token_env")),
                QStringLiteral(
                    "an unleash backend needs token_env: the environment variable holding the admin token"));

    // Triggers, plan-wide.
    QSet<QString> triggerNames;
    for (std::size_t i = 0; i < plan.triggers.size(); ++i) {
        const QString& name = plan.triggers[i].name;
        if (triggerNames.contains(name))
            c.error(field(item(root, "triggers", i), "name"),
                    J::index(QStringLiteral("triggers"), int(i)) + QStringLiteral(".name"),
                    QStringLiteral("trigger \"%1\" is defined twice").arg(name));
        triggerNames.insert(name);
    }

    // Who can approve.
    QSet<QString> roles, ids;
    for (std::size_t i = 0; i < plan.people.size(); ++i) {
        const Person& person = plan.people[i];
        const YAML::Node n = item(root, "people", i);
        const QString p = J::index(QStringLiteral("people"), int(i));
        if (ids.contains(person.id))
            c.error(field(n, "id"), p + QStringLiteral(".id"),
                    QStringLiteral("person \"%1\" is listed twice").arg(person.id));
        ids.insert(person.id);
        for (const QString& r : person.roles)
            roles.insert(r);
        if (!person.publicKey.isEmpty()) {
            const bool prefixed = person.publicKey.startsWith(QLatin1String("ed25519:"));
            const QByteArray raw = QByteArray::fromBase64(person.publicKey.mid(8).toLatin1(),
                                                          QByteArray::AbortOnBase64DecodingErrors);
            if (!prefixed || raw.size() != 32)
                c.error(field(n, "key"), p + QStringLiteral(".key"),
                        QStringLiteral("expected \"ed25519:\" and the base64 of a 32-byte public key "
                                       "(rolloutctl keys show prints it)"));
        }
    }

    for (const QString& r : plan.overrideRoles)
        if (!roles.contains(r))
            c.error(field(root, "override_roles"), QStringLiteral("override_roles"),
                    QStringLiteral("nobody in people holds the role \"%1\", so no one could override with it")
                        .arg(r));

    // Phases.
    if (plan.phases.empty() && root["phases"].IsDefined())
        c.error(root["phases"], QStringLiteral("phases"), QStringLiteral("a plan needs at least one phase"));
    QSet<QString> phaseNames;
    double previousTraffic = 0.0;
    QString previousName;
    for (std::size_t i = 0; i < plan.phases.size(); ++i) {
        const PhaseSpec& ph = plan.phases[i];
        const YAML::Node n = item(root, "phases", i);
        const QString p = J::index(QStringLiteral("phases"), int(i));
        if (!ph.name.isEmpty() && phaseNames.contains(ph.name))
            c.error(field(n, "name"), p + QStringLiteral(".name"),
                    QStringLiteral("phase name \"%1\" is used twice").arg(ph.name));
        phaseNames.insert(ph.name);
        if (!std::isnan(ph.traffic)) { // NaN: its own error is reported already
            if (i > 0 && ph.traffic < previousTraffic)
                c.error(field(n, "traffic"), p + QStringLiteral(".traffic"),
                        QStringLiteral("traffic goes down from %1% (%2) to %3%; a rollout only moves forward "
                                       "(rollbacks are actions, not phases)")
                            .arg(previousTraffic)
                            .arg(previousName)
                            .arg(ph.traffic));
            previousTraffic = ph.traffic;
            previousName = ph.name;
        }
        if (ph.maxDurationMs && *ph.maxDurationMs < ph.minDurationMs)
            c.error(field(n, "max_duration"), p + QStringLiteral(".max_duration"),
                    QStringLiteral("max_duration is shorter than min_duration"));
        for (auto it = ph.flags.begin(); it != ph.flags.end(); ++it)
            if (!flagKeys.contains(it.key()))
                c.error(field(n, "flags"), p + QStringLiteral(".flags.") + it.key(),
                        QStringLiteral("unknown flag \"%1\"").arg(it.key()));
        if (!ph.checklist.isEmpty() && !plan.checklist(ph.checklist))
            c.error(field(n, "checklist"), p + QStringLiteral(".checklist"),
                    QStringLiteral("unknown checklist \"%1\"").arg(ph.checklist));
        for (std::size_t a = 0; a < ph.approvals.size(); ++a) {
            const QString& role = ph.approvals[a].role;
            if (!role.isEmpty() && !roles.contains(role)) {
                const YAML::Node an = n.IsMap() && n["approvals"].IsSequence() && a < n["approvals"].size()
                                          ? n["approvals"][a]
                                          : n;
                c.error(field(an, "role"),
                        J::index(p + QStringLiteral(".approvals"), int(a)) + QStringLiteral(".role"),
                        QStringLiteral(
                            "nobody in people holds the role \"%1\", so this approval could never be given")
                            .arg(role));
            }
        }
        for (std::size_t t = 0; t < ph.triggers.size(); ++t) {
            const TriggerSpec& tr = ph.triggers[t];
            if (tr.disabled && !triggerNames.contains(tr.name)) {
                const YAML::Node tn = n.IsMap() && n["triggers"].IsSequence() && t < n["triggers"].size()
                                          ? n["triggers"][t]
                                          : n;
                c.error(field(tn, "name"),
                        J::index(p + QStringLiteral(".triggers"), int(t)) + QStringLiteral(".name"),
                        QStringLiteral("cannot switch off \"%1\": no plan-wide trigger has that name")
                            .arg(tr.name));
            }
        }
    }
    PlanActionValidator::validate(plan, root, c);
}

} // namespace rollout
