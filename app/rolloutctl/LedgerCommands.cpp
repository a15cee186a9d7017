// rolloutctl ledger verify / export: audit a ledger against a plan offline, and export it in a
// form a third party can verify with any Ed25519 library (docs/ledger-format.md).
//
// Scope: a rollout's records verify on their own (format 2 chains per device and rollout). A
// format-1 chain ran per device through every rollout, so the format-1 records of other rollouts
// are read too, as links of those chains: only their integrity is reported. The plan-bound checks
// (signer, rollout, plan) apply to the plan's rollout only. Tampering is named as such, with its
// kind (changed, copied, deleted, reordered, signed by a key outside the plan).
#include "CommandLine.h"
#include "Commands.h"
#include "core/Clock.h"
#include "ledger/Ed25519.h"
#include "ledger/LedgerExport.h"
#include "ledger/LedgerVerifier.h"
#include "ledger/LocalLedger.h"
#include "plan/PlanLoader.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMap>
#include <QSaveFile>

namespace rolloutctl {

using namespace rollout;

namespace {

QTextStream& err()
{
    static QTextStream s(stderr);
    return s;
}

bool inScope(const RecordVerdict& v, const Plan& plan)
{
    return !v.record || v.record->rollout == plan.rollout;
}

// The failures this command reports for a record: all of them in the plan's rollout, the
// integrity ones elsewhere.
QList<RecordVerdict::Failure> reported(const RecordVerdict& v, const Plan& plan)
{
    if (inScope(v, plan)) return v.failures;
    QList<RecordVerdict::Failure> out;
    for (const RecordVerdict::Failure& f : v.failures)
        if (LedgerVerifier::isIntegrityCheck(f.check)) out.append(f);
    return out;
}

struct Audit
{
    Plan plan;
    QList<LedgerRecord> records;
    QList<RecordVerdict> verdicts;
    QString source;
    int otherRollouts =
        0; // records of other rollouts left out (format 2: not links of this rollout's chains)
};

// The records verifying this rollout needs: its own, and the format-1 records of other rollouts
// (their chains ran through every rollout of a device). A body that does not parse stays, so that
// it is reported rather than lost.
QList<LedgerRecord> forRollout(const QList<LedgerRecord>& all, const QString& rollout, int* left)
{
    QList<LedgerRecord> out;
    for (const LedgerRecord& r : all) {
        QString ignored;
        const std::optional<LedgerRecord> parsed = LedgerRecord::fromSigned(r.body, r.signature, &ignored);
        if (!parsed || parsed->rollout == rollout || parsed->version == 1)
            out.append(r);
        else
            ++*left;
    }
    return out;
}

QList<LedgerRecord> readExport(const QString& path, QString* problem)
{
    QList<LedgerRecord> out;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *problem = QStringLiteral("cannot read %1: %2").arg(path, f.errorString());
        return out;
    }
    int line = 0;
    while (!f.atEnd()) {
        const QByteArray text = f.readLine().trimmed();
        ++line;
        if (text.isEmpty()) continue;
        const QJsonObject o = QJsonDocument::fromJson(text).object();
        LedgerRecord r;
        r.id = QStringLiteral("%1:%2").arg(QFileInfo(path).fileName()).arg(line); // until the body names it
        // A line that is not {"body": "...", "signature": "..."} still becomes a record, so the
        // verifier reports its shape instead of the line vanishing from the audit.
        r.body = o.value(QStringLiteral("body")).toString().toUtf8();
        r.signature = QByteArray::fromBase64(o.value(QStringLiteral("signature")).toString().toLatin1());
        out.append(r);
    }
    return out;
}

// Loads the plan and the records (from --from-export or the database) and verifies them.
std::optional<int> load(const QCommandLineParser& parser, const QString& command, Audit* audit)
{
    if (parser.positionalArguments().size() != 1) {
        err() << "rolloutctl ledger " << command << ": name exactly one plan file\n";
        return Usage;
    }
    if (!Ed25519::initialize()) {
        err() << "rolloutctl ledger " << command << ": libsodium failed to start\n";
        return Failed;
    }
    const PlanLoadResult r = PlanLoader::loadFile(parser.positionalArguments().first());
    if (!r.plan) {
        for (const PlanError& e : r.errors)
            err() << e.toString() << "\n";
        return Failed;
    }
    audit->plan = *r.plan;
    QString problem;
    LedgerVerifier::Options options;
    // Only verify has --from-export (isSet on an undefined option warns).
    if (parser.optionNames().contains(QStringLiteral("from-export"))) {
        audit->source = parser.value(QStringLiteral("from-export"));
        audit->records = readExport(audit->source, &problem);
    } else {
        audit->source = parser.isSet(QStringLiteral("db")) ? parser.value(QStringLiteral("db"))
                                                           : LocalLedger::defaultPath();
        if (!QFileInfo::exists(audit->source)) {
            err() << "rolloutctl ledger " << command << ": there is no ledger at " << audit->source
                  << " (use --db FILE)\n";
            return Failed;
        }
        SystemClock clock;
        std::unique_ptr<LocalLedger> ledger = LocalLedger::open(audit->source, clock, &problem);
        if (ledger) {
            audit->records = ledger->records({}, &problem);
            // This device's own records are all in its file: a gap in its format-1 chain is a deletion.
            options.completeV1Devices.insert(ledger->deviceId());
        }
    }
    if (!problem.isEmpty()) {
        err() << "rolloutctl ledger " << command << ": " << problem << "\n";
        return Failed;
    }
    audit->records = forRollout(audit->records, audit->plan.rollout, &audit->otherRollouts);
    audit->verdicts = LedgerVerifier::verify(audit->records, audit->plan, options);
    return std::nullopt;
}

QString utc(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss 'UTC'"));
}

QString describe(const RecordVerdict& v)
{
    if (!v.record) return QStringLiteral("(unreadable record)");
    const LedgerRecord& r = *v.record;
    return QStringLiteral("device %1 seq %2, %3 by %4 (%5) at %6")
        .arg(r.device)
        .arg(r.sequence)
        .arg(r.type, r.actor, r.role, utc(r.timestampMs));
}

int verify(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Verify a rollout's ledger against its plan, offline: signatures, chains, signers, rollout, "
        "plan version, clock. Prints a line per bad record, naming tampering (changed, copied, "
        "deleted, reordered, signed by a key outside the plan) as such; exit 1 on any failure."));
    parser.addPositionalArgument(QStringLiteral("plan"), QStringLiteral("The plan file."),
                                 QStringLiteral("PLAN"));
    parser.addOption({QStringLiteral("db"),
                      QStringLiteral("The ledger database (default: %1).").arg(LocalLedger::defaultPath()),
                      QStringLiteral("FILE")});
    parser.addOption({QStringLiteral("from-export"),
                      QStringLiteral("Verify a JSON Lines export instead of a database."),
                      QStringLiteral("FILE")});
    if (auto exit = parseArguments(parser, QStringLiteral("ledger verify"), args)) return *exit;
    Audit a;
    if (auto exit = load(parser, QStringLiteral("verify"), &a)) return *exit;

    QTextStream out(stdout);
    int scoped = 0, others = 0, bad = 0, notes = 0;
    QMap<QString, int> byCheck;
    QMap<QString, int> byKind;
    for (const RecordVerdict& v : a.verdicts) {
        (inScope(v, a.plan) ? scoped : others) += 1;
        // Notes are about this rollout's records (a link record's notes are its own rollout's business).
        const QStringList noted = inScope(v, a.plan) ? v.notes : QStringList();
        notes += int(noted.size());
        const QList<RecordVerdict::Failure> failures = reported(v, a.plan);
        if (failures.isEmpty()) {
            for (const QString& n : noted)
                out << "note " << v.id << ": " << n << "\n";
            continue;
        }
        ++bad;
        out << "FAILED " << v.id << "  " << describe(v) << "\n";
        for (const RecordVerdict::Failure& f : failures) {
            // Tampering first, by its kind: "TAMPERING (deleted) chain: record seq 2 of … is missing
            // (deleted?)".
            if (f.tampering != Tampering::None) {
                out << "  TAMPERING (" << toString(f.tampering) << ") " << f.check << ": " << f.why << "\n";
                byKind[toString(f.tampering)] += 1;
            } else {
                out << "  " << f.check << ": " << f.why << "\n";
            }
            byCheck[f.check] += 1;
        }
        for (const QString& n : noted)
            out << "  note: " << n << "\n";
    }
    QStringList counts;
    for (auto it = byCheck.begin(); it != byCheck.end(); ++it)
        counts.append(QStringLiteral("%1 %2").arg(it.key()).arg(it.value()));
    QStringList kinds;
    for (auto it = byKind.begin(); it != byKind.end(); ++it)
        kinds.append(QStringLiteral("%1 %2").arg(it.value()).arg(it.key()));
    out << QStringLiteral("%1: %2 record%3 of rollout %4, %5 failed%6%7%8%9\n")
               .arg(a.source)
               .arg(scoped)
               .arg(scoped == 1 ? QString() : QStringLiteral("s"))
               .arg(a.plan.rollout)
               .arg(bad)
               .arg(counts.isEmpty() ? QString()
                                     : QStringLiteral(" (%1)").arg(counts.join(QStringLiteral(", "))))
               .arg(kinds.isEmpty() ? QString()
                                    : QStringLiteral("; TAMPERING: %1").arg(kinds.join(QStringLiteral(", "))))
               .arg(others
                        ? QStringLiteral("; %1 version-1 record(s) of other rollouts checked as chain links")
                              .arg(others)
                        : QString())
               .arg(notes ? QStringLiteral("; %1 note(s)").arg(notes) : QString());
    return bad ? Failed : Ok;
}

