#include "ledger/LedgerSync.h"

#include "core/Backoff.h"
#include "ledger/EventCodec.h"
#include "ledger/LedgerReplay.h"

#include <QMap>
#include <algorithm>

namespace rollout {

namespace {

QStringList reasonsOf(const RecordVerdict& verdict)
{
    QStringList out;
    for (const RecordVerdict::Failure& f : verdict.failures)
        out.append(QStringLiteral("%1: %2").arg(f.check, f.why));
    return out;
}

} // namespace

LedgerSync::LedgerSync(LocalLedger& ledger, RolloutSession& session, const StoreSettings& settings,
                       LedgerSyncOptions options, QObject* parent)
    : QObject(parent), m_ledger(ledger), m_session(session), m_settings(settings), m_options(options),
      m_rollout(session.plan().rollout), m_deviceId(ledger.deviceId()),
      m_worker(std::make_unique<SharedStoreWorker>(settings))
{
    m_options.intervalMs = qMax(1, m_options.intervalMs);
    m_options.batchSize = qMax(1, m_options.batchSize);
    m_options.maxBackoffMs = qMax(m_options.intervalMs, m_options.maxBackoffMs);
    m_delayMs = m_options.intervalMs;

    // Whatever the ledger holds now was replayed into the session at start-up (LedgerReplay),
    // which also reported the tampering it shows.
    const QList<LedgerRecord> known = m_ledger.records(m_rollout);
    for (const LedgerRecord& r : known)
        m_applied.insert(r.id);
    for (const RecordVerdict& v : LedgerVerifier::verify(known, m_session.plan()))
        m_damaged |= !v.tampering().isEmpty();

    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &LedgerSync::syncNow);
    connect(m_worker.get(), &SharedStoreWorker::pushed, this, &LedgerSync::onPushed);
    connect(m_worker.get(), &SharedStoreWorker::pulled, this, &LedgerSync::onPulled);
}

LedgerSync::~LedgerSync() = default;

void LedgerSync::listenForNotifications()
{
    if (m_listening) return;
    m_listening = true;
    connect(m_worker.get(), &SharedStoreWorker::notified, this,
            [this](const QString& rollout, const QString& payload) {
                if (rollout != m_rollout) return;
                if (payload.startsWith(QLatin1String("record"))) {
                    if (m_running) syncNow();
                } else if (payload == QLatin1String("view")) {
                    Q_EMIT viewNotified();
                } else {
                    Q_EMIT leaseNotified();
                }
            });
    m_worker->listen(m_rollout);
}

void LedgerSync::start()
{
    m_running = true;
    syncNow();
}

void LedgerSync::stop()
{
    m_running = false;
    m_again = false;
    m_timer.stop();
}

void LedgerSync::setSettings(const StoreSettings& settings)
{
    m_settings = settings;
    m_worker->setSettings(settings); // queued behind the call in flight, if any
    m_failuresInARow = 0;
    m_delayMs = m_options.intervalMs;
    if (m_running) syncNow();
}

void LedgerSync::markKnown(const QStringList& ids)
{
    for (const QString& id : ids)
        m_applied.insert(id);
}

void LedgerSync::syncNow()
{
    if (m_inFlight) {
        m_again = true;
        return;
    }
    m_timer.stop();
    beginRound();
}

void LedgerSync::beginRound()
{
    m_inFlight = true;
    m_again = false;
    m_pending.clear();
    m_pushOffset = 0;
    QString problem;
    const QList<LedgerRecord> unpushed = m_ledger.unpushed(&problem);
    if (!problem.isEmpty()) qWarning("ledger sync: %s", qPrintable(problem));
    for (const LedgerRecord& r : unpushed) {
        // A record the store refused stays pending (it is evidence), but is not sent again this run.
        if (r.device == m_deviceId && r.rollout == m_rollout && !m_refusedByStore.contains(r.id))
            m_pending.append(r);
    }
    if (m_pending.isEmpty())
        m_worker->pull(m_rollout, m_cursor);
    else
        pushNextBatch();
}

void LedgerSync::pushNextBatch()
{
    m_worker->push(m_pending.mid(m_pushOffset, m_options.batchSize));
}

void LedgerSync::onPushed(const PushResult& result)
{
    if (!m_inFlight) return;
    const QStringList confirmed = result.confirmed();
    QString problem;
    if (!confirmed.isEmpty() && !m_ledger.markPushed(confirmed, &problem))
        qWarning("ledger sync: %s", qPrintable(problem));
    for (const StoreRefusal& refusal : result.refused) {
        m_refusedByStore.insert(refusal.id);
        reportTampering(refusal.id, Tampering::Changed, refusal.why);
    }
    if (!result.ok()) {
        finishRound(false, result.error);
        return;
    }
    m_pushOffset += m_options.batchSize;
    if (m_pushOffset < m_pending.size())
        pushNextBatch();
    else
        m_worker->pull(m_rollout, m_cursor);
}

