#!/usr/bin/env python3
"""Draw limiter-lab scenarios from a seed (python3 stdlib only).

usage: scenarios.py draw --seed S --index I [--family F]   print one scenario (JSON)
       scenarios.py list --seed S --count N                print N ids (families cycle)
       scenarios.py families                               print the family names

A scenario is everything run_scenario.py needs to run it and truth.py needs to judge it:
limiter (server, key, parameters, status, Retry-After style), client (JMeter thread groups,
timers, output format, generators, or a WebSocket client), capture on/off, and jtlscope
arguments a user would pass.  draw(seed, index) is a pure function of (seed, index): the
family is FAMILIES[index % len(FAMILIES)] (so any N >= len(FAMILIES) covers every family) and
every parameter comes from random.Random("seed:index").  Presets (family names "issue-N") pin
the parameters of the failure classes of issue 10; they are drawn like any other family for
what the issue does not fix (timings, formats, names).

Bounds that hold for every draw: load <= 45 s per thread group, expected samples <= ~3000,
threads <= 120, ports 18100-18499 only, addresses 127.0.0.0/8 only.
"""
import argparse
import json
import math
import random
import sys

FAMILIES = [
    "nginx-shared", "nginx-connection", "nginx-tenant", "nginx-limit-conn", "fixed-window",
    "ws-shared", "nginx-client-host", "sliding-log", "gcra", "nginx-tc", "two-regions",
    "ws-lockstep", "sliding-counter", "concurrency-queue", "stacked", "ws-session",
    "nginx-small-burst", "honour-retry", "none",
]
PRESETS = ["issue-1", "issue-2", "issue-3", "issue-4", "issue-5", "issue-6", "issue-7",
           "issue-8", "issue-9"]

MAX_SAMPLES = 3000
WS_MAX_MESSAGES = 1500    # the capture is the input: ~190 gzipped bytes per message exchange
FORMATS = ["csv-header", "csv-noheader", "csv-formatted", "xml-headers", "xml-noheaders"]
STAMP_FORMATS = [("yyyy/MM/dd HH:mm:ss.SSS", False), ("yyyy-MM-dd HH:mm:ss,SSS", False),
                 ("dd.MM.yyyy HH:mm:ss.SSS", True), ("yyyy-MM-dd'T'HH:mm:ss.SSS", True)]
ZONES = [("UTC", "UTC"), ("Asia/Singapore", "Asia/Singapore"), ("America/New_York", "America/New_York"),
         ("Europe/Berlin", "Europe/Berlin"), ("+05:30", "GMT+05:30"), ("-03:00", "GMT-03:00")]
TENANTS = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell"]
REGIONS = ["ap-southeast-1", "us-east-1", "eu-west-1", "eu-central-1", "sa-east-1", "ap-south-1"]
PATHS = [("/api/v1/orders", "GET"), ("/api/v1/search", "GET"), ("/v2/quotes", "GET"),
         ("/api/v1/messages", "POST"), ("/api/v1/inbox", "GET"), ("/v1/items", "GET"),
         ("/api/v3/accounts", "GET"), ("/api/v1/checkout", "POST")]


def r2(x):
    return round(float(x), 3)


class Draw:
    def __init__(self, seed, index):
        self.rng = random.Random("%d:%d" % (seed, index))

    def u(self, a, b):
        return self.rng.uniform(a, b)

    def lu(self, a, b):   # log-uniform
        return math.exp(self.rng.uniform(math.log(a), math.log(b)))

    def i(self, a, b):
        return self.rng.randint(a, b)

    def c(self, seq):
        return self.rng.choice(seq)

    def p(self, prob):
        return self.rng.random() < prob


def samplers(d, n=None):
    n = n or d.c([1, 1, 1, 2])
    picks = d.rng.sample(PATHS, n)
    return [{"label": "%s %s" % (m, p), "path": p, "method": m} for p, m in picks]


def load_for(d, total_rps, duration, tmin=5, tmax=120, max_thread_rps=8.0, share=1.0):
    """threads and per-thread rate for a total offered rate, bounded samples (share of the budget)"""
    total_rps = min(total_rps, share * MAX_SAMPLES / max(1.0, duration * 0.95))
    lo = max(tmin, int(math.ceil(total_rps / max_thread_rps)))
    hi = max(lo, min(tmax, int(total_rps / 0.1)))
    threads = d.i(lo, hi) if d.p(0.5) else int(round(math.exp(d.u(math.log(lo), math.log(hi + 0.999)))))
    threads = max(lo, min(hi, threads))
    return threads, total_rps / threads