QString summary(const LedgerRecord& r)
{
    QStringList parts;
    for (auto it = r.payload.begin(); it != r.payload.end(); ++it) {
        const QJsonValue value = it.value();
        QString text;
        if (value.isString())
            text = value.toString();
        else if (value.isBool())
            text = value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
        else if (value.isDouble())
            text = QString::number(value.toDouble());
        else {
            const QJsonDocument doc =
                value.isArray() ? QJsonDocument(value.toArray()) : QJsonDocument(value.toObject());
            text = QString::fromUtf8(doc.toJson(QJsonDocument::Compact));
        }
        parts.append(it.key() + QStringLiteral(": ") + text);
    }
    QString s = parts.join(QStringLiteral(", "));
    if (s.size() > 120) s = s.left(117) + QStringLiteral("…");
    return s;
}

QString cell(QString s)
{
    s.replace(QLatin1Char('|'), QStringLiteral("\\|"));
    s.replace(QLatin1Char('\n'), QLatin1Char(' '));
    return s;
}

QByteArray report(const Audit& a, const QList<qsizetype>& chosen)
{
    QString md;
    md += QStringLiteral("# Ledger of rollout `%1`\n\n").arg(a.plan.rollout);
    md +=
        QStringLiteral("Plan `%1` (sha256 `%2`). Source: `%3`. Verified offline by rolloutctl %4 on %5.\n\n")
            .arg(QFileInfo(a.plan.fileName).fileName(), QString::fromLatin1(a.plan.sha256), a.source,
                 QStringLiteral(ROLLOUT_VERSION), utc(QDateTime::currentMSecsSinceEpoch()));
    md += QStringLiteral(
        "| time | actor | role | type | summary | verification |\n| --- | --- | --- | --- | --- | --- |\n");
    int verified = 0, failed = 0;
    for (qsizetype i : chosen) {
        const RecordVerdict& v = a.verdicts[i];
        if (!inScope(v, a.plan)) continue;
        const QList<RecordVerdict::Failure> failures = reported(v, a.plan);
        QStringList why;
        for (const RecordVerdict::Failure& f : failures)
            why.append(QStringLiteral("**%1**: %2").arg(f.check, f.why));
        QString verdict = failures.isEmpty() ? QStringLiteral("verified")
                                             : QStringLiteral("FAILED — ") + why.join(QStringLiteral("; "));
        if (!v.notes.isEmpty())
            verdict += QStringLiteral(" (") + v.notes.join(QStringLiteral("; ")) + QLatin1Char(')');
        (failures.isEmpty() ? verified : failed) += 1;
        if (!v.record) {
            md += QStringLiteral("| | | | | `%1` | %2 |\n").arg(cell(v.id), cell(verdict));
            continue;
        }
        const LedgerRecord& r = *v.record;
        md += QStringLiteral("| %1 | %2 | %3 | %4 | %5 | %6 |\n")
                  .arg(utc(r.timestampMs), cell(r.actor), cell(r.role), cell(r.type), cell(summary(r)),
                       cell(verdict));
    }
    md += QStringLiteral("\n%1 verified, %2 failed.\n").arg(verified).arg(failed);
    return md.toUtf8();
}

