#!/usr/bin/env bash
# Configures and builds into build/ (Release with debug info). -Werror when CI is set.
set -euo pipefail
cd "$(dirname "$0")/.."
werror=OFF
if [[ -n "${CI:-}" ]]; then werror=ON; fi
# A build folder configured by an older script (Makefiles) cannot switch generators in place.
if [[ -f build/CMakeCache.txt ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' build/CMakeCache.txt; then
  rm -rf build
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DROLLOUT_WERROR=$werror >/dev/null
cmake --build build -j"$(nproc)"
