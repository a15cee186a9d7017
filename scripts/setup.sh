#!/usr/bin/env bash
# Installs the Debian packages Rollout Console builds and tests with. Skips apt entirely when
# everything is already present, so a second run costs nothing. Usage: scripts/setup.sh [--test]
set -euo pipefail

build_pkgs=(cmake g++ make ninja-build lld pkg-config dpkg-dev qt6-base-dev qt6-httpserver-dev qt6-websockets-dev
  libqcustomplot-dev nlohmann-json3-dev libspdlog-dev libyaml-cpp-dev libsodium-dev
  libqt6sql6-sqlite libqt6sql6-psql qt6-qpa-plugins libgl-dev libqt6opengl6-dev libxkbcommon-dev)
test_pkgs=(xvfb xauth imagemagick prometheus postgresql systemd clang-format)   # systemd: systemd-analyze verify of the unit; clang-format: the format check

want=("${build_pkgs[@]}")
if [[ "${1:-}" == "--test" ]]; then
  want+=("${test_pkgs[@]}")
  # Unleash runs on Node.js 20 with npm; a machine that already has node (from any source) keeps it.
  command -v node >/dev/null 2>&1 || want+=(nodejs)
  command -v npm >/dev/null 2>&1 || want+=(npm)
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#want[@]} packages present"
else
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The Unleash test server (scripts/services.sh unleash), from the committed lock file. Skipped when
# node_modules already holds the locked unleash-server and npm finished writing it (its hidden
# lock file is newer than ours), so a second run costs nothing.
install_unleash() {
  local dir=scripts/unleash locked installed=""
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  if (( major < 20 )); then
    echo "setup: Node.js $(node --version) is too old for unleash-server (it needs Node 20)" >&2
    return 1
  fi
  locked=$(node -p "require('./$dir/package-lock.json').packages['node_modules/unleash-server'].version")
  if [[ -f $dir/node_modules/unleash-server/package.json && $dir/node_modules/.package-lock.json -nt $dir/package-lock.json ]]; then
    installed=$(node -p "require('./$dir/node_modules/unleash-server/package.json').version")
  fi
  if [[ $installed == "$locked" ]]; then
    echo "setup: unleash-server $locked present"
    return 0
  fi
  echo "setup: installing unleash-server $locked (npm ci)"
  local start=$SECONDS
  # --ignore-scripts: nothing Unleash needs runs at install time; skipping them avoids a native
  # build of an optional ssh2 helper and a telemetry post-install.
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --no-update-notifier --loglevel=error </dev/null)
  echo "setup: unleash-server $locked installed in $((SECONDS - start))s"
}
if [[ "${1:-}" == "--test" ]]; then
  cd "$(dirname "$0")/.."
  install_unleash
fi
