#!/usr/bin/env bash
# Command (2) of the README: install what is missing, build, start the real servers the tests
# need (on loopback ports, in a throw-away directory), run every test through ctest, and stop
# the servers afterwards, also when tests fail.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
scripts/setup.sh --test
scripts/build.sh

export ROLLOUT_SERVICES_DIR
ROLLOUT_SERVICES_DIR=$(mktemp -d /tmp/rollout-services.XXXXXX)
trap '"$ROOT/scripts/services.sh" stop || true; rm -rf "$ROLLOUT_SERVICES_DIR"' EXIT
scripts/services.sh start
# shellcheck disable=SC1091
source "$ROLLOUT_SERVICES_DIR/env"

cd build
ctest --output-on-failure --timeout 600 -j2 "$@"
