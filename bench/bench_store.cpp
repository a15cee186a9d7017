// Shared-store benchmark (prints figures; not a test): pushes 10,000 signed records to the
// PostgreSQL named by ROLLOUT_PG_* in batches, pushes them again (all "already there": what a
// restart after a lost confirmation costs), and pulls them back.
#include "ledger/Ed25519.h"
#include "ledger/LedgerRecord.h"
#include "ledger/SharedStore.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QUuid>
#include <cstdio>

using namespace rollout;

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    std::printf("== shared store benchmark ==\n");
    const StoreSettings settings = StoreSettings::fromEnvironment();
    if (!settings.isSet()) {
        std::printf("skipped: ROLLOUT_PG_HOST is unset (source $ROLLOUT_SERVICES_DIR/env after "
                    "scripts/services.sh start postgres)\n");
        return 0;
    }
    if (!Ed25519::initialize()) return 1;
    constexpr int Records = 10'000;
    constexpr int Batch = 500;

    const QString rollout =
        QStringLiteral("bench-%1").arg(QUuid::createUuid().toString(QUuid::WithoutBraces));
    const Ed25519::KeyPair keys = Ed25519::generate();
    const QString device = QUuid::createUuid().toString(QUuid::WithoutBraces);
    QList<LedgerRecord> records;
    records.reserve(Records);
    QString previous;
    for (int i = 0; i < Records; ++i) {
        LedgerRecord r;
        r.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
        r.rollout = rollout;
        r.planHash = QStringLiteral("ab").repeated(32);
        r.type = QStringLiteral("checklist_ticked");
        r.payload = QJsonObject{{QStringLiteral("item"), i},
                                {QStringLiteral("note"), QStringLiteral("benchmark record")}};
        r.actor = QStringLiteral("rita");
        r.role = QStringLiteral("release-manager");
        r.timestampMs = QDateTime::currentMSecsSinceEpoch();
        r.device = device;
        r.sequence = i + 1;
        r.previous = previous;
        r.seal(keys.publicKey, keys.secretKey);
        previous = r.hash();
        records.append(r);
    }
    std::printf("%d records of ~%lld bytes each, batches of %d, %s\n", Records,
                qint64(records.first().body.size()), Batch, qPrintable(settings.endpoint()));

    SharedStore store(settings);
    const QString error = store.open();
    if (!error.isEmpty()) {
        std::printf("error: %s\n", qPrintable(error));
        return 1;
    }
    auto pushAll = [&](const char* what) {
        QElapsedTimer t;
        t.start();
        int confirmed = 0;
        for (qsizetype start = 0; start < records.size(); start += Batch) {
            const PushResult r = store.push(records.mid(start, Batch));
            if (!r.ok()) {
                std::printf("error: %s\n", qPrintable(r.error));
                return false;
            }
            confirmed += int(r.confirmed().size());
        }
        const double s = double(t.nsecsElapsed()) / 1e9;
        std::printf("%-28s %d confirmed in %.3f s: %.0f records/s\n", what, confirmed, s, confirmed / s);
        return true;
    };
    if (!pushAll("push (new):")) return 1;
    if (!pushAll("push again (already there):")) return 1;

    QElapsedTimer t;
    t.start();
    qint64 cursor = 0;
    QString pullError;
    const QList<StoredRecord> pulled = store.pull(rollout, 0, &cursor, &pullError);
    const double s = double(t.nsecsElapsed()) / 1e9;
    if (!pullError.isEmpty()) {
        std::printf("error: %s\n", qPrintable(pullError));
        return 1;
    }
    int intact = 0;
    for (int i = 0; i < pulled.size() && i < records.size(); ++i)
        if (pulled.at(i).record.body == records.at(i).body &&
            pulled.at(i).record.signature == records.at(i).signature)
            ++intact;
    std::printf("%-28s %lld records in %.3f s (%.0f records/s), %d byte-identical\n",
                "pull:", qint64(pulled.size()), s, pulled.size() / s, intact);
    return 0;
}