def group(d, name, threads, per_thread_rps, duration, ramp, host, port, smp, headers=(), timer=None):
    dur = int(round(duration))
    if timer is None:
        pacing = 1.0 / per_thread_rps
        timer = {"mode": "ctt", "per_thread_rps": r2(per_thread_rps),
                 "jitter_ms": r2(min(1000.0 * pacing * d.u(0.2, 0.9), 3000.0))}
    loops = int(per_thread_rps * dur) + 5 if timer["mode"] in ("ctt", "think") else \
        max(3, int(MAX_SAMPLES / max(1, threads)))
    return {"name": name, "threads": int(threads), "ramp_s": int(round(ramp)), "duration_s": dur,
            "delay_s": 0, "loops": loops, "timer": timer, "host": host, "port": port,
            "samplers": smp, "headers": [list(h) for h in headers], "tc": None}


def pick_format(d, allowed=None):
    fmt = d.c(allowed or FORMATS)
    out = {"format": fmt}
    if fmt == "csv-formatted":
        f, needs_arg = d.c(STAMP_FORMATS)
        zone, jzone = d.c(ZONES)
        out.update(timestamp_format=f, tz=zone, java_tz=jzone)
        out["args"] = ["--timestamp-format", f, "--tz", zone]
    return out


def nginx_rate(r):
    """nginx accepts integer r/s or r/m: round to what nginx can express, return (text, rate/s)"""
    if r >= 10:
        n = int(round(r))
        return "%dr/s" % n, float(n)
    n = max(1, int(round(r * 60)))
    return "%dr/m" % n, n / 60.0


def retry_nginx(d):
    return d.c(["fixed:%d" % d.i(1, 10), "fixed:%d" % d.i(1, 5), "absent"])


def retry_python(d):
    return d.c(["fixed:%d" % d.i(1, 8), "countdown", "http-date", "absent", "countdown"])


def base(seed, index, family, d):
    port = 18100 + (index * 8) % 390     # 18100..18489, +1..+3 for backends
    return {"schema": "jtlscope-lab-scenario/1", "seed": seed, "index": index, "family": family,
            "id": "s%d-%02d-%s" % (seed, index, family), "port": port, "capture": False,
            "args": [], "class": family}


# ------------------------------------------------------------------ families
def f_nginx_req(s, d, key, rate=None, burst=None, over=None):
    rate_txt, rate = nginx_rate(rate if rate is not None else d.lu(2, 60))
    burst = burst if burst is not None else d.i(0, 49)
    dur = d.i(20, 45)
    over = over or d.u(1.3, 3.0)
    threads, ptr = load_for(d, rate * over, dur)
    fmt = pick_format(d)
    s["limiter"] = {"server": "nginx-limit-req", "key": key,
                    "params": {"rate": rate_txt, "rate_per_s": r2(rate), "burst": burst, "nodelay": True},
                    "status": d.c([429, 429, 503]), "retry_after": retry_nginx(d)}
    s["client"] = dict(kind="jmeter", generators=[{"name": "gen1", "ip": ""}],
                       groups=[group(d, "users", threads, ptr, dur, d.u(0, dur * 0.5), "127.0.0.1",
                                     s["port"], samplers(d))],
                       honours_retry_after=False, **{k: v for k, v in fmt.items() if k != "args"})
    s["args"] = fmt.get("args", [])
    s["capture"] = d.p(0.25)
    return s


def f_nginx_shared(s, d):
    s = f_nginx_req(s, d, "server-name")
    if d.p(0.35):
        # one Constant Throughput Timer over all active threads instead of one per thread
        g = s["client"]["groups"][0]
        total = g["threads"] * g["timer"]["per_thread_rps"]
        g["timer"] = {"mode": "ctt-all", "total_rps": r2(total)}
        g["loops"] = int(total / g["threads"] * g["duration_s"] * 2) + 5
    return s


def f_nginx_small_burst(s, d):
    s = f_nginx_req(s, d, "server-name", rate=d.lu(5, 40), burst=d.i(0, 4), over=d.u(1.15, 1.8))
    s["class"] = "small-burst"
    return s


