#include "EvidencePackWriter.h"

#include "ChartRenderer.h"
#include "ledger/LedgerExport.h"
#include "report/EvidenceReport.h"

#include <QCoreApplication>
#include <QDir>
#include <QSaveFile>

namespace rollout {

namespace {

bool writeFile(const QString& path, const QByteArray& bytes, QString* problem)
{
    QSaveFile f(path);
    if (f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size() && f.commit()) return true;
    *problem = QStringLiteral("cannot write %1: %2").arg(path, f.errorString());
    return false;
}

QString markerText(const LedgerRecord& r, const Plan& plan)
{
    const int to = r.payload.value(QStringLiteral("to_phase")).toInt(-2);
    if (r.type == QLatin1String("rolled_back"))
        return to == -1 ? QCoreApplication::translate("EvidencePackWriter", "rollback → 0%")
                        : QCoreApplication::translate("EvidencePackWriter", "rollback");
    if (to >= 0 && to < int(plan.phases.size()))
        return QCoreApplication::translate("EvidencePackWriter", "→ %1%")
            .arg(plan.phases[std::size_t(to)].traffic);
    return QCoreApplication::translate("EvidencePackWriter", "advance");
}

} // namespace

std::optional<QString> EvidencePackWriter::write(const QString& folder, const Plan& plan,
                                                 const QList<RecordVerdict>& verdicts,
                                                 const TimeSeriesStore& store, qint64 nowMs, QString* problem)
{
    QDir dir(folder);
    if (!dir.mkpath(QStringLiteral("charts"))) {
        *problem = QStringLiteral("cannot create %1").arg(dir.filePath(QStringLiteral("charts")));
        return std::nullopt;
    }
    // The window the charts show: from a little before the first record to now.
    qint64 first = nowMs - 15 * 60 * 1000;
    QList<LedgerRecord> records;
    for (const RecordVerdict& v : verdicts)
        if (v.record) {
            records.append(*v.record);
            first = std::min(first, v.record->timestampMs - 2 * 60 * 1000);
        }
    EvidenceReport::Input in;
    in.plan = &plan;
    in.verdicts = verdicts;
    in.generatedAtMs = nowMs;
    in.ledgerFile = QStringLiteral("ledger.jsonl");
    for (const MetricSpec& m : plan.metrics) {
        if (store.seriesOf(m.name).isEmpty()) continue;
        ChartRenderer chart(m, plan, store);
        chart.setWindow(first, nowMs);
        for (const RecordVerdict& v : verdicts) {
            if (!v.ok || !v.record) continue;
            const bool rollback = v.record->type == QLatin1String("rolled_back");
            if (rollback || v.record->type == QLatin1String("phase_advanced"))
                chart.addMarker(v.record->timestampMs, markerText(*v.record, plan), rollback);
        }
        const QString name = QStringLiteral("charts/%1.png").arg(m.name);
        if (!chart.render(QSize(900, 320)).save(dir.filePath(name), "PNG")) {
            *problem = QStringLiteral("cannot write %1").arg(dir.filePath(name));
            return std::nullopt;
        }
        in.charts.insert(m.name, name);
    }
    if (!writeFile(dir.filePath(in.ledgerFile), LedgerExport::jsonl(records), problem)) return std::nullopt;
    const QString page = dir.filePath(QStringLiteral("index.md"));
    if (!writeFile(page, EvidenceReport::markdown(in).toUtf8(), problem)) return std::nullopt;
    return page;
}

} // namespace rollout
