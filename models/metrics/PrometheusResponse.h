#pragma once

#include "metrics/MetricReader.h"

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QString>

namespace rollout {

using Labels = QMap<QString, QString>;

struct PromSeries
{
    Labels labels;
    QList<Sample> samples; // one for an instant vector, many for a range matrix
};

// A Prometheus HTTP API answer, parsed. Either ok with series, or an error saying whose fault:
// Prometheus' own {"status":"error"} (errorType and error verbatim), or a body we cannot read.
struct PromResponse
{
    enum class Failure
    {
        None,
        PrometheusError,
        NotJson,
        WrongShape
    };
    Failure failure = Failure::None;
    QString errorType;        // bad_data, timeout, execution, … (PrometheusError)
    QString error;            // Prometheus' message verbatim, or what was wrong with the body
    QString resultType;       // vector, matrix, scalar, string
    QList<PromSeries> series; // a scalar becomes one series without labels
    QStringList warnings;

    bool ok() const { return failure == Failure::None; }
    QString describe() const;
};

// Pure functions from response bytes to values; "NaN", "+Inf" and "-Inf" come through as the
// doubles they are (the engine treats them as no data).
class PrometheusResponseParser
{
public:
    static PromResponse parse(const QByteArray& body);
    static QString labelsKey(const Labels& labels); // {cohort="canary",le="0.5"}
    // What an error answer (HTTP 4xx/5xx) says, in one line: Prometheus' own error envelope
    // ("unavailable: too busy"), a proxy's JSON "error" or "message", or the first line of a
    // plain-text body (at most 200 characters). Empty for an HTML page or an empty body.
    static QString errorDetail(const QByteArray& body);
};

} // namespace rollout
