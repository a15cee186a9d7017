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
}

void LedgerRecorder::addKey(const QString& actorId, const Ed25519::KeyPair& key)
{
    m_keys.insert(actorId, key);
}

void LedgerRecorder::onEvent(const RolloutEvent& e)
{
    if (!EventCodec::isRecorded(e.type)) return;
    // The engine's own decisions (a trigger firing, an alert, a flag read-back) are automation's.
    const bool automation = e.actor.isEmpty() || e.actor == Actor::automation().id;
    QString actor = automation ? Actor::automation().id : e.actor;
    QString role = automation ? Actor::automation().role : e.role;
    QJsonObject payload = EventCodec::toPayload(e);
    if ((e.type == EventType::PhaseAdvanced || e.type == EventType::Completed) && !m_nextClaim.isEmpty()) {
        payload.insert(QStringLiteral("claim"), m_nextClaim);
        m_nextClaim.clear();
    }
    // A manual rollback is never held up by a locked key: this console's automation signs it,
    // naming the person who asked for it.
    if (!m_keys.contains(actor) && e.type == EventType::RolledBack &&
        m_keys.contains(Actor::automation().id)) {
        payload.insert(QStringLiteral("requested_by"), QStringLiteral("%1 (%2)").arg(actor, role));
        actor = Actor::automation().id;
        role = Actor::automation().role;
    }
    const bool observation = e.type == EventType::FlagsVerified || e.type == EventType::FlagsNotVerified ||
                             e.type == EventType::FlagDrift || e.type == EventType::ActionStepDone ||
                             e.type == EventType::Escalated;
    if (observation && !m_keys.contains(actor) && m_observer && m_keys.contains(m_observer->id)) {
        payload.insert(QStringLiteral("observed_by"), m_observer->id);
        actor = m_observer->id;
        role = m_observer->role;
    }
    const auto key = m_keys.constFind(actor);
    if (key == m_keys.constEnd()) {
        Q_EMIT notRecorded(
            e, QStringLiteral("no unlocked key for %1: \"%2\" is not signed").arg(actor, e.describe()));
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
        m_pending.insert(fields.id, e);
        Q_EMIT queued(fields.id);
        m_writer->append(fields, *key);
        return;
    }
    QString problem;
    const std::optional<LedgerRecord> r = m_ledger.append(fields, key->publicKey, key->secretKey, &problem);
    if (!r) {
        Q_EMIT notRecorded(e, problem);
        return;
    }
    Q_EMIT recorded(*r);
}

void LedgerRecorder::setWriter(std::unique_ptr<LedgerWriter> writer)
{
    m_writer = std::move(writer);
    connect(m_writer.get(), &LedgerWriter::appended, this, [this](const LedgerRecord& r) {
        m_pending.remove(r.id);
        Q_EMIT recorded(r);
        if (m_pending.isEmpty()) Q_EMIT durable();
    });
    connect(m_writer.get(), &LedgerWriter::failed, this, [this](const QString& id, const QString& problem) {
        const RolloutEvent e = m_pending.take(id);
        Q_EMIT notRecorded(e, problem);
        if (m_pending.isEmpty()) Q_EMIT durable();
    });
}

} // namespace rollout
