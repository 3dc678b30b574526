#!/usr/bin/env python3
"""Compute a lab scenario's truth.json from the limiter's own log (python3 stdlib only).

usage: truth.py [--write|--check] SCENARIO_DIR...
        recompute each SCENARIO_DIR/truth.json from its scenario.json and limiter.log.gz and
        print it; --write replaces the files, --check exits 1 when a committed one differs
Used by run_scenario.py on every run.  Never looks at JMeter's output or at jtlscope: what the
limiter decided (status, arrival and answer time, key, thread, Retry-After) and the configured
parameters are the truth.  Definitions are in tests/lab/TRUTH.md.

Log formats read:
  nginx (run_scenario.py's log_format "lab"):
    $msec $server_addr:$server_port $remote_addr:$remote_port conn=$connection req=N "$request"
    $status rt=$request_time tenant="$http_x_tenant" thread="$http_x_jmeter_thread"
    ra="$sent_http_retry_after"
    arrival = $msec - $request_time (1 ms resolution), answer = $msec
  lab servers (servers/*.py): one JSON object per line (t_in, t_out, st, why, key, th, conn,
    peer, local, ra_until, ra)
"""
import collections
import gzip
import json
import math
import os
import re
import statistics
import sys

SCHEMA = "jtlscope-lab-truth/1"
NGINX_RE = re.compile(r'^(?P<msec>\d+\.\d+) (?P<local>\S+) (?P<peer>\S+) conn=(?P<conn>\d+) req=\d+ '
                      r'"(?P<request>[^"]*)" (?P<st>\d+) rt=(?P<rt>[\d.]+) tenant="(?P<tenant>[^"]*)" '
                      r'thread="(?P<th>[^"]*)" ra="(?P<ra>[^"]*)"')
MIN_REJECTED = 10          # fewer sustained rejections than this: the model is not identifiable
MIN_SPAN_S = 5.0           # throttled for less than this: rate/window not identifiable


class Invalid(Exception):
    pass


def _open(path):
    return gzip.open(path, "rt") if path.endswith(".gz") else open(path)


def read_log(path, s):
    """-> list of records {t_in, t_out, st, why, key, th, conn, peer, local, ra_until}"""
    lim = s["limiter"]
    gens = {}
    if s["client"]["kind"] == "jmeter":
        multi = len(s["client"]["generators"]) > 1
        for g in s["client"]["generators"]:
            gens[g.get("ip") or "127.0.0.1"] = g["name"] if multi else None
    recs = []
    with _open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            if line.startswith("{"):
                r = json.loads(line)
                recs.append(r)
                continue
            m = NGINX_RE.match(line)
            if not m:
                raise Invalid("unparsable log line: " + line[:120])
            t_out = float(m["msec"]) * 1000.0
            t_in = t_out - float(m["rt"]) * 1000.0
            st = int(m["st"])
            peer_ip = m["peer"].rsplit(":", 1)[0]
            key = {"server-name": "*", "client-host": peer_ip, "connection": m["conn"],
                   "header:X-Tenant": m["tenant"]}[lim["key"]]
            limited = not (lim.get("unlimited_listen") and m["local"].startswith(lim["unlimited_listen"] + ":"))
            ra = m["ra"] if m["ra"] not in ("", "-") else None
            rejected = st == lim["status"] and limited
            gen = gens.get(peer_ip)
            recs.append({"t_in": t_in, "t_out": t_out, "st": st, "why": "limit" if rejected else "ok",
                         "key": key if limited else "(unlimited)", "th": (gen + "/" if gen else "") + m["th"],
                         "conn": int(m["conn"]), "peer": m["peer"], "local": m["local"],
                         "ra_until": t_out + 1000.0 * int(ra) if ra and rejected else None, "ra": ra})
    recs.sort(key=lambda r: (r["t_in"], r["t_out"]))
    return recs


def is_reject(r):
    return r["why"] != "ok"


# ------------------------------------------------------------------ nginx replay
def nginx_rate_milli(txt):
    n = int(txt[:-3])
    return n * 1000 if txt.endswith("r/s") else n * 1000 // 60