def f_nginx_connection(s, d, rate=None, burst=None, threads=None, over=None, light=None):
    rate_txt, rate = nginx_rate(rate if rate is not None else d.lu(0.5, 5))
    burst = burst if burst is not None else d.i(0, 10)
    dur = d.i(25, 45)
    over = over or d.u(1.5, 4.0)
    ptr = min(8.0, rate * over)
    threads = threads or max(5, min(60, int(MAX_SAMPLES / (ptr * dur * 1.3))))
    threads = d.i(5, threads) if threads > 5 else threads
    fmt = pick_format(d)
    groups = [group(d, "heavy clients", threads, ptr, dur, d.u(0, min(10, dur / 3)), "127.0.0.1",
                    s["port"], samplers(d))]
    if light if light is not None else d.p(0.4):
        lt = d.i(2, 6)
        groups.append(group(d, "light clients", lt, rate * d.u(0.3, 0.7), dur, d.u(0, 5), "127.0.0.1",
                            s["port"], groups[0]["samplers"]))
    s["limiter"] = {"server": "nginx-limit-req", "key": "connection",
                    "params": {"rate": rate_txt, "rate_per_s": r2(rate), "burst": burst, "nodelay": True},
                    "status": 429, "retry_after": retry_nginx(d)}
    s["client"] = dict(kind="jmeter", generators=[{"name": "gen1", "ip": ""}], groups=groups,
                       honours_retry_after=False, **{k: v for k, v in fmt.items() if k != "args"})
    s["args"] = fmt.get("args", [])
    s["capture"] = d.p(0.3)
    s["class"] = "per-connection"
    return s


def f_nginx_tenant(s, d, rate=None, burst=None):
    rate_txt, rate = nginx_rate(rate if rate is not None else d.lu(2, 40))
    burst = burst if burst is not None else d.i(0, 20)
    dur = d.i(25, 45)
    ta, tb = d.rng.sample(TENANTS, 2)
    over = d.u(1.4, 3.0)
    under = d.u(0.35, 0.75)
    if over + under < 1.2:
        over = 1.3 - under + 0.2
    na, pa = load_for(d, rate * over, dur, tmax=60, share=0.7)
    nb, pb = load_for(d, rate * under, dur, tmax=60, share=0.3)
    smp = samplers(d)
    fmt = pick_format(d, ["xml-headers", "xml-headers", "xml-headers", "csv-header"])
    s["limiter"] = {"server": "nginx-limit-req", "key": "header:X-Tenant",
                    "params": {"rate": rate_txt, "rate_per_s": r2(rate), "burst": burst, "nodelay": True},
                    "status": d.c([429, 429, 503]), "retry_after": retry_nginx(d)}
    s["client"] = dict(kind="jmeter", generators=[{"name": "gen1", "ip": ""}],
                       groups=[group(d, "tenant %s" % ta, na, pa, dur, d.u(0, dur / 3), "127.0.0.1", s["port"],
                                     smp, [("X-Tenant", ta)]),
                               group(d, "tenant %s" % tb, nb, pb, dur, d.u(0, dur / 3), "127.0.0.1", s["port"],
                                     smp, [("X-Tenant", tb)])],
                       honours_retry_after=False, **{k: v for k, v in fmt.items() if k != "args"})
    s["tenants"] = {ta: "over", tb: "under"}
    s["capture"] = d.p(0.2)
    s["class"] = "per-tenant"
    return s


def f_nginx_client_host(s, d):
    rate_txt, rate = nginx_rate(d.lu(2, 30))
    burst = d.i(0, 15)
    dur = d.i(25, 40)
    fmt = pick_format(d, ["csv-header", "csv-header", "xml-headers", "xml-noheaders", "csv-formatted"])
    smp = samplers(d)
    gens = []
    both = d.p(0.4)
    for gi, ip in enumerate(["127.0.0.2", "127.0.0.3"]):
        over = d.u(1.4, 3.0) if gi == 0 or both else d.u(0.3, 0.7)
        n, ptr = load_for(d, rate * over, dur, tmax=50, share=0.5)
        gens.append({"name": "gen%d" % (gi + 1), "ip": ip,
                     "groups": [group(d, "users", n, ptr, dur, d.u(0, dur / 3), "127.0.0.1", s["port"], smp)]})
    s["limiter"] = {"server": "nginx-limit-req", "key": "client-host",
                    "params": {"rate": rate_txt, "rate_per_s": r2(rate), "burst": burst, "nodelay": True},
                    "status": 429, "retry_after": retry_nginx(d)}
    s["client"] = dict(kind="jmeter", generators=gens, groups=None, honours_retry_after=False,
                       **{k: v for k, v in fmt.items() if k != "args"})
    s["args"] = fmt.get("args", [])
    s["capture"] = d.p(0.4)
    s["class"] = "per-client-host"
    return s


