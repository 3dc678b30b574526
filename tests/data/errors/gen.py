#!/usr/bin/env python3
"""Writes assertions.csv: a JMeter 5.x CSV (default columns) of a run in which 26 % of the
samples fail a Duration Assertion ("The operation lasted too long: It took 1,203 milliseconds,
but should not have lasted longer than 1,000 milliseconds." is JMeter's DurationAssertion
message, with MessageFormat's grouping), a few fail on read timeouts (JMeter's "Non HTTP
response code: java.net.SocketTimeoutException" / "Non HTTP response message: Read timed out"),
a few get a 500, one a Response Assertion ("Test failed: text expected to contain /orderId/").
No 429: the run is not throttled.  Deterministic (no randomness); run: python3 gen.py."""
import csv

HEAD = ("timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,"
        "failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect").split(",")
LABELS = [("Home", "https://shop.example.com/"), ("Search", "https://shop.example.com/search?q=tea"),
          ("Checkout", "https://shop.example.com/checkout")]
rows = []
t0 = 1700000000000
for i in range(400):
    label, url = LABELS[i % 3]
    ts = t0 + i * 250
    thread = "Shoppers 1-%d" % (1 + i % 10)
    el = 150 + (i * 37) % 700
    code, msg, ok, fail = "200", "OK", "true", ""
    if i % 100 in (13, 47):
        code, msg, ok = "Non HTTP response code: java.net.SocketTimeoutException", "Non HTTP response message: Read timed out", "false"
        el = 30000 + i
    elif i % 50 == 21:
        code, msg, ok = "500", "Internal Server Error", "false"
    elif i == 222:
        ok, fail = "false", "Test failed: text expected to contain /orderId/"
    elif i % 4 == 1 or (i % 25 == 3):
        el = 1001 + (i * 53) % 900
        ok = "false"
        fail = ("The operation lasted too long: It took {:,} milliseconds, but should not have "
                "lasted longer than 1,000 milliseconds.".format(el))
    rows.append([str(ts), str(el), label, code, msg, thread, "text", ok, fail, str(2000 + i % 300),
                 "180", "10", "10", url, str(max(1, el - 20)), "0", "12" if i % 10 == 0 else "0"])
with open("assertions.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(HEAD)
    w.writerows(rows)
