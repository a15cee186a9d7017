#!/usr/bin/env bash
# Packaging check (ctest packaging/systemd-unit): the packaged rolloutctl-watch@.service as
# systemd reads it. `systemd-analyze verify` on an instance of the unit, with ExecStart pointed
# at the rolloutctl just built (verify insists that the binary exists), must print nothing at
# all: an unknown key or a missing man page is only a warning to systemd, and a failure here.
# Then what verify cannot see: everything the service writes lies in its StateDirectory (it runs
# with ProtectSystem=strict and ProtectHome=yes), and the user it runs as is the one the
# sysusers.d file creates, with that directory as its home (systemd-sysusers --root).
# Usage: verify-unit.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
build=$2
unit=$src/packaging/rolloutctl-watch@.service
sysusers=$src/packaging/rollout-console.sysusers
bin=$build/app/rolloutctl
command -v systemd-analyze >/dev/null || { echo "systemd-analyze is missing: scripts/setup.sh --test installs systemd"; exit 1; }
[[ -x $bin ]] || { echo "$bin is missing: build the rolloutctl target first"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 1. systemd-analyze verify, on the instance "ci" of a copy whose ExecStart runs the built binary.
sed "s#^ExecStart=/usr/bin/rolloutctl #ExecStart=$bin #" "$unit" >"$tmp/rolloutctl-watch@ci.service"
grep -q "^ExecStart=$bin watch " "$tmp/rolloutctl-watch@ci.service" || fail "ExecStart does not run /usr/bin/rolloutctl watch"
if ! out=$(cd "$tmp" && systemd-analyze verify ./rolloutctl-watch@ci.service 2>&1); then
  echo "$out"; fail "systemd-analyze verify failed"
fi
[[ -z $out ]] || { echo "$out"; fail "systemd-analyze verify warned"; }
echo "systemd-analyze verify: clean"

# 2. What the service writes is inside its StateDirectory; nothing is under a home directory.
key() { sed -n "s/^$1=//p" "$unit" | tail -1; }
state=/var/lib/$(key StateDirectory)
[[ $(key StateDirectory) == rollout-console ]] || fail "StateDirectory is '$(key StateDirectory)', not rollout-console"
[[ $(key ProtectSystem) == strict ]] || fail "ProtectSystem is not strict"
[[ $(key ProtectHome) =~ ^(yes|read-only|tmpfs)$ ]] || fail "ProtectHome is not set"
exec_start=$(key ExecStart)
for option in --db --keys-dir; do
  value=$(sed -n "s/.* $option \([^ ]*\).*/\1/p" <<<"$exec_start")
  [[ -n $value ]] || fail "ExecStart does not pass $option (the default is under the home directory)"
  [[ $value == "$state"/* ]] || fail "$option $value is outside the StateDirectory $state"
done
[[ $(key Environment) == "ROLLOUT_ENV_FILE=$(key EnvironmentFile)" ]] \
  || fail "ROLLOUT_ENV_FILE does not name the EnvironmentFile (watch checks its permissions)"
echo "paths: --db and --keys-dir under $state; ROLLOUT_ENV_FILE=$(key EnvironmentFile)"

# 3. The user: created by the sysusers.d file, home in the StateDirectory.
user=$(key User)
read -r type name _ <<<"$(grep -v '^#' "$sysusers" | grep -v '^$')"
[[ $type == u && $name == "$user" ]] || fail "the sysusers.d file does not create the unit's User=$user"
if [[ $(id -u) -eq 0 ]]; then
  mkdir -p "$tmp/root/etc"
  systemd-sysusers --root="$tmp/root" "$sysusers" >/dev/null 2>&1 || fail "systemd-sysusers refused $sysusers"
  entry=$(grep "^$user:" "$tmp/root/etc/passwd") || fail "systemd-sysusers did not create $user"
  [[ $(cut -d: -f6 <<<"$entry") == "$state" ]] || fail "$user's home is not $state: $entry"
  echo "sysusers: $entry"
else
  echo "sysusers: not run (systemd-sysusers --root needs root); the file names $user"
fi
