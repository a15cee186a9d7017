#include "ledger/AdvanceClaimer.h"

#include <QDateTime>

namespace rollout {

AdvanceClaimer::AdvanceClaimer(RolloutSession& session, LedgerRecorder& recorder,
                               const StoreSettings& settings, QObject* parent)
    : QObject(parent), m_session(session), m_recorder(recorder), m_worker(settings)
{
    connect(&m_worker, &SharedStoreWorker::transitionClaimed, this, &AdvanceClaimer::onClaimed);
    // The claim goes to the store once its record is durable: at once with a recorder that writes
    // on this thread, a moment later with one that writes in the background.
    connect(&m_recorder, &LedgerRecorder::recorded, this, [this](const LedgerRecord& r) {
        if (!m_awaitingClaim || r.type != QLatin1String("advance_claimed")) return;
        m_awaitingClaim = false;
        m_claimId = r.id;
        m_worker.claimTransition(r, m_predecessor,
                                 m_leaseMs); // runs on the store's thread; the answer comes back here
    });
    connect(&m_recorder, &LedgerRecorder::notRecorded, this,
            [this](const RolloutEvent& e, const QString& why) {
                if (!m_awaitingClaim || e.type != EventType::AdvanceClaimed) return;
                m_awaitingClaim = false;
                auto finish = std::move(m_done);
                m_done = nullptr;
                if (finish)
                    finish(ActionResult::refused(
                        QStringLiteral("the claim could not be signed, so nothing was asked: %1").arg(why)));
            });
}

QString AdvanceClaimer::lastGrantedClaim() const
{
    // The newest advance or completion of this rollout (ours or pulled) names the claim it won.
    QString claim;
    qint64 newest = -1;
    for (const LedgerRecord& r : m_recorder.ledger().records(m_session.plan().rollout)) {
        if (r.type != QLatin1String("phase_advanced") && r.type != QLatin1String("completed")) continue;
        if (!r.signatureValid() || r.timestampMs < newest) continue;
        const QString c = r.payload.value(QStringLiteral("claim")).toString();
        if (c.isEmpty()) continue;
        newest = r.timestampMs;
        claim = c;
    }
    return claim;
}

void AdvanceClaimer::advance(const Actor& actor, std::function<void(const ActionResult&)> done)
{
    if (m_done) return done(ActionResult::refused(QStringLiteral("an advance is already being claimed")));
    m_predecessor = lastGrantedClaim();
    m_actor = actor;
    m_done = std::move(done);
    m_awaitingClaim = true;
    const ActionResult asked = m_session.recordAdvanceClaim(actor);
    if (!asked.ok && m_done) {
        m_awaitingClaim = false;
        auto finish = std::move(m_done);
        m_done = nullptr;
        finish(asked);
    }
}

void AdvanceClaimer::onClaimed(const QString& recordId, const TransitionOutcome& outcome)
{
    if (recordId != m_claimId || !m_done) return;
    auto finish = std::move(m_done);
    m_done = nullptr;
    if (!outcome.ok()) {
        finish(ActionResult::refused(QStringLiteral("the shared store cannot grant the advance (%1): an "
                                                    "advance needs it, so that two consoles never advance "
                                                    "twice; nothing changed (rolling back never needs it)")
                                         .arg(outcome.error)));
        return;
    }
    if (!outcome.won) {
        const QString at =
            QDateTime::fromMSecsSinceEpoch(outcome.winnerTimestampMs).toString(QStringLiteral("HH:mm:ss"));
        if (outcome.winnerPending)
            finish(ActionResult::refused(
                QStringLiteral(
                    "already claimed by %1 at %2, whose advance is in progress: this console changed "
                    "nothing (a claim whose advance never comes lapses after %3 s)")
                    .arg(outcome.winnerActor, at)
                    .arg(m_leaseMs / 1000)));
        else
            finish(ActionResult::refused(
                QStringLiteral(
                    "already advanced by %1 at %2: this console changed nothing; the advance appears "
                    "here once its record arrives")
                    .arg(outcome.winnerActor, at)));
        return;
    }
    m_recorder.setNextAdvanceClaim(m_claimId);
    m_granting = true;
    const ActionResult r = m_session.advance(m_actor);
    m_granting = false;
    if (!r.ok) {
        // The gate closed in the moment after the grant: give the claim back, so that the next
        // advance does not wait for the lease (the store's history says "released", and why).
        m_recorder.setNextAdvanceClaim(QString());
        m_worker.releaseClaim(m_claimId, m_session.plan().rollout, r.message);
        Q_EMIT claimReleased(m_claimId, r.message);
    }
    finish(r);
}

} // namespace rollout
