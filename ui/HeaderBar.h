#pragma once

#include <QWidget>

class QLabel;
class QHBoxLayout;

namespace rollout {

class RolloutRuntime;

// The top line of the console: rollout and environment, phase and traffic, time in phase and
// until the gate can open, the overall state, and one health dot per connection (each metric
// source, flag backend, shared store) with the reason on hover.
class HeaderBar final : public QWidget
{
    Q_OBJECT
public:
    explicit HeaderBar(RolloutRuntime& runtime, QWidget* parent = nullptr);
    void refresh();
    // Extra connections the runtime does not know about (flag backends, the shared store).
    // Severity::Muted (grey) is "not tried yet".
    void setConnection(const QString& name, int severity, const QString& detail);
    // Who drives: a filled dot and "driving" while this console drives, a hollow one and
    // "following <who>" while it follows; the detail on hover.
    void setDriver(bool driving, const QString& label, int severity, const QString& detail);
    // The connection a flag service's dot goes by, and its health from what it last answered
    // (`problems`: each flag that did not read back, FlagResult::describe()). Green when every
    // flag read back; grey while its flag file does not exist yet (nothing was ever written: the
    // first change creates it); red otherwise.
    static QString flagConnection(const QString& backend);
    void setFlagService(const QString& backend, const QString& where, const QStringList& problems);
    // A red "ledger tampering: …" beside the state, shown from the first finding on (the latest
    // finding shown, each one in the tooltip). Never cleared in a run: tampering does not heal.
    void addTampering(const QString& finding);

private:
    RolloutRuntime& m_runtime;
    QLabel* m_title;
    QLabel* m_phase;
    QLabel* m_time;
    QLabel* m_state;
    QLabel* m_tampering;
    QStringList m_tamperingFindings;
    QHBoxLayout* m_connections;
    QHash<QString, QLabel*> m_dots;
    QLabel* dot(const QString& name);
};

} // namespace rollout