def f_nginx_limit_conn(s, d, cap=None, closed=None):
    cap = cap or d.i(2, 50)
    delay = d.u(60, 400)
    threads = min(120, max(cap + 2, int(cap * d.u(1.2, 2.2))))
    closed = d.p(0.6) if closed is None else closed
    if closed:
        timer = {"mode": "closed"}
        dur = d.i(10, 20)
    else:
        timer = {"mode": "think", "think_ms": int(d.u(10, 0.5 * delay)), "jitter_ms": int(d.u(0, 50))}
        dur = d.i(15, 30)
    fmt = pick_format(d, ["csv-header", "xml-noheaders", "xml-headers", "csv-noheader"])
    g = group(d, "closed-loop users", threads, 1.0, dur, d.u(0, 5), "127.0.0.1", s["port"], samplers(d, 1),
              timer=timer)
    g["loops"] = max(5, int(MAX_SAMPLES / threads))
    s["limiter"] = {"server": "nginx-limit-conn", "key": "server-name",
                    "params": {"concurrency": cap, "backend_delay_ms": r2(delay)},
                    "status": d.c([429, 503]), "retry_after": retry_nginx(d)}
    s["client"] = dict(kind="jmeter", generators=[{"name": "gen1", "ip": ""}], groups=[g],
                       honours_retry_after=False, **{k: v for k, v in fmt.items() if k != "args"})
    s["args"] = fmt.get("args", [])
    s["capture"] = d.p(0.3)
    s["class"] = "concurrency"
    return s


def f_python_window(s, d, algo, status=None, fmt_allowed=None, honour=False, retry=None,
                    limit=None, window=None):
    window = window or d.c([1, 2, 5, 10, 10, 15, 20, 30, 60])
    if limit is None:
        lrate = d.lu(0.5, 60)
        limit = max(2, int(round(lrate * window)))
        limit = min(limit, int(MAX_SAMPLES / 45 * window / 1.5)) if limit > 50 else limit
    lrate = limit / float(window)
    dur = int(min(45, max(20, 2.5 * window)))
    over = d.u(1.3, 3.0)
    threads, ptr = load_for(d, lrate * over, dur)
    fmt = pick_format(d, fmt_allowed)
    s["limiter"] = {"server": algo, "key": "shared",
                    "params": {"limit": limit, "window_s": window},
                    "status": status or d.c([429, 429, 503]),
                    "retry_after": retry or retry_python(d), "ratelimit_headers": d.p(0.5)}
    s["client"] = dict(kind="jmeter", generators=[{"name": "gen1", "ip": ""}],
                       groups=[group(d, "clients", threads, ptr, dur, d.u(0, min(15, dur / 3)), "127.0.0.1",
                                     s["port"], samplers(d))],
                       honours_retry_after=honour, **{k: v for k, v in fmt.items() if k != "args"})
    s["args"] = fmt.get("args", [])
    s["capture"] = d.p(0.2)
    return s


def f_fixed_window(s, d):
    return f_python_window(s, d, "fixed-window")


def f_sliding_log(s, d):
    return f_python_window(s, d, "sliding-log")


def f_sliding_counter(s, d):
    return f_python_window(s, d, "sliding-counter")


def f_gcra(s, d, honour=False, retry=None, rate=None):
    rate = rate or d.lu(0.5, 60)
    burst = d.i(1, 50)
    dur = d.i(25, 45)
    threads, ptr = load_for(d, rate * d.u(1.3, 3.0) + burst / dur, dur)
    fmt = pick_format(d)
    s["limiter"] = {"server": "gcra", "key": "shared",
                    "params": {"rate_per_s": r2(rate), "burst": burst},
                    "status": d.c([429, 429, 503]), "retry_after": retry or retry_python(d)}
    s["client"] = dict(kind="jmeter", generators=[{"name": "gen1", "ip": ""}],
                       groups=[group(d, "clients", threads, ptr, dur, d.u(0, dur / 3), "127.0.0.1", s["port"],
                                     samplers(d))],
                       honours_retry_after=honour, **{k: v for k, v in fmt.items() if k != "args"})
    s["args"] = fmt.get("args", [])
    s["capture"] = d.p(0.2)
    return s


