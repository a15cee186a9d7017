#include "runtime/DecisionPath.h"

#include "core/FaultInjection.h"
#include "ledger/LedgerRecorder.h"
#include "runtime/ActionRunner.h"
#include "runtime/FlagSync.h"

#include <spdlog/spdlog.h>

namespace rollout {

namespace {

bool movesFlags(const RolloutEvent& e)
{
    switch (e.type) {
    case EventType::PhaseAdvanced:
    case EventType::Completed:
    case EventType::RolledBack:
    case EventType::PhaseOverridden:
    case EventType::SegmentHeld:
    case EventType::FlagsReapplied:
        return true;
    default:
        return false;
    }
}

// A decision that can only reduce exposure: applied even when it cannot be recorded.
bool lowersExposure(const RolloutEvent& e)
{
    return (e.type == EventType::RolledBack || e.type == EventType::PhaseOverridden) &&
           e.toPhase < e.fromPhase;
}

} // namespace

DecisionPath::DecisionPath(RolloutSession& session, QObject* parent) : QObject(parent), m_session(session)
{
    connect(&m_session, &RolloutSession::eventRecorded, this, &DecisionPath::onDecided);
    connect(&m_session, &RolloutSession::actionsDue, this, &DecisionPath::onActionsDue);
}

void DecisionPath::detach(QObject* part)
{
    QObject::disconnect(&m_session, &RolloutSession::eventRecorded, part, nullptr);
    QObject::disconnect(&m_session, &RolloutSession::actionsDue, part, nullptr);
}

void DecisionPath::setRecorder(LedgerRecorder* recorder)
{
    detach(recorder);
    m_recorder = recorder;
}

void DecisionPath::setFlags(FlagSync* flags)
{
    detach(flags);
    m_flags = flags;
    m_flags->setMayFinish([this] { return settled(); });
}

void DecisionPath::setActions(ActionRunner* actions)
{
    detach(actions);
    m_actions = actions;
}

void DecisionPath::addNotifier(QObject* part, std::function<void(const RolloutEvent&)> handle)
{
    detach(part);
    m_notifiers.push_back(std::move(handle));
}

void DecisionPath::onDecided(const RolloutEvent& e)
{
    Entry entry;
    entry.event = e;
    m_queue.push_back(std::move(entry));
    pump();
}

void DecisionPath::onActionsDue(const QString& trigger, const QString& severity, const QString& reason,
                                const std::vector<ActionStep>& steps)
{
    Entry entry;
    entry.kind = Entry::Kind::Actions;
    entry.trigger = trigger;
    entry.severity = severity;
    entry.reason = reason;
    entry.steps = steps;
    entry.stage = Entry::Stage::Recorded; // decided and recorded with the decisions before it
    m_queue.push_back(std::move(entry));
    pump();
}

void DecisionPath::pump()
{
    if (m_pumping) return; // a step decided something: it is queued behind, and taken in turn
    m_pumping = true;
    while (!m_queue.empty()) {
        Entry& head = m_queue.front();
        if (head.stage == Entry::Stage::New) {
            if (!m_recorder) {
                head.stage = Entry::Stage::Recorded;
            } else {
                head.stage = Entry::Stage::Recording;
                killIfAsked("decision-before-record", toString(head.event.type));
                m_recorder->record(
                    head.event, [this](const std::optional<LedgerRecord>& r, const QString& problem) {
                        // The head is the one decision being recorded: the recorder answers in order.
                        if (m_queue.empty()) return;
                        Entry& e = m_queue.front();
                        if (e.stage != Entry::Stage::Recording) return;
                        e.stage = r || problem.isEmpty() ? Entry::Stage::Recorded : Entry::Stage::Failed;
                        e.problem = problem;
                        if (r) killIfAsked("decision-after-record", r->type);
                        pump();
                    });
            }
        }
        if (head.stage == Entry::Stage::Recording) break; // the writer answers later; pump() again then
        Entry entry = std::move(m_queue.front());
        m_queue.pop_front();
        finish(entry);
    }
    m_pumping = false;
}

void DecisionPath::finish(Entry& entry)
{
    if (entry.kind == Entry::Kind::Actions) {
        if (m_actions) m_actions->runList(entry.trigger, entry.severity, entry.reason, entry.steps);
        return;
    }
    const RolloutEvent& e = entry.event;
    bool apply = true;
    if (entry.stage == Entry::Stage::Failed) {
        Q_EMIT unrecorded(e, entry.problem);
        if (movesFlags(e)) {
            if (lowersExposure(e)) {
                spdlog::critical(
                    "{} could not be recorded ({}); applied all the same: it only reduces exposure",
                    e.describe().toStdString(), entry.problem.toStdString());
                m_session.recordEscalation(
                    {}, QStringLiteral("P0"),
                    QStringLiteral(
                        "NOT RECORDED: %1 (%2). The flags were moved all the same: a rollback only "
                        "reduces exposure. Record it by hand.")
                        .arg(e.describe(), entry.problem));
            } else {
                apply = false;
                spdlog::critical("{} could not be recorded ({}); its flags are not moved",
                                 e.describe().toStdString(), entry.problem.toStdString());
                m_session.holdForDamage(
                    {}, QStringLiteral("the decision \"%1\" could not be recorded (%2), so its "
                                       "flags were not moved")
                            .arg(e.describe(), entry.problem));
            }
        }
    }
    // apply
    if (apply && m_flags) m_flags->onDecision(e);
    killIfAsked("decision-after-apply", toString(e.type));
    // notify
    if (m_actions) m_actions->onDecision(e);
    killIfAsked("decision-during-notify", toString(e.type));
    for (const auto& notify : m_notifiers)
        notify(e);
    // show
    Q_EMIT shown(e);
}

} // namespace rollout
