#!/usr/bin/env python3
"""WebSocket (RFC 6455) message-rate limiter for jtlscope's limiter lab (stdlib only).

Speaks like Genesys Cloud Web Messaging: every client text frame is a request and gets exactly
one text frame back.  Admitted:
  {"type":"response","class":"StructuredMessage","code":200,"body":{"text":"ok","seq":N}}
Throttled (in-band, the TCP connection stays open):
  {"type":"response","class":"TooManyRequestsErrorMessage","code":429,
   "body":{"retryAfter":R,"errorCode":4029,"errorMessage":"Message rate too high for this session"}}
R = whole seconds until the bucket admits a message again (>= 1), or --retry-after fixed:N.

The limiter is a token bucket of --rate messages/s and capacity --burst, --key shared (one bucket
for every connection) or session (one bucket per WebSocket connection).  Every message decision
is one JSON line in --log (see limiter_server.py; "th" is the session id "ws-N", "conn" N).

usage: ws_server.py --listen 127.0.0.1:18200 --rate 20 --burst 10 --key shared --log FILE
Hand-written framing, test tool only: no extensions, no fragmentation of server frames, client
frames up to 64 KiB.  Stops on SIGTERM/SIGINT.
"""
import argparse
import base64
import hashlib
import json
import math
import signal
import socket
import socketserver
import struct
import sys
import threading
import time

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def now_ms():
    return time.time() * 1000.0


class Bucket:
    def __init__(self, rate, burst):
        self.rate = rate
        self.burst = float(burst)
        self.state = {}
        self.lock = threading.Lock()

    def take(self, key, t):
        """-> (ok, wait_ms)"""
        with self.lock:
            tokens, last = self.state.get(key, (self.burst, t))
            tokens = min(self.burst, tokens + (t - last) / 1000.0 * self.rate)
            if tokens >= 1.0:
                self.state[key] = (tokens - 1.0, t)
                return True, 0.0
            self.state[key] = (tokens, t)
            return False, (1.0 - tokens) / self.rate * 1000.0


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def read_frame(sock):
    h = recv_exact(sock, 2)
    fin, op = h[0] & 0x80, h[0] & 0x0F
    masked, ln = h[1] & 0x80, h[1] & 0x7F
    if ln == 126:
        ln = struct.unpack("!H", recv_exact(sock, 2))[0]
    elif ln == 127:
        ln = struct.unpack("!Q", recv_exact(sock, 8))[0]
    if ln > 65536:
        raise ConnectionError("frame too large")
    mask = recv_exact(sock, 4) if masked else b"\0\0\0\0"
    data = bytearray(recv_exact(sock, ln))
    for i in range(ln):
        data[i] ^= mask[i & 3]
    return bool(fin), op, bytes(data)


def frame(op, payload):
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | op, n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | op, 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | op, 127, n)
    return head + payload


def make_handler(a, bucket, logf, loglock, serial):
    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            sock = self.request
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with loglock:
                serial[0] += 1
                sid = serial[0]
            req = b""
            while b"\r\n\r\n" not in req:
                chunk = sock.recv(4096)
                if not chunk or len(req) > 16384:
                    return
                req += chunk
            head = req.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            hdrs = {}
            for line in head[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    hdrs[k.strip().lower()] = v.strip()
            key = hdrs.get("sec-websocket-key")
            if not key or "websocket" not in hdrs.get("upgrade", "").lower():
                sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            acc = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
            sock.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n" % acc).encode())
            seq = 0
            bkey = "*" if a.key == "shared" else "ws-%d" % sid
            peer = "%s:%d" % self.client_address[:2]
            local = "%s:%d" % sock.getsockname()[:2]
            try:
                while True:
                    fin, op, data = read_frame(sock)
                    if op == 0x8:
                        sock.sendall(frame(0x8, data[:2]))
                        return
                    if op == 0x9:
                        sock.sendall(frame(0xA, data))
                        continue
                    if op not in (0x1, 0x2):
                        continue
                    t_in = now_ms()
                    seq += 1
                    ok, wait = bucket.take(bkey, t_in)
                    ra = None
                    if ok:
                        msg = {"type": "response", "class": "StructuredMessage", "code": 200,
                               "body": {"text": "ok", "seq": seq}}
                    else:
                        if a.retry_after.startswith("fixed:"):
                            ra = int(a.retry_after[6:])
                        else:
                            ra = max(1, int(math.ceil(wait / 1000.0)))
                        msg = {"type": "response", "class": "TooManyRequestsErrorMessage", "code": 429,
                               "body": {"retryAfter": ra, "errorCode": 4029,
                                        "errorMessage": "Message rate too high for this session"}}
                    sock.sendall(frame(0x1, json.dumps(msg, separators=(",", ":")).encode()))
                    t_out = now_ms()
                    rec = {"t_in": round(t_in, 3), "t_out": round(t_out, 3), "st": 200 if ok else 429,
                           "why": "ok" if ok else "limit", "key": bkey, "th": "ws-%d" % sid,
                           "conn": sid, "peer": peer, "local": local,
                           "ra_until": None if ra is None else round(t_out + 1000.0 * ra, 3),
                           "ra": ra}
                    if logf is not None:
                        with loglock:
                            logf.write(json.dumps(rec, separators=(",", ":")) + "\n")
            except (ConnectionError, OSError):
                return

    return Handler


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", required=True)
    ap.add_argument("--rate", type=float, required=True)
    ap.add_argument("--burst", type=int, required=True)
    ap.add_argument("--key", choices=["shared", "session"], default="shared")
    ap.add_argument("--retry-after", default="countdown", help="countdown | fixed:N")
    ap.add_argument("--log")
    a = ap.parse_args()
    host, port = a.listen.rsplit(":", 1)
    if not host.startswith("127."):
        ap.error("loopback only")
    logf = open(a.log, "w", buffering=1) if a.log else None
    srv = Server((host, int(port)), make_handler(a, Bucket(a.rate, a.burst), logf, threading.Lock(), [0]))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *x: stop.set())
    signal.signal(signal.SIGINT, lambda *x: stop.set())
    sys.stderr.write("lab ws limiter on %s (%s, %g/s burst %d)\n" % (a.listen, a.key, a.rate, a.burst))
    sys.stderr.flush()
    stop.wait()
    srv.shutdown()
    srv.server_close()
    if logf:
        logf.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
