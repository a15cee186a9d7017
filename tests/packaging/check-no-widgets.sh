#!/usr/bin/env bash
# Link check (ctest packaging/rolloutctl-no-widgets): rolloutctl is the headless tool (servers,
# CI, systemd); it must not load Qt Widgets, directly or through a library it links (its
# evidence pack draws with rollout_render, QtGui only). readelf -d reads what the binary names
# itself; ldd what the loader would actually bring in.
# Usage: check-no-widgets.sh BINARY
set -euo pipefail
bin=$1
[[ -x $bin ]] || { echo "$bin is missing: build the rolloutctl target first"; exit 1; }
command -v readelf >/dev/null || { echo "readelf is missing (binutils)"; exit 1; }
needed=$(readelf -d "$bin" | grep -F '(NEEDED)' || true)
[[ -n $needed ]] || { echo "FAIL: readelf -d $bin shows no NEEDED entry: not a dynamic binary?"; exit 1; }
if grep -E 'libQt6(Widgets|PrintSupport|Charts)|qcustomplot' <<<"$needed"; then
    echo "FAIL: $bin names a widget library (above)"
    exit 1
fi
if command -v ldd >/dev/null; then
    loaded=$(ldd "$bin")
    if grep -E 'libQt6(Widgets|PrintSupport|Charts)|qcustomplot' <<<"$loaded"; then
        echo "FAIL: $bin loads a widget library through one it links (above)"
        exit 1
    fi
    grep -q 'libQt6Gui' <<<"$loaded" || { echo "FAIL: ldd shows no libQt6Gui: is this the rolloutctl that draws charts?"; exit 1; }
fi
echo "ok: $bin links no Qt Widgets"
