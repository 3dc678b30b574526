#!/usr/bin/env python3
"""TLS fixture client: keep-alive HTTPS requests with a key log (SSLContext.keylog_filename).

client.py PORT KEYLOG OUT_JSON: for each TLS setup (1.3 default suite; 1.2 ECDHE with
AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305) two connections send 15 GET requests each, 30 ms
apart (about 30 r/s), so the server's limit (20 r/s, burst 10) answers some with 429.  Prints what
it saw (status counts per setup) as JSON to OUT_JSON.  Bounded: 120 requests, 10 s timeouts.
"""
import http.client
import json
import ssl
import sys
import time

port, keylog, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
setups = [
    ("tls1.3", ssl.TLSVersion.TLSv1_3, None),
    ("tls1.2-aes128gcm", ssl.TLSVersion.TLSv1_2, "ECDHE-RSA-AES128-GCM-SHA256"),
    ("tls1.2-aes256gcm", ssl.TLSVersion.TLSv1_2, "ECDHE-RSA-AES256-GCM-SHA384"),
    ("tls1.2-chacha20", ssl.TLSVersion.TLSv1_2, "ECDHE-RSA-CHACHA20-POLY1305"),
]
seen = {}
for name, ver, ciphers in setups:
    for conn_no in range(2):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.minimum_version = ver
        ctx.maximum_version = ver
        if ciphers:
            ctx.set_ciphers(ciphers)
        ctx.keylog_filename = keylog
        c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
        for i in range(15):
            path = "/v2/search" if i % 3 else "/v2/items"
            c.request("GET", path, headers={"Host": "api.tls.jtlscope.test",
                                            "X-Setup": name})
            r = c.getresponse()
            r.read()
            time.sleep(0.03)
            key = "%s %d" % (name, r.status)
            seen[key] = seen.get(key, 0) + 1
        c.close()
with open(out, "w") as f:
    json.dump(seen, f, indent=1, sort_keys=True)
