#!/usr/bin/env python3
"""Fixed-window rate limiter on loopback (stdlib only), for the
known-answer run sample-data/known/fixed-window-503.

Windows are WINDOW seconds long and aligned to epoch multiples of WINDOW
(e.g. 12:00:00-12:00:10, 12:00:10-12:00:20 for WINDOW=10).  The limit is
global (all clients, all connections share it): at most LIMIT requests are
ACCEPTED per window; further requests in the same window are REJECTED and do
not count.  The counter resets at the window boundary.

Accepted:  200, JSON body, headers
    X-RateLimit-Limit: LIMIT
    X-RateLimit-Remaining: LIMIT - accepted_so_far_in_window
    X-RateLimit-Reset: <epoch seconds of window end>
Rejected:  503 Service Unavailable, same X-RateLimit-* headers
    (Remaining: 0) plus
    Retry-After: <whole seconds until window end, rounded up, >= 1>

usage: fixed_window_server.py [--port 18100] [--limit 50] [--window 10] [--log FILE]
Binds 127.0.0.1 only.  --log writes one line per request:
    epoch_ms status window_start accepted_in_window retry_after
Stops on SIGTERM/SIGINT.
"""
import argparse
import http.server
import json
import math
import signal
import socketserver
import sys
import threading
import time


class Limiter:
    def __init__(self, limit, window):
        self.limit = limit
        self.window = window
        self.lock = threading.Lock()
        self.cur_window = None
        self.accepted = 0

    def decide(self):
        now = time.time()
        wstart = math.floor(now / self.window) * self.window
        with self.lock:
            if wstart != self.cur_window:
                self.cur_window = wstart
                self.accepted = 0
            ok = self.accepted < self.limit
            if ok:
                self.accepted += 1
            accepted = self.accepted
        wend = wstart + self.window
        retry = max(1, int(math.ceil(wend - now)))
        return now, ok, wstart, wend, accepted, retry


def make_handler(limiter, logf, loglock):
    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "jtlscope-fixedwindow/1"
        sys_version = ""
        protocol_version = "HTTP/1.1"  # keep-alive, like a real API

        def log_message(self, fmt, *args):
            pass

        def _serve(self, with_body=True):
            n = int(self.headers.get("Content-Length") or 0)
            if n > 0:
                self.rfile.read(min(n, 1 << 20))
            now, ok, wstart, wend, accepted, retry = limiter.decide()
            remaining = max(0, limiter.limit - accepted) if ok else 0
            if ok:
                status = 200
                body = {"ok": True, "path": self.path}
            else:
                status = 503
                body = {"error": "rate_limited", "limit": limiter.limit,
                        "window_s": limiter.window, "retry_after_s": retry}
            data = (json.dumps(body) + "\n").encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-RateLimit-Limit", str(limiter.limit))
            self.send_header("X-RateLimit-Remaining", str(remaining))
            self.send_header("X-RateLimit-Reset", str(int(wend)))
            if not ok:
                self.send_header("Retry-After", str(retry))
            self.end_headers()
            if with_body:
                self.wfile.write(data)
            if logf is not None:
                with loglock:
                    logf.write("%d %d %d %d %s\n" % (int(now * 1000), status, int(wstart),
                                                      accepted, retry if not ok else "-"))

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
    request_queue_size = 256


def main():
    ap = argparse.ArgumentParser(description="fixed-window 503 limiter (loopback only)")
    ap.add_argument("--port", type=int, default=18100)
    ap.add_argument("--limit", type=int, default=50)
    ap.add_argument("--window", type=int, default=10)
    ap.add_argument("--log")
    a = ap.parse_args()
    logf = open(a.log, "w", buffering=1) if a.log else None
    srv = Server(("127.0.0.1", a.port), make_handler(Limiter(a.limit, a.window), logf, threading.Lock()))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *x: stop.set())
    signal.signal(signal.SIGINT, lambda *x: stop.set())
    sys.stderr.write("fixed-window limiter on 127.0.0.1:%d: %d req / %d s\n" % (a.port, a.limit, a.window))
    sys.stderr.flush()
    stop.wait()
    srv.shutdown()
    srv.server_close()
    if logf:
        logf.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