void LedgerSync::onPulled(const QString& rollout, const QList<StoredRecord>& records, qint64 cursor,
                          const QString& error)
{
    if (!m_inFlight || rollout != m_rollout) return;
    if (!error.isEmpty()) {
        finishRound(false, error);
        return;
    }
    const bool fromTheStart = m_cursor == 0;
    QSet<QString> arrived;
    QList<LedgerRecord> suspects;
    QMap<QString, QString> suspectWhy;
    bool ledgerFailed = false;
    for (const StoredRecord& s : records) {
        const LedgerRecord& r = s.record;
        if (!s.problem.isEmpty() && !reportRow(s)) {
            // Not kept here, whatever the body says: it does not parse, or it belongs to another rollout.
            suspects.append(r);
            suspectWhy.insert(r.id, QStringLiteral("store: %1").arg(s.problem));
            continue;
        }
        QString why;
        switch (m_ledger.insertPulled(r, &why)) {
        case LocalLedger::InsertOutcome::Inserted:
            if (r.device != m_deviceId && !m_applied.contains(r.id)) arrived.insert(r.id);
            break;
        case LocalLedger::InsertOutcome::Duplicate:
            break;
        case LocalLedger::InsertOutcome::Conflict: {
            bool held = false;
            for (const LedgerRecord& mine : m_ledger.records(m_rollout))
                held |= mine.id == r.id;
            if (held)
                reportTampering(r.id, Tampering::Changed,
                                QStringLiteral("tampering: record %1 was changed in the shared store (it "
                                               "differs from the copy this ledger "
                                               "holds; the stored one is kept): %2")
                                    .arg(r.id, why));
            else
                reportTampering(r.id, Tampering::Reordered,
                                QStringLiteral("tampering: record %1 takes the place of another record in "
                                               "its chain (reordered or forked): %2")
                                    .arg(r.id, why));
            break;
        }
        case LocalLedger::InsertOutcome::Rejected:
            m_altered.insert(r.id, r);
            reportTampering(r.id, Tampering::Changed,
                            QStringLiteral("tampering: record %1 was changed in the shared store (its "
                                           "signature does not match its body)")
                                .arg(r.id));
            suspects.append(r);
            suspectWhy.insert(r.id, why);
            break;
        case LocalLedger::InsertOutcome::Failed:
            qWarning("ledger sync: %s", qPrintable(why));
            ledgerFailed = true; // pull the same rows again next round: duplicates are no-ops
            break;
        }
    }
    if (!ledgerFailed) m_cursor = cursor;
    if (fromTheStart && !ledgerFailed) reportDeletions(records);
    if (!suspects.isEmpty()) rejectSuspects(suspects, suspectWhy);
    const int count = arrived.isEmpty() ? 0 : applyArrived(arrived);
    Q_EMIT applied(count);
    finishRound(true, {});
}

bool LedgerSync::reportRow(const StoredRecord& s)
{
    const LedgerRecord& r = s.record;
    const QString row = s.rowId.isEmpty() ? r.id : s.rowId;
    if (!s.bodyParses) {
        reportTampering(row, Tampering::Changed,
                        QStringLiteral("tampering: record %1 was changed in the shared store (its body is no "
                                       "longer a ledger record: %2)")
                            .arg(row, s.problem));
        return false;
    }
    if (s.mismatches.contains(QStringLiteral("rollout"))) {
        reportTampering(row, Tampering::Copied,
                        QStringLiteral("tampering: record %1 in the shared store is a copy of record %2 of "
                                       "rollout \"%3\", put among the records of \"%4\"")
                            .arg(row, r.id, r.rollout, s.rowRollout));
        return false;
    }
    if (s.mismatches.contains(QStringLiteral("id"))) {
        // The copy's body is the original's: stored (or found already there) under its own id.
        reportTampering(
            row, Tampering::Copied,
            QStringLiteral("tampering: record %1 is a copy of record %2 under a new id").arg(row, r.id));
        return true;
    }
    if (s.mismatches.contains(QStringLiteral("seq"))) {
        reportTampering(row, Tampering::Reordered,
                        QStringLiteral("tampering: record %1 was moved in the shared store: its row says seq "
                                       "%2, its signed body seq %3 of device %4 "
                                       "(the chain was reordered)")
                            .arg(row)
                            .arg(s.rowSeq)
                            .arg(r.sequence)
                            .arg(r.device));
        return true;
    }
    reportTampering(row, Tampering::Changed,
                    QStringLiteral("tampering: the shared store's row of record %1 was changed (%2)")
                        .arg(row, s.problem));
    return true;
}

void LedgerSync::reportDeletions(const QList<StoredRecord>& rows)
{
    QSet<QString> stored;
    for (const StoredRecord& s : rows) {
        stored.insert(s.rowId);
        stored.insert(s.record.id);
    }
    QSet<QString> unpushed;
    for (const LedgerRecord& r : m_ledger.unpushed())
        unpushed.insert(r.id);
    for (const LedgerRecord& r : m_ledger.records(m_rollout)) {
        if (stored.contains(r.id) || unpushed.contains(r.id) || m_refusedByStore.contains(r.id)) continue;
        reportTampering(r.id, Tampering::Deleted,
                        QStringLiteral("tampering: record seq %1 of device %2 (%3 %4) is missing from the "
                                       "shared store (deleted?): this ledger "
                                       "holds it as stored there")
                            .arg(r.sequence)
                            .arg(r.device, r.type, r.id));
    }
}

