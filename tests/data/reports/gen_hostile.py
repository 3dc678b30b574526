#!/usr/bin/env python3
"""gen_hostile.py - writes hostile.csv, the JTL fixture of tests/reports/run.sh.

A JMeter CSV result file (JMeter 5.x default columns) of 20 threads for 40 s against two
hosts; from +15 s the first host answers every second request with 429.  Labels, thread
names, response codes, messages and URLs carry hostile text: HTML/script, Markdown table
syntax, backticks, quotes, newlines, a gnuplot command, shell text, spreadsheet formulas and
invalid UTF-8.  Deterministic: run it again to get the same bytes.
"""
import csv, io, os

HOSTILE = [
    b"<script>alert(1)</script>",
    b"a|b|c `code` **bold** [x](javascript:alert(1)) $x$",
    b'"; system("id"); "',
    b'set output "/tmp/x"\n@macro `id` \\',
    b"=cmd|' /C calc'!A0",
    b"+1+2",
    b"-2+3+cmd|' /C calc'!A0",
    b"@SUM(1+1)",
    b"bad\xff\xfeutf8\xc3(",
    b"line1\nline2\r\n- item\n# heading",
    b"<img src=x onerror=alert(1)>&amp;",
]
T0 = 1700000000000
HEAD = ["timeStamp", "elapsed", "label", "responseCode", "responseMessage", "threadName",
        "dataType", "success", "failureMessage", "bytes", "sentBytes", "grpThreads",
        "allThreads", "URL", "Latency", "IdleTime", "Connect"]


def field(b):
    # RFC 4180 quoting on bytes (csv module works on str; keep the invalid UTF-8 bytes)
    if any(c in b for c in b',"\r\n'):
        return b'"' + b.replace(b'"', b'""') + b'"'
    return b


def main():
    out = io.BytesIO()
    out.write(",".join(HEAD).encode() + b"\n")
    for sec in range(40):
        for th in range(20):
            thr = th < 10 and sec >= 15 and (sec + th) % 2 == 0
            code = b"429" if thr else b"200"
            if th == 7 and sec % 4 == 0:
                code = HOSTILE[(sec // 4) % len(HOSTILE)]
            ok = not thr and code == b"200"
            host = b"ap-southeast-1.example.com" if th < 10 else b"us-east-1.example.com"
            url = b"http://" + host + b"/api?q=" + HOSTILE[(th + sec) % len(HOSTILE)].replace(b"\n", b" ")
            el = 2 if thr else 40 + th + (30 if sec >= 15 else 0)
            row = [str(T0 + sec * 1000 + th * 37).encode(), str(el).encode(),
                   HOSTILE[th % len(HOSTILE)],
                   code, b"Too Many Requests" if thr else HOSTILE[(th + 5) % len(HOSTILE)],
                   HOSTILE[(th + 3) % len(HOSTILE)] + b" 1-" + str(th + 1).encode(),
                   b"text", b"true" if ok else b"false", b"" if ok else HOSTILE[(th + 1) % len(HOSTILE)],
                   b"1000", b"200", b"20", b"20", url, str(el // 2).encode(), b"0", b"3"]
            out.write(b",".join(field(f) for f in row) + b"\n")
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostile.csv"), "wb") as f:
        f.write(out.getvalue())


if __name__ == "__main__":
    main()
