#include "PhaseDetails.h"

#include "plan/Duration.h"

#include <QObject>
#include <QStringList>

namespace rollout {

QString PhaseDetails::html(const Plan& plan, int phase)
{
    if (phase < 0 || phase >= int(plan.phases.size())) return {};
    const PhaseSpec& ph = plan.phases[std::size_t(phase)];
    QStringList lines;
    lines.append(QObject::tr("<h3>Phase %1: %2</h3>").arg(phase + 1).arg(ph.name.toHtmlEscaped()));
    if (!ph.description.isEmpty())
        lines.append(QStringLiteral("<p>%1</p>").arg(ph.description.toHtmlEscaped()));
    QStringList flags;
    for (auto it = ph.flags.begin(); it != ph.flags.end(); ++it)
        flags.append(it.key() + QLatin1Char('=') + it.value().describe());
    lines.append(QObject::tr("<p><b>Traffic</b> %1%%2 · <b>cohort</b> %3 · <b>minimum</b> %4%5</p>")
                     .arg(ph.traffic)
                     .arg(flags.isEmpty()
                              ? QString()
                              : QStringLiteral(" (") + flags.join(QStringLiteral(", ")) + QLatin1Char(')'))
                     .arg(ph.cohort.describe().toHtmlEscaped(), Duration::format(ph.minDurationMs),
                          ph.optional ? QObject::tr(" · optional") : QString()));
    QStringList success;
    for (const Condition& c : ph.success)
        success.append(c.text.toHtmlEscaped());
    for (const QString& a : ph.attest)
        success.append(QObject::tr("%1 (a person confirms)").arg(a.toHtmlEscaped()));
    if (!success.isEmpty())
        lines.append(QObject::tr("<p><b>To leave it</b>, held for the minimum:<br>• %1</p>")
                         .arg(success.join(QStringLiteral("<br>• "))));
    QStringList entry;
    if (!ph.checklist.isEmpty())
        entry.append(QObject::tr("checklist “%1”").arg(ph.checklist.toHtmlEscaped()));
    for (const ApprovalRequirement& a : ph.approvals)
        entry.append(QObject::tr("%1× %2 approval%3")
                         .arg(a.count)
                         .arg(a.role.toHtmlEscaped(), a.mandatory ? QObject::tr(" (MANDATORY)") : QString()));
    if (!entry.isEmpty())
        lines.append(QObject::tr("<p><b>To enter it:</b> %1</p>").arg(entry.join(QStringLiteral(", "))));
    QStringList triggers;
    for (const TriggerSpec& t : plan.triggersFor(phase))
        triggers.append(QStringLiteral("%1: %2 for %3 → %4")
                            .arg(t.name.toHtmlEscaped(), t.when.text.toHtmlEscaped(),
                                 Duration::format(t.forMs),
                                 t.kind == TriggerKind::Hard ? toString(t.action) : QObject::tr("alert")));
    if (!triggers.isEmpty())
        lines.append(QObject::tr("<p><b>Triggers in force:</b><br>• %1</p>")
                         .arg(triggers.join(QStringLiteral("<br>• "))));
    return lines.join(QString());
}

} // namespace rollout
