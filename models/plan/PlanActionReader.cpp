#include "plan/PlanActionReader.h"

#include <QJsonDocument>
#include <algorithm>

namespace rollout {

namespace {

const QStringList kStepKinds = {QStringLiteral("rollback"),     QStringLiteral("rollback_to_zero"),
                                QStringLiteral("hold_segment"), QStringLiteral("call"),
                                QStringLiteral("notify"),       QStringLiteral("escalate")};

} // namespace

std::vector<ActionStep> PlanActionReader::steps(const YAML::Node& list, const QString& path)
{
    std::vector<ActionStep> out;
    if (!list.IsDefined() || list.IsNull()) return out;
    if (!c.checkSequence(list, path)) return out;
    if (list.size() == 0) c.error(list, path, QStringLiteral("an action list needs at least one step"));
    for (std::size_t i = 0; i < list.size(); ++i)
        if (auto s = step(list[i], YamlCursor::index(path, int(i)))) out.push_back(*s);
    return out;
}

std::optional<ActionStep> PlanActionReader::step(const YAML::Node& n, const QString& p)
{
    ActionStep s;
    s.line = n.Mark().line + 1;
    const QString expected = QStringLiteral(
        "expected a step: rollback, rollback_to_zero, {hold_segment: NAME}, {call: BACKEND.OPERATION}, "
        "{notify: WEBHOOK_ENV} or {escalate: P0..P3}");
    if (n.IsScalar()) {
        const QString word = YamlCursor::scalar(n).trimmed();
        if (word == QLatin1String("rollback")) return s;
        if (word == QLatin1String("rollback_to_zero")) {
            s.kind = ActionStep::Kind::RollbackToZero;
            return s;
        }
        c.error(n, p, QStringLiteral("%1; got \"%2\"").arg(expected, word));
        return std::nullopt;
    }
    if (!n.IsMap()) {
        c.error(n, p, expected);
        return std::nullopt;
    }
    if (!c.checkMap(n, p,
                    kStepKinds + QStringList{QStringLiteral("body"), QStringLiteral("message"),
                                             QStringLiteral("on_failure")}))
        return std::nullopt;
    QStringList kinds;
    for (const QString& k : kStepKinds)
        if (n[k.toStdString()].IsDefined()) kinds.append(k);
    if (kinds.size() != 1) {
        c.error(n, p,
                kinds.isEmpty() ? expected
                                : QStringLiteral("a step does one thing; this one says %1")
                                      .arg(kinds.join(QStringLiteral(" and "))));
        return std::nullopt;
    }
    const QString kind = kinds.first();
    const QString kp = YamlCursor::join(p, kind);
    const QString value = c.string(n, kind.toLatin1().constData(), p).value_or(QString()).trimmed();
    if (kind == QLatin1String("rollback") || kind == QLatin1String("rollback_to_zero")) {
        // {rollback: previous} / {rollback: zero} read as well as the bare words.
        const bool zero = kind == QLatin1String("rollback_to_zero") || value == QLatin1String("zero");
        if (kind == QLatin1String("rollback") && !value.isEmpty() && value != QLatin1String("previous") &&
            value != QLatin1String("zero"))
            c.error(
                n[kind.toStdString()], kp,
                QStringLiteral("expected previous (the phase before) or zero (every flag off), got \"%1\"")
                    .arg(value));
        s.kind = zero ? ActionStep::Kind::RollbackToZero : ActionStep::Kind::Rollback;
    } else if (kind == QLatin1String("hold_segment")) {
        s.kind = ActionStep::Kind::HoldSegment;
        s.segment = value;
        if (value.isEmpty())
            c.error(n, kp, QStringLiteral("name the segment to hold off, e.g. hold_segment: beta_users"));
    } else if (kind == QLatin1String("call")) {
        s.kind = ActionStep::Kind::Call;
        s.backend = value.section(QLatin1Char('.'), 0, 0);
        s.operation = value.section(QLatin1Char('.'), 1);
        if (s.backend.isEmpty() || s.operation.isEmpty())
            c.error(n[kind.toStdString()], kp,
                    QStringLiteral("expected BACKEND.OPERATION, e.g. call: admin.emergency-stop; got \"%1\"")
                        .arg(value));
    } else if (kind == QLatin1String("notify")) {
        s.kind = ActionStep::Kind::Notify;
        s.webhookEnv = value;
        if (value.isEmpty())
            c.error(n, kp, QStringLiteral("name the webhook by its variable, as in the plan's notify list"));
    } else {
        s.kind = ActionStep::Kind::Escalate;
        s.severity = value;
        if (!value.isEmpty() && !QStringList{QStringLiteral("P0"), QStringLiteral("P1"), QStringLiteral("P2"),
                                             QStringLiteral("P3")}
                                     .contains(value))
            c.error(n[kind.toStdString()], kp,
                    QStringLiteral("expected P0, P1, P2 or P3, got \"%1\"").arg(value));
    }
    if (n["body"].IsDefined()) {
        if (s.kind != ActionStep::Kind::Call)
            c.error(n["body"], YamlCursor::join(p, QStringLiteral("body")),
                    QStringLiteral("only a call step has a body"));
        s.body = c.string(n, "body", p).value_or(QString());
    }
    if (n["message"].IsDefined()) {
        if (s.kind != ActionStep::Kind::Notify && s.kind != ActionStep::Kind::Escalate)
            c.error(n["message"], YamlCursor::join(p, QStringLiteral("message")),
                    QStringLiteral("only notify and escalate steps have a message"));
        s.message = c.string(n, "message", p).value_or(QString());
    }
    if (const auto f = c.string(n, "on_failure", p)) {
        if (*f == QLatin1String("stop"))
            s.stopOnFailure = true;
        else if (*f != QLatin1String("continue"))
            c.error(
                n["on_failure"], YamlCursor::join(p, QStringLiteral("on_failure")),
                QStringLiteral("expected continue (the default: later steps still run) or stop, got \"%1\"")
                    .arg(*f));
    }
    return s;
}

void PlanActionReader::triggerActions(TriggerSpec& t, const YAML::Node& n, const QString& p, bool actionGiven)
{
    const QString ap = YamlCursor::join(p, QStringLiteral("actions"));
    t.actions = steps(n["actions"], ap);
    if (t.actions.empty()) return;
    if (actionGiven)
        c.error(n["action"], YamlCursor::join(p, QStringLiteral("action")),
                QStringLiteral("a trigger has \"action\" or a list of \"actions\", not both"));
    const auto isRollback = [](const ActionStep& s) {
        return s.kind == ActionStep::Kind::Rollback || s.kind == ActionStep::Kind::RollbackToZero;
    };
    for (const ActionStep& s : t.actions)
        if (s.isRollout() && t.kind == TriggerKind::Soft) {
            c.error(n["actions"], ap,
                    QStringLiteral("a soft trigger only alerts, notifies, calls and escalates (a person "
                                   "decides); make it kind: hard to %1")
                        .arg(s.describe()));
            return;
        }
    if (std::count_if(t.actions.begin(), t.actions.end(), isRollback) > 1)
        c.error(n["actions"], ap,
                QStringLiteral(
                    "one rollback per list: the first one moves the rollout, a second would move it again"));
    const auto first = std::find_if(t.actions.begin(), t.actions.end(), isRollback);
    // The first rollback step is the trigger's action; a list without one alerts a person too.
    if (!actionGiven)
        t.action = first == t.actions.end()                    ? TriggerAction::Alert
                   : first->kind == ActionStep::Kind::Rollback ? TriggerAction::RollbackPrevious
                                                               : TriggerAction::RollbackToZero;
}

QMap<QString, HttpOperation> PlanActionReader::operations(const YAML::Node& map, const QString& path)
{
    QMap<QString, HttpOperation> out;
    if (!map.IsDefined() || map.IsNull()) return out;
    if (!map.IsMap()) {
        c.error(map, path,
                QStringLiteral("expected a mapping of operation names to calls, e.g. emergency-stop: {path: "
                               "/api/admin/ab-testing/emergency-stop}"));
        return out;
    }
    for (auto it = map.begin(); it != map.end(); ++it) {
        HttpOperation op;
        op.name = YamlCursor::scalar(it->first);
        const QString p = YamlCursor::join(path, op.name);
        const YAML::Node n = it->second;
        if (!c.checkMap(n, p,
                        {QStringLiteral("method"), QStringLiteral("path"), QStringLiteral("body"),
                         QStringLiteral("check")}))
            continue;
        op.method = c.string(n, "method", p).value_or(op.method).toUpper();
        op.path = c.string(n, "path", p, true).value_or(QString());
        op.body = c.string(n, "body", p).value_or(QString());
        if (!op.body.isEmpty() && !op.body.contains(QStringLiteral("{flag}")) &&
            QJsonDocument::fromJson(op.body.toUtf8()).isNull())
            c.error(n["body"], YamlCursor::join(p, QStringLiteral("body")),
                    QStringLiteral("the body is not JSON (quote it in single quotes in YAML)"));
        const YAML::Node check = n["check"];
        const QString cp = YamlCursor::join(p, QStringLiteral("check"));
        if (check.IsDefined() && !check.IsNull() &&
            c.checkMap(check, cp,
                       {QStringLiteral("path"), QStringLiteral("pointer"), QStringLiteral("equals")})) {
            op.checkPath = c.string(check, "path", cp, true).value_or(QString());
            op.checkPointer = c.string(check, "pointer", cp, true).value_or(QString());
            if (!op.checkPointer.isEmpty() && !op.checkPointer.startsWith(QLatin1Char('/')))
                c.error(check["pointer"], YamlCursor::join(cp, QStringLiteral("pointer")),
                        QStringLiteral("expected a JSON pointer starting with \"/\", got \"%1\"")
                            .arg(op.checkPointer));
            op.checkEquals = c.string(check, "equals", cp, true).value_or(QString());
        }
        out.insert(op.name, op);
    }
    return out;
}

} // namespace rollout