def f_honour_retry(s, d):
    retry = d.c(["countdown", "http-date", "fixed:%d" % d.i(1, 5)])
    if d.p(0.5):
        s = f_gcra(s, d, honour=True, retry=retry)
    else:
        s = f_python_window(s, d, d.c(["fixed-window", "sliding-log"]), honour=True, retry=retry,
                            fmt_allowed=["csv-header", "xml-headers", "xml-noheaders"])
    s["class"] = "honours-retry-after"
    return s


def f_concurrency_queue(s, d):
    workers = d.i(2, 16)
    queue = d.i(2, 30)
    delay = d.u(30, 200)
    capacity_rps = workers * 1000.0 / delay
    dur = d.i(25, 45)
    threads = min(120, max(workers + queue + 5, int((workers + queue) * d.u(1.3, 2.5))))
    think = int(d.u(0, 300))
    fmt = pick_format(d, ["csv-header", "csv-noheader", "xml-noheaders", "xml-headers"])
    g = group(d, "users", threads, 1.0, dur, d.u(dur * 0.4, dur * 0.8), "127.0.0.1", s["port"], samplers(d),
              timer={"mode": "think", "think_ms": think, "jitter_ms": int(d.u(0, 200))})
    g["loops"] = max(5, int(MAX_SAMPLES / threads))
    s["limiter"] = {"server": "concurrency-queue", "key": "shared",
                    "params": {"workers": workers, "queue": queue, "service_ms": r2(delay),
                               "capacity_rps": r2(capacity_rps)},
                    "status": 503, "retry_after": d.c(["absent", "fixed:1", "fixed:%d" % d.i(1, 5)])}
    s["client"] = dict(kind="jmeter", generators=[{"name": "gen1", "ip": ""}], groups=[g],
                       honours_retry_after=False, **{k: v for k, v in fmt.items() if k != "args"})
    s["args"] = fmt.get("args", [])
    s["capture"] = d.p(0.2)
    s["class"] = "overload"
    return s


def f_stacked(s, d):
    rt = d.lu(2, 25)
    bt = d.i(1, 20)
    dur = d.i(25, 45)
    ntn = d.c([2, 3])
    tenants = d.rng.sample(TENANTS, ntn)
    offers = [rt * d.u(1.4, 3.0)] + [rt * d.u(0.3, 0.8) for _ in range(ntn - 1)]
    admitted = min(offers[0], rt) + sum(offers[1:])
    rg = max(rt * 1.1, admitted * d.u(0.6, 0.95))
    bg = d.i(5, 30)
    fmt = pick_format(d, ["xml-headers", "xml-headers", "csv-header"])
    smp = samplers(d)
    groups = []
    for t, off in zip(tenants, offers):
        n, ptr = load_for(d, off, dur, tmax=40, share=1.0 / ntn)
        groups.append(group(d, "tenant %s" % t, n, ptr, dur, d.u(0, dur / 3), "127.0.0.1", s["port"], smp,
                            [("X-Tenant", t)]))
    s["limiter"] = {"server": "stacked", "key": "header:X-Tenant",
                    "params": {"rate_per_s": r2(rt), "burst": bt, "global_rate_per_s": r2(rg), "global_burst": bg},
                    "status": 429, "retry_after": retry_python(d)}
    s["client"] = dict(kind="jmeter", generators=[{"name": "gen1", "ip": ""}], groups=groups,
                       honours_retry_after=False, **{k: v for k, v in fmt.items() if k != "args"})
    s["tenants"] = {t: ("over" if i == 0 else "under") for i, t in enumerate(tenants)}
    s["capture"] = d.p(0.2)
    s["class"] = "stacked"
    return s


