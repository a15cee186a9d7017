#pragma once

#include <QtGlobal>

namespace rollout {

// The one source of "now" for the engine, the simulator and the ledger, so that a 24 h phase
// can be tested in milliseconds with a fake clock. Milliseconds since the Unix epoch, UTC.
class Clock
{
public:
    virtual ~Clock() = default;
    virtual qint64 nowMs() const = 0;
};

// Wall-clock time.
class SystemClock final : public Clock
{
public:
    qint64 nowMs() const override;
};

// A clock that moves only when told to: tests and the headless simulation.
class ManualClock final : public Clock
{
public:
    explicit ManualClock(qint64 startMs = 0) : m_now(startMs) {}
    qint64 nowMs() const override { return m_now; }
    void setMs(qint64 ms) { m_now = ms; }
    void advanceMs(qint64 ms) { m_now += ms; }

private:
    qint64 m_now;
};

} // namespace rollout
