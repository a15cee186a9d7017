#!/usr/bin/env bash
# Re-captures the Unleash answers in this directory from a real server started by
#   scripts/services.sh start postgres unleash; source "$ROLLOUT_SERVICES_DIR/env"
# on a fresh database (flag names are fixed; a second run against the same server gets 409s).
# Usage: capture.sh [OUTPUT_DIR]
# Every answer is saved pretty-printed, as Unleash sent it; README.md says which request made each.
set -euo pipefail
: "${ROLLOUT_UNLEASH_URL:?source the services env file first}"
cd "${1:-$(dirname "$0")}"   # where to write (default: beside this script)
U=$ROLLOUT_UNLEASH_URL A=$ROLLOUT_UNLEASH_ADMIN_TOKEN C=$ROLLOUT_UNLEASH_CLIENT_TOKEN
F=$U/api/admin/projects/default/features
KEY=new-checkout
ENV=environments/development

# call FILE EXPECTED_STATUS TOKEN METHOD URL [BODY]: saves the pretty-printed answer in FILE
# (nothing when FILE is -) and fails when the status is not the one expected.
call() {
  local file=$1 want=$2 token=$3 method=$4 url=$5 body=${6:-}
  local out status
  out=$(mktemp)
  status=$(curl -sS -o "$out" -w '%{http_code}' -X "$method" -H "Authorization: $token" \
    ${body:+-H 'Content-Type: application/json' --data "$body"} "$url")
  if [[ $status != "$want" ]]; then
    echo "capture: $method $url answered $status, expected $want: $(cat "$out")" >&2; rm -f "$out"; return 1
  fi
  if [[ $file != - ]]; then python3 -m json.tool --indent 2 "$out" > "$file"; fi
  cat "$out"; rm -f "$out"
}

call create-feature-201.json 201 "$A" POST "$F" "{\"name\":\"$KEY\",\"type\":\"release\"}" >/dev/null
call create-feature-exists-409.json 409 "$A" POST "$F" "{\"name\":\"$KEY\",\"type\":\"release\"}" >/dev/null
call feature-new.json 200 "$A" GET "$F/$KEY" >/dev/null
id=$(call strategy-post-200.json 200 "$A" POST "$F/$KEY/$ENV/strategies" \
  "{\"name\":\"flexibleRollout\",\"constraints\":[],\"parameters\":{\"rollout\":\"10\",\"stickiness\":\"default\",\"groupId\":\"$KEY\"}}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
call strategy-get-10.json 200 "$A" GET "$F/$KEY/$ENV/strategies/$id" >/dev/null
call strategy-patch-25.json 200 "$A" PATCH "$F/$KEY/$ENV/strategies/$id" \
  '[{"op":"replace","path":"/parameters/rollout","value":"25"}]' >/dev/null
call strategy-get-25.json 200 "$A" GET "$F/$KEY/$ENV/strategies/$id" >/dev/null
call feature-strategy-env-disabled.json 200 "$A" GET "$F/$KEY" >/dev/null
call client-feature-disabled.json 200 "$C" GET "$U/api/client/features/$KEY" >/dev/null
call - 200 "$A" POST "$F/$KEY/$ENV/on" >/dev/null
call feature-strategy-env-enabled.json 200 "$A" GET "$F/$KEY" >/dev/null
call client-feature-enabled-25.json 200 "$C" GET "$U/api/client/features/$KEY" >/dev/null
call strategy-put-50.json 200 "$A" PUT "$F/$KEY/$ENV/strategies/$id" \
  "{\"name\":\"flexibleRollout\",\"constraints\":[],\"parameters\":{\"rollout\":\"50\",\"stickiness\":\"default\",\"groupId\":\"$KEY\"}}" >/dev/null
call client-feature-enabled-50.json 200 "$C" GET "$U/api/client/features/$KEY" >/dev/null
call - 200 "$A" POST "$F/$KEY/$ENV/off" >/dev/null
call client-feature-disabled-after-off.json 200 "$C" GET "$U/api/client/features/$KEY" >/dev/null

call error-401-admin.json 401 "*:*.wrong-secret" GET "$F/$KEY" >/dev/null
call client-error-401.json 401 "default:development.wrong-secret" GET "$U/api/client/features/$KEY" >/dev/null
call error-404-unknown-flag.json 404 "$A" GET "$F/no-such-flag" >/dev/null
call client-error-404-unknown-flag.json 404 "$C" GET "$U/api/client/features/no-such-flag" >/dev/null

# "on" for a flag without a strategy: 7.5.1 answers 200 and adds a flexibleRollout 100% strategy.
call - 201 "$A" POST "$F" '{"name":"bare-flag","type":"release"}' >/dev/null
call - 200 "$A" POST "$F/bare-flag/$ENV/on" >/dev/null
call feature-on-without-strategy.json 200 "$A" GET "$F/bare-flag" >/dev/null
call client-feature-default-strategy.json 200 "$C" GET "$U/api/client/features/bare-flag" >/dev/null
# Deleting the last strategy of an enabled environment: 7.5.1 turns the environment off.
bare_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["environments"][0]["strategies"][0]["id"])' feature-on-without-strategy.json)
call - 200 "$A" DELETE "$F/bare-flag/$ENV/strategies/$bare_id" >/dev/null
call feature-last-strategy-deleted.json 200 "$A" GET "$F/bare-flag" >/dev/null
call client-feature-no-strategy.json 200 "$C" GET "$U/api/client/features/bare-flag" >/dev/null
echo "capture: done"