def f_ws(s, d, key, mode, conns=None, period=None, rate=None, burst=None, honour=None, retry=None):
    s["port"] = 18100 + (s["index"] * 8) % 390
    if key == "shared":
        rate = rate or d.lu(2, 40)
        burst = burst or d.i(1, 30)
        period = period or d.u(0.5, 5)
        conns = conns or max(5, min(120, int(rate * d.u(1.3, 3.0) * period)))
    else:
        rate = rate or d.lu(0.2, 2)
        burst = burst or d.i(1, 10)
        period = period or min(5.0, (1.0 / rate) / d.u(1.5, 4.0))
        conns = conns or d.i(5, 40)
    dur = d.i(20, 40)
    while conns / period * dur > WS_MAX_MESSAGES and dur > 15:
        dur -= 1
    while conns / period * dur > WS_MAX_MESSAGES and conns > 5:
        conns -= 1
    s["limiter"] = {"server": "ws-bucket", "key": key, "params": {"rate_per_s": r2(rate), "burst": int(burst)},
                    "status": "in-band", "retry_after": "in-band:" + (retry or d.c(["countdown", "countdown", "%d" % d.i(1, 5)]))}
    runs = [{"connections": int(conns), "period_s": r2(period), "mode": mode, "duration_s": dur,
             "ramp_s": r2(d.u(0, min(10, dur / 3))) if mode != "lockstep" else 0.0,
             "jitter_ms": r2(d.u(0, 200)) if mode == "random" else 0.0,
             "honour": d.p(0.4) if honour is None else honour}]
    if key == "session" and d.p(0.5):
        runs.append({"connections": d.i(2, 8), "period_s": r2(min(8.0, (1.0 / rate) * d.u(1.5, 3))),
                     "mode": "random", "duration_s": dur, "ramp_s": 0.0, "jitter_ms": 100.0, "honour": False})
    s["client"] = {"kind": "ws", "runs": runs}
    s["capture"] = True
    s["class"] = "websocket"
    return s


def f_ws_shared(s, d):
    return f_ws(s, d, "shared", d.c(["spread", "random"]))


def f_ws_session(s, d):
    return f_ws(s, d, "session", d.c(["spread", "random"]))


def f_ws_lockstep(s, d):
    s = f_ws(s, d, d.c(["shared", "shared", "session"]), "lockstep")
    s["class"] = "lockstep"
    return s


def f_nginx_tc(s, d, sub=None):
    s = f_nginx_req(s, d, "server-name")
    g = s["client"]["groups"][0]
    g["samplers"] = samplers(d, d.c([2, 3]))
    g["tc"] = d.c(["Checkout flow", "Login and browse", "Send message"])
    # the thread group's timers pace every sampler (the children), so the per-thread request
    # rate stays as drawn; threads end by their loop count (transactions) before the scheduler
    # stops them: a transaction cut by the scheduler is never written (its finished children
    # would be in the limiter's log only)
    n = len(g["samplers"])
    g["loops"] = max(3, int(g["timer"]["per_thread_rps"] / n * (g["duration_s"] - g["ramp_s"] - 3)))
    fmt = pick_format(d, ["xml-headers", "xml-noheaders", "csv-header"])
    s["client"].update({k: v for k, v in fmt.items() if k != "args"})
    s["args"] = (["--sub-results"] if (d.p(0.5) if sub is None else sub) and fmt["format"].startswith("xml") else [])
    s["class"] = "transaction-controller"
    return s


def f_two_regions(s, d, rate=None, burst=None):
    rate_txt, rate = nginx_rate(rate if rate is not None else d.lu(3, 40))
    burst = burst if burst is not None else d.i(0, 20)
    dur = d.i(25, 45)
    ra, rb = d.rng.sample(REGIONS, 2)
    na, pa = load_for(d, rate * d.u(1.4, 3.0), dur, tmax=60, share=0.6)
    nb, pb = load_for(d, d.lu(2, 30), dur, tmax=60, share=0.4)
    fmt = pick_format(d, ["csv-header", "xml-headers", "xml-noheaders", "csv-formatted"])
    s["limiter"] = {"server": "nginx-limit-req", "key": "server-name",
                    "params": {"rate": rate_txt, "rate_per_s": r2(rate), "burst": burst, "nodelay": True},
                    "status": 429, "retry_after": retry_nginx(d),
                    "unlimited_listen": "127.0.0.4"}
    smp = samplers(d)
    s["client"] = dict(kind="jmeter", generators=[{"name": "gen1", "ip": ""}],
                       groups=[group(d, "%s users" % ra, na, pa, dur, d.u(0, dur / 3), "127.0.0.1", s["port"], smp),
                               group(d, "%s users" % rb, nb, pb, dur, d.u(0, dur / 3), "127.0.0.4", s["port"], smp)],
                       honours_retry_after=False, **{k: v for k, v in fmt.items() if k != "args"})
    s["args"] = fmt.get("args", []) + ["--region-by", "thread-group"]
    s["regions"] = {"%s users" % ra: "throttled", "%s users" % rb: "unlimited"}
    s["capture"] = d.p(0.2)
    s["class"] = "one-region-throttled"
    return s


