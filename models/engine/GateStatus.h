#pragma once

#include <QList>
#include <QString>

namespace rollout {

enum class CheckState
{
    Met,
    NotMet,
    Inconclusive
};

// One line of a phase gate: "time in phase 3h of 24h", "error_rate < 1%", "checklist 5/13".
struct GateCheck
{
    enum class Kind
    {
        Time,
        Criterion,
        Attestation,
        Checklist,
        Approval,
        RetryWait,
        Paused,
        Alert,
        Baseline
    };
    Kind kind = Kind::Time;
    QString label;
    CheckState state = CheckState::NotMet;
    QString detail;
};

// What stands between the current phase and the next one (or completion).
struct GateStatus
{
    int toPhase = 0; // phases.size() means "complete the rollout"
    bool open = false;
    QList<GateCheck> checks;
    int checklistDone = 0;
    int checklistTotal = 0;
    int approvalsDone = 0;
    int approvalsNeeded = 0;
    qint64 opensInMs = 0; // time left before the minimum duration is over; 0 when it is

    // "time in phase 3h of 24h; error_rate < 1%: inconclusive (no sample yet); checklist 5/13"
    QString missing() const;
};

// "time", "criterion", … "retry_wait": the names status --output json and the ledger's gate records use.
QString toString(GateCheck::Kind kind);
// "met", "not_met", "inconclusive".
QString toString(CheckState state);

} // namespace rollout