def replay_nginx(recs, rate_txt, burst):
    """replay ngx_http_limit_req's arithmetic on the arrivals: fraction of decisions reproduced"""
    rate = nginx_rate_milli(rate_txt)
    state = {}
    same = total = 0
    for r in recs:
        if r["key"] == "(unlimited)":
            continue
        now = int(round(r["t_in"]))
        st = state.get(r["key"])
        if st is None:
            ok = True
            state[r["key"]] = [0, now]
        else:
            excess, last = st
            ms = max(0, now - last)
            e = excess - rate * ms // 1000 + 1000
            e = max(0, e)
            ok = e <= burst * 1000
            if ok:
                st[0], st[1] = e, now
        total += 1
        same += ok == (not is_reject(r))
    return round(same / total, 4) if total else None


# ------------------------------------------------------------------ helpers
def onset_of(rej, window_ms):
    """first rejection followed by >= 3 rejections (itself included) within window_ms"""
    ts = [r["t_in"] for r in rej]
    j = 0
    for i, t in enumerate(ts):
        while j < len(ts) and ts[j] <= t + window_ms:
            j += 1
        if j - i >= 3:
            return i
    return None


def inflight_at(recs, t):
    return sum(1 for r in recs if not is_reject(r) and r["t_in"] <= t < r["t_out"])


def retry_stats(recs):
    by_th = collections.defaultdict(list)
    for r in recs:
        by_th[r["th"]].append(r)
    seen = honoured = violated = unmatched = borderline = 0
    for rs in by_th.values():
        rs.sort(key=lambda r: r["t_in"])
        for i, r in enumerate(rs):
            if not is_reject(r) or r.get("ra_until") is None:
                continue
            seen += 1
            nxt = next((x for x in rs[i + 1:] if x["t_in"] >= r["t_out"] - 1.0), None)
            if nxt is None:
                unmatched += 1
                continue
            gap = nxt["t_in"] - r["ra_until"]
            if abs(gap) < 100.0:
                borderline += 1
            if gap >= 0:
                honoured += 1
            else:
                violated += 1
    return {"seen": seen, "honoured": honoured, "violated": violated, "unmatched": unmatched,
            "borderline_100ms": borderline}


def key_stats(recs, t_first, t_last):
    span = max(1.0, (t_last - t_first) / 1000.0)
    out = {}
    by = collections.defaultdict(list)
    for r in recs:
        by[r["key"]].append(r)
    for k, rs in by.items():
        rej = [r for r in rs if is_reject(r)]
        on = onset_of(rej, 5000.0) if rej else None
        throttled = len(rej) >= 3 and len(rej) >= 0.05 * len(rs) and on is not None
        st = {"requests": len(rs), "rejected": len(rej),
              "offered_per_s": round(len(rs) / span, 3),
              "accepted_per_s": round((len(rs) - len(rej)) / span, 3), "throttled": throttled}
        if throttled:
            t0 = rej[on]["t_in"]
            t1 = rej[-1]["t_in"]
            acc = [r for r in rs if not is_reject(r) and t0 <= r["t_in"] <= t1]
            if t1 - t0 >= 2000.0:
                st["accepted_per_s_throttled"] = round(len(acc) / ((t1 - t0) / 1000.0), 3)
        out[k] = st
    return out


def thread_conn_one_to_one(recs):
    th_conn = collections.defaultdict(set)
    conn_th = collections.defaultdict(set)
    for r in recs:
        th_conn[r["th"]].add((r["peer"], r["conn"]))
        conn_th[(r["peer"], r["conn"])].add(r["th"])
    return all(len(v) == 1 for v in th_conn.values()) and all(len(v) == 1 for v in conn_th.values())


