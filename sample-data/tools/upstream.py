#!/usr/bin/env python3
"""Tiny loopback backend whose latency grows with load (stdlib only).

Used by sample-data/regen.sh behind nginx.  Every listening port keeps its
own load counters, so two "regions" proxied to two ports do not affect each
other.  The response delay of a request is

    delay_ms = BASE + SQ * r**2 + INFL * inflight

where r is the number of requests this port started in the last second
(the request's own included) and inflight the number of requests being
served on this port when it arrived.  With the defaults: 10 r/s -> ~27 ms,
20 r/s -> ~60 ms, 25 r/s -> ~85 ms.  No randomness: the load alone shapes
latency.

usage: upstream.py PORT [PORT...]      (binds 127.0.0.1 only)
Stops on SIGTERM/SIGINT.  Never sends traffic itself.
"""
import collections
import http.server
import json
import signal
import socketserver
import sys
import threading
import time

BASE_MS = 10.0
SQ_MS = 0.12
INFL_MS = 2.0
MAX_DELAY_MS = 2000.0


class Load:
    def __init__(self):
        self.lock = threading.Lock()
        self.starts = collections.deque()
        self.inflight = 0

    def enter(self):
        now = time.monotonic()
        with self.lock:
            self.starts.append(now)
            while self.starts and self.starts[0] <= now - 1.0:
                self.starts.popleft()
            rate = len(self.starts)
            inflight = self.inflight
            self.inflight += 1
        return rate, inflight

    def leave(self):
        with self.lock:
            self.inflight -= 1


def make_handler(port, load):
    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "jtlscope-upstream/1"
        sys_version = ""
        protocol_version = "HTTP/1.0"

        def log_message(self, fmt, *args):  # quiet
            pass

        def _serve(self, with_body=True):
            rate, inflight = load.enter()
            try:
                delay = min(MAX_DELAY_MS, BASE_MS + SQ_MS * rate * rate + INFL_MS * inflight)
                time.sleep(delay / 1000.0)
                body = (json.dumps({"ok": True, "path": self.path, "port": port,
                                    "load_rps": rate, "inflight": inflight,
                                    "delay_ms": round(delay, 1)}) + "\n").encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("X-Upstream-Delay-Ms", "%.1f" % delay)
                self.end_headers()
                if with_body:
                    self.wfile.write(body)
            finally:
                load.leave()

        def do_GET(self):
            self._serve()

        def do_HEAD(self):
            self._serve(with_body=False)

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            if n > 0:
                self.rfile.read(min(n, 1 << 20))
            self._serve()

    return Handler


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    servers = []
    for p in argv[1:]:
        port = int(p)
        srv = Server(("127.0.0.1", port), make_handler(port, Load()))
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    sys.stderr.write("upstream listening on 127.0.0.1:%s\n" % ",".join(argv[1:]))
    sys.stderr.flush()
    stop.wait()
    for srv in servers:
        srv.shutdown()
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
