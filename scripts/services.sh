#!/usr/bin/env bash
# Starts and stops the real servers the integration tests run against, all on loopback, all
# under $ROLLOUT_SERVICES_DIR (a scratch directory). `start` waits for readiness — never a fixed
# sleep — and writes the connection details to $ROLLOUT_SERVICES_DIR/env for the tests.
#   services.sh start [simulator] [prometheus] [postgres] [unleash]    (default: all)
#   services.sh stop
set -euo pipefail
: "${ROLLOUT_SERVICES_DIR:?set ROLLOUT_SERVICES_DIR to a scratch directory}"
cd "$(dirname "$0")/.."
ROOT=$PWD
R=$ROLLOUT_SERVICES_DIR
chmod 755 "$R"   # mktemp makes it 0700; the postgres user must reach its data directory below

# On any failure, show what the servers said: the scratch directory is deleted afterwards.
show_logs() {
  for log in "$R"/*.log "$R"/pg-log/*.log; do
    [[ -s "$log" ]] || continue
    echo "---- $log" >&2
    tail -n 20 "$log" >&2
  done
}
trap 'echo "services: a step failed" >&2; show_logs' ERR
CTL=${ROLLOUTCTL:-$ROOT/build/app/rolloutctl}
PGBIN=/usr/lib/postgresql/15/bin

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_for SECONDS DESCRIPTION COMMAND...: retries COMMAND until it succeeds or time runs out.
wait_for() {
  local limit=$1 what=$2; shift 2
  local start=$SECONDS
  until "$@" >/dev/null 2>&1; do
    # WAIT_PID=N wait_for …: give up at once when the server being waited for has exited.
    if [[ -n "${WAIT_PID:-}" ]] && ! kill -0 "$WAIT_PID" 2>/dev/null; then echo "services: $what: the server exited" >&2; return 1; fi
    if (( SECONDS - start > limit )); then echo "services: $what not ready after ${limit}s" >&2; return 1; fi
    sleep 0.2
  done
  echo "services: $what ready after $((SECONDS - start))s"
}

start_simulator() {
  SIM_PORT=$(free_port)
  "$CTL" simulate --listen "127.0.0.1:$SIM_PORT" --prefix sim --share 50 >"$R/simulator.log" 2>&1 &
  echo $! > "$R/simulator.pid"
  wait_for 20 "simulator on :$SIM_PORT" curl -sf "http://127.0.0.1:$SIM_PORT/metrics"
  echo "export ROLLOUT_SIMULATOR_URL=http://127.0.0.1:$SIM_PORT" >> "$R/env"
  SCRAPE_TARGETS="'127.0.0.1:$SIM_PORT'"
  [[ -n "${UNLEASH_PORT:-}" ]] && start_loop_simulator
  return 0
}

# The closed loop: a second simulated service (metrics prefixed loop_) whose canary share is
# what Unleash's client API says of the flag "closed-loop" (0 until a test creates it).
start_loop_simulator() {
  LOOP_PORT=$(free_port)
  ROLLOUT_UNLEASH_CLIENT_TOKEN=$UNLEASH_CLIENT_TOKEN "$CTL" simulate --listen "127.0.0.1:$LOOP_PORT" --prefix loop \
    --share-from-unleash "http://127.0.0.1:$UNLEASH_PORT" --flag closed-loop >"$R/loop-simulator.log" 2>&1 &
  echo $! > "$R/loop-simulator.pid"
  wait_for 20 "closed-loop simulator on :$LOOP_PORT" curl -sf "http://127.0.0.1:$LOOP_PORT/metrics"
  echo "export ROLLOUT_LOOP_SIMULATOR_URL=http://127.0.0.1:$LOOP_PORT ROLLOUT_LOOP_FLAG=closed-loop" >> "$R/env"
  SCRAPE_TARGETS="$SCRAPE_TARGETS, '127.0.0.1:$LOOP_PORT'"
}

start_prometheus() {
  PROM_PORT=$(free_port)
  mkdir -p "$R/prometheus-data" "$R/targets"
  # The seed plans' simulators: a test writes $R/targets/<prefix>.json
  # ([{"targets": ["127.0.0.1:PORT"], "labels": {"seed": "<prefix>"}}]); Prometheus picks it up
  # within a second, and tests/data/seeds/<prefix>.rules.yml turn its generic series into the
  # series that seed's plan queries.
  cat > "$R/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: ['$R/prometheus-rules.yml', '$ROOT/tests/data/seeds/*.rules.yml']
scrape_configs:
  - job_name: app
    static_configs: [{targets: [$SCRAPE_TARGETS]}]
  - job_name: seeds
    file_sd_configs: [{files: ['$R/targets/*.json'], refresh_interval: 1s}]
YAML
  # The equivalent of the demo's hard trigger, for the detection-time benchmark.
  cat > "$R/prometheus-rules.yml" <<'YAML'
groups:
  - name: rollout
    rules:
      - alert: CanaryErrorRateCritical
        expr: sum(rate(sim_errors_total{cohort="canary"}[1m])) / sum(rate(sim_requests_total{cohort="canary"}[1m])) > 0.05
        for: 30s
      # The closed loop's equivalent of bench_watch's hard trigger (error_rate > 5% for 5s).
      - alert: LoopCanaryErrorRateCritical
        expr: sum(rate(loop_errors_total{cohort="canary"}[10s])) / sum(rate(loop_requests_total{cohort="canary"}[10s])) > 0.05
        for: 5s
YAML
  prometheus --config.file="$R/prometheus.yml" --storage.tsdb.path="$R/prometheus-data" \
    --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$R/prometheus.log" 2>&1 &
  echo $! > "$R/prometheus.pid"
  # /-/ready is not enough: the first scrape lands 5-6 s later. Wait for a sample of up.
  wait_for 60 "prometheus on :$PROM_PORT (first scrape)" \
    bash -c "curl -sf 'http://127.0.0.1:$PROM_PORT/api/v1/query?query=up%7Bjob%3D%22app%22%7D%3D%3D1' | grep -q '\"value\"'"
  echo "export ROLLOUT_PROMETHEUS_URL=http://127.0.0.1:$PROM_PORT" >> "$R/env"
  echo "export ROLLOUT_SEED_TARGETS_DIR=$R/targets" >> "$R/env"
}

start_postgres() {
  PG_PORT=$(free_port)
  install -d -o postgres -g postgres "$R/pg-data" "$R/pg-sock" "$R/pg-log"
  runuser -u postgres -- $PGBIN/initdb -D "$R/pg-data" -U postgres -A trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 -N >"$R/postgres-init.log" 2>&1
  runuser -u postgres -- $PGBIN/pg_ctl -D "$R/pg-data" -l "$R/pg-log/postgres.log" -w -t 30 \
    -o "-p $PG_PORT -k $R/pg-sock -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  runuser -u postgres -- psql -q -h "$R/pg-sock" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE rollout LOGIN PASSWORD 'rollout'" -c "CREATE DATABASE rollout OWNER rollout" \
    -c "CREATE ROLE unleash LOGIN PASSWORD 'unleash'" -c "CREATE DATABASE unleash OWNER unleash"
  wait_for 30 "postgres on :$PG_PORT" env PGPASSWORD=rollout psql -h 127.0.0.1 -p "$PG_PORT" -U rollout -d rollout -c 'select 1'
  {
    echo "export ROLLOUT_PG_HOST=127.0.0.1 ROLLOUT_PG_PORT=$PG_PORT ROLLOUT_PG_DATABASE=rollout ROLLOUT_PG_USER=rollout"
    echo "export ROLLOUT_PG_PASSWORD=rollout"
  } >> "$R/env"
}

random_secret() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# Unleash 7.5.1 (scripts/unleash, installed by setup.sh --test) on the test PostgreSQL's unleash
# database, with an admin and a backend token made up for this run.
start_unleash() {
  local server=$ROOT/scripts/unleash/node_modules/unleash-server/dist/server.js
  [[ -f $server ]] || { echo "services: $server is missing; run scripts/setup.sh --test" >&2; return 1; }
  UNLEASH_PORT=$(free_port)
  local admin client
  admin="*:*.$(random_secret)" client="default:development.$(random_secret)"
  UNLEASH_CLIENT_TOKEN=$client
  DATABASE_URL="postgres://unleash:unleash@127.0.0.1:$PG_PORT/unleash" DATABASE_SSL=false \
    HTTP_HOST=127.0.0.1 HTTP_PORT=$UNLEASH_PORT \
    INIT_ADMIN_API_TOKENS="$admin" INIT_BACKEND_API_TOKENS="$client" \
    CHECK_VERSION=false SEND_TELEMETRY=false SCARF_ANALYTICS=false LOG_LEVEL=warn \
    node "$server" >"$R/unleash.log" 2>&1 </dev/null &
  echo $! > "$R/unleash.pid"
  local url=http://127.0.0.1:$UNLEASH_PORT
  # /health answers once the migrations ran; the tokens are inserted just after, so also wait
  # until the admin token is accepted.
  WAIT_PID=$(cat "$R/unleash.pid") wait_for 60 "unleash on :$UNLEASH_PORT (health)" curl -sf "$url/health"
  WAIT_PID=$(cat "$R/unleash.pid") wait_for 30 "unleash admin token" curl -sf -H "Authorization: $admin" "$url/api/admin/projects"
  {
    echo "export ROLLOUT_UNLEASH_URL=$url"
    echo "export ROLLOUT_UNLEASH_ADMIN_TOKEN='$admin'"
    echo "export ROLLOUT_UNLEASH_CLIENT_TOKEN='$client'"
  } >> "$R/env"
}

start() {
  local want=("$@")
  # Unleash before the simulators (the closed-loop one reads it), Prometheus last (it scrapes them).
  [[ ${#want[@]} -gt 0 ]] || want=(postgres unleash simulator prometheus)
  : > "$R/env"
  for s in "${want[@]}"; do
    case "$s" in
      simulator) start_simulator ;;
      prometheus) [[ -n "${SIM_PORT:-}" ]] || start_simulator; start_prometheus ;;
      postgres) [[ -n "${PG_PORT:-}" ]] || start_postgres ;;
      unleash) [[ -n "${PG_PORT:-}" ]] || start_postgres; start_unleash ;;
      *) echo "services: unknown service $s" >&2; return 2 ;;
    esac
  done
}

stop() {
  # The servers first (Unleash holds PostgreSQL connections), then PostgreSQL.
  local pids=()
  for pidfile in "$R"/*.pid; do
    [[ -e "$pidfile" ]] || continue
    pids+=("$(cat "$pidfile")")
    kill "${pids[-1]}" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do   # until they are gone (at most ~5 s each), so nothing writes into a deleted directory
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  if [[ -d "$R/pg-data" ]]; then
    runuser -u postgres -- $PGBIN/pg_ctl -D "$R/pg-data" -m immediate stop >/dev/null 2>&1 || true
  fi
}

cmd=${1:-}; shift || true
case "$cmd" in
  start) start "$@" ;;
  stop) stop ;;
  *) echo "usage: $0 start [simulator|prometheus|postgres|unleash]... | stop" >&2; exit 2 ;;
esac
