#include "EvidencePackWriter.h"

#include "MetricChartWidget.h"
#include "ledger/LedgerExport.h"
#include "report/EvidenceReport.h"

#include <QDir>
#include <QSaveFile>
#include <qcustomplot.h>

namespace rollout {

namespace {

bool writeFile(const QString& path, const QByteArray& bytes, QString* problem)
{
    QSaveFile f(path);
    if (f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size() && f.commit()) return true;
    *problem = QStringLiteral("cannot write %1: %2").arg(path, f.errorString());
    return false;
}

} // namespace

std::optional<QString> EvidencePackWriter::write(const QString& folder, const Plan& plan, const QList<RecordVerdict>& verdicts,
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
        MetricChartWidget chart(m, plan, store);
        chart.setVisibleSpanMs(nowMs - first);
        chart.resize(900, 320);
        chart.refresh(nowMs);
        for (const RecordVerdict& v : verdicts) {
            if (!v.ok || !v.record) continue;
            if (v.record->type == QLatin1String("phase_advanced")) chart.addMarker(v.record->timestampMs, QStringLiteral("advance"), false);
            if (v.record->type == QLatin1String("rolled_back")) chart.addMarker(v.record->timestampMs, QStringLiteral("rollback"), true);
        }
        const QString name = QStringLiteral("charts/%1.png").arg(m.name);
        if (!chart.plot()->savePng(dir.filePath(name), 900, 320)) {
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
