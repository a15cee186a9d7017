#include "metrics/JsonLinesFetcher.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace rollout {

namespace {

constexpr qint64 kKeepMs = 3600 * 1000;

QString scalarText(const nlohmann::json& v)
{
    if (v.is_string()) return QString::fromStdString(v.get<std::string>());
    if (v.is_boolean()) return v.get<bool>() ? QStringLiteral("true") : QStringLiteral("false");
    if (v.is_number()) return QString::number(v.get<double>());
    return {};
}

} // namespace

JsonLinesFetcher::JsonLinesFetcher(SourceSpec source) : m_source(std::move(source)) {}

std::optional<JsonLinesFetcher::Event> JsonLinesFetcher::parseLine(const QByteArray& line, qint64 readMs,
                                                                   QString* problem)
{
    const nlohmann::json j =
        nlohmann::json::parse(line.constData(), line.constData() + line.size(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        *problem = QStringLiteral("not a JSON object");
        return std::nullopt;
    }
    Event e;
    e.tMs = readMs;
    for (const char* key : {"event_type", "type"})
        if (j.contains(key) && j[key].is_string()) {
            e.type = QString::fromStdString(j[key].get<std::string>());
            break;
        }
    if (e.type.isEmpty()) {
        *problem = QStringLiteral("no \"event_type\" or \"type\" field");
        return std::nullopt;
    }
    if (j.contains("timestamp")) {
        const auto& t = j["timestamp"];
        if (t.is_number())
            e.tMs = qint64(t.get<double>() * 1000.0);
        else if (t.is_string()) {
            const QDateTime dt =
                QDateTime::fromString(QString::fromStdString(t.get<std::string>()), Qt::ISODateWithMs);
            if (dt.isValid()) e.tMs = dt.toMSecsSinceEpoch();
        }
    }
    for (auto it = j.begin(); it != j.end(); ++it)
        e.fields.insert(QString::fromStdString(it.key()), scalarText(it.value()));
    if (j.contains("metadata") && j["metadata"].is_object())
        for (auto it = j["metadata"].begin(); it != j["metadata"].end(); ++it)
            e.fields.insert(QString::fromStdString(it.key()), scalarText(it.value()));
    return e;
}

QString JsonLinesFetcher::readNew(qint64 nowMs)
{
    QFile f(m_source.path);
    if (!f.open(QIODevice::ReadOnly)) return QStringLiteral("%1: %2").arg(m_source.path, f.errorString());
    if (f.size() < m_offset) { // truncated or rotated: start again from the top
        m_offset = 0;
        m_lineNumber = 0;
        m_partial.clear();
    }
    f.seek(m_offset);
    constexpr qint64 kChunk = 8 * 1024 * 1024; // bounded work per poll on a huge backlog
    const QByteArray data = f.read(kChunk);
    m_offset += data.size();
    m_partial += data;
    qsizetype start = 0;
    // Alike events (same second, type and fields but the timestamp) merge into one entry; only
    // into an entry of this pass, which no metric has counted yet (counts go by `seq`).
    m_mergeable.clear();
    for (qsizetype nl = m_partial.indexOf('\n'); nl >= 0; nl = m_partial.indexOf('\n', start)) {
        const QByteArray line = m_partial.mid(start, nl - start).trimmed();
        start = nl + 1;
        ++m_lineNumber;
        if (line.isEmpty()) continue;
        QString why;
        if (auto e = parseLine(line, nowMs, &why)) {
            e->tMs -= e->tMs % 1000;
            QString key = QString::number(e->tMs) + QLatin1Char('\n') + e->type;
            QStringList fields;
            for (auto it = e->fields.cbegin(); it != e->fields.cend(); ++it)
                if (it.key() != QLatin1String("timestamp"))
                    fields.append(it.key() + QLatin1Char('=') + it.value());
            fields.sort();
            key += QLatin1Char('\n') + fields.join(QLatin1Char('\n'));
            const auto found = m_mergeable.constFind(key);
            if (found != m_mergeable.cend()) {
                ++m_events[*found].n;
            } else {
                e->seq = ++m_seq;
                m_mergeable.insert(key, m_events.size());
                m_events.push_back(*e);
            }
        } else if (++m_malformed <= 20)
            spdlog::warn("{}:{}: skipped: {}", m_source.path.toStdString(), m_lineNumber, why.toStdString());
    }
    m_partial.remove(0, start);
    if (m_partial.size() > 1024 * 1024) m_partial.clear(); // one absurd line must not grow forever
    m_mergeable.clear(); // indices into m_events: no longer valid once the front goes
    while (!m_events.empty() && m_events.front().tMs < nowMs - kKeepMs)
        m_events.pop_front();
    return {};
}

void JsonLinesFetcher::fetch(const MetricSpec& metric, qint64 nowMs, QObject* context,
                             std::function<void(const FetchResult&)> done)
{
    Q_UNUSED(context)
    FetchResult r;
    const QString problem = readNew(nowMs);
    if (!problem.isEmpty()) {
        r.problem = problem;
        done(r);
        return;
    }
    const qint64 window = metric.unit == Unit::PerHour ? kKeepMs : 5 * 60 * 1000;
    const QStringList parts = metric.query.split(QLatin1Char('/'));
    const QStringList numeratorTypes =
        parts.value(0).simplified().remove(QLatin1Char(' ')).split(QLatin1Char(','), Qt::SkipEmptyParts);
    const QStringList denominatorTypes =
        parts.size() > 1
            ? parts[1].simplified().remove(QLatin1Char(' ')).split(QLatin1Char(','), Qt::SkipEmptyParts)
            : QStringList{};

    auto count = [&](const QMap<QString, QString>& matchers, const QStringList& types) {
        qint64 n = 0;
        for (const Event& e : m_events) {
            if (e.tMs < nowMs - window || e.tMs > nowMs || !types.contains(e.type)) continue;
            bool match = true;
            for (auto it = matchers.begin(); it != matchers.end() && match; ++it)
                match = e.fields.value(it.key()) == it.value();
            if (match) n += e.n;
        }
        return n;
    };
    auto value = [&](const QMap<QString, QString>& matchers) -> std::optional<double> {
        const qint64 num = count(matchers, numeratorTypes);
        if (denominatorTypes.isEmpty()) return double(num);
        const qint64 den = count(matchers, denominatorTypes);
        if (den == 0) return std::nullopt; // no traffic: no data, not 0%
        return double(num) / double(den);
    };
    const bool split = !metric.canary.isEmpty();
    if (const auto v = value(metric.canary))
        r.samples.append({split ? QStringLiteral("canary") : QString(), Sample{nowMs, *v}});
    else
        r.problem = QStringLiteral("%1: no %2 events in the last %3 minutes")
                        .arg(m_source.path, denominatorTypes.join(QLatin1Char(',')))
                        .arg(window / 60000);
    if (split && metric.baseline.kind == BaselineSpec::Kind::Series)
        if (const auto b = value(metric.baseline.series))
            r.samples.append({QStringLiteral("baseline"), Sample{nowMs, *b}});
    // A rate's counts ("failure / success,failure": events are failures, trials both), per cohort,
    // counted once per event since the source was opened: the engine weighs how many stand behind it.
    if (metric.kind == MetricKind::Rate && split && !denominatorTypes.isEmpty()) {
        QHash<QString, std::pair<double, double>>& counts = m_counts[metric.name];
        quint64& upTo = m_countedUpTo[metric.name];
        auto matches = [](const Event& e, const QMap<QString, QString>& matchers) {
            for (auto it = matchers.begin(); it != matchers.end(); ++it)
                if (e.fields.value(it.key()) != it.value()) return false;
            return true;
        };
        for (const Event& e : m_events) {
            if (e.seq <= upTo) continue;
            upTo = e.seq;
            for (const auto& [cohort, matchers] :
                 {std::pair{QStringLiteral("canary"), metric.canary},
                  std::pair{QStringLiteral("baseline"), metric.baseline.series}}) {
                if (matchers.isEmpty() || !matches(e, matchers)) continue;
                auto& [events, trials] = counts[cohort];
                if (numeratorTypes.contains(e.type)) events += double(e.n);
                if (denominatorTypes.contains(e.type)) trials += double(e.n);
            }
        }
        for (auto it = counts.begin(); it != counts.end(); ++it)
            r.counts.append({it.key(), nowMs, it->first, it->second});
    }
    done(r);
}

} // namespace rollout
