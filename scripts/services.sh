#!/usr/bin/env bash
# Starts and stops the real servers the integration tests run against, all on loopback, all
# under $ROLLOUT_SERVICES_DIR. `start` waits for readiness (never a sleep) and writes the
# connection details to $ROLLOUT_SERVICES_DIR/env for the tests. Usage: services.sh start|stop
set -euo pipefail
: "${ROLLOUT_SERVICES_DIR:?set ROLLOUT_SERVICES_DIR to a scratch directory}"
cd "$(dirname "$0")/.."
R=$ROLLOUT_SERVICES_DIR

start() {
  : > "$R/env"
  echo "services: none needed yet"
}

stop() {
  for pidfile in "$R"/*.pid; do
    [[ -e "$pidfile" ]] || continue
    kill "$(cat "$pidfile")" 2>/dev/null || true
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
