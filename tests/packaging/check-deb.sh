#!/usr/bin/env bash
# Packaging check (ctest packaging/deb): cpack builds the .deb; its contents hold both binaries,
# the desktop entry, the AppStream metainfo, the icon, the systemd unit and its sysusers.d file
# (and a postinst that creates the user); both binaries answer --version from the
# package. Under CI as root the package is really installed with dpkg and removed again;
# elsewhere it is unpacked into a scratch directory (a test never changes a developer's system).
# Usage: check-deb.sh BUILD_DIR
set -euo pipefail
build=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cpack --config "$build/CPackConfig.cmake" -G DEB -B "$out" >"$out/cpack.log" 2>&1 || { cat "$out/cpack.log"; exit 1; }
deb=$(ls "$out"/rollout-console_*.deb)
echo "package: $(basename "$deb") ($(du -k "$deb" | cut -f1) kB)"
dpkg-deb -I "$deb" | grep -E '^ (Package|Version|Depends):'
contents=$(dpkg-deb -c "$deb")
dpkg-deb -I "$deb" postinst | grep -q 'systemd-sysusers rollout-console.conf' || { echo "postinst does not create the user"; exit 1; }
for f in ./usr/bin/rollout-console ./usr/bin/rolloutctl ./usr/share/applications/rollout-console.desktop \
         ./usr/share/metainfo/io.github.rollout_console.RolloutConsole.metainfo.xml \
         ./usr/share/icons/hicolor/scalable/apps/io.github.rollout_console.RolloutConsole.svg \
         ./usr/lib/systemd/system/rolloutctl-watch@.service ./usr/lib/sysusers.d/rollout-console.conf; do
  grep -q " $f\$" <<<"$contents" || { echo "missing from the package: $f"; exit 1; }
done
export QT_QPA_PLATFORM=offscreen
if [[ "${CI:-}" == true && $(id -u) -eq 0 ]]; then
  dpkg -i "$deb" >/dev/null
  trap 'dpkg -r rollout-console >/dev/null 2>&1 || true; rm -rf "$out"' EXIT
  root=""
else
  dpkg-deb -x "$deb" "$out/root"
  root="$out/root"
fi
v1=$("$root/usr/bin/rolloutctl" --version)
v2=$("$root/usr/bin/rollout-console" --version)
echo "$v1"; echo "$v2"
[[ $v1 == "rolloutctl "* && $v2 == "rollout-console "* ]] || { echo "unexpected --version output"; exit 1; }
"$root/usr/bin/rolloutctl" validate "$root"/usr/share/rollout-console/plans/*.yaml
