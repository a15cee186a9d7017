#pragma once

#include <QByteArray>
#include <QString>
#include <csignal>

namespace rollout {

// Crash tests only: when the environment variable ROLLOUT_FAULT_KILL_AT names this point (and,
// when given, the detail: "ledger-after-commit:rolled_back"), the process kills itself with
// SIGKILL right here, as a power cut or the OOM killer would: no destructor, no flush, no
// goodbye. Points: ledger-before-commit, ledger-after-commit (LocalLedger::append, detail: the
// record's type) and flag-change (FlagSync, once the first flag of an operation has been written
// and read back, before the outcome is recorded; detail: the operation's reason). Unset in
// production, where this is one getenv per call.
inline void killIfAsked(const char* point, const QString& detail = {})
{
    static const QByteArray wanted = qgetenv("ROLLOUT_FAULT_KILL_AT");
    if (wanted.isEmpty()) return;
    const QByteArray here = QByteArray(point);
    if (wanted == here || (!detail.isEmpty() && wanted == here + ':' + detail.toUtf8()) ||
        (wanted.startsWith(here + ':') && detail.startsWith(QString::fromUtf8(wanted.mid(here.size() + 1)))))
        std::raise(SIGKILL);
}

} // namespace rollout
