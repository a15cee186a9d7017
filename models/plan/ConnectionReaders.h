#pragma once

#include "plan/Plan.h"
#include "plan/YamlCursor.h"

namespace rollout {

// Readers for the plan's `command` backends and its `pager` (docs/plan-format.md), kept beside
// PlanLoader's own readers. Each reports every problem through the cursor and never throws.
namespace ConnectionReaders {

// True when `n` is a backend definition that says `type: command`.
bool isCommandBackend(const YAML::Node& n);
// backends.NAME with type: command: calls (argument vectors), env, timeout.
BackendSpec readCommandBackend(YamlCursor& c, const QString& name, const YAML::Node& n, const QString& path);
// pager: {type: pagerduty, routing_key_env, url, severities}.
PagerSpec readPager(YamlCursor& c, const YAML::Node& n, const QString& path);

} // namespace ConnectionReaders

} // namespace rollout
