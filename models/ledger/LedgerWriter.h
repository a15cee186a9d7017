#pragma once

#include "ledger/Ed25519.h"
#include "ledger/LedgerRecord.h"

#include <QObject>
#include <QThread>
#include <memory>

namespace rollout {

class Clock;
class LocalLedger;

// Durability without blocking: appends to the device's ledger on a thread of its own, as
// qBittorrent keeps SQLite off its UI thread. The ledger keeps synchronous=FULL: an append
// returns once its record is on disk, and only then does `appended` come back to the thread that
// asked (so a decision is reported as recorded only once it is durable). Appends run one at a
// time, in the order asked. The writer holds its own connection to the same file; readers keep
// theirs.
class LedgerWriter final : public QObject
{
    Q_OBJECT
public:
    // Opens `path` on the writer's thread; nullptr with `problem` when it cannot.
    static std::unique_ptr<LedgerWriter> open(const QString& path, const Clock& clock, QString* problem);
    ~LedgerWriter() override; // finishes the appends already asked for, then stops the thread

    // Signs and stores `fields` (its id set by the caller) on the writer's thread; `appended` or
    // `failed` answers, in this object's thread.
    void append(const LedgerRecord& fields, const Ed25519::KeyPair& key);
    // The thread appends run on (tests check it is not theirs).
    QThread* writerThread() { return &m_thread; }

Q_SIGNALS:
    void appended(const rollout::LedgerRecord& record);
    void failed(const QString& id, const QString& problem);

private:
    LedgerWriter() = default;
    QThread m_thread;
    QObject* m_worker = nullptr;           // lives on m_thread
    std::unique_ptr<LocalLedger> m_ledger; // used only on m_thread
};

} // namespace rollout
