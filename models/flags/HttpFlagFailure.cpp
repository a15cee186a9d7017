#include "flags/HttpFlagFailure.h"

namespace rollout {

FlagResult httpFlagFailure(const QString& flag, const QString& backend, const QString& step,
                           const HttpResponse& response, const QUrl& url)
{
    QString why;
    switch (response.status) {
    case 401:
        why = QStringLiteral("the token was refused (401): check the token's environment variable");
        break;
    case 403:
        why = QStringLiteral("the token may not do this (403)");
        break;
    case 404:
        why = QStringLiteral("not found (404): is the flag \"%1\" defined on the server?").arg(flag);
        break;
    case 409:
        why = QStringLiteral("conflict (409): the server refused the change as it stands");
        break;
    default:
        break;
    }
    const QString where = response.describe(url);
    FlagResult r = FlagResult::failure(
        flag, backend, step, why.isEmpty() ? where : QStringLiteral("%1: %2").arg(where, why),
        !response.answered() || response.status == 429 || response.status >= 500);
    r.status = response.status;
    r.body = QString::fromUtf8(response.body.left(500)).trimmed();
    if (!r.body.isEmpty()) r.message += QStringLiteral(" — server said: %1").arg(r.body.left(200));
    r.elapsedMs = response.elapsedMs;
    return r;
}

} // namespace rollout
