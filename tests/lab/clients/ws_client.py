#!/usr/bin/env python3
"""WebSocket load client for jtlscope's limiter lab (stdlib only, RFC 6455 client framing).

Opens --connections WebSocket connections to ws://ADDR:PORT/PATH (opened over --ramp s) and on
each sends one masked text frame every --period s for --duration s, reading the one answer frame
the lab's ws_server.py sends back.  Send instants:
  spread    connection i sends at start + i * period / N + k * period (+ --jitter ms uniform)
  lockstep  every connection sends at the same instants start + k * period
  random    uniformly random phase per connection
--honour: after an in-band 429 whose body carries retryAfter R, the connection sends nothing
until R s after the answer arrived (then resumes its own schedule).
Writes nothing but a one-line summary on stderr (the capture is the JTL of this client).

usage: ws_client.py --target 127.0.0.1:18200 --connections 50 --period 2 --duration 30
                    [--mode spread|lockstep|random] [--ramp 0] [--honour] [--seed N]
"""
import argparse
import base64
import json
import os
import random
import socket
import struct
import sys
import threading
import time


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
    op = h[0] & 0x0F
    ln = h[1] & 0x7F
    if ln == 126:
        ln = struct.unpack("!H", recv_exact(sock, 2))[0]
    elif ln == 127:
        ln = struct.unpack("!Q", recv_exact(sock, 8))[0]
    return op, recv_exact(sock, ln)


def masked_frame(op, payload, rnd):
    mask = bytes(rnd.getrandbits(8) for _ in range(4))
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | op, 0x80 | n)
    else:
        head = struct.pack("!BBH", 0x80 | op, 0x80 | 126, n)
    return head + mask + bytes(b ^ mask[i & 3] for i, b in enumerate(payload))


def run_conn(i, a, start, stats, lock):
    rnd = random.Random(a.seed * 1000 + i)
    host, port = a.target.rsplit(":", 1)
    if a.mode == "spread":
        phase = i * a.period / a.connections
    elif a.mode == "lockstep":
        phase = 0.0
    else:
        phase = rnd.uniform(0, a.period)
    open_at = start + (i * a.ramp / a.connections if a.ramp > 0 else 0.0)
    time.sleep(max(0.0, open_at - time.time()))
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(("GET /api/v2/webmessaging HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                  "Origin: http://lab.jtlscope.test\r\nUser-Agent: jtlscope-lab-wsclient/1\r\n\r\n"
                  % (a.target, key)).encode())
    resp = b""
    while b"\r\n\r\n" not in resp:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("handshake failed")
        resp += chunk
    if b" 101 " not in resp.split(b"\r\n", 1)[0]:
        raise ConnectionError("no 101")
    end = start + a.ramp + a.duration
    k = 0
    # first slot after the connection opened
    while start + phase + k * a.period < open_at:
        k += 1
    hold_until = 0.0
    sent = throttled = 0
    seq = 0
    while True:
        slot = start + phase + k * a.period
        k += 1
        if slot >= end:
            break
        if a.jitter_ms > 0:
            slot += rnd.uniform(0, a.jitter_ms / 1000.0)
        time.sleep(max(0.0, slot - time.time()))
        if time.time() < hold_until:
            continue
        seq += 1
        msg = {"action": "onMessage", "token": "lab-%d" % i,
               "message": {"type": "Text", "text": "hello %d/%d" % (i, seq)}}
        sock.sendall(masked_frame(0x1, json.dumps(msg, separators=(",", ":")).encode(), rnd))
        sent += 1
        op, data = read_frame(sock)
        if op == 0x1:
            try:
                ans = json.loads(data.decode())
            except ValueError:
                ans = {}
            if ans.get("code") == 429:
                throttled += 1
                if a.honour:
                    hold_until = time.time() + float(ans.get("body", {}).get("retryAfter", 0))
    try:
        sock.sendall(masked_frame(0x8, struct.pack("!H", 1000), rnd))
        sock.settimeout(2)
        read_frame(sock)
    except (OSError, ConnectionError):
        pass
    sock.close()
    with lock:
        stats[0] += sent
        stats[1] += throttled


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--target", required=True)
    ap.add_argument("--connections", type=int, required=True)
    ap.add_argument("--period", type=float, required=True)
    ap.add_argument("--duration", type=float, required=True)
    ap.add_argument("--mode", choices=["spread", "lockstep", "random"], default="spread")
    ap.add_argument("--ramp", type=float, default=0.0)
    ap.add_argument("--jitter-ms", type=float, default=0.0)
    ap.add_argument("--honour", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if not a.target.startswith("127.") or a.connections > 200 or a.duration > 60:
        ap.error("loopback, <= 200 connections, <= 60 s only")
    start = time.time() + 0.5
    stats = [0, 0]
    lock = threading.Lock()
    ths = [threading.Thread(target=run_conn, args=(i, a, start, stats, lock), daemon=True)
           for i in range(a.connections)]
    for t in ths:
        t.start()
    for t in ths:
        t.join(a.ramp + a.duration + 30)
    sys.stderr.write("ws client: %d messages sent, %d throttled in-band\n" % (stats[0], stats[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
