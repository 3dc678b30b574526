#!/usr/bin/python3
"""WSS fixture: a WebSocket server and clients over TLS with permessage-deflate (python3-websockets,
Debian 12), shaped like Genesys Cloud Web Messaging, with a shared token bucket.

wss_pair.py PORT CERT KEY KEYLOG TRUTH_JSON

Server (127.0.0.1:PORT, TLS with CERT/KEY): one token bucket shared by every connection, 20
tokens/s, burst 10.  Each client message {"action":"onMessage",...,"tracingId":T} is answered
{"type":"response","class":"StructuredMessage","code":200,...,"tracingId":T} when a token is
left, else {"type":"response","class":"TooManyRequestsErrorMessage","code":429,"body":
{"retryAfter":1,"errorCode":4029,"errorMessage":"Message rate too high for this session"},
"tracingId":T}.  Every 2 s each connection also gets an agent message (a push: no tracingId).
Clients: 20 connections, one message every 0.5 s (+-20 % jitter) for 8 s, so 40 msg/s offered
to a 20 msg/s limit; TLS key log via SSLContext.keylog_filename.  Both sides negotiate
permessage-deflate (the library default, context takeover both ways).  The server's decisions
are the truth (TRUTH_JSON: admitted and rejected counts, per connection and in total).
Bounded: everything stops after 8 s of sending plus 2 s.  WSS_CLIENTS, WSS_PERIOD and
WSS_DURATION (environment) change the client side, e.g. 50 clients, 2 s, 20 s for issue 10's
case 6.
"""
import asyncio
import json
import random
import ssl
import sys
import time

import websockets

PORT, CERT, KEY, KEYLOG, TRUTH = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
import os
RATE, BURST = 20.0, 10.0
CLIENTS = int(os.environ.get("WSS_CLIENTS", "20"))        # overrides for other scenarios
PERIOD = float(os.environ.get("WSS_PERIOD", "0.5"))
DURATION = float(os.environ.get("WSS_DURATION", "8"))
truth = {"admitted": 0, "rejected": 0, "pushes": 0, "per_connection": {}}
bucket = {"tokens": BURST, "t": time.monotonic()}


def take():
    now = time.monotonic()
    bucket["tokens"] = min(BURST, bucket["tokens"] + (now - bucket["t"]) * RATE)
    bucket["t"] = now
    if bucket["tokens"] >= 1:
        bucket["tokens"] -= 1
        return True
    return False


async def pusher(ws):
    try:
        while True:
            await asyncio.sleep(2.0)
            truth["pushes"] += 1
            await ws.send(json.dumps({"type": "message", "class": "StructuredMessage", "code": 200,
                                      "body": {"text": "Agent is typing a long answer " * 4,
                                               "direction": "Outbound", "type": "Text"}}))
    except (websockets.ConnectionClosed, asyncio.CancelledError):
        pass


async def handler(ws, path=None):
    name = "%s:%d" % ws.remote_address[:2]
    per = truth["per_connection"].setdefault(name, {"admitted": 0, "rejected": 0})
    push = asyncio.ensure_future(pusher(ws))
    try:
        async for msg in ws:
            m = json.loads(msg)
            tid = m.get("tracingId")
            if take():
                truth["admitted"] += 1
                per["admitted"] += 1
                ans = {"type": "response", "class": "StructuredMessage", "code": 200,
                       "body": {"text": m["message"]["text"], "direction": "Inbound", "type": "Text",
                                "channel": {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}},
                       "tracingId": tid}
            else:
                truth["rejected"] += 1
                per["rejected"] += 1
                ans = {"type": "response", "class": "TooManyRequestsErrorMessage", "code": 429,
                       "body": {"retryAfter": 1, "errorCode": 4029,
                                "errorMessage": "Message rate too high for this session"},
                       "tracingId": tid}
            await ws.send(json.dumps(ans))
    except websockets.ConnectionClosed:
        pass
    finally:
        push.cancel()


async def client(i, ctx):
    uri = "wss://127.0.0.1:%d/v1?deploymentId=2b9a7c1e-0c4d-4c8e-9d5f-1d2e3f4a5b6c" % PORT
    await asyncio.sleep(i * min(0.05, PERIOD / CLIENTS))
    async with websockets.connect(uri, ssl=ctx, server_hostname="webmessaging.tls.jtlscope.test",
                                  compression="deflate") as ws:
        async def reader():
            try:
                async for _ in ws:
                    pass
            except websockets.ConnectionClosed:
                pass
        rd = asyncio.ensure_future(reader())
        end = time.monotonic() + DURATION
        n = 0
        while time.monotonic() < end:
            n += 1
            await ws.send(json.dumps({"action": "onMessage", "token": "00a3c5c1-3d0b-4c1e-9f52-%012d" % i,
                                      "message": {"type": "Text", "text": "hello %d from client %d" % (n, i)},
                                      "tracingId": "c%d-m%d" % (i, n)}))
            await asyncio.sleep(PERIOD * random.uniform(0.8, 1.2))
        await asyncio.sleep(0.5)
        await ws.close()
        rd.cancel()


async def main():
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(CERT, KEY)
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.check_hostname = False
    cctx.verify_mode = ssl.CERT_NONE
    cctx.keylog_filename = KEYLOG
    random.seed(13)
    async with websockets.serve(handler, "127.0.0.1", PORT, ssl=sctx, compression="deflate"):
        await asyncio.wait_for(asyncio.gather(*(client(i, cctx) for i in range(CLIENTS))), DURATION + 22)
    with open(TRUTH, "w") as f:
        json.dump(truth, f, indent=1, sort_keys=True)


asyncio.run(main())
