#include "HeaderBar.h"

#include "Palette.h"
#include "flags/FlagBackend.h"
#include "plan/Duration.h"
#include "runtime/RolloutRuntime.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

namespace rollout {

HeaderBar::HeaderBar(RolloutRuntime& runtime, QWidget* parent) : QWidget(parent), m_runtime(runtime)
{
    setObjectName(QStringLiteral("headerBar"));
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(8, 4, 8, 0);
    auto* top = new QHBoxLayout;
    m_title = new QLabel(this);
    m_title->setTextFormat(Qt::RichText);
    m_phase = new QLabel(this);
    m_phase->setObjectName(QStringLiteral("phaseLabel"));
    m_time = new QLabel(this);
    m_state = new QLabel(this);
    m_state->setObjectName(QStringLiteral("stateLabel"));
    m_state->setAlignment(Qt::AlignCenter);
    m_state->setMinimumWidth(120);
    QFont big = font();
    big.setPointSizeF(big.pointSizeF() * 1.25);
    big.setBold(true);
    m_phase->setFont(big);
    m_state->setFont(big);
    m_tampering = new QLabel(this);
    m_tampering->setObjectName(QStringLiteral("ledgerTamperingLabel"));
    m_tampering->setTextFormat(Qt::RichText);
    m_tampering->setWordWrap(true);
    m_tampering->setMaximumWidth(520);
    m_tampering->hide();
    top->addWidget(m_title);
    top->addStretch(1);
    top->addWidget(m_tampering);
    top->addWidget(m_phase);
    top->addSpacing(16);
    top->addWidget(m_time);
    top->addSpacing(16);
    top->addWidget(m_state);
    outer->addLayout(top);
    m_connections = new QHBoxLayout;
    m_connections->addWidget(new QLabel(tr("Connections:"), this));
    m_connections->addStretch(1);
    outer->addLayout(m_connections);
    // Each flag service has its dot from the start, grey until a first read or write answers:
    // red is for a service that was tried and failed, never for one nobody has asked yet.
    if (const FlagSync* flags = runtime.flags())
        for (const FlagBackend* b : flags->backends().backends())
            setConnection(flagConnection(b->name()), int(Severity::Muted),
                          tr("%1: not tried yet").arg(b->describe()));
    const Plan& plan = runtime.plan();
    m_title->setText(
        QStringLiteral("<span style='font-size:large'><b>%1</b></span> &nbsp; %2 &nbsp; <i>%3</i>")
            .arg(plan.rollout.toHtmlEscaped(), plan.environment.toHtmlEscaped(),
                 plan.description.toHtmlEscaped()));
    refresh();
}

QString HeaderBar::flagConnection(const QString& backend)
{
    return tr("%1 (flags)").arg(backend);
}

void HeaderBar::setFlagService(const QString& backend, const QString& where, const QStringList& problems)
{
    if (problems.isEmpty()) {
        setConnection(flagConnection(backend), int(Severity::Good), tr("%1: ok").arg(where));
        return;
    }
    // A flagd file nobody has written yet reads as "…: FAILED at read: PATH does not exist" (its
    // directory does exist, or the message says so): not a failure of the service, only nothing yet.
    bool notCreatedYet = true;
    for (const QString& p : problems)
        notCreatedYet = notCreatedYet && p.contains(QLatin1String("FAILED at read: ")) &&
                        p.endsWith(QLatin1String(" does not exist")) &&
                        !p.contains(QLatin1String("the directory "));
    if (notCreatedYet)
        setConnection(
            flagConnection(backend), int(Severity::Muted),
            tr("%1: no flag written yet (the file does not exist; the first change creates it)").arg(where));
    else
        setConnection(flagConnection(backend), int(Severity::Bad),
                      QStringLiteral("%1: %2").arg(where, problems.join(QStringLiteral("; "))));
}

QLabel* HeaderBar::dot(const QString& name)
{
    QLabel*& l = m_dots[name];
    if (!l) {
        l = new QLabel(this);
        l->setObjectName(QStringLiteral("connection_") + name);
        l->setTextFormat(Qt::RichText);
        m_connections->insertWidget(m_connections->count() - 1, l);
    }
    return l;
}

void HeaderBar::setConnection(const QString& name, int severity, const QString& detail)
{
    QLabel* l = dot(name);
    l->setText(QStringLiteral("<span style='color:%1'>●</span> %2")
                   .arg(Palette::forSeverity(Severity(severity)).name(), name.toHtmlEscaped()));
    l->setToolTip(detail);
    l->setAccessibleDescription(detail);
}

void HeaderBar::setDriver(bool driving, const QString& label, int severity, const QString& detail)
{
    QLabel* l = dot(QStringLiteral("driver"));
    // Following is not a fault: the accent colour, a hollow dot; driving: the severity's, filled.
    const QColor colour = driving || severity != int(Severity::Good)
                              ? Palette::forSeverity(Severity(severity))
                              : Palette::accent();
    l->setText(
        QStringLiteral("<span style='color:%1'>%2</span> %3")
            .arg(colour.name(), driving ? QStringLiteral("●") : QStringLiteral("○"), label.toHtmlEscaped()));
    l->setToolTip(detail);
    l->setAccessibleName(driving ? tr("Driver: this console") : tr("Driver: %1").arg(label));
    l->setAccessibleDescription(detail);
}

void HeaderBar::addTampering(const QString& finding)
{
    QString text = finding;
    if (text.startsWith(QLatin1String("tampering: "))) text = text.mid(11);
    if (m_tamperingFindings.contains(text)) return;
    m_tamperingFindings.append(text);
    const QString more =
        m_tamperingFindings.size() > 1 ? tr(" (%1 findings)").arg(m_tamperingFindings.size()) : QString();
    m_tampering->setText(QStringLiteral("<span style='color:%1'><b>ledger tampering:</b> %2%3</span>")
                             .arg(Palette::bad().name(), text.left(160).toHtmlEscaped(), more));
    m_tampering->setToolTip(m_tamperingFindings.join(QLatin1Char('\n')));
    m_tampering->setAccessibleDescription(QStringLiteral("ledger tampering: ") +
                                          m_tamperingFindings.join(QStringLiteral("; ")));
    m_tampering->show();
}

void HeaderBar::refresh()
{
    const RolloutSession& s = m_runtime.session();
    const Plan& plan = s.plan();
    const qint64 now = m_runtime.clock().nowMs();
    const int phase = s.currentPhase();
    if (s.isComplete())
        m_phase->setText(tr("Complete · 100%"));
    else if (phase < 0)
        m_phase->setText(s.state() == RolloutState::RolledBack ? tr("Rolled back to zero · 0%")
                                                               : tr("Not started · 0%"));
    else
        m_phase->setText(tr("Phase %1/%2 %3 · %4%")
                             .arg(phase + 1)
                             .arg(plan.phases.size())
                             .arg(plan.phases[std::size_t(phase)].name)
                             .arg(s.currentTraffic()));
    const GateStatus g = m_runtime.gateShown(); // the driver's verdicts while following
    QString time;
    if (phase >= 0 && !s.isComplete()) {
        time = tr("in phase %1").arg(Duration::format(now - s.phaseStartedMs()));
        time += g.opensInMs > 0 ? tr(" · gate opens in ≥ %1").arg(Duration::format(g.opensInMs))
                                : (g.open ? tr(" · gate open") : tr(" · gate closed"));
    }
    m_time->setText(time);
    const RolloutState st = s.state();
    QColor c = Palette::accent();
    if (st == RolloutState::RolledBack)
        c = Palette::bad();
    else if (st == RolloutState::Alert || st == RolloutState::Paused)
        c = Palette::warning();
    else if (st == RolloutState::Complete)
        c = Palette::good();
    else if (st == RolloutState::NotStarted)
        c = Palette::muted();
    m_state->setText(toString(st).toUpper());
    m_state->setStyleSheet(
        QStringLiteral("background:%1;color:white;border-radius:6px;padding:4px 10px").arg(c.name()));
    m_state->setAccessibleName(tr("Rollout state: %1").arg(toString(st)));

    // Metric sources: worst health of their metrics.
    for (const SourceSpec& src : plan.sources) {
        int worst = int(Severity::Good);
        QStringList problems;
        for (const MetricSpec& m : plan.metrics) {
            if (m.source != src.name) continue;
            const auto last = m_runtime.store().latest(m.name, Series::Canary);
            const QString err = m_runtime.store().lastError(m.name);
            if (!err.isEmpty()) {
                worst = int(Severity::Bad);
                problems.append(m.name + QStringLiteral(": ") + err);
            } else if (!last || now - last->tMs > 2 * m.intervalMs) {
                worst = std::max(worst, int(Severity::Warning));
                problems.append(m.name + (last ? tr(": stale (%1 old)").arg(Duration::format(now - last->tMs))
                                               : tr(": no sample yet")));
            }
        }
        const QString kind = toString(src.type);
        setConnection(QStringLiteral("%1 (%2)").arg(src.name, kind), worst,
                      problems.isEmpty()
                          ? tr("%1: every metric fresh").arg(src.url.isEmpty() ? kind : src.url)
                          : problems.join(QLatin1Char('\n')));
    }
}

} // namespace rollout
