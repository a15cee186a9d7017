#!/usr/bin/env bash
# Configures and builds into build/ (Release with debug info). -Werror when CI is set.
set -euo pipefail
cd "$(dirname "$0")/.."
werror=OFF
if [[ -n "${CI:-}" ]]; then werror=ON; fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DROLLOUT_WERROR=$werror >/dev/null
cmake --build build -j"$(nproc)"
