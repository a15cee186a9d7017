// RolloutView's part for driving and following: who drives (the header's driver dot, events,
// the status bar), and, while following, what the driver sees in place of this console's own
// unevaluated session (the gate, the triggers, the flags as read back).
#include "GatePanel.h"
#include "HeaderBar.h"
#include "RolloutView.h"
#include "runtime/RolloutAssembly.h"
#include "viewmodels/FlagTableModel.h"
#include "viewmodels/Severity.h"
#include "viewmodels/TriggerTableModel.h"

namespace rollout {

// Following, nothing here polls every metric or sets a flag; what a person decides here is signed
// and pushed, and the driver applies it.
void RolloutView::wireDriver()
{
    DriveLease* lease = m_runtime.lease();
    if (!lease) return;
    m_gate->setGateSource([this] { return m_runtime.gateShown(); });
    auto show = [this, lease] {
        switch (lease->state()) {
        case DriveLease::State::Pending:
            m_header->setDriver(false, tr("driver?"), int(Severity::Muted),
                                tr("asking the shared store who drives…"));
            break;
        case DriveLease::State::Driving:
            m_header->setDriver(
                true, tr("driving"), int(Severity::Good),
                tr("this console drives the rollout: it evaluates the gate and triggers, sets "
                   "the flags, and publishes what it sees to the followers"));
            if (lease->tookOver())
                Q_EMIT statusMessage(
                    tr("This console now drives the rollout (took over from %1).")
                        .arg(lease->previousHolder().isSet()
                                 ? QStringLiteral("%1 (%2)").arg(lease->previousHolder().kind,
                                                                 lease->previousHolder().person)
                                 : tr("nobody")),
                    0, false);
            else
                Q_EMIT statusMessage(tr("This console drives the rollout."), 8000, false);
            break;
        case DriveLease::State::Alone:
            m_header->setDriver(true, tr("driving (no lease)"), int(Severity::Warning),
                                tr("the shared store cannot say who drives: this console drives (%1)")
                                    .arg(lease->lastError()));
            break;
        case DriveLease::State::Following:
            m_header->setDriver(false, tr("following %1").arg(lease->holder().kind), int(Severity::Good),
                                tr("following: %1. Its decisions and what it sees arrive here; yours are "
                                   "signed here and applied by it.")
                                    .arg(lease->holder().describe()));
            Q_EMIT statusMessage(
                tr("Following %1 (%2): this console shows its decisions and verdicts and signs "
                   "yours; it never sets a flag itself.")
                    .arg(lease->holder().kind, lease->holder().person),
                0, false);
            break;
        }
        showDriverView();
    };
    connect(lease, &DriveLease::stateChanged, this, show);
    connect(&m_runtime, &RolloutRuntime::driveLost, this, [this](const LeaseHolder& holder) {
        report(tr("Another process now drives this rollout: %1").arg(holder.describe()), false);
    });
    connect(&m_runtime, &RolloutRuntime::driverViewChanged, this, &RolloutView::showDriverView);
    show();
}

void RolloutView::showDriverView()
{
    const DriverView* v = m_runtime.driverView();
    m_triggers->setDriverView(v ? std::optional<DriverView>(*v) : std::nullopt);
    if (v && m_flagTable) m_flagTable->showDriverRead(*v);
    // The flag services' dots from the driver's read-back: this console reads nothing itself.
    if (v && v->flagsRead) {
        QMap<QString, QStringList> problems; // backend → its flags that did not read back
        for (const DriverView::Flag& f : v->flags) {
            QStringList& p = problems[f.backend];
            if (!f.error.isEmpty()) p.append(QStringLiteral("%1: %2").arg(f.flag, f.error));
        }
        for (auto it = problems.cbegin(); it != problems.cend(); ++it)
            m_header->setFlagService(
                it.key(), tr("%1, as %2 (%3) read it").arg(it.key(), v->driverKind, v->driverPerson),
                it.value());
    }
    refresh();
}

QString RolloutView::driverNote() const
{
    if (!m_runtime.following() || !m_runtime.lease()) return {};
    const DriverView* v = m_runtime.driverView();
    if (!v)
        return tr("<i>%1 drives; it has not published what it sees yet, so the live criteria show no verdict "
                  "here.</i>")
            .arg(m_runtime.lease()->holder().kind.toHtmlEscaped());
    DriverView aged = *v;
    aged.ageMs = m_runtime.driverViews()->seenAgeMs();
    return tr("<i>Verdicts as %1 sees them, %2.</i>").arg(v->driver().toHtmlEscaped(), aged.ageText());
}

} // namespace rollout
