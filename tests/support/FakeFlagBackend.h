#pragma once

#include "flags/FlagBackend.h"

#include <QMap>
#include <deque>

namespace rollout::test {

// An in-memory flag service for unit tests of what sits above a backend: it keeps each flag's
// state, answers asynchronously (next event-loop turn, or after `delayMs`), and plays scripted
// faults in order: a transient error, a permanent one, a hang (never answers), a read-back that
// disagrees with the write.
class FakeFlagBackend final : public FlagBackend
{
    Q_OBJECT
public:
    enum class Fault
    {
        Transient,
        Permanent,
        Hang,
        WrongReadBack,
        Pass
    }; // Pass: this call goes through

    explicit FakeFlagBackend(const QString& name = QStringLiteral("fake"), QObject* parent = nullptr);

    QString describe() const override { return QStringLiteral("fake %1").arg(name()); }
    void read(const QString& flag, QObject* context, Done done) override;
    void apply(const QString& flag, const FlagSetting& setting, const QString& stickiness, QObject* context,
               Done done) override;
    void setSegment(const QString& flag, const QString& segment, bool enabled, QObject* context,
                    Done done) override;

    // The next calls for `flag` meet these faults, one per call.
    void script(const QString& flag, std::initializer_list<Fault> faults);
    void setDelayMs(int ms) { m_delayMs = ms; }
    FlagState state(const QString& flag) const { return m_states.value(flag); }
    // Someone changes the flag behind the rollout's back (the service's own UI, a hand edit).
    void setState(const QString& flag, const FlagState& state) { m_states[flag] = state; }
    int calls(const QString& flag) const { return m_calls.value(flag); }
    // Every write in the order it landed: "flag=setting".
    QStringList writes() const { return m_writes; }

private:
    void answer(QObject* context, Done done, FlagResult result);
    bool takeFault(const QString& flag, Fault* fault);

    QMap<QString, FlagState> m_states;
    QMap<QString, std::deque<Fault>> m_faults;
    QMap<QString, int> m_calls;
    QStringList m_writes;
    int m_delayMs = 0;
};

} // namespace rollout::test