int exportLedger(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Export a rollout's ledger: jsonl (one {\"body\", \"signature\"} per line, what a third party "
        "needs to verify it) or report (a Markdown table)."));
    parser.addPositionalArgument(QStringLiteral("plan"), QStringLiteral("The plan file."),
                                 QStringLiteral("PLAN"));
    parser.addOption({QStringLiteral("db"),
                      QStringLiteral("The ledger database (default: %1).").arg(LocalLedger::defaultPath()),
                      QStringLiteral("FILE")});
    parser.addOption({QStringLiteral("format"), QStringLiteral("jsonl (default) or report."),
                      QStringLiteral("FORMAT"), QStringLiteral("jsonl")});
    parser.addOption({QStringLiteral("output"), QStringLiteral("Write here instead of standard output."),
                      QStringLiteral("FILE")});
    if (auto exit = parseArguments(parser, QStringLiteral("ledger export"), args)) return *exit;
    const QString format = parser.value(QStringLiteral("format"));
    if (format != QLatin1String("jsonl") && format != QLatin1String("report")) {
        err() << "rolloutctl ledger export: --format is jsonl or report, not \"" << format << "\"\n";
        return Usage;
    }
    Audit a;
    if (auto exit = load(parser, QStringLiteral("export"), &a)) return *exit;

    // Every record of the rollout (its format-2 chains are whole within it) and, for format-1
    // chains, the format-1 records of other rollouts that its devices' chains run through up to
    // their last format-1 record of this rollout: without them those chains would show gaps.
    QHash<QString, qint64> lastSeq;
    for (const RecordVerdict& v : a.verdicts)
        if (v.record && v.record->rollout == a.plan.rollout && v.record->version == 1)
            lastSeq[v.record->device] = std::max(lastSeq.value(v.record->device), v.record->sequence);
    QList<qsizetype> chosen;
    for (qsizetype i = 0; i < a.verdicts.size(); ++i) {
        const RecordVerdict& v = a.verdicts[i];
        if (!v.record || v.record->rollout == a.plan.rollout ||
            (v.record->version == 1 && lastSeq.contains(v.record->device) &&
             v.record->sequence <= lastSeq.value(v.record->device)))
            chosen.append(i);
    }

    QByteArray bytes;
    if (format == QLatin1String("report")) {
        bytes = report(a, chosen);
    } else {
        QList<LedgerRecord> lines;
        for (qsizetype i : chosen)
            lines.append(a.records[i]);
        bytes = LedgerExport::jsonl(lines);
    }
    if (!parser.isSet(QStringLiteral("output"))) {
        QFile out;
        if (!out.open(stdout, QIODevice::WriteOnly) || out.write(bytes) != bytes.size()) return Failed;
        return Ok;
    }
    QSaveFile file(parser.value(QStringLiteral("output")));
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        err() << "rolloutctl ledger export: cannot write " << file.fileName() << ": " << file.errorString()
              << "\n";
        return Failed;
    }
    err() << "wrote " << chosen.size() << " records to " << file.fileName() << "\n";
    return Ok;
}

} // namespace

int ledger(const QStringList& args)
{
    const QString sub = args.value(0);
    if (sub == QLatin1String("verify")) return verify(args.mid(1));
    if (sub == QLatin1String("export")) return exportLedger(args.mid(1));
    QTextStream to(sub == QLatin1String("--help") || sub == QLatin1String("-h") ? stdout : stderr);
    to << "Usage: rolloutctl ledger verify PLAN [--db FILE | --from-export FILE]\n"
          "       rolloutctl ledger export PLAN [--db FILE] [--format jsonl|report] [--output FILE]\n";
    return sub == QLatin1String("--help") || sub == QLatin1String("-h") ? Ok : Usage;
}

} // namespace rolloutctl
