#pragma once

#include "flags/FlagBackendSet.h"

#include <QObject>
#include <functional>

namespace rollout {

// One flag's part of a multi-flag operation: a setting, or one segment held off / released.
struct FlagChange
{
    QString flag;
    FlagSetting setting;
    QString segment; // non-empty: change only this segment
    bool segmentEnabled = true;

    // Every flag of the plan at phase `index` (-1: everything off).
    static QList<FlagChange> forPhase(const Plan& plan, int index);
};

// The outcome of one operation over several flags: a result per flag, in the order asked.
struct FlagChangeReport
{
    QList<FlagResult> results;
    bool deadlinePassed = false;
    qint64 elapsedMs = 0;

    bool allVerified() const;
    QStringList notMoved() const; // flags whose change was not verified
    // "3 of 3 flags verified in 120 ms", or "ESCALATE: 1 of 3 flags not verified: …"
    QString summary() const;
};

// Applies several flag changes as one operation: all flags in parallel, each retried with
// exponential backoff while its failure is transient and the deadline has not passed. One
// flag failing never stops the others; a flag still unverified at the deadline is reported as
// such (an escalation, never "done"). Running the same operation twice is harmless.
class FlagChangeRunner final : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        qint64 deadlineMs = 30000; // seed 002: a rollback within 30 s
        qint64 firstBackoffMs = 200;
        qint64 maxBackoffMs = 4000;
    };

    explicit FlagChangeRunner(const FlagBackendSet& backends, QObject* parent = nullptr);

    void run(const QList<FlagChange>& changes, const Options& options, QObject* context,
             std::function<void(const FlagChangeReport&)> done);
    // Reads every flag of the set once (no retries).
    void readAll(QObject* context, std::function<void(const FlagChangeReport&)> done,
                 qint64 deadlineMs = 15000);

Q_SIGNALS:
    // One flag of a running operation reached its final result (progress for the UI).
    void flagFinished(const rollout::FlagResult& result);

private:
    const FlagBackendSet& m_backends;
};

} // namespace rollout
