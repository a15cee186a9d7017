#!/usr/bin/env bash
# Installs the Debian packages Rollout Console builds and tests with. Skips apt entirely when
# everything is already present, so a second run costs nothing. Usage: scripts/setup.sh [--test]
set -euo pipefail

build_pkgs=(cmake g++ make pkg-config qt6-base-dev qt6-charts-dev qt6-httpserver-dev qt6-websockets-dev
  libqcustomplot-dev nlohmann-json3-dev libspdlog-dev libyaml-cpp-dev libsodium-dev
  libqt6sql6-sqlite libqt6sql6-psql qt6-qpa-plugins libgl-dev libqt6opengl6-dev libxkbcommon-dev)
test_pkgs=(xvfb xauth imagemagick prometheus postgresql)

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
  exit 0
fi
echo "setup: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
