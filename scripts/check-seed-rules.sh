#!/usr/bin/env bash
# Runs every Prometheus query of the given plans (each metric's query, events and trials whose
# source is of type prometheus) against $ROLLOUT_PROMETHEUS_URL, unchanged, and prints what each
# answers. A query fails when it answers nothing, a NaN or an infinity, or has no series for the
# metric's canary selector (or, where the plan names one, its baseline series); and the check
# fails while Prometheus reports a recording rule it could not evaluate.
#   check-seed-rules.sh [--wait SECONDS] PLAN.yaml...
# --wait: ask again (every second) until every query passes or SECONDS have gone by — a rate over
# a window needs two scrapes of the seed simulators first. Exit 1 when a query still fails.
# Needs python3 with yaml (Debian: python3-yaml).
set -euo pipefail
: "${ROLLOUT_PROMETHEUS_URL:?set ROLLOUT_PROMETHEUS_URL (source \$ROLLOUT_SERVICES_DIR/env)}"
exec python3 - "$@" <<'PY'
import json, math, os, sys, time, urllib.parse, urllib.request
import yaml

args = sys.argv[1:]
wait = 0.0
if args[:1] == ["--wait"]:
    wait, args = float(args[1]), args[2:]
if not args:
    sys.exit("usage: check-seed-rules.sh [--wait SECONDS] PLAN.yaml...")
prom = os.environ["ROLLOUT_PROMETHEUS_URL"].rstrip("/")

checks = []  # (plan, metric, field, query, canary selector, baseline selector)
for path in args:
    with open(path) as f:
        plan = yaml.safe_load(f)
    sources = plan.get("sources") or {}
    for name, m in (plan.get("metrics") or {}).items():
        if (sources.get(m.get("source")) or {}).get("type") != "prometheus":
            continue
        canary = m.get("canary") or {}
        baseline = (m.get("baseline") or {}).get("series") or {}
        for field in ("query", "events", "trials"):
            if m.get(field):
                checks.append((os.path.basename(path), name, field, " ".join(m[field].split()), canary, baseline))


def query(q):
    url = prom + "/api/v1/query?" + urllib.parse.urlencode({"query": q})
    with urllib.request.urlopen(url, timeout=10) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError(body.get("error", "status " + str(body.get("status"))))
    return body["data"]["result"]


def judge(check):
    _, _, _, q, canary, baseline = check
    try:
        result = query(q)
    except Exception as e:  # an HTTP or PromQL error: say it, it is a failure
        return [], "error: %s" % e
    if not result:
        return [], "no series"
    problems = []
    for s in result:
        v = float(s["value"][1])
        if math.isnan(v) or math.isinf(v):
            problems.append("%s is %s" % (s["metric"] or "{}", s["value"][1]))
    for what, sel in (("canary", canary), ("baseline", baseline)):
        if sel and not any(all(s["metric"].get(k) == str(v) for k, v in sel.items()) for s in result):
            problems.append("no %s series %s" % (what, sel))
    return result, "; ".join(problems)


def broken_rules():
    """The recording rules Prometheus failed to evaluate last time, with its error."""
    url = prom + "/api/v1/rules?type=record"
    with urllib.request.urlopen(url, timeout=10) as r:
        groups = json.load(r)["data"]["groups"]
    return ["%s: %s: %s" % (g["name"], r["name"], r.get("lastError", r.get("health")))
            for g in groups for r in g["rules"] if r.get("health") not in ("ok", "unknown")]


deadline = time.monotonic() + wait
while True:
    verdicts = [(c,) + judge(c) for c in checks]
    failed = [v for v in verdicts if v[2]]
    broken = broken_rules()
    if (not failed and not broken) or time.monotonic() >= deadline:
        break
    time.sleep(1)

for (plan, metric, field, q, _, _), result, problem in verdicts:
    values = ", ".join(
        "%s=%s" % (",".join("%s=%s" % kv for kv in sorted(s["metric"].items())
                            if kv[0] not in ("instance", "job", "seed")) or "{}",
                   "%.6g" % float(s["value"][1]))
        for s in result)
    print("%-4s %s %s.%s: %s" % ("FAIL" if problem else "ok", plan, metric, field, values or "-"))
    if problem:
        print("       %s\n       query: %s" % (problem, q))
print("%d of %d queries answered as expected" % (len(verdicts) - len(failed), len(verdicts)))
for b in broken:
    print("FAIL rule %s" % b)
sys.exit(1 if failed or broken else 0)
PY
