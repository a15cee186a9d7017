#pragma once

#include "flags/FlagChangeRunner.h"
#include "net/HttpClient.h"

#include <functional>

namespace rollout::test {

// Test set-up helpers that wait for an asynchronous answer (on readiness, never a fixed sleep):
// each returns once the callback ran, or after `timeoutMs` with a warning and an empty value.

// One HTTP exchange; `authorization` is sent as the Authorization header when not empty.
HttpResponse exchange(const QByteArray& method, const QString& url, const QByteArray& body = {},
                      const QByteArray& authorization = {}, qint64 timeoutMs = 15000);

// What Unleash serves for `flag` in `environment` now, by the test's own read of its admin API
// (ROLLOUT_UNLEASH_ADMIN_TOKEN): "off", "50%", … or "unreadable: why".
QString unleashNow(const QString& url, const QString& flag,
                   const QString& environment = QStringLiteral("development"));

// One FlagBackend call: `call(context, done)`.
FlagResult awaitFlag(const std::function<void(QObject*, FlagBackend::Done)>& call, qint64 timeoutMs = 30000);

// One FlagChangeRunner operation.
FlagChangeReport awaitRun(FlagChangeRunner& runner, const QList<FlagChange>& changes,
                          const FlagChangeRunner::Options& options, qint64 timeoutMs = 60000);

} // namespace rollout::test
