#!/usr/bin/env python3
"""gen_dst.py - writes dst.csv: a JMeter CSV (the columns of JMeter 5's default CSV) of a
60 s run across the start of daylight saving time in Europe/Berlin (2026-03-29 01:00:00 UTC,
when 02:00 CET becomes 03:00 CEST), for the --tz tests of tests/reports/verdict.sh.

8 threads each send one request every 200 ms (40 req/s) from 00:59:30 to 01:00:30 UTC.  From
01:00:00 UTC on, a fixed window of 20 requests per wall-clock second admits the first 20 of
each second and answers the rest 429 (no headers: a CSV keeps none).  Deterministic: no
randomness, elapsed times from the request index.

    python3 tests/reports/gen_dst.py > tests/reports/dst.csv
"""
import sys

START = 1774745970000          # 2026-03-29 00:59:30 UTC
LIMIT_FROM = 1774746000000     # 2026-03-29 01:00:00 UTC
THREADS, PERIOD_MS, DURATION_MS, LIMIT = 8, 200, 60000, 20

rows = []
for t in range(THREADS):
    for k in range(DURATION_MS // PERIOD_MS):
        ts = START + k * PERIOD_MS + t * 25
        rows.append((ts, t))
rows.sort()
w = sys.stdout.write
w("timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,"
  "failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n")
per_second = {}
for i, (ts, t) in enumerate(rows):
    sec = ts // 1000
    n = per_second.get(sec, 0)
    per_second[sec] = n + 1
    throttled = ts >= LIMIT_FROM and n >= LIMIT
    code, msg, ok = ("429", "Too Many Requests", "false") if throttled else ("200", "OK", "true")
    elapsed = 3 if throttled else 40 + (i * 7) % 23
    w(f"{ts},{elapsed},GET /orders,{code},{msg},Berlin 1-{t + 1},text,{ok},,"
      f"{120 if throttled else 900},150,{THREADS},{THREADS},https://api.example.de/orders,"
      f"{elapsed - 1},0,0\n")
