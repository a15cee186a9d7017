#include "runtime/RolloutRuntime.h"

namespace rollout {

RolloutRuntime::RolloutRuntime(Plan plan, const Clock& clock, QObject* parent)
    : QObject(parent), m_clock(clock)
{
    m_autoStart = plan.autoStart;
    m_session = std::make_unique<RolloutSession>(std::move(plan), m_store, m_clock, nullptr, this);
    m_poller = std::make_unique<MetricPoller>(m_session->plan(), m_store, m_clock, this);
    m_actions = std::make_unique<ActionRunner>(*m_session, this);
    m_path = std::make_unique<DecisionPath>(*m_session, this);
    m_path->setActions(m_actions.get());
    connect(m_path.get(), &DecisionPath::shown, this, &RolloutRuntime::appendEvent);
    connect(&m_timer, &QTimer::timeout, this, &RolloutRuntime::tick);
    // A new sample is judged when it arrives, not at the next tick: the tick and the poll timers
    // run in step (both 1 s), and the tick came just before each answer, a whole interval late.
    // The tick stays, for what time alone changes (stale data, the inconclusive limit, gates).
    connect(m_poller.get(), &MetricPoller::polled, this, &RolloutRuntime::tick);
}

void RolloutRuntime::attachFlags(FlagBackendSet backends, qint64 healthEveryMs)
{
    m_flags = std::make_unique<FlagSync>(*m_session, std::move(backends), this);
    m_path->setFlags(m_flags.get());
    m_actions->setFlags(m_flags.get());
    // Other environments' fixed flag sets (seed 002), applied when the rollout starts.
    for (const QString& env : plan().environments) {
        if (env == plan().environment || plan().environmentSettings(env).isEmpty()) continue;
        QString problem;
        if (auto set = FlagBackendSet::forEnvironment(plan(), env, &problem))
            m_flags->addEnvironment(env, std::move(*set));
        else
            qWarning("environment %s: %s", qPrintable(env), qPrintable(problem));
    }
    connect(&m_flagHealth, &QTimer::timeout, m_flags.get(), [this] {
        if (!m_flags->busy()) m_flags->readAll();
    });
    m_flagHealth.setInterval(int(healthEveryMs));
    m_flags->setBeforeReconcile([this] {
        if (m_follower) m_follower->poll();
    });
}

void RolloutRuntime::attachLedger(std::unique_ptr<LocalLedger> ledger)
{
    m_ledger = std::move(ledger);
    m_replay = LedgerReplay::rebuild(*m_session, m_ledger->records(m_session->plan().rollout));
    m_recorder = std::make_unique<LedgerRecorder>(*m_session, *m_ledger, this);
    m_path->setRecorder(m_recorder.get());
    m_follower = std::make_unique<LedgerFollower>(*m_ledger, *m_session, this);
    m_follower->markAllKnown();
    connect(m_recorder.get(), &LedgerRecorder::recorded, m_follower.get(),
            [this](const LedgerRecord& r) { m_follower->markKnown(r.id); });
    connect(m_recorder.get(), &LedgerRecorder::queued, m_follower.get(),
            [this](const QString& id) { m_follower->markKnown(id); });
    connect(m_follower.get(), &LedgerFollower::applied, this, &RolloutRuntime::appendEvent);
    m_session->setActionGuard([this](const Actor& actor, EventType type) {
        if (!m_recorder->canSign(actor.id))
            return QStringLiteral("%1's signing key is locked: unlock it first (Rollout → Unlock signing "
                                  "key), every decision is signed")
                .arg(actor.id);
        // With a shared store, an advance is taken only once the store granted its claim, also the
        // engine's own auto-promotion (tick() asks for the claim).
        if (m_claimer && type == EventType::PhaseAdvanced && !m_claimer->granting())
            return QStringLiteral("an advance is claimed in the shared store first");
        return QString();
    });
}

bool RolloutRuntime::writeLedgerInBackground(QString* problem)
{
    if (!m_ledger || !m_recorder) return false;
    std::unique_ptr<LedgerWriter> writer = LedgerWriter::open(m_ledger->path(), m_clock, problem);
    if (!writer) return false;
    m_recorder->setWriter(std::move(writer));
    return true;
}

void RolloutRuntime::holdForDamage(const QStringList& ids, const QStringList& sentences)
{
    if (sentences.isEmpty()) return;
    QString summary = sentences.first();
    if (summary.startsWith(QLatin1String("tampering: "))) summary = summary.mid(11);
    if (sentences.size() > 1)
        summary += QStringLiteral(" (and %1 more finding(s))").arg(sentences.size() - 1);
    m_session->holdForDamage(ids, summary);
}

void RolloutRuntime::holdForReplayedDamage()
{
    QStringList ids;
    for (const RecordVerdict& v : m_replay.verdicts)
        if (!v.tampering().isEmpty()) ids.append(v.id);
    holdForDamage(ids, m_replay.tampering);
}

void RolloutRuntime::attachStore(const StoreSettings& settings)
{
    if (!m_ledger) return;
    LedgerSyncOptions options;
    options.intervalMs = 30000; // a safety poll: the store notifies each new record
    m_sync = std::make_unique<LedgerSync>(*m_ledger, *m_session, settings, options, this);
    m_sync->listenForNotifications();
    // Damage found on a pull holds the rollout for a person (RolloutSession::holdForDamage).
    // One pull's findings make one hold (its alert names every damaged record, so that none of
    // them raises another after it is acknowledged).
    m_damageFlush.setSingleShot(true);
    m_damageFlush.setInterval(0);
    connect(m_sync.get(), &LedgerSync::tampering, this, [this](const QString& id, const QString& why) {
        m_damageIds.append(id);
        m_damageFindings.append(why);
        m_damageFlush.start();
    });
    connect(&m_damageFlush, &QTimer::timeout, this, [this] {
        holdForDamage(m_damageIds, m_damageFindings);
        m_damageIds.clear();
        m_damageFindings.clear();
    });
    connect(m_recorder.get(), &LedgerRecorder::recorded, m_sync.get(), &LedgerSync::syncNow);
    connect(
        m_sync.get(), &LedgerSync::recordApplied, this, [this](const LedgerRecord&, const RolloutEvent& e) {
            appendEvent(e);
            // Another process's decision that moves the flags (a follower's rollback): the driver
            // sets them now and reads them back, rather than at the next flag read.
            const bool movesFlags = e.type == EventType::PhaseAdvanced || e.type == EventType::Completed ||
                                    e.type == EventType::RolledBack || e.type == EventType::PhaseOverridden ||
                                    e.type == EventType::SegmentHeld;
            if (movesFlags && m_flags && !m_following && m_started && !m_session->flagsApplied())
                m_flags->applyCurrent(
                    QStringLiteral("applying %1's decision: %2").arg(e.actor, e.describe()));
        });
    m_claimer = std::make_unique<AdvanceClaimer>(*m_session, *m_recorder, settings, this);
}

void RolloutRuntime::attachDriveLease(const QString& person, const QString& kind, DriveLease::Options options)
{
    if (!m_sync || m_lease) return;
    m_lease = std::make_unique<DriveLease>(
        m_sync->worker(), DriveLease::identity(m_session->plan().rollout, m_ledger->deviceId(), person, kind),
        options, this);
    connect(m_lease.get(), &DriveLease::stateChanged, this, [this](DriveLease::State state) {
        if (state != DriveLease::State::Pending) setFollowing(state == DriveLease::State::Following);
    });
    connect(m_lease.get(), &DriveLease::lost, this, &RolloutRuntime::driveLost);
    // Every change of driver is an event of this process's log: the Events tab, the watch log.
    connect(m_lease.get(), &DriveLease::stateChanged, this, [this](DriveLease::State state) {
        const QString rollout = m_session->plan().rollout;
        QString what;
        switch (state) {
        case DriveLease::State::Driving:
            what = m_lease->tookOver()
                       ? QStringLiteral("this %1 now drives %2 (took the lease over from %3)")
                             .arg(m_lease->me().kind, rollout,
                                  m_lease->previousHolder().isSet() ? m_lease->previousHolder().describe()
                                                                    : QStringLiteral("nobody"))
                       : QStringLiteral("this %1 drives %2").arg(m_lease->me().kind, rollout);
            break;
        case DriveLease::State::Following:
            if (m_lastDriverNote.contains(QLatin1String(" LOST the lease"))) return; // said already
            what = QStringLiteral("%1 drives %2; this %3 follows")
                       .arg(m_lease->holder().describe(), rollout, m_lease->me().kind);
            break;
        case DriveLease::State::Alone:
            what = QStringLiteral(
                       "the shared store cannot say who drives %1: this %2 drives without a lease (%3)")
                       .arg(rollout, m_lease->me().kind, m_lease->lastError());
            break;
        case DriveLease::State::Pending:
            return;
        }
        if (what == m_lastDriverNote) return;
        m_lastDriverNote = what;
        RolloutEvent e;
        e.type = EventType::DriverChanged;
        e.atMs = m_clock.nowMs();
        e.actor = m_lease->me().person;
        e.reason = what;
        appendEvent(e);
    });
    connect(m_lease.get(), &DriveLease::lost, this, [this](const LeaseHolder& holder) {
        RolloutEvent e;
        e.type = EventType::DriverChanged;
        e.atMs = m_clock.nowMs();
        e.actor = m_lease->me().person;
        e.reason = QStringLiteral(
                       "this %1 LOST the lease of %2: %3 took it over (this one could not renew it in time)")
                       .arg(m_lease->me().kind, m_session->plan().rollout, holder.describe());
        m_lastDriverNote = e.reason;
        appendEvent(e);
    });
    connect(m_sync.get(), &LedgerSync::leaseNotified, m_lease.get(), &DriveLease::check);
    // What the driver sees goes through the store: written after each evaluation and flag read
    // while driving, read on each "view" notification while following.
    m_views = std::make_unique<DriverViewChannel>(m_sync->worker(), *m_session, *m_lease, m_clock, this);
    m_views->setFlags(m_flags.get());
    connect(this, &RolloutRuntime::ticked, m_views.get(), &DriverViewChannel::publish);
    if (m_flags) {
        connect(m_flags.get(), &FlagSync::readFinished, m_views.get(), &DriverViewChannel::publish);
        connect(m_flags.get(), &FlagSync::operationFinished, m_views.get(), &DriverViewChannel::publish);
    }
    connect(m_sync.get(), &LedgerSync::viewNotified, m_views.get(), &DriverViewChannel::refresh);
    connect(m_views.get(), &DriverViewChannel::changed, this, &RolloutRuntime::driverViewChanged);
    // Nothing is driven until the store said who drives.
    setFollowing(true);
}

GateStatus RolloutRuntime::gateShown() const
{
    const DriverView* v = driverView();
    if (v && v->phase == m_session->currentPhase() && v->complete == m_session->isComplete()) return v->gate;
    return m_session->gate();
}

void RolloutRuntime::setFollowing(bool following)
{
    if (following == m_following) return;
    m_following = following;
    applyMode();
    Q_EMIT followingChanged(following);
}

void RolloutRuntime::setOnScreen(bool onScreen)
{
    if (onScreen == m_onScreen) return;
    m_onScreen = onScreen;
    applyMode();
}

void RolloutRuntime::applyMode()
{
    if (m_flags) m_flags->setPassive(m_following);
    if (!m_started) return;
    const bool poll = !m_following || m_onScreen;
    if (poll && !m_polling) {
        // A follower coming on screen: its history by range queries, then the live tail.
        if (m_following) m_poller->backfill(m_historySpanMs);
        m_poller->start();
        m_polling = true;
    } else if (!poll && m_polling) {
        m_poller->stop();
        m_polling = false;
    }
    if (!m_flags) return;
    if (m_following) {
        m_flagHealth.stop();
    } else if (!m_flagHealth.isActive()) {
        m_flags->readAll(); // and finish a decision whose flags were never read back
        m_flagHealth.start();
    }
}

void RolloutRuntime::appendEvent(const RolloutEvent& e)
{
    m_events.append(e);
    Q_EMIT eventAppended(e);
}

void RolloutRuntime::start(int tickMs)
{
    m_started = true;
    m_timer.start(tickMs);
    if (m_sync) m_sync->start();
    if (m_lease) m_lease->start();
    applyMode();
}

void RolloutRuntime::stop()
{
    m_started = false;
    m_timer.stop();
    m_poller->stop();
    m_polling = false;
    m_flagHealth.stop();
    if (m_lease) m_lease->stop();
    if (m_sync) m_sync->stop();
}

void RolloutRuntime::advance(const Actor& actor, std::function<void(const ActionResult&)> done)
{
    if (m_claimer) return m_claimer->advance(actor, std::move(done));
    done(m_session->advance(actor));
}

void RolloutRuntime::tick()
{
    if (m_follower) m_follower->poll();
    if (m_following) { // the driver evaluates; its decisions arrive as records
        Q_EMIT ticked();
        return;
    }
    if (m_beforeEvaluate) m_beforeEvaluate();
    m_session->evaluate();
    // A phase the plan lets leave on its own, or a rollout the plan lets start on its own (once,
    // never again after a rollback: a person restarts it): automation advances, claiming it first
    // with a shared store.
    const int phase = m_session->currentPhase();
    const bool autoPromote = phase >= 0 && m_session->plan().phases[std::size_t(phase)].autoPromote;
    const bool autoStart = m_autoStart && m_session->state() == RolloutState::NotStarted;
    const bool claimable =
        m_claimer || autoStart; // without a store the session promotes by itself in evaluate()
    if (claimable && (autoPromote || autoStart) && !(m_claimer && m_claimer->busy()) &&
        !m_session->isPaused() && m_clock.nowMs() >= m_nextAutoClaimMs && m_session->gate().open)
        advance(Actor::automation(), [this](const ActionResult& r) {
            // Each claim is a signed record: after a refusal, do not ask again every second.
            if (!r.ok) m_nextAutoClaimMs = m_clock.nowMs() + 30000;
        });
    Q_EMIT ticked();
}

} // namespace rollout