def f_none(s, d):
    kind = d.c(["nginx", "gcra", "fixed-window"])
    rate = d.lu(5, 60)      # a limit high enough that 0.2-0.6 of it gives a run of >= ~200 requests
    if kind == "nginx":
        s = f_nginx_req(s, d, "server-name", rate=rate, over=d.u(0.2, 0.6))
        s["limiter"]["params"]["burst"] = max(s["limiter"]["params"]["burst"], 5)
    elif kind == "gcra":
        s = f_gcra(s, d, rate=rate)
        s["limiter"]["params"]["burst"] = max(s["limiter"]["params"]["burst"], 10)
        g = s["client"]["groups"][0]
        g["timer"]["per_thread_rps"] = r2(s["limiter"]["params"]["rate_per_s"] * d.u(0.2, 0.6) / g["threads"])
        g["loops"] = int(g["timer"]["per_thread_rps"] * g["duration_s"]) + 5
    else:
        window = d.c([1, 2, 5, 10, 10, 15, 20, 30, 60])
        s = f_python_window(s, d, "fixed-window", window=window, limit=max(2, int(round(rate * window))))
        lim = s["limiter"]["params"]
        g = s["client"]["groups"][0]
        # well under the limit even if a whole window's requests bunch up
        g["timer"]["per_thread_rps"] = r2(lim["limit"] / lim["window_s"] * d.u(0.2, 0.45) / g["threads"])
        g["loops"] = int(g["timer"]["per_thread_rps"] * g["duration_s"]) + 5
    for g in s["client"]["groups"]:
        g["ramp_s"] = max(g["ramp_s"], 3)
        g["timer"]["jitter_ms"] = r2(min(3000.0, 1000.0 / max(0.05, g["timer"]["per_thread_rps"])))
        if g["threads"] * g["timer"]["per_thread_rps"] * g["duration_s"] < 200:
            # a light load on a low limit: run longer so the run has enough requests to show
            # that nothing is throttled
            g["duration_s"] = 45
            g["loops"] = int(g["timer"]["per_thread_rps"] * 45) + 5
    s["class"] = "no-throttling"
    return s


# ------------------------------------------------------------------ presets (issue 10 classes)
def p_issue1(s, d):   # per-connection, rate well under 1 r/s per connection, every thread over it
    s = f_nginx_connection(s, d, rate=d.c([0.5, 0.5, 0.75]), burst=d.i(0, 2), threads=d.i(8, 16),
                           over=d.u(2.0, 4.0), light=False)
    s["class"] = "issue-1 per-connection, all keys over"
    return s


def p_issue2(s, d):
    s = f_nginx_limit_conn(s, d, cap=d.i(4, 20), closed=True)
    s["class"] = "issue-2 concurrency cap, closed loop"
    return s


def p_issue3(s, d):
    s = f_nginx_tenant(s, d, rate=d.c([10, 12, 15]), burst=d.i(2, 8))
    s["client"]["format"] = "xml-headers"
    s["class"] = "issue-3 two tenants on one host"
    return s


def p_issue4(s, d):
    s = f_nginx_req(s, d, "server-name", rate=15, burst=4, over=d.u(1.3, 2.0))
    s["class"] = "issue-4 small burst (15 r/s, capacity 5)"
    return s


def p_issue5(s, d):
    s = f_python_window(s, d, "fixed-window", status=503, fmt_allowed=["csv-noheader"],
                        retry=d.c(["countdown", "absent"]), window=d.c([5, 10, 15]))
    s["class"] = "issue-5 fixed window 503, header-less CSV"
    return s


def p_issue6(s, d):
    s = f_ws(s, d, "shared", d.c(["spread", "random"]), conns=50, period=2.0, rate=20, burst=10, honour=False,
             retry="3")
    s["class"] = "issue-6 WebSocket 50 x 1 msg / 2 s, shared 20/s burst 10, in-band 429"
    return s


def p_issue7(s, d):
    s = f_ws(s, d, "shared", "lockstep", conns=d.i(30, 60), period=2.0, rate=d.c([10, 20]), burst=d.c([5, 10]))
    s["class"] = "issue-7 lockstep clients"
    return s


def p_issue8(s, d):
    s = f_nginx_tc(s, d, sub=d.p(0.5))
    s["class"] = "issue-8 429s inside Transaction Controllers"
    return s


def p_issue9(s, d):
    s = f_two_regions(s, d)
    s["class"] = "issue-9 one of two regions throttled"
    return s


