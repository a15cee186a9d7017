#!/usr/bin/env bash
# Command (1) of the README: install what is missing, build, open the console on its embedded demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
exec build/app/rollout-console "$@"
