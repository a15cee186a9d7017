#include "FakeFlagBackend.h"

#include <QPointer>
#include <QTimer>

namespace rollout::test {

FakeFlagBackend::FakeFlagBackend(const QString& name, QObject* parent) : FlagBackend(name, parent) {}

void FakeFlagBackend::script(const QString& flag, std::initializer_list<Fault> faults)
{
    for (Fault f : faults)
        m_faults[flag].push_back(f);
}

bool FakeFlagBackend::takeFault(const QString& flag, Fault* fault)
{
    ++m_calls[flag];
    auto it = m_faults.find(flag);
    if (it == m_faults.end() || it->empty()) return false;
    *fault = it->front();
    it->pop_front();
    return *fault != Fault::Pass;
}

void FakeFlagBackend::answer(QObject* context, Done done, FlagResult result)
{
    QPointer<QObject> guard(context);
    QTimer::singleShot(m_delayMs, this, [guard, done = std::move(done), result] {
        if (guard) done(result);
    });
}

void FakeFlagBackend::read(const QString& flag, QObject* context, Done done)
{
    Fault fault{};
    if (takeFault(flag, &fault)) {
        if (fault == Fault::Hang) return;
        return answer(context, std::move(done),
                      FlagResult::failure(flag, name(), QStringLiteral("read"), QStringLiteral("scripted"),
                                          fault == Fault::Transient));
    }
    FlagResult r;
    r.flag = flag;
    r.backend = name();
    r.verified = true;
    r.before = r.after = m_states.value(flag);
    answer(context, std::move(done), r);
}

void FakeFlagBackend::apply(const QString& flag, const FlagSetting& setting, const QString& stickiness,
                            QObject* context, Done done)
{
    Fault fault{};
    const bool faulty = takeFault(flag, &fault);
    if (faulty && fault == Fault::Hang) return;
    if (faulty && fault != Fault::WrongReadBack) {
        FlagResult r = FlagResult::failure(flag, name(), QStringLiteral("write"),
                                           QStringLiteral("scripted failure"), fault == Fault::Transient);
        r.status = fault == Fault::Transient ? 503 : 401;
        return answer(context, std::move(done), r);
    }
    FlagResult r;
    r.flag = flag;
    r.backend = name();
    r.before = m_states.value(flag);
    FlagState& s = m_states[flag];
    s.exists = true;
    s.enabled = setting.enabled;
    s.percent = setting.enabled ? setting.percent : s.percent;
    s.stickiness = stickiness;
    if (setting.enabled) { // a cohort, as Unleash keeps it: set with the share, kept while off
        s.audienceContext = setting.audienceContext;
        s.audience = setting.audience;
    }
    m_writes.append(QStringLiteral("%1=%2").arg(flag, setting.describe()));
    r.after = s;
    if (faulty) r.after.percent = setting.percent + 1.0; // the service says something else
    r.verified = r.after.matches(setting);
    if (!r.verified) {
        r.step = QStringLiteral("read back");
        r.message = QStringLiteral("reads back %1").arg(r.after.describe());
    }
    answer(context, std::move(done), r);
}

void FakeFlagBackend::setSegment(const QString& flag, const QString& segment, bool enabled, QObject* context,
                                 Done done)
{
    Fault fault{};
    if (takeFault(flag, &fault)) {
        if (fault == Fault::Hang) return;
        return answer(context, std::move(done),
                      FlagResult::failure(flag, name(), QStringLiteral("set_segment"),
                                          QStringLiteral("scripted"), fault == Fault::Transient));
    }
    FlagState& s = m_states[flag];
    s.disabledSegments.removeAll(segment);
    if (!enabled) s.disabledSegments.append(segment);
    FlagResult r;
    r.flag = flag;
    r.backend = name();
    r.verified = true;
    r.after = s;
    answer(context, std::move(done), r);
}

} // namespace rollout::test