FAMILY_FN = {
    "nginx-shared": f_nginx_shared, "nginx-connection": f_nginx_connection, "nginx-tenant": f_nginx_tenant,
    "nginx-limit-conn": f_nginx_limit_conn, "fixed-window": f_fixed_window, "ws-shared": f_ws_shared,
    "nginx-client-host": f_nginx_client_host, "sliding-log": f_sliding_log, "gcra": f_gcra,
    "nginx-tc": f_nginx_tc, "two-regions": f_two_regions, "ws-lockstep": f_ws_lockstep,
    "sliding-counter": f_sliding_counter, "concurrency-queue": f_concurrency_queue, "stacked": f_stacked,
    "ws-session": f_ws_session, "nginx-small-burst": f_nginx_small_burst, "honour-retry": f_honour_retry,
    "none": f_none,
    "issue-1": p_issue1, "issue-2": p_issue2, "issue-3": p_issue3, "issue-4": p_issue4,
    "issue-5": p_issue5, "issue-6": p_issue6, "issue-7": p_issue7, "issue-8": p_issue8, "issue-9": p_issue9,
}


def normalise(s):
    """fill the per-generator group lists and output names"""
    c = s["client"]
    if c["kind"] != "jmeter":
        return s
    for g in c["generators"]:
        if not g.get("groups"):
            g["groups"] = c["groups"]
    c.pop("groups", None)
    fmt = c["format"]
    ext = "xml" if fmt.startswith("xml") else "csv"
    for g in c["generators"]:
        g["output"] = ("%s.%s" % (g["name"], ext)) if len(c["generators"]) > 1 else "results.%s" % ext
        g["outputs"] = [{"kind": ext, "header": fmt != "csv-noheader", "headers": fmt == "xml-headers",
                         "prop": "lab.out"}]
    pacing = []
    for g in c["generators"]:
        for grp in g["groups"]:
            t = grp["timer"]
            if t["mode"] == "ctt":
                pacing.append(1.0 / t["per_thread_rps"])
            elif t["mode"] == "ctt-all":
                pacing.append(grp["threads"] / t["total_rps"])
            elif t["mode"] == "think":
                pacing.append(t["think_ms"] / 1000.0)
    c["pacing_s"] = r2(max(pacing)) if pacing else 0.0
    return s


def est_samples(s):
    c = s["client"]
    if c["kind"] != "jmeter":
        return sum(r["connections"] / r["period_s"] * r["duration_s"] for r in c["runs"])
    n = 0.0
    for g in c["generators"]:
        for gr in g["groups"]:
            t = gr["timer"]
            per = len(gr["samplers"])
            if t["mode"] == "ctt":
                # the timer paces every sampler, not every iteration
                n += gr["threads"] * min(gr["loops"] * per, t["per_thread_rps"] * max(1, gr["duration_s"] - gr["ramp_s"] / 2.0))
            elif t["mode"] == "ctt-all":
                n += per * t["total_rps"] * max(1, gr["duration_s"] - gr["ramp_s"] / 2.0)
            else:
                n += gr["threads"] * per * gr["loops"]
    return n


CAPTURE_MAX_SAMPLES = 1500    # HTTP captures cost ~100-120 gzipped bytes per request


def draw(seed, index, family=None):
    fam = family or FAMILIES[index % len(FAMILIES)]
    d = Draw(seed, index)
    s = base(seed, index, fam, d)
    s = FAMILY_FN[fam](s, d)
    s["family"] = fam
    s["id"] = "s%d-%02d-%s" % (seed, index, fam)
    s = normalise(s)
    s["expected_samples"] = int(est_samples(s))
    if s["client"]["kind"] == "jmeter" and s["expected_samples"] > CAPTURE_MAX_SAMPLES:
        s["capture"] = False
    return s


def main():
    ap = argparse.ArgumentParser(description="draw limiter-lab scenarios")
    sub = ap.add_subparsers(dest="cmd", required=True)
    a1 = sub.add_parser("draw")
    a1.add_argument("--seed", type=int, required=True)
    a1.add_argument("--index", type=int, required=True)
    a1.add_argument("--family", choices=sorted(FAMILY_FN))
    a2 = sub.add_parser("list")
    a2.add_argument("--seed", type=int, required=True)
    a2.add_argument("--count", type=int, required=True)
    a2.add_argument("--start", type=int, default=0)
    sub.add_parser("families")
    a = ap.parse_args()
    if a.cmd == "draw":
        json.dump(draw(a.seed, a.index, a.family), sys.stdout, indent=1)
        sys.stdout.write("\n")
    elif a.cmd == "list":
        for i in range(a.start, a.start + a.count):
            print(draw(a.seed, i)["id"])
    else:
        print("\n".join(FAMILIES + PRESETS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
