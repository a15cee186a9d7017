#pragma once

#include "engine/RolloutSession.h"
#include "ledger/SharedStore.h"
#include "runtime/DriverView.h"
#include "viewmodels/Severity.h"

#include <QString>
#include <QStringList>

namespace rollout {

// One line of the console's home list: where a rollout stands, how healthy it is, what blocks
// its gate, and what waits for the person using the console. Made from a live session (a rollout
// open in a tab) or from one rebuilt from the ledger alone (`live` false: its metrics are not
// watched here, so its health comes from its recorded decisions only).
struct RolloutSummary
{
    QString rollout;
    QString environment;
    QString planPath;  // the plan file ("" when no plan of this rollout is known here)
    QString source;    // "open", "recent plan", "example", "ledger"
    bool open = false; // in a tab of this console
    bool live = false;
    int phase = -1; // -1: not started, or rolled back to zero
    int phaseCount = 0;
    QString phaseName;
    double traffic = 0.0;
    RolloutState state = RolloutState::NotStarted;
    Severity health = Severity::Muted;
    QString healthText;
    qint64 phaseStartedMs = 0;
    QString blockers;    // what stands before the next phase
    QStringList waiting; // what waits for the person acting: "approve phase 2 as sre", …
    QString note;        // e.g. why a rollout has no plan here
    QString driver;      // who drives it when another process does ("watch (automation)")

    static RolloutSummary of(const RolloutSession& session, const QString& personId, bool live);
    // A rollout of the shared store (listed by a direct query), with its driver's view when one was
    // published: its state, phase and health as the driver sees them, and how old that is.
    static RolloutSummary ofStore(const StoredRollout& stored, const DriverView* view);
    // Adds what the store says to a summary rebuilt here (the driver, its live health).
    void addDriverView(const StoredRollout& stored, const DriverView* view);
    // What the session's next gate waits for from `personId`, by the roles they hold in its plan:
    // an approval still missing for one of their roles, checklist items or attestations still
    // open in a phase they approve (or in any phase, when the phase names no approver).
    static QStringList waitingOn(const RolloutSession& session, const QString& personId);
    QString phaseText() const;
};

} // namespace rollout
