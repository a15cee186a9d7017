#include "plan/Duration.h"

#include <QRegularExpression>

namespace rollout {

std::optional<qint64> Duration::parseMs(const QString& text, QString* error)
{
    static const QRegularExpression part(QStringLiteral(R"((\d+(?:\.\d+)?)(ms|s|m|h|d|w))"));
    const QString t = text.trimmed();
    auto bad = [&]() -> std::optional<qint64> {
        if (error)
            *error =
                QStringLiteral("expected a duration such as 30s, 5m, 24h, 7d or 1h30m, got \"%1\"").arg(text);
        return std::nullopt;
    };
    if (t.isEmpty()) return bad();
    if (t == QLatin1String("0")) return 0;
    qint64 total = 0;
    int pos = 0;
    auto it = part.globalMatch(t);
    while (it.hasNext()) {
        const auto m = it.next();
        if (m.capturedStart(0) != pos) return bad();
        pos = int(m.capturedEnd(0));
        const double n = m.captured(1).toDouble();
        const QString u = m.captured(2);
        const double factor = u == QLatin1String("ms")  ? 1.0
                              : u == QLatin1String("s") ? 1e3
                              : u == QLatin1String("m") ? 60e3
                              : u == QLatin1String("h") ? 3600e3
                              : u == QLatin1String("d") ? 86400e3
                                                        : 604800e3;
        total += qint64(n * factor + 0.5);
    }
    if (pos != t.size()) return bad();
    return total;
}

QString Duration::format(qint64 ms)
{
    if (ms < 0) return QLatin1Char('-') + format(-ms);
    if (ms == 0) return QStringLiteral("0s");
    if (ms < 1000) return QString::number(ms) + QStringLiteral("ms");
    qint64 s = ms / 1000;
    QString out;
    const qint64 d = s / 86400;
    s %= 86400;
    const qint64 h = s / 3600;
    s %= 3600;
    const qint64 m = s / 60;
    s %= 60;
    // 24h and 48h read better than 1d and 2d for phase lengths under a week.
    if (d > 0 && d < 7 && h == 0 && m == 0 && s == 0) return QString::number(d * 24) + QLatin1Char('h');
    if (d) out += QString::number(d) + QLatin1Char('d');
    if (h) out += QString::number(h) + QLatin1Char('h');
    if (m) out += QString::number(m) + QLatin1Char('m');
    if (s) out += QString::number(s) + QLatin1Char('s');
    return out;
}

} // namespace rollout
