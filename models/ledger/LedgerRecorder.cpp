#include "ledger/LedgerRecorder.h"

#include "ledger/EventCodec.h"

#include <QUuid>
#include <sodium.h>

namespace rollout {

LedgerRecorder::LedgerRecorder(RolloutSession& session, LocalLedger& ledger, QObject* parent)
    : QObject(parent), m_plan(session.plan()), m_ledger(ledger)
{
    connect(&session, &RolloutSession::eventRecorded, this, &LedgerRecorder::onEvent);
}

LedgerRecorder::~LedgerRecorder()
{
    for (Ed25519::KeyPair& k : m_keys)
        sodium_memzero(k.secretKey.data(), std::size_t(k.secretKey.size()));
    if (m_deviceKey)
        sodium_memzero(m_deviceKey->secretKey.data(), std::size_t(m_deviceKey->secretKey.size()));
}

void LedgerRecorder::addKey(const QString& actorId, const Ed25519::KeyPair& key)
{
    m_keys.insert(actorId, key);
}

void LedgerRecorder::removeKey(const QString& actorId)
{
    auto it = m_keys.find(actorId);
    if (it == m_keys.end()) return;
    sodium_memzero(it->secretKey.data(), std::size_t(it->secretKey.size()));
    m_keys.erase(it);
}

void LedgerRecorder::onEvent(const RolloutEvent& e)
{
    record(e, {});
}

void LedgerRecorder::record(const RolloutEvent& e, Done done)
{
    if (!EventCodec::isRecorded(e.type)) {
        if (done) done(std::nullopt, {});
        return;
    }
    // The engine's own decisions (a trigger firing, an alert, a flag read-back) are automation's.
    const bool automation = e.actor.isEmpty() || e.actor == Actor::automation().id;
    QString actor = automation ? Actor::automation().id : e.actor;
    QString role = automation ? Actor::automation().role : e.role;
    QJsonObject payload = EventCodec::toPayload(e);
    if ((e.type == EventType::PhaseAdvanced || e.type == EventType::Completed) && !m_nextClaim.isEmpty()) {
        payload.insert(QStringLiteral("claim"), m_nextClaim);
        m_nextClaim.clear();
    }
    const bool observation = e.type == EventType::FlagsVerified || e.type == EventType::FlagsNotVerified ||
                             e.type == EventType::FlagDrift || e.type == EventType::ActionStepDone ||
                             e.type == EventType::Escalated || e.type == EventType::AlertRaised;
    const bool lowers = e.type == EventType::RolledBack && e.toPhase < e.fromPhase;
    const Ed25519::KeyPair* key = nullptr;
    if (const auto own = m_keys.constFind(actor); own != m_keys.constEnd()) {
        key = &*own;
    } else if (lowers && m_deviceKey) {
        // The big red button is never held up by a locked key: this installation's key signs the
        // rollback in the name of the person who asked for it, until they countersign.
        payload.insert(QStringLiteral("device_signed"), true);
        if (!automation) payload.insert(QStringLiteral("signature_pending"), actor);
        key = &*m_deviceKey;
    } else if (lowers && m_keys.contains(Actor::automation().id)) {
        payload.insert(QStringLiteral("requested_by"), QStringLiteral("%1 (%2)").arg(actor, role));
        actor = Actor::automation().id;
        role = Actor::automation().role;
        key = &*m_keys.constFind(actor);
    } else if (observation && m_observer && m_keys.contains(m_observer->id)) {
        payload.insert(QStringLiteral("observed_by"), m_observer->id);
        actor = m_observer->id;
        role = m_observer->role;
        key = &*m_keys.constFind(actor);
    } else if (observation && m_deviceKey) {
        payload.insert(QStringLiteral("device_signed"), true);
        key = &*m_deviceKey;
    }
    if (!key) {
        const QString why =
            QStringLiteral("no unlocked key for %1: \"%2\" is not signed").arg(actor, e.describe());
        Q_EMIT notRecorded(e, why);
        if (done) done(std::nullopt, why);
        return;
    }
    LedgerRecord fields;
    fields.rollout = m_plan.rollout;
    fields.planHash = QString::fromLatin1(m_plan.sha256);
    fields.type = toString(e.type);
    fields.payload = payload;
    fields.actor = actor;
    fields.role = role;
    if (m_writer) { // off this thread: the record is named now, reported once it is durable
        fields.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
        m_pending.insert(fields.id, Pending{e, std::move(done)});
        Q_EMIT queued(fields.id);
        m_writer->append(fields, *key);
        return;
    }
    QString problem;
    const std::optional<LedgerRecord> r = m_ledger.append(fields, key->publicKey, key->secretKey, &problem);
    if (!r) {
        Q_EMIT notRecorded(e, problem);
        if (done) done(std::nullopt, problem);
        return;
    }
    Q_EMIT recorded(*r);
    if (done) done(r, {});
}

void LedgerRecorder::setWriter(std::unique_ptr<LedgerWriter> writer)
{
    m_writer = std::move(writer);
    connect(m_writer.get(), &LedgerWriter::appended, this,
            [this](const LedgerRecord& r) { finish(r.id, r, {}); });
    connect(m_writer.get(), &LedgerWriter::failed, this,
            [this](const QString& id, const QString& problem) { finish(id, std::nullopt, problem); });
}

void LedgerRecorder::finish(const QString& id, const std::optional<LedgerRecord>& record,
                            const QString& problem)
{
    const Pending p = m_pending.take(id);
    if (record)
        Q_EMIT recorded(*record);
    else
        Q_EMIT notRecorded(p.event, problem);
    if (p.done) p.done(record, problem);
    if (m_pending.isEmpty()) Q_EMIT durable();
}

} // namespace rollout
