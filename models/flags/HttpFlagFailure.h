#pragma once

#include "flags/FlagBackend.h"
#include "net/HttpClient.h"

namespace rollout {

// Turns an HTTP exchange that did not succeed into a FlagResult that names the server, the
// step, the status and the server's own words; 401/403/404/409 get a sentence a person can act
// on. Timeouts, refused connections, 429 and 5xx are marked transient (worth a retry).
FlagResult httpFlagFailure(const QString& flag, const QString& backend, const QString& step,
                           const HttpResponse& response, const QUrl& url);

} // namespace rollout