# ------------------------------------------------------------------ the truth
def compute(s, recs, inputs):
    if len(recs) < 20:
        raise Invalid("only %d requests in the limiter log" % len(recs))
    lim = s["limiter"]
    cl = s["client"]
    srv = lim["server"]
    p = lim["params"]
    rej = [r for r in recs if is_reject(r)]
    t_first = recs[0]["t_in"]
    t_last = recs[-1]["t_in"]
    pacing = cl.get("pacing_s", 0.0) if cl["kind"] == "jmeter" else max(r["period_s"] for r in cl["runs"])
    win_onset = max(5000.0, 3000.0 * pacing)
    i_on = onset_of(rej, win_onset) if rej else None
    onset = rej[i_on]["t_in"] if i_on is not None else None
    sustained = [r for r in rej if onset is not None and r["t_in"] >= onset]
    detected_any = onset is not None and len(rej) >= 5
    overload = srv == "concurrency-queue"

    observed = {"requests": len(recs), "rejected": len(rej),
                "first_request_ms": int(t_first), "last_request_ms": int(t_last),
                "first_reject_ms": int(rej[0]["t_in"]) if rej else None,
                "last_reject_ms": int(rej[-1]["t_in"]) if rej else None,
                "reject_reasons": dict(collections.Counter(r["why"] for r in rej)),
                "statuses": {str(k): v for k, v in sorted(collections.Counter(r["st"] for r in recs).items())},
                "threads": len({r["th"] for r in recs}),
                "connections": len({(r["peer"], r["conn"]) for r in recs})}
    if srv == "nginx-limit-req":
        observed["replay_agreement"] = replay_nginx(recs, p["rate"], p["burst"])
    if srv in ("nginx-limit-conn", "concurrency-queue") and rej:
        inf = [inflight_at(recs, r["t_in"]) for r in rej[:400]]
        observed["inflight_at_reject_median"] = statistics.median(inf)
        observed["inflight_at_reject_max"] = max(inf)
    if overload:
        ok = [r for r in recs if not is_reject(r)]
        lat = [r["t_out"] - r["t_in"] for r in ok]
        if lat:
            n = max(1, len(lat) // 5)
            observed["latency_ms_first_fifth_median"] = round(statistics.median(lat[:n]), 1)
            observed["latency_ms_last_fifth_median"] = round(statistics.median(lat[-n:]), 1)

    threads_at_onset = None
    threads_extra = {}
    if onset is not None:
        w = max(6000.0, 3000.0 * pacing)
        # + 100 ms: requests that arrived together with the onset (a lockstep burst) count too
        trailing = [r for r in recs if onset - w < r["t_in"] <= onset + 100.0]
        threads_at_onset = len({r["th"] for r in trailing})
        if lim.get("unlimited_listen"):
            # one region throttled: the top level answers for the throttled region's threads
            threads_extra["threads_at_onset_all_groups"] = threads_at_onset
            threads_at_onset = len({r["th"] for r in trailing if r["key"] != "(unlimited)"})

    ks = key_stats(recs, t_first, t_last)
    throttled_vals = sorted(k for k, v in ks.items() if v["throttled"] and k != "(unlimited)")
    if onset is not None and lim["key"] not in ("server-name", "shared"):
        hot = set(throttled_vals)
        threads_extra["threads_at_onset_throttled_keys"] = len({r["th"] for r in trailing if r["key"] in hot})
    lockstep = cl["kind"] == "ws" and any(r["mode"] == "lockstep" for r in cl["runs"])

    # model, parameters
    model = None
    params = {"rate_per_s": None, "burst": None, "limit": None, "window_s": None, "concurrency": None}
    scope = key = None
    scope_accept = []
    key_accept = []
    if srv == "nginx-limit-req":
        model = "token-bucket"
        params.update(rate_per_s=p["rate_per_s"], burst=p["burst"] + 1)
    elif srv in ("gcra", "ws-bucket"):
        model = "token-bucket"
        params.update(rate_per_s=p["rate_per_s"], burst=p["burst"])
    elif srv == "fixed-window":
        model = "fixed-window"
        params.update(limit=p["limit"], window_s=p["window_s"], rate_per_s=round(p["limit"] / p["window_s"], 3))
    elif srv in ("sliding-log", "sliding-counter"):
        model = "sliding-window"
        params.update(limit=p["limit"], window_s=p["window_s"], rate_per_s=round(p["limit"] / p["window_s"], 3))
    elif srv == "nginx-limit-conn":
        model = "concurrency"
        params.update(concurrency=p["concurrency"])
    elif srv == "stacked":
        n_t = sum(1 for r in rej if r["why"] == "limit")
        n_g = sum(1 for r in rej if r["why"] == "global")
        model = "token-bucket"
        if n_t >= n_g:
            params.update(rate_per_s=p["rate_per_s"], burst=p["burst"])
        else:
            params.update(rate_per_s=p["global_rate_per_s"], burst=p["global_burst"])
    model_accept = [model] if model else []
    if model in ("fixed-window", "sliding-window") and p["window_s"] <= 1:
        model_accept.append("token-bucket")      # a 1-s window is a bucket of capacity = limit

    k = lim["key"]
    one2one = thread_conn_one_to_one([r for r in recs if r["key"] != "(unlimited)"])
    if k in ("server-name", "shared"):
        scope, key = "shared", None
        scope_accept = ["shared"]
        key_accept = [None]
        throttled_vals = []
    elif k == "connection" or k == "session":
        scope, key = "per-connection", "connection"
        scope_accept = ["per-connection"] + (["per-thread"] if one2one or cl["kind"] == "ws" else [])
        key_accept = ["connection"] + (["thread"] if one2one or cl["kind"] == "ws" else [])
        # name each connection as the inputs show it: the JMeter thread that used it (one
        # keep-alive connection per thread), or the WebSocket connection's client ip:port
        if cl["kind"] == "jmeter":
            name = {r["key"]: r["th"] for r in recs}
        else:
            name = {r["key"]: r["peer"] for r in recs}
        throttled_vals = sorted({name[v] for v in throttled_vals})
        if one2one or cl["kind"] != "jmeter":
            ks = {name[k2]: v for k2, v in ks.items()}
    elif k == "client-host":
        scope, key = "per-client-host", "client-host"
        scope_accept = ["per-client-host"]
        key_accept = ["client-host", "hostname", "file"]
    elif k.startswith("header:"):
        scope, key = "per-tenant", k
        scope_accept = ["per-tenant"]
        groups_1to1 = len({g["name"] for g in cl["generators"][0]["groups"]}) == len(s.get("tenants", {}))
        key_accept = [k] + (["thread-group"] if groups_1to1 else [])
    if srv == "stacked":
        n_t = sum(1 for r in rej if r["why"] == "limit")
        n_g = sum(1 for r in rej if r["why"] == "global")
        if n_g > n_t:
            scope, key = "shared", None
            scope_accept = ["shared"] + (["per-tenant"] if n_t >= 0.25 * (n_t + n_g) else [])
            key_accept = [None] + (key_accept if n_t >= 0.25 * (n_t + n_g) else [])
        elif n_g >= 0.25 * (n_t + n_g):
            scope_accept.append("shared")
            key_accept.append(None)
    group = None
    if lim.get("unlimited_listen"):
        group = next(g for g, v in s["regions"].items() if v == "throttled")
        key = "thread-group"
        key_accept = ["thread-group", "url-host", "region"]
        throttled_vals = [group] if ks.get("*", {}).get("throttled") else []

    identifiable = True
    why = None
    span = (sustained[-1]["t_in"] - onset) / 1000.0 if sustained else 0.0
    if lockstep:
        identifiable = False
        why = ("lockstep arrivals: every client sends at the same instants, each burst drains the "
               "bucket, so only the burst size is identifiable, not the rate")
    elif len(sustained) < MIN_REJECTED:
        identifiable = False
        why = "too few throttled requests (%d)" % len(sustained)
    elif span < MIN_SPAN_S and model != "concurrency":
        identifiable = False
        why = "throttled for only %.1f s" % span
    elif model in ("fixed-window", "sliding-window") and (t_last - t_first) / 1000.0 < 2.0 * p["window_s"]:
        identifiable = False
        why = "the run covers fewer than two %g-s windows" % p["window_s"]

    detected = bool(detected_any) and not overload
    if overload:
        finding = "overload" if rej else "none"
    elif not detected:
        finding = "none"
    elif lim["status"] == 503 and not (cl["format"] == "xml-headers" and (
            lim["retry_after"] != "absent" or lim.get("ratelimit_headers"))):
        # a 503 whose inputs show no rate-limit header (CSV, XML without headers, or no
        # Retry-After / X-RateLimit-* sent): only the pattern can tell it is a limit
        finding = "probable-rate-limit"
    else:
        finding = "rate-limit"
    finding_accept = [finding]
    if finding == "probable-rate-limit":
        finding_accept.append("rate-limit")
    elif lim["status"] == 503:
        finding_accept.append("probable-rate-limit")

    ra = None
    if lim["retry_after"] != "absent" and (detected or overload):
        ra = retry_stats(recs)

    if not detected:
        model = None
        model_accept = [None]
        scope = None
        scope_accept = [None]
        key = None
        key_accept = [None]
        throttled_vals = []
        params = {k2: None for k2 in params}
        identifiable = True
        why = None
        threads_at_onset = None if not overload else threads_at_onset
        onset_out = None if not overload else onset
    else:
        onset_out = onset
        if not identifiable:
            model_accept = model_accept + ["unknown"]

    client = {"kind": cl["kind"]}
    if cl["kind"] == "jmeter":
        groups = [g for gen in cl["generators"] for g in gen["groups"]]
        client.update(threads=sum(g["threads"] for g in groups), pacing_s=cl.get("pacing_s"),
                      ramp_s=max(g["ramp_s"] for g in groups), format=cl["format"],
                      generators=len(cl["generators"]), honours_retry_after=cl.get("honours_retry_after", False),
                      timers=sorted({g["timer"]["mode"] for g in groups}),
                      transaction_controller=any(g.get("tc") for g in groups))
        if cl.get("tz"):
            client.update(timestamp_format=cl["timestamp_format"], tz=cl["tz"])
    else:
        client.update(connections=sum(r["connections"] for r in cl["runs"]),
                      pacing_s=pacing, modes=sorted({r["mode"] for r in cl["runs"]}),
                      honours_retry_after=any(r["honour"] for r in cl["runs"]))

    expect = {
        "detected": detected, "finding": finding, "finding_accept": finding_accept,
        "onset_ms": None if onset_out is None else int(onset_out),
        "threads_at_onset": threads_at_onset,
        "model": model, "model_accept": model_accept,
        "identifiable": identifiable, "why_unidentifiable": why,
        "params": params,
        "scope": scope, "scope_accept": scope_accept,
        "key": key, "key_accept": key_accept,
        "throttled_keys": throttled_vals,
        "retry_after": ra,
    }
    expect.update(threads_extra)
    if group:
        expect["throttled_group"] = group
    if k == "client-host":
        ip_file = {}
        for g in cl["generators"]:
            ip_file[g["ip"]] = g["output"] + ".gz"
        expect["key_inputs"] = ip_file
    if len(ks) <= 24:
        expect["key_stats"] = ks
    return {
        "schema": SCHEMA, "id": s["id"], "seed": s["seed"], "index": s["index"], "family": s["family"],
        "class": s["class"], "inputs": inputs, "args": s.get("args", []),
        "limiter": {"server": srv, "key": k, "params": p, "status": lim["status"],
                    "retry_after": lim["retry_after"]},
        "client": client, "observed": observed, "expect": expect,
    }


def main(argv):
    dirs = [a for a in argv[1:] if not a.startswith("--") and not a.rstrip("/").endswith(".tmp")]
    if not dirs:
        sys.stderr.write(__doc__)
        return 2
    status = 0
    for d in dirs:
        with open(os.path.join(d, "scenario.json")) as f:
            s = json.load(f)
        with open(os.path.join(d, "truth.json")) as f:
            old = json.load(f)
        t = compute(s, read_log(os.path.join(d, "limiter.log.gz"), s), old["inputs"])
        text = json.dumps(t, indent=1) + "\n"
        if "--write" in argv:
            with open(os.path.join(d, "truth.json"), "w") as f:
                f.write(text)
        elif "--check" in argv:
            if json.loads(text) != old:
                sys.stderr.write("%s: truth.json differs from what limiter.log.gz gives\n" % d)
                status = 1
        else:
            sys.stdout.write(text)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
