#!/usr/bin/env python3
"""A stand-in for seed 003's app (the refactored "brain" API) and its admin API.

Seed 003 (plan resources/plans/modern-brain-api.yaml) drives its own application with curl: a
feature flag, an A/B split, named admin operations (emergency-stop, memory/cleanup,
alerts/emergency, ab-testing/start) and a JSON dashboard. There is no public server for that
app, so the integration tests start this one on loopback and drive it through the plan's
`http_admin` backend, its `json_http` sources and its rollback action list.

    brain-app.py --listen 127.0.0.1:0 [--token TOKEN] [--seed N] [--speed X]

It prints exactly one line, `listening on http://127.0.0.1:PORT`, once it accepts connections.
With --token every /api/... request needs `Authorization: Bearer TOKEN` (what the plan's
`token_env` becomes). Traffic is simulated, about 200 requests per simulated second, kept as a
ring of per-second counts; the modern implementation gets `rolloutPercentage`% of it while the
flag USE_MODERN_BRAIN_API is on. The simulated clock follows the wall clock (times --speed), and
POST /-/advance?seconds=N runs N more seconds at once, so a test never sleeps.

Test controls (no token): POST /-/fault?spec=modern-errors[&rate=0.3] | modern-slow[&factor=1.5]
| memory-leak[&mbPerMinute=2] | critical-alerts[&count=1], POST /-/clear, POST /-/advance,
GET /-/state (flags, split, A/B test, every admin call with its time and body, the refused
ones with their status, alerts). POST /-/clear?all=1 forgets everything (a fresh app).
"""
import argparse
import hmac
import json
import math
import random
import signal
import sys
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

FLAG = "USE_MODERN_BRAIN_API"
REQUESTS_PER_SECOND = 200
HISTORY_SECONDS = 3600  # the longest window a dashboard read may ask for
BASE_ERROR_RATE = 0.01  # both implementations, healthy
LEGACY_MS = 1000.0
MODERN_MS = 900.0  # the refactor is a little faster
BASE_HEAP_MB = 120.0
CLEANUP_MB = 8.0
MAX_BODY = 64 * 1024

AB_START_FIELDS = {
    "testId": str,
    "name": str,
    "rolloutPercentage": (int, float),
    "enabled": bool,
    "maxErrorRate": (int, float),
    "minSuccessRate": (int, float),
    "maxResponseTime": (int, float),
    "enableAutoRollback": bool,
}


