#!/usr/bin/env python3
"""HTTP/1.1 rate limiters and an overloaded server for jtlscope's limiter lab (stdlib only).

One process, one algorithm, one or more listening addresses (127.0.0.0/8 only).  Every request
gets ONE decision, written as one JSON line to --log (the ground truth the lab's truth.py reads):

  {"t_in": arrival epoch ms (float), "t_out": response-written epoch ms, "st": status,
   "why": "ok" | "limit" | "global" | "queue-full", "key": limiter key value, "th": X-JMeter-Thread,
   "conn": connection serial (per process), "peer": "ip:port", "local": "ip:port",
   "ra_until": epoch ms the Retry-After points to (null when none was sent), "ra": header value}

Algorithms (--algo):
  none             no limit (a backend: nginx proxies to it; --delay-ms is its service time)
  fixed-window     at most --limit accepted per --window s, windows aligned to epoch multiples
  sliding-log      at most --limit accepted in any trailing --window s (exact log of accepts)
  sliding-counter  two-window weighted counter: prev * (1 - elapsed/window) + cur < --limit
  gcra             generic cell rate: emission interval 1/--rate, tolerance (--burst - 1)/--rate
                   (= token bucket of rate --rate and capacity --burst)
  concurrency-queue  --workers requests served at once, at most --queue waiting; beyond that
                   503 at once (overload shedding, not a rate limit); service time rises with load
  stacked          per-key GCRA (--rate, --burst) under a global GCRA (--global-rate, --global-burst)
Rejected requests never consume quota.  --key: shared | client-host | connection | header:NAME.
--retry-after: fixed:N | countdown (whole seconds until the request would be admitted, >= 1) |
http-date (that instant as an IMF-fixdate) | absent.  --status: 429 or 503.

usage: limiter_server.py --listen 127.0.0.1:18100 [--listen ...] --algo ALGO [options] --log FILE
Stops on SIGTERM/SIGINT.  Never sends traffic itself.
"""
import argparse
import collections
import email.utils
import http.server
import json
import math
import random
import signal
import socketserver
import sys
import threading
import time


def now_ms():
    return time.time() * 1000.0


class Gcra:
    def __init__(self, rate, burst):
        self.t = 1000.0 / rate              # emission interval, ms
        self.tau = (burst - 1) * self.t     # tolerance, ms
        self.tat = {}

    def check(self, key, t):
        """-> (ok, wait_ms until a request would conform)"""
        tat = max(self.tat.get(key, t), t)
        allow_at = tat - self.tau
        if t >= allow_at:
            return True, 0.0
        return False, allow_at - t

    def commit(self, key, t):
        tat = max(self.tat.get(key, t), t)
        self.tat[key] = tat + self.t


class Limiter:
    def __init__(self, a):
        self.a = a
        self.lock = threading.Lock()
        self.win = {}                        # fixed-window: key -> [window_start, accepted]
        self.log = collections.defaultdict(collections.deque)   # sliding-log: key -> accepts
        self.cnt = {}                        # sliding-counter: key -> [win_start, prev, cur]
        if a.algo in ("gcra", "stacked"):
            self.gcra = Gcra(a.rate, a.burst)
        if a.algo == "stacked":
            self.glob = Gcra(a.global_rate, a.global_burst)
        self.sem = threading.Semaphore(a.workers)
        self.inside = 0                      # concurrency-queue: serving + waiting

    def decide(self, key, t):
        """-> (ok, why, wait_ms or None)"""
        a = self.a
        w = a.window * 1000.0
        with self.lock:
            if a.algo == "none" or a.algo == "concurrency-queue":
                return True, "ok", None
            if a.algo == "fixed-window":
                ws = math.floor(t / w) * w
                cur = self.win.get(key)
                if cur is None or cur[0] != ws:
                    cur = self.win[key] = [ws, 0]
                if cur[1] < a.limit:
                    cur[1] += 1
                    return True, "ok", None
                return False, "limit", ws + w - t
            if a.algo == "sliding-log":
                q = self.log[key]
                while q and q[0] <= t - w:
                    q.popleft()
                if len(q) < a.limit:
                    q.append(t)
                    return True, "ok", None
                return False, "limit", q[0] + w - t
            if a.algo == "sliding-counter":
                ws = math.floor(t / w) * w
                c = self.cnt.get(key)
                if c is None:
                    c = self.cnt[key] = [ws, 0, 0]
                if c[0] != ws:
                    c[1] = c[2] if ws - c[0] == w else 0
                    c[2] = 0
                    c[0] = ws
                est = c[1] * (1.0 - (t - ws) / w) + c[2]
                if est < a.limit:
                    c[2] += 1
                    return True, "ok", None
                return False, "limit", ws + w - t
            if a.algo == "gcra":
                ok, wait = self.gcra.check(key, t)
                if ok:
                    self.gcra.commit(key, t)
                    return True, "ok", None
                return False, "limit", wait
            if a.algo == "stacked":
                ok, wait = self.gcra.check(key, t)
                if not ok:
                    return False, "limit", wait
                gok, gwait = self.glob.check("*", t)
                if not gok:
                    return False, "global", gwait
                self.gcra.commit(key, t)
                self.glob.commit("*", t)
                return True, "ok", None
        raise ValueError(a.algo)