int LedgerSync::applyArrived(const QSet<QString>& arrived)
{
    QString problem;
    QList<LedgerRecord> local = m_ledger.records(m_rollout, &problem);
    if (!problem.isEmpty()) qWarning("ledger sync: %s", qPrintable(problem));
    // The chain needs every record of the rollout, not only the new ones; the altered records the
    // ledger refused stand in their place, so the link after one is not taken for a gap.
    for (const LedgerRecord& altered : std::as_const(m_altered))
        local.append(altered);
    m_lastVerdicts = LedgerVerifier::verify(local, m_session.plan());
    const QList<RecordVerdict>& verdicts = m_lastVerdicts;
    QList<const RecordVerdict*> order;
    for (const RecordVerdict& v : verdicts) {
        if (!arrived.contains(v.id) || m_altered.contains(v.id)) continue;
        order.append(&v);
        for (const RecordVerdict::Failure& f : v.tampering())
            reportTampering(v.id, f.tampering, tamperingSentence(v, f));
    }
    std::stable_sort(order.begin(), order.end(), [](const RecordVerdict* a, const RecordVerdict* b) {
        return (a->record ? a->record->timestampMs : 0) < (b->record ? b->record->timestampMs : 0);
    });
    int count = 0;
    for (const LedgerReplay::Step& step : LedgerReplay::applyAll(m_session, order, m_damaged)) {
        const RecordVerdict& v = *step.verdict;
        if (!step.bridged.isEmpty())
            reportTampering(
                v.id, Tampering::Deleted,
                QStringLiteral("tampering: %1; the session was rolled back to follow it").arg(step.bridged));
        if (!step.applied) {
            reportRejected(v.id, countsForGate(v) ? QStringList{step.why} : reasonsOf(v));
            continue;
        }
        m_applied.insert(v.id);
        ++count;
        if (v.record) {
            const LedgerRecord& r = *v.record;
            QString undecodable;
            if (const std::optional<RolloutEvent> e =
                    EventCodec::fromRecord(r.type, r.payload, r.actor, r.role, r.timestampMs, &undecodable))
                Q_EMIT recordApplied(r, *e);
        }
    }
    return count;
}

void LedgerSync::rejectSuspects(const QList<LedgerRecord>& suspects, const QMap<QString, QString>& whys)
{
    QString problem;
    const QList<LedgerRecord> local = m_ledger.records(m_rollout, &problem);
    // Each suspect read against the local chain, alone, so that one does not colour another's verdict.
    for (const LedgerRecord& s : suspects) {
        for (const LedgerRecord& mine : local)
            if (mine.id == s.id && (mine.body != s.body || mine.signature != s.signature))
                reportTampering(s.id, Tampering::Changed,
                                QStringLiteral("tampering: record %1 was changed in the shared store: it "
                                               "differs from the one this ledger holds "
                                               "(altered in the store)")
                                    .arg(s.id));
        const QList<RecordVerdict> verdicts =
            LedgerVerifier::verify(local + QList<LedgerRecord>{s}, m_session.plan());
        QStringList reasons = reasonsOf(verdicts.last());
        const QString why = whys.value(s.id);
        if (why.startsWith(QStringLiteral("store: ")) || reasons.isEmpty()) reasons.append(why);
        reportRejected(s.id, reasons);
    }
}

void LedgerSync::finishRound(bool reachable, const QString& why)
{
    m_inFlight = false;
    if (reachable) {
        m_failuresInARow = 0;
        m_delayMs = m_options.intervalMs;
        const QString message = QStringLiteral("store reachable at %1").arg(m_settings.endpoint());
        if (!m_healthKnown || !m_healthy || m_healthWhy != message) {
            m_healthKnown = m_healthy = true;
            m_healthWhy = message;
            Q_EMIT storeHealth(true, message);
        }
    } else {
        ++m_failuresInARow;
        m_delayMs = static_cast<int>(
            Backoff::delayMs(m_options.intervalMs, m_failuresInARow + 1, m_options.maxBackoffMs));
        if (!m_healthKnown || m_healthy || m_healthWhy != why) {
            m_healthKnown = true;
            m_healthy = false;
            m_healthWhy = why;
            Q_EMIT storeHealth(false, why);
        }
    }
    Q_EMIT roundFinished();
    if (m_again)
        m_timer.start(0);
    else if (m_running)
        m_timer.start(m_delayMs);
}

void LedgerSync::reportTampering(const QString& id, Tampering kind, const QString& why)
{
    m_damaged = true;
    const QString key = id + QLatin1Char('\n') + toString(kind);
    if (m_tamperingSeen.contains(key)) return;
    m_tamperingSeen.insert(key);
    Q_EMIT tampering(id, why);
}

void LedgerSync::reportRejected(const QString& id, const QStringList& reasons)
{
    if (m_rejectedSeen.contains(id)) return;
    m_rejectedSeen.insert(id);
    Q_EMIT rejected(id, reasons);
}

} // namespace rollout