class BadRequest(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def parse_window(text):
    """'5m' -> 300; '30s', '1h', a plain number of seconds; at most HISTORY_SECONDS."""
    units = {"s": 1, "m": 60, "h": 3600}
    text = (text or "5m").strip()
    try:
        if text and text[-1] in units:
            seconds = float(text[:-1]) * units[text[-1]]
        else:
            seconds = float(text)
    except ValueError:
        raise BadRequest(400, 'window "%s" is not a duration such as 30s, 5m or 1h' % text)
    if not math.isfinite(seconds) or seconds < 1 or seconds > HISTORY_SECONDS:
        raise BadRequest(400, 'window "%s" must be between 1s and %ds' % (text, HISTORY_SECONDS))
    return int(seconds)


def count(rng, n, p):
    """About n*p of n (a binomial by its normal approximation), within 0..n."""
    if n <= 0 or p <= 0:
        return 0
    if p >= 1:
        return n
    mean = n * p
    return max(0, min(n, int(round(rng.gauss(mean, math.sqrt(mean * (1 - p)))))))


class App:
    """Everything the app knows; one lock, held briefly by each request."""

    def __init__(self, seed, speed):
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.speed = speed
        self.clear_all()

    def clear_all(self):
        self.flags = {FLAG: False}
        self.ab = {"rolloutPercentage": 0, "enabled": False, "config": None, "startedAt": None,
                   "stoppedAt": None}
        self.faults = {}
        self.heap_base = BASE_HEAP_MB
        self.calls = []  # every admin request the app accepted, in order
        self.rejected = []  # every /api request it refused (401, 400, 404, ...)
        self.alerts = []
        self.ring = deque(maxlen=HISTORY_SECONDS)
        self.total_requests = 0  # counters since the start, never reset by a window
        self.total_errors = 0
        self.sim_seconds = 0
        self.wall_start = time.monotonic()
        self.wall_seconds_done = 0
        self._simulate(1)  # never an empty window

    # --- the simulated traffic -------------------------------------------------------------
    def modern_share(self):
        return self.ab["rolloutPercentage"] / 100.0 if self.flags.get(FLAG) else 0.0

    def _simulate(self, seconds):
        for _ in range(seconds):
            rng = self.rng
            total = max(0, int(round(rng.gauss(REQUESTS_PER_SECOND, 5))))
            modern = count(rng, total, self.modern_share())
            legacy = total - modern
            modern_error = self.faults.get("modern-errors", BASE_ERROR_RATE)
            slow = self.faults.get("modern-slow", 1.0)
            self.sim_seconds += 1
            if "memory-leak" in self.faults:
                self.heap_base += self.faults["memory-leak"] / 60.0
            second = {
                "legacy": legacy,
                "modern": modern,
                "legacyErrors": count(rng, legacy, BASE_ERROR_RATE),
                "modernErrors": count(rng, modern, modern_error),
                "legacyMs": legacy * LEGACY_MS * (1 + rng.gauss(0, 0.01)),
                "modernMs": modern * MODERN_MS * slow * (1 + rng.gauss(0, 0.01)),
            }
            self.ring.append(second)
            self.total_requests += total
            self.total_errors += second["legacyErrors"] + second["modernErrors"]

    def catch_up(self):
        """Run the simulated seconds the wall clock owes (times --speed)."""
        due = int((time.monotonic() - self.wall_start) * self.speed)
        if due > self.wall_seconds_done:
            self._simulate(min(due - self.wall_seconds_done, HISTORY_SECONDS))
            self.wall_seconds_done = due

    def advance(self, seconds):
        self._simulate(seconds)

    def totals(self, window):
        t = {"legacy": 0, "modern": 0, "legacyErrors": 0, "modernErrors": 0, "legacyMs": 0.0,
             "modernMs": 0.0}
        seconds = list(self.ring)[-window:]
        for s in seconds:
            for k in t:
                t[k] += s[k]
        t["seconds"] = len(seconds)
        return t

    def heap(self):
        return round(self.heap_base + self.rng.gauss(0, 0.3), 1)

    # --- the admin API ----------------------------------------------------------------------
    def record(self, method, path, body):
        self.calls.append({"at": time.time(), "simSecond": self.sim_seconds, "method": method,
                           "path": path, "body": body})

    def status(self):
        return {
            "flags": {name: {"enabled": on} for name, on in sorted(self.flags.items())},
            "abTesting": {"rolloutPercentage": self.ab["rolloutPercentage"],
                          "enabled": self.ab["enabled"],
                          "modernShare": self.modern_share()},
        }

    def variant(self, t, name):
        n, errors = t[name], t[name + "Errors"]
        return {
            "requests": n,
            "errors": errors,
            "successRate": round(1 - errors / n, 5) if n else None,
            "errorRate": round(errors / n, 5) if n else None,
            # No request, no average: null (no data), never 0 ms.
            "averageResponseTime": round(t[name + "Ms"] / n, 1) if n else None,
        }

    def results(self, window):
        t = self.totals(window)
        config = self.ab["config"] or {}
        total = t["legacy"] + t["modern"]
        return {
            "testId": config.get("testId"),
            "name": config.get("name"),
            "enabled": self.ab["enabled"],
            "rolloutPercentage": self.ab["rolloutPercentage"],
            "window": "%ds" % t["seconds"],
            "modernShare": round(t["modern"] / total, 5) if total else None,
            "variants": {"modern": self.variant(t, "modern"), "legacy": self.variant(t, "legacy")},
        }

    def dashboard(self, window):
        t = self.totals(window)
        total = t["legacy"] + t["modern"]
        errors = t["legacyErrors"] + t["modernErrors"]
        ms = t["legacyMs"] + t["modernMs"]
        return {
            "window": "%ds" % t["seconds"],
            "metrics": {
                "requests": total,
                "errors": errors,
                "requestsPerSecond": round(total / t["seconds"], 1) if t["seconds"] else None,
                "successRate": round(1 - errors / total, 5) if total else None,
                "errorRate": round(errors / total, 5) if total else None,
                "averageResponseTime": round(ms / total, 1) if total else None,
            },
            # Raw counters since the app started (for `events:` / `trials:`, differenced by the reader).
            "counters": {"requests": self.total_requests, "errors": self.total_errors},
            "memory": {"heapUsedMB": self.heap()},
            "alerts": {"critical": self.faults.get("critical-alerts", 0),
                       "emergency": len(self.alerts)},
        }


def json_body(raw):
    if not raw:
        raise BadRequest(400, "the request has no body; a JSON object is expected")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise BadRequest(400, "the body is not valid JSON: %s" % e)
    if not isinstance(body, dict):
        raise BadRequest(400, "the body must be a JSON object, not %s" % type(body).__name__)
    return body


def field(body, name, kinds, where):
    if name not in body:
        raise BadRequest(400, '%s: missing field "%s"' % (where, name))
    value = body[name]
    # bool is an int in Python: never accept true as a number.
    if isinstance(value, bool) and bool not in (kinds if isinstance(kinds, tuple) else (kinds,)):
        raise BadRequest(400, '%s: field "%s" must be a number, not %s' % (where, name, json.dumps(value)))
    if not isinstance(value, kinds):
        raise BadRequest(400, '%s: field "%s" has the wrong type (%s)' % (where, name, json.dumps(value)))
    return value


def percentage(body, where):
    p = field(body, "rolloutPercentage", (int, float), where)
    if not 0 <= p <= 100:
        raise BadRequest(400, '%s: rolloutPercentage %s is not between 0 and 100' % (where, p))
    return p


class Handler(BaseHTTPRequestHandler):
    server_version = "brain-app/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: one line per request, stderr only
        if self.server.verbose:
            sys.stderr.write("brain-app: %s\n" % (fmt % args))

    def send_json(self, status, doc):
        data = (json.dumps(doc, indent=1) + "\n").encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_raw(self):
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            n = int(length)
        except ValueError:
            raise BadRequest(400, "Content-Length %r is not a number" % length)
        if n < 0 or n > MAX_BODY:
            raise BadRequest(413, "the body is larger than %d bytes" % MAX_BODY)
        return self.rfile.read(n)

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def handle_any(self, method):
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        try:
            raw = self.read_raw()
            if url.path.startswith("/api/"):
                self.check_token()
            app = self.server.app
            with app.lock:
                app.catch_up()
                status, doc = self.route(app, method, url.path, query, raw)
        except BadRequest as e:
            status, doc = e.status, {"error": e.message}
            if status == 413:  # the body was not read: the connection cannot be reused
                self.close_connection = True
            if url.path.startswith("/api/"):  # what the app refused, for a test to see why
                app = self.server.app
                with app.lock:
                    app.rejected.append({"at": time.time(), "method": method, "path": url.path,
                                         "status": status, "error": e.message})
        self.send_json(status, doc)

    def check_token(self):
        token = self.server.token
        if token is None:
            return
        given = self.headers.get("Authorization", "")
        if not given.startswith("Bearer "):
            raise BadRequest(401, "missing Authorization: Bearer token")
        if not hmac.compare_digest(given[len("Bearer "):].encode(), token.encode()):
            raise BadRequest(401, "the bearer token is not valid")

    def route(self, app, method, path, query, raw):
        routes = {
            ("GET", "/api/admin/feature-flags/status"): self.flag_status,
            ("POST", "/api/admin/feature-flags/enable"): self.flag_enable,
            ("POST", "/api/admin/feature-flags/disable"): self.flag_disable,
            ("POST", "/api/admin/ab-testing/update"): self.ab_update,
            ("POST", "/api/admin/ab-testing/start"): self.ab_start,
            ("POST", "/api/admin/ab-testing/emergency-stop"): self.ab_emergency_stop,
            ("GET", "/api/admin/ab-testing/results"): self.ab_results,
            ("POST", "/api/admin/memory/cleanup"): self.memory_cleanup,
            ("POST", "/api/admin/alerts/emergency"): self.alerts_emergency,
            ("GET", "/api/admin/dashboard/metrics"): self.dashboard,
            ("POST", "/-/fault"): self.fault,
            ("POST", "/-/clear"): self.clear,
            ("POST", "/-/advance"): self.advance,
            ("GET", "/-/state"): self.state,
        }
        handler = routes.get((method, path))
        if handler is None:
            allowed = sorted(m for (m, p) in routes if p == path)
            if allowed:
                raise BadRequest(405, "%s %s: use %s" % (method, path, " or ".join(allowed)))
            raise BadRequest(404, "no such endpoint: %s %s" % (method, path))
        return handler(app, method, path, query, raw)

    # --- flags and the split ----------------------------------------------------------------
    def flag_status(self, app, method, path, query, raw):
        return 200, app.status()

    def flag_write(self, app, method, path, raw, want):
        where = "POST " + path
        body = json_body(raw)
        name = field(body, "flag", str, where)
        value = body.get("value", want)
        if value is not want:
            raise BadRequest(400, '%s: "value" must be %s here, not %s'
                             % (where, json.dumps(want), json.dumps(value)))
        if name not in app.flags:
            raise BadRequest(404, '%s: no flag "%s" (known: %s)' % (where, name, ", ".join(sorted(app.flags))))
        app.flags[name] = want
        app.record(method, path, body)
        return 200, {"ok": True, "flag": name, "enabled": want}

    def flag_enable(self, app, method, path, query, raw):
        return self.flag_write(app, method, path, raw, True)

    def flag_disable(self, app, method, path, query, raw):
        return self.flag_write(app, method, path, raw, False)

    def ab_update(self, app, method, path, query, raw):
        body = json_body(raw)
        app.ab["rolloutPercentage"] = percentage(body, "POST " + path)
        app.record(method, path, body)
        return 200, {"ok": True, "abTesting": app.status()["abTesting"]}

    def ab_start(self, app, method, path, query, raw):
        where = "POST " + path
        body = json_body(raw)
        for name, kinds in AB_START_FIELDS.items():
            field(body, name, kinds, where)
        percentage(body, where)
        for name in ("maxErrorRate", "minSuccessRate"):
            if not 0 <= body[name] <= 1:
                raise BadRequest(400, '%s: %s %s is a ratio and must be between 0 and 1' % (where, name, body[name]))
        if body["maxResponseTime"] <= 0:
            raise BadRequest(400, '%s: maxResponseTime must be more than 0 ms' % where)
        unknown = sorted(set(body) - set(AB_START_FIELDS))
        if unknown:
            raise BadRequest(400, '%s: unknown field(s) %s' % (where, ", ".join(unknown)))
        app.ab.update({"rolloutPercentage": body["rolloutPercentage"], "enabled": body["enabled"],
                       "config": body, "startedAt": time.time(), "stoppedAt": None})
        app.record(method, path, body)
        return 200, {"ok": True, "testId": body["testId"], "enabled": body["enabled"]}

    def ab_emergency_stop(self, app, method, path, query, raw):
        app.ab.update({"rolloutPercentage": 0, "enabled": False, "stoppedAt": time.time()})
        app.record(method, path, None)
        return 200, {"ok": True, "abTesting": app.status()["abTesting"]}

    def ab_results(self, app, method, path, query, raw):
        return 200, app.results(parse_window(query.get("window", "5m")))

    # --- operations -------------------------------------------------------------------------
    def memory_cleanup(self, app, method, path, query, raw):
        before = app.heap()
        app.heap_base = max(BASE_HEAP_MB / 2, app.heap_base - CLEANUP_MB)
        app.record(method, path, None)
        return 200, {"ok": True, "heapUsedMBBefore": before, "heapUsedMB": app.heap()}

    def alerts_emergency(self, app, method, path, query, raw):
        body = json_body(raw)
        message = field(body, "message", str, "POST " + path)
        if not message.strip():
            raise BadRequest(400, 'POST %s: "message" is empty' % path)
        app.alerts.append({"at": time.time(), "message": message})
        app.record(method, path, body)
        return 200, {"ok": True, "alerts": len(app.alerts)}

    def dashboard(self, app, method, path, query, raw):
        return 200, app.dashboard(parse_window(query.get("window", "5m")))

    # --- test controls ----------------------------------------------------------------------
    def fault(self, app, method, path, query, raw):
        spec = query.get("spec")
        params = {"modern-errors": ("rate", 0.3), "modern-slow": ("factor", 1.5),
                  "memory-leak": ("mbPerMinute", 2.0), "critical-alerts": ("count", 1)}
        if spec not in params:
            raise BadRequest(400, 'fault spec "%s" is not one of %s' % (spec, ", ".join(params)))
        key, default = params[spec]
        try:
            value = type(default)(query.get(key, default))
        except ValueError:
            raise BadRequest(400, '%s=%s is not a number' % (key, query.get(key)))
        if spec == "modern-errors" and not 0 <= value <= 1:
            raise BadRequest(400, "rate must be between 0 and 1")
        app.faults[spec] = value
        return 200, {"ok": True, "faults": app.faults}

    def clear(self, app, method, path, query, raw):
        if query.get("all") == "1":
            app.clear_all()
        else:
            app.faults.clear()
        return 200, {"ok": True, "faults": app.faults}

    def advance(self, app, method, path, query, raw):
        try:
            seconds = int(query.get("seconds", "0"))
        except ValueError:
            raise BadRequest(400, "seconds=%s is not a whole number" % query.get("seconds"))
        if not 1 <= seconds <= HISTORY_SECONDS:
            raise BadRequest(400, "seconds must be between 1 and %d" % HISTORY_SECONDS)
        app.advance(seconds)
        return 200, {"ok": True, "simSeconds": app.sim_seconds}

    def state(self, app, method, path, query, raw):
        s = app.status()
        s.update({"abTest": dict(app.ab), "faults": app.faults, "heapUsedMB": app.heap(),
                  "simSeconds": app.sim_seconds, "calls": app.calls, "rejected": app.rejected,
                  "alerts": app.alerts})
        return 200, s


def main():
    parser = argparse.ArgumentParser(description="Stand-in for seed 003's app and its admin API.")
    parser.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT (port 0: any free port)")
    parser.add_argument("--token", help="bearer token every /api/ request must carry")
    parser.add_argument("--seed", type=int, default=3, help="seed of the simulated traffic")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per wall second")
    parser.add_argument("--verbose", action="store_true", help="log each request to stderr")
    args = parser.parse_args()
    host, _, port = args.listen.rpartition(":")
    try:
        server = ThreadingHTTPServer((host or "127.0.0.1", int(port)), Handler)
    except (OSError, ValueError) as e:
        print("brain-app: cannot listen on %s: %s" % (args.listen, e), file=sys.stderr)
        return 1
    server.daemon_threads = True
    server.app = App(args.seed, args.speed)
    server.token = args.token
    server.verbose = args.verbose

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("listening on http://%s:%d" % server.server_address[:2], flush=True)
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