def retry_header(spec, t, wait_ms):
    """-> (header value or None, epoch ms it points to or None)"""
    if spec == "absent" or wait_ms is None:
        return None, None
    if spec.startswith("fixed:"):
        n = int(spec[6:])
        return str(n), None          # ra_until filled in at t_out (seconds count from the response)
    secs = max(1, int(math.ceil(wait_ms / 1000.0)))
    if spec == "countdown":
        return str(secs), None
    if spec == "http-date":
        until = math.ceil((t + wait_ms) / 1000.0)
        return email.utils.formatdate(until, usegmt=True), until * 1000.0
    raise ValueError(spec)


def make_handler(a, lim, logf, loglock, serial):
    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "jtlscope-lab/1"
        sys_version = ""
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            with loglock:
                serial[0] += 1
                self.conn_id = serial[0]

        def log_message(self, fmt, *args):
            pass

        def key_of(self):
            k = a.key
            if k == "shared":
                return "*"
            if k == "client-host":
                return self.client_address[0]
            if k == "connection":
                return str(self.conn_id)
            if k.startswith("header:"):
                return self.headers.get(k[7:], "")
            raise ValueError(k)

        def _serve(self, with_body=True):
            t_in = now_ms()
            n = int(self.headers.get("Content-Length") or 0)
            if n > 0:
                self.rfile.read(min(n, 1 << 20))
            key = self.key_of()
            ok, why, wait = lim.decide(key, t_in)
            status = 200
            ra = ra_until = None
            if a.algo == "concurrency-queue":
                with lim.lock:
                    full = lim.inside >= a.workers + a.queue
                    if not full:
                        lim.inside += 1
                if full:
                    ok, why, status = False, "queue-full", 503
                    ra, ra_until = retry_header(a.retry_after, t_in, 1000.0 * a.queue_retry)
                else:
                    try:
                        with lim.sem:
                            # service time grows with the number of requests inside
                            d = a.delay_ms * (1.0 + 0.15 * lim.inside) + random.uniform(0, a.jitter_ms)
                            time.sleep(d / 1000.0)
                    finally:
                        with lim.lock:
                            lim.inside -= 1
            elif ok:
                d = a.delay_ms + random.uniform(0, a.jitter_ms)
                if d > 0:
                    time.sleep(d / 1000.0)
            else:
                status = a.status
                ra, ra_until = retry_header(a.retry_after, t_in, wait)
            if ok:
                body = {"ok": True, "path": self.path}
            else:
                body = {"error": "too many requests" if status == 429 else "service unavailable",
                        "reason": why}
            data = (json.dumps(body) + "\n").encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if a.ratelimit_headers and a.algo in ("fixed-window", "sliding-log", "sliding-counter"):
                self.send_header("X-RateLimit-Limit", str(a.limit))
            if ra is not None:
                self.send_header("Retry-After", ra)
            self.end_headers()
            if with_body:
                self.wfile.write(data)
            self.wfile.flush()
            t_out = now_ms()
            if ra is not None and ra_until is None:
                ra_until = t_out + 1000.0 * int(ra)
            if logf is not None:
                rec = {"t_in": round(t_in, 3), "t_out": round(t_out, 3), "st": status, "why": why,
                       "key": key, "th": self.headers.get("X-JMeter-Thread", ""),
                       "conn": self.conn_id,
                       "peer": "%s:%d" % self.client_address[:2],
                       "local": "%s:%d" % self.connection.getsockname()[:2],
                       "ra_until": None if ra_until is None else round(ra_until, 3), "ra": ra}
                with loglock:
                    logf.write(json.dumps(rec, separators=(",", ":")) + "\n")

        def do_GET(self):
            self._serve()

        def do_HEAD(self):
            self._serve(with_body=False)

        def do_POST(self):
            self._serve()

    return Handler


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", action="append", required=True, help="ADDR:PORT (127.0.0.0/8)")
    ap.add_argument("--algo", required=True,
                    choices=["none", "fixed-window", "sliding-log", "sliding-counter", "gcra",
                             "concurrency-queue", "stacked"])
    ap.add_argument("--key", default="shared")
    ap.add_argument("--limit", type=int, default=10)
    ap.add_argument("--window", type=float, default=1.0)
    ap.add_argument("--rate", type=float, default=10.0)
    ap.add_argument("--burst", type=int, default=1)
    ap.add_argument("--global-rate", type=float, default=10.0)
    ap.add_argument("--global-burst", type=int, default=1)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--queue", type=int, default=8)
    ap.add_argument("--queue-retry", type=float, default=1.0, help="Retry-After seconds of a shed 503")
    ap.add_argument("--status", type=int, default=429)
    ap.add_argument("--retry-after", default="absent")
    ap.add_argument("--ratelimit-headers", action="store_true")
    ap.add_argument("--delay-ms", type=float, default=2.0, help="service time of an admitted request")
    ap.add_argument("--jitter-ms", type=float, default=1.0)
    ap.add_argument("--log")
    a = ap.parse_args()
    for l in a.listen:
        if not l.startswith("127."):
            ap.error("loopback addresses only: " + l)
    logf = open(a.log, "w", buffering=1) if a.log else None
    lim = Limiter(a)
    loglock = threading.Lock()
    serial = [0]
    servers = []
    for l in a.listen:
        host, port = l.rsplit(":", 1)
        srv = Server((host, int(port)), make_handler(a, lim, logf, loglock, serial))
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *x: stop.set())
    signal.signal(signal.SIGINT, lambda *x: stop.set())
    sys.stderr.write("lab limiter %s on %s\n" % (a.algo, ",".join(a.listen)))
    sys.stderr.flush()
    stop.wait()
    for srv in servers:
        srv.shutdown()
        srv.server_close()
    if logf:
        logf.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
