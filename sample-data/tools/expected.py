#!/usr/bin/env python3
"""Compute the known answers of one sample run and print its EXPECTED.md.

usage: expected.py RUN RUNDIR > EXPECTED.md
  RUN     demo | shared-token-bucket | per-connection | fixed-window-503 | no-throttle
  RUNDIR  raw outputs of regen.sh: results.csv, results.xml, capture.pcap (optional),
          server-access.log (nginx access log or the fixed-window server's log; optional),
          jmeter.out

Independent of jtlscope (python3 stdlib only: csv, xml.etree, struct).  Exits 1, after
printing why on stderr, when the run does not show what it was designed to show (e.g. a
throttled sample in a run that must have none), so regen.sh never installs a bad fixture.

Definitions used in every EXPECTED.md:
  t0                 timeStamp of the earliest sample (JMeter 2.13 writes the sample START time,
                     sampleresult.timestamp.start=true); "+12.3 s" means 12.3 s after t0.
  throttled          response code 429 (503 in fixed-window-503, where it carries Retry-After).
  first throttle     start time of the earliest throttled sample.
  sustained from     start of the first 1-s bucket B such that every 1-s bucket from B to the
                     last throttled sample holds at least one throttled sample (for token/leaky
                     buckets this equals or follows the first throttle).
  offered rate       samples whose start lies in the trailing window (onset - W, onset], / W.
  accepted rate      non-throttled responses per second.
"""
import collections
import csv
import math
import os
import re
import statistics
import struct
import sys
import xml.etree.ElementTree as ET

csv.field_size_limit(1 << 24)


# ------------------------------------------------------------------ readers
class Sample:
    __slots__ = ("ts", "elapsed", "label", "code", "msg", "thread", "success", "bytes", "grp",
                 "all", "url", "latency", "connect", "host", "rsp_headers", "req_headers")

    def end(self):
        return self.ts + self.elapsed

    def group(self):
        m = re.match(r"^(.*) \d+-\d+$", self.thread)
        return m.group(1) if m else self.thread

    def url_host(self):
        m = re.match(r"^[a-z]+://([^/:]+)", self.url)
        return m.group(1) if m else ""


def read_csv(path):
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            s = Sample()
            s.ts = int(row["timeStamp"])
            s.elapsed = int(row["elapsed"])
            s.label = row["label"]
            s.code = row["responseCode"]
            s.msg = row["responseMessage"]
            s.thread = row["threadName"]
            s.success = row["success"] == "true"
            s.bytes = int(row["bytes"])
            s.grp = int(row["grpThreads"])
            s.all = int(row["allThreads"])
            s.url = row["URL"]
            s.latency = int(row["Latency"])
            s.connect = int(row["Connect"])
            s.host = row["Hostname"]
            s.rsp_headers = None
            s.req_headers = None
            out.append(s)
    return out, list(row.keys()) if out else []


def parse_headers(text):
    h = {}
    if not text:
        return h
    for line in text.splitlines():
        if ":" in line and not line.startswith("HTTP/"):
            k, v = line.split(":", 1)
            h[k.strip().lower()] = v.strip()
    return h


def read_xml(path):
    out = []
    for _, el in ET.iterparse(path, events=("end",)):
        if el.tag not in ("httpSample", "sample"):
            continue
        s = Sample()
        a = el.attrib
        s.ts = int(a["ts"])
        s.elapsed = int(a["t"])
        s.label = a.get("lb", "")
        s.code = a.get("rc", "")
        s.msg = a.get("rm", "")
        s.thread = a.get("tn", "")
        s.success = a.get("s") == "true"
        s.bytes = int(a.get("by", "0"))
        s.grp = int(a.get("ng", "0"))
        s.all = int(a.get("na", "0"))
        s.latency = int(a.get("lt", "0"))
        s.connect = int(a.get("ct", "0"))
        s.host = a.get("hn", "")
        u = el.find("java.net.URL")
        s.url = u.text if u is not None and u.text else ""
        rh = el.find("responseHeader")
        s.rsp_headers = parse_headers(rh.text if rh is not None else "")
        qh = el.find("requestHeader")
        s.req_headers = parse_headers(qh.text if qh is not None else "")
        out.append(s)
        el.clear()
    return out


def read_pcap(path):
    """Minimal pcap reader (Ethernet/IPv4/TCP on lo).  Returns a summary dict."""
    res = {"packets": 0, "syn": 0, "requests": 0, "responses": collections.Counter(),
           "first_ts": None, "last_ts": None, "first_throttle": {}, "retry_after": collections.Counter(),
           "snaplen": None, "truncated": 0}
    with open(path, "rb") as f:
        gh = f.read(24)
        magic = struct.unpack("<I", gh[:4])[0]
        if magic == 0xA1B2C3D4:
            endian, scale = "<", 1e-6
        elif magic == 0xA1B23C4D:
            endian, scale = "<", 1e-9
        else:
            raise ValueError("not a little-endian pcap file")
        _, _, _, _, snaplen, linktype = struct.unpack(endian + "HHiIII", gh[4:])
        res["snaplen"] = snaplen
        if linktype != 1:
            raise ValueError("linktype %d, expected Ethernet (lo)" % linktype)
        while True:
            rh = f.read(16)
            if len(rh) < 16:
                break
            sec, frac, incl, orig = struct.unpack(endian + "IIII", rh)
            data = f.read(incl)
            t = sec + frac * scale
            res["packets"] += 1
            if incl < orig:
                res["truncated"] += 1
            res["first_ts"] = t if res["first_ts"] is None else res["first_ts"]
            res["last_ts"] = t
            if len(data) < 34 or data[12:14] != b"\x08\x00":
                continue
            ihl = (data[14] & 0x0F) * 4
            if data[23] != 6:
                continue
            tcp = 14 + ihl
            flags = data[tcp + 13]
            if flags & 0x02 and not flags & 0x10:
                res["syn"] += 1
            doff = (data[tcp + 12] >> 4) * 4
            payload = data[tcp + doff:]
            if payload.startswith((b"GET ", b"POST ", b"PUT ", b"HEAD ", b"DELETE ")):
                res["requests"] += 1
            m = re.match(rb"HTTP/1\.[01] (\d{3})", payload)
            if m:
                code = m.group(1).decode()
                res["responses"][code] += 1
                if code in ("429", "503") and code not in res["first_throttle"]:
                    res["first_throttle"][code] = t
                ra = re.search(rb"\r\nRetry-After: *([^\r\n]*)", payload)
                if ra:
                    res["retry_after"][ra.group(1).decode()] += 1
    return res


def read_nginx_log(path):
    """nginx log lines written with the `jtlscope` log_format of sample-data/*/nginx.conf."""
    out = []
    rx = re.compile(r'^(\d+\.\d+) (\S+) (\S+) conn=(\d+) req=(\d+) "([^"]*)" (\d{3}) rt=([\d.]+)'
                    r'(?: tenant="([^"]*)")? thread="([^"]*)"')
    with open(path) as f:
        for line in f:
            m = rx.match(line)
            if not m:
                continue
            end_ms = int(round(float(m.group(1)) * 1000))
            rt_ms = int(round(float(m.group(8)) * 1000))
            out.append({"end": end_ms, "start": end_ms - rt_ms, "server": m.group(2),
                        "client": m.group(3), "conn": int(m.group(4)), "req": int(m.group(5)),
                        "request": m.group(6), "status": m.group(7), "tenant": m.group(9),
                        "thread": m.group(10)})
    return out


# ------------------------------------------------------------------ helpers
def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(math.ceil(p / 100.0 * len(v))) - 1))
    return v[k]


def fmt_rel(ms):
    return "+%.1f s" % (ms / 1000.0)


def is_throttle(s, codes):
    return s.code in codes


def nginx_replay(arrivals_ms, rate_rps, burst):
    """Replay nginx limit_req (ngx_http_limit_req_lookup, one key, nodelay) on arrival times
    in ms; returns the list of decisions (True = accepted)."""
    rate = rate_rps * 1000          # milli-requests per second, as nginx stores it
    excess, last, seen, out = 0, None, False, []
    for now in arrivals_ms:
        if not seen:
            seen, excess, last = True, 0, now
            out.append(True)
            continue
        ms = now - last
        if ms < 0:
            ms = 0
        e = excess - rate * ms // 1000 + 1000
        if e < 0:
            e = 0
        if e > burst * 1000:
            out.append(False)
        else:
            excess, last = e, now
            out.append(True)
    return out


def buckets(samples, t0, width_ms, codes):
    b = collections.defaultdict(list)
    for s in samples:
        b[(s.ts - t0) // width_ms].append(s)
    return b


def onset_info(scope, t0, codes, all_samples):
    thr = [s for s in scope if is_throttle(s, codes)]
    if not thr:
        return None
    first = min(thr, key=lambda s: (s.ts, s.end()))
    last = max(thr, key=lambda s: s.ts)
    per_sec = collections.Counter((s.ts - t0) // 1000 for s in thr)
    lastb = (last.ts - t0) // 1000
    sustained = None
    for b in range((first.ts - t0) // 1000, lastb + 1):
        if all(per_sec.get(x, 0) > 0 for x in range(b, lastb + 1)):
            sustained = b
            break
    o = first.ts

    def offered(w):
        return sum(1 for s in scope if o - w < s.ts <= o) / (w / 1000.0)

    active = {s.thread for s in all_samples if o - 5000 < s.ts <= o}
    active_scope = {s.thread for s in scope if o - 5000 < s.ts <= o}
    return {"first": first, "last": last, "sustained_bucket": sustained,
            "offered1": offered(1000), "offered5": offered(5000),
            "active_all": len(active), "active_scope": len(active_scope)}


def accepted_plateau(scope, t0, codes, start_ms, end_ms):
    """Mean non-throttled responses per second over whole seconds in [start, end)."""
    secs = collections.Counter()
    first_b, last_b = (start_ms - t0) // 1000 + 1, (end_ms - t0) // 1000 - 1
    for s in scope:
        b = (s.ts - t0) // 1000
        if first_b <= b <= last_b and not is_throttle(s, codes):
            secs[b] += 1
    n = last_b - first_b + 1
    if n <= 0:
        return None
    vals = [secs.get(b, 0) for b in range(first_b, last_b + 1)]
    return {"mean": sum(vals) / n, "median": statistics.median(vals), "min": min(vals),
            "max": max(vals), "seconds": n, "from": first_b, "to": last_b}


def retry_after_compliance(scope, codes):
    by_thread = collections.defaultdict(list)
    for s in scope:
        by_thread[s.thread].append(s)
    told = early = 0
    gaps = []
    for lst in by_thread.values():
        lst.sort(key=lambda s: s.ts)
        for a, b in zip(lst, lst[1:]):
            if not is_throttle(a, codes) or not a.rsp_headers:
                continue
            ra = a.rsp_headers.get("retry-after")
            if ra is None or not ra.isdigit():
                continue
            told += 1
            gap = b.ts - a.end()
            gaps.append(gap)
            if gap < int(ra) * 1000:
                early += 1
    return told, early, (statistics.median(gaps) if gaps else None)


def window_table(scope, t0, codes, width_s, extra=None):
    rows = []
    b = buckets(scope, t0, width_s * 1000, codes)
    if not b:
        return rows
    for k in range(0, max(b) + 1):
        lst = b.get(k, [])
        ok = [s.elapsed for s in lst if not is_throttle(s, codes) and s.success]
        thr = sum(1 for s in lst if is_throttle(s, codes))
        thr_lat = [s.elapsed for s in lst if is_throttle(s, codes)]
        rows.append("| %+5d..%-+4d | %5d | %6.1f | %5d | %5d | %4s | %4s | %4s | %3s |" % (
            k * width_s, (k + 1) * width_s, len(lst), len(lst) / float(width_s),
            len(lst) - thr, thr,
            "%d" % pct(ok, 50) if ok else "-", "%d" % pct(ok, 95) if ok else "-",
            "%d" % pct(thr_lat, 50) if thr_lat else "-",
            max((s.grp for s in lst), default=0)))
    head = ["| window (s) | samples | offered r/s | accepted | throttled | ok p50 ms | ok p95 ms "
            "| thr p50 ms | max grpThreads |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    return head + rows


SD = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def plan_path(run):
    return os.path.join(SD, "demo", "demo.jmx") if run == "demo" else os.path.join(SD, "known", run, "plan.jmx")


def describe_plan(run):
    """The load as the committed .jmx defines it (read from the plan, so it cannot drift)."""
    root = ET.parse(plan_path(run)).getroot()
    out = []

    def prop(el, name):
        for c in el:
            if c.get("name") == name:
                return c.text or ""
        return ""

    top = root.find("hashTree")
    children = list(top.find("hashTree"))
    for el, tree in zip(children[0::2], children[1::2]):
        if el.tag != "ThreadGroup":
            continue
        n, ramp, dur = int(prop(el, "ThreadGroup.num_threads")), float(prop(el, "ThreadGroup.ramp_time")), \
            prop(el, "ThreadGroup.duration")
        loops = prop(el.find("elementProp"), "LoopController.loops")
        per_min = jit = None
        samplers = []
        for c in tree:
            if c.tag == "ConstantThroughputTimer":
                per_min = float(c.find("doubleProp/value").text)
            elif c.tag == "UniformRandomTimer":
                jit = float(prop(c, "RandomTimer.range"))
            elif c.tag == "HTTPSamplerProxy":
                samplers.append("%s http://%s:%s%s" % (prop(c, "HTTPSampler.method"), prop(c, "HTTPSampler.domain"),
                                                      prop(c, "HTTPSampler.port"), prop(c, "HTTPSampler.path")))
        out.append("- Load (`%s`): thread group `%s`: %d threads, ramp-up %g s (a new thread every %.2f s),"
                   " scheduler %s s, at most %s loops; Constant Throughput Timer %g/min per thread (one"
                   " request every %.2f s, %.2f req/s per thread) + Uniform Random Timer 0–%d ms per"
                   " request (jitter; the per-thread rate is unchanged); %s → up to %.1f req/s from this"
                   " group; samplers: %s." % (
                       os.path.basename(plan_path(run)), el.get("testname"), n, ramp, ramp / n, dur, loops,
                       per_min, 60.0 / per_min, per_min / 60.0, jit or 0,
                       "every thread keeps sending after a throttle (JMeter ignores Retry-After)",
                       n * per_min / 60.0, ", ".join("`%s`" % x for x in samplers)))
    return out


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


# ------------------------------------------------------------------ run descriptions
COMMON_DEFS = """\
Definitions (same in every EXPECTED.md): t0 = start timeStamp of the earliest sample
(JMeter 2.13 stores sample START times); "+x s" = seconds after t0; "first throttle" = start
of the earliest throttled sample; "sustained from" = start of the first 1-s bucket after which
every 1-s bucket up to the last throttled sample holds a throttled sample; "offered rate" =
samples started in the trailing window before the first throttle / window; "accepted rate" =
non-throttled responses per second.  Everything below was computed by
`sample-data/tools/expected.py` (python3 stdlib, independent of jtlscope) from the raw files of
this very run; regen.sh rewrites this file together with the data."""


def header(run, title, files):
    lines = ["# %s — known answers" % title, "",
             "Run `%s`, generated by `sudo sample-data/regen.sh %s` (JMeter 2.13, non-GUI)." % (run, run),
             "", "Files: " + ", ".join("`%s`" % f for f in files) + ".", "", COMMON_DEFS, ""]
    return lines


def describe_common(lines, csv_s, xml_s, fields, t0, t_end, jm_start, codes):
    c = collections.Counter(s.code for s in csv_s)
    lines += ["## The run", "",
              "- samples: %d in the CSV, %d in the XML (the same samples: both files were written by"
              " two result collectors of the same JMeter run)" % (len(csv_s), len(xml_s)),
              "- response codes: " + ", ".join("%s × %d" % (k, v) for k, v in sorted(c.items())),
              "- t0 = %d ms epoch (%s UTC); last response ends %s; JMeter's own test start was %d"
              " (%d ms before t0)" % (t0, _utc(t0), fmt_rel(t_end - t0), jm_start, t0 - jm_start)
              if jm_start else "- t0 = %d ms epoch (%s UTC); last response ends %s" % (t0, _utc(t0), fmt_rel(t_end - t0)),
              "- CSV columns (JMeter 2.13, header line written): `%s`" % ",".join(fields),
              "- XML: `<httpSample>` with attributes t,it,lt,ct,ts,s,lb,rc,rm,tn,dt,by,sc,ec,ng,na,hn;"
              " children assertionResult (with failureMessage), responseHeader, requestHeader,"
              " java.net.URL; no response data",
              "- throttle signal for this run: response code %s" % " or ".join(sorted(codes)),
              ""]


def _utc(ms):
    import datetime
    return datetime.datetime.fromtimestamp(ms / 1000.0, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def describe_pcap(lines, p, t0, n_samples, codes):
    if p is None:
        return
    ft = {k: v for k, v in p["first_throttle"].items() if k in codes}
    lines += ["## The capture", "",
              "- %d packets, snaplen %d (%d packets cut short: bodies only, all HTTP headers fit),"
              " %d TCP connections opened (SYN)" % (p["packets"], p["snaplen"], p["truncated"], p["syn"]),
              "- HTTP requests seen: %d (JTL samples: %d); responses: %s" % (
                  p["requests"], n_samples,
                  ", ".join("%s × %d" % (k, v) for k, v in sorted(p["responses"].items()))),
              "- first packet at %+.3f s from t0" % (p["first_ts"] - t0 / 1000.0)]
    for k, v in sorted(ft.items()):
        lines.append("- first HTTP %s response on the wire at %+.3f s from t0 (epoch %.6f)" % (
            k, v - t0 / 1000.0, v))
    if p["retry_after"]:
        lines.append("- Retry-After values on the wire: " + ", ".join(
            "%s × %d" % (k, v) for k, v in sorted(p["retry_after"].items())))
    lines.append("")


def throttle_section(lines, name, scope, t0, codes, all_samples, t_end, sustained=True):
    oi = onset_info(scope, t0, codes, all_samples)
    n = len(scope)
    thr = sum(1 for s in scope if is_throttle(s, codes))
    lines.append("- %s: %d samples, %d throttled (%.1f %%)" % (name, n, thr, 100.0 * thr / max(1, n)))
    if oi is None:
        lines.append("- %s: never throttled" % name)
        return None
    f = oi["first"]
    lines += [
        "- %s first throttle: %s (sample start %d, `%s`, thread `%s`, code %s)" % (
            name, fmt_rel(f.ts - t0), f.ts, f.label, f.thread, f.code),
        "- %s sustained from: %s" % (name, ("+%d s" % oi["sustained_bucket"]
                                     if oi["sustained_bucket"] is not None else "n/a") if sustained else
                                    "n/a — a fixed window throttles in bursts: every window that"
                                    " fills rejects until its end, the next one starts accepting again"),
        "- %s load at first throttle: grpThreads=%d, allThreads=%d (JMeter's counts on that sample);"
        " threads that started a request to it in the 5 s before: %d" % (
            name, f.grp, f.all, oi["active_scope"]),
        "- %s offered rate at first throttle: %.1f req/s over the trailing 1 s, %.1f req/s over"
        " the trailing 5 s" % (name, oi["offered1"], oi["offered5"]),
        "- %s last throttle: %s" % (name, fmt_rel(oi["last"].ts - t0)),
    ]
    return oi


# ------------------------------------------------------------------ per-run analyses
def common_load(rundir):
    csv_s, fields = read_csv(os.path.join(rundir, "results.csv"))
    xml_s = read_xml(os.path.join(rundir, "results.xml"))
    check(len(csv_s) > 0, "no samples")
    check(len(csv_s) == len(xml_s), "CSV has %d samples, XML %d" % (len(csv_s), len(xml_s)))
    key = lambda s: (s.ts, s.thread, s.code, s.elapsed)
    check(sorted(map(key, csv_s)) == sorted(map(key, xml_s)), "CSV and XML samples differ")
    bad = [s for s in csv_s if not s.code.isdigit()]
    check(not bad, "%d non-HTTP failures (e.g. %r)" % (len(bad), bad[0].msg if bad else ""))
    pcap = None
    pp = os.path.join(rundir, "capture.pcap")
    if os.path.exists(pp) and os.path.getsize(pp) > 24:
        pcap = read_pcap(pp)
        check(pcap["requests"] == len(csv_s), "capture holds %d requests, JTL %d samples" % (
            pcap["requests"], len(csv_s)))
    jm_start = None
    jo = os.path.join(rundir, "jmeter.out")
    if os.path.exists(jo):
        m = re.search(r"Starting the test @ .*\((\d+)\)", open(jo).read())
        jm_start = int(m.group(1)) if m else None
    t0 = min(s.ts for s in csv_s)
    t_end = max(s.end() for s in csv_s)
    return csv_s, xml_s, fields, pcap, jm_start, t0, t_end


def ra_counter(scope, codes):
    return collections.Counter(s.rsp_headers.get("retry-after", "(none)")
                               for s in scope if is_throttle(s, codes))


def replay_section(lines, log, rate, burst, key=None, key_name="key"):
    """Replay nginx's algorithm on the server-side arrival times (log $msec - $request_time)."""
    if not log:
        return None
    groups = collections.defaultdict(list)
    for e in log:
        groups[key(e) if key else "all"].append(e)
    agree = total = 0
    for lst in groups.values():
        lst.sort(key=lambda e: (e["start"], e["end"]))
        dec = nginx_replay([e["start"] for e in lst], rate, burst)
        for e, ok in zip(lst, dec):
            total += 1
            agree += (ok == (e["status"] != "429"))
    lines.append("- model check: replaying nginx's limit_req algorithm (rate %g r/s, burst %d, nodelay%s)"
                 " on the server-side arrival times reproduces %d of %d accept/reject decisions"
                 " (%.1f %%; arrival times are only known to 1 ms)" % (
                     rate, burst, ", one bucket per " + key_name if key else ", one bucket",
                     agree, total, 100.0 * agree / max(1, total)))
    return agree / max(1, total)


def demo(rundir):
    codes = {"429"}
    csv_s, xml_s, fields, pcap, jm_start, t0, t_end = common_load(rundir)
    A, B = "api.ap-southeast-1.jtlscope.test", "api.us-east-1.jtlscope.test"
    xa = [s for s in xml_s if s.url_host() == A]
    xb = [s for s in xml_s if s.url_host() == B]
    check(len(xa) + len(xb) == len(xml_s), "samples to unexpected hosts")
    thr_a = [s for s in xa if is_throttle(s, codes)]
    thr_b = [s for s in xb if is_throttle(s, codes)]
    check(len(thr_a) > 50, "region A shows only %d throttled samples" % len(thr_a))
    check(not thr_b, "region B was throttled %d times" % len(thr_b))
    log = read_nginx_log(os.path.join(rundir, "server-access.log"))
    log_a = [e for e in log if e["server"].startswith("127.0.0.1:")]

    L = header("demo", "Demo: two regions, one throttled",
               ["demo.csv.gz", "demo.xml.gz", "demo.pcap.gz", "server-access.log.gz", "region-map.txt",
                "demo.jmx", "nginx.conf"])
    L += ["## What was configured (the truth)", "",
          "- Region **ap-southeast-1** = `api.ap-southeast-1.jtlscope.test` = 127.0.0.1:18080 (nginx).",
          "  `limit_req_zone $http_x_tenant zone=tenant_ap_southeast_1:1m rate=20r/s;`"
          " `limit_req ... burst=10 nodelay;` `limit_req_status 429;` → 429 with `Retry-After: 60`.",
          "  Every JMeter thread sends `X-Tenant: acme`, so this is ONE bucket shared by all threads",
          "  and connections (scope: **shared / tenant**).  Model: nginx limit_req = leaky bucket"
          " with rate 20 r/s and burst 10, equivalent to a token bucket of 20 tokens/s, capacity"
          " 10 (+1); rejected requests take no token.",
          "- Region **us-east-1** = `api.us-east-1.jtlscope.test` = 127.0.0.2:18080 (same nginx,"
          " no limiter).",
          "- Both proxy to a python backend (tools/upstream.py, one per region) whose latency grows"
          " with the load it receives: 10 ms + 0.12 ms × (req/s)² + 2 ms × in-flight.",
          ] + describe_plan("demo") + [
          "- Each thread alternates `GET /api/v1/inbox` and `POST /api/v1/messages`; every request"
          " carries `X-Tenant: acme` (the limiter key) and `X-JMeter-Thread: <thread name>`.",
          "- Host names: regen.sh adds them to /etc/hosts for the run; `region-map.txt` maps them"
          " (and the IPs, for the capture) to regions.", ""]
    describe_common(L, csv_s, xml_s, fields, t0, t_end, jm_start, codes)
    L += ["## What a correct analysis must find", ""]
    verdict_at = len(L)
    oi = throttle_section(L, "ap-southeast-1", xa, t0, codes, xml_s, t_end)
    throttle_section(L, "us-east-1", xb, t0, codes, xml_s, t_end)
    last_start_a = max(s.ts for s in xa)
    sus_ms = t0 + 1000 * oi["sustained_bucket"] if oi["sustained_bucket"] is not None else oi["first"].ts
    plateau = accepted_plateau(xa, t0, codes, sus_ms, last_start_a)
    offered_peak = [s for s in xa if t0 + 45000 <= s.ts < t0 + 65000]
    L.append("- ap-southeast-1 accepted rate while throttled (+%d..+%d s, whole seconds): mean %.1f/s,"
             " median %g/s, min %d, max %d per second — the limiter's 20 r/s (a fit must find ≈20 r/s;"
             " burst ≈10)" % (plateau["from"], plateau["to"] + 1, plateau["mean"], plateau["median"],
                              plateau["min"], plateau["max"]))
    L.append("- ap-southeast-1 offered rate at full load (+45..+65 s): %.1f req/s" % (len(offered_peak) / 20.0))
    ra = ra_counter(xa, codes)
    told, early, med_gap = retry_after_compliance(xa, codes)
    L.append("- Retry-After on throttled responses (XML response headers): " + ", ".join(
        "%s × %d" % (k, v) for k, v in sorted(ra.items())))
    L.append("- Retry-After compliance: %d throttled responses were followed by another request of the"
             " same thread; %d of them (%.0f %%) came sooner than the Retry-After; median wait %.1f s"
             " (JMeter does not honour Retry-After)" % (told, early, 100.0 * early / max(1, told),
                                                      (med_gap or 0) / 1000.0))
    thr_threads = {s.thread for s in thr_a}
    after = [s for s in xa if s.ts >= oi["first"].ts]
    active_after = {s.thread for s in after}
    L.append("- scope: **shared (tenant)** — %d of the %d ap-southeast-1 threads active after the first"
             " throttle got at least one 429 although every thread sends only 0.5 req/s (no thread"
             " comes near any plausible per-connection limit); throttling starts when the AGGREGATE"
             " offered rate passes 20 req/s and the accepted aggregate stays flat at 20 req/s while"
             " threads are added" % (len(thr_threads & active_after), len(active_after)))
    L.append("- us-east-1: never throttled (0 × 429), although it carried up to %.1f req/s" % (
        len([s for s in xb if t0 + 45000 <= s.ts < t0 + 65000]) / 20.0))
    replay_section(L, log_a, 20, 10, key=lambda e: e["tenant"], key_name="X-Tenant value")
    ok_before = [s.elapsed for s in xa if not is_throttle(s, codes) and oi["first"].ts - 10000 <= s.ts < oi["first"].ts]
    ok_early = [s.elapsed for s in xa if not is_throttle(s, codes) and s.ts < t0 + 10000]
    L.append("- latency (successful ap-southeast-1 samples): p50 %d ms / p95 %d ms in the first 10 s"
             " vs p50 %d ms / p95 %d ms in the 10 s before the first throttle: it rises with load"
             " before the limiter kicks in (backend model), then the limiter caps the backend at 20 r/s."
             " Throttled answers take p50 %d ms." % (
                 pct(ok_early, 50), pct(ok_early, 95), pct(ok_before, 50), pct(ok_before, 95),
                 pct([s.elapsed for s in thr_a], 50)))
    L.insert(verdict_at, "In short: throttling began at %s (first 429; sustained from %s) in"
             " **ap-southeast-1 only**, when %d of its threads"
             " were running (JMeter grpThreads; %d threads in the whole test) and it was offered"
             " %.1f req/s (trailing 5 s; %.1f over the trailing 1 s); **us-east-1** (up to 30 threads,"
             " 15 req/s) was never throttled.  The limiter admits **20 req/s with a burst of about 10**"
             " (leaky/token bucket; accepted rate flat at %.1f/s while 25 req/s were offered), it is"
             " **shared** by all threads (tenant key), 429 carries **Retry-After: 60**, which JMeter"
             " ignored %d times out of %d (median %.1f s until the thread's next request).  Latency of"
             " successful requests rose with load before the onset (p50 %d → %d ms).\n" % (
                 fmt_rel(oi["first"].ts - t0), "+%d s" % oi["sustained_bucket"], oi["first"].grp,
                 oi["first"].all, oi["offered5"],
                 oi["offered1"], plateau["mean"], early, told, (med_gap or 0) / 1000.0,
                 pct(ok_early, 50), pct(ok_before, 50)))
    L += ["", "Tolerances: onset ±1 s (depends on the onset definition; the first 429 is exact to the"
          " ms), rates ±10 %, thread counts ±2.", ""]
    for nm, sc in (("ap-southeast-1", xa), ("us-east-1", xb)):
        L += ["## %s per 5 s" % nm, ""] + window_table(sc, t0, codes, 5) + [""]
    describe_pcap(L, pcap, t0, len(csv_s), codes)
    return L


def shared_token_bucket(rundir, run="shared-token-bucket"):
    codes = {"429"}
    csv_s, xml_s, fields, pcap, jm_start, t0, t_end = common_load(rundir)
    log = read_nginx_log(os.path.join(rundir, "server-access.log"))
    thr = [s for s in xml_s if is_throttle(s, codes)]
    if run == "no-throttle":
        check(not thr, "no-throttle run has %d throttled samples" % len(thr))
        L = header(run, "No throttling", ["no-throttle.csv.gz", "no-throttle.xml.gz", "no-throttle.pcap.gz",
                                          "server-access.log.gz", "plan.jmx", "nginx.conf"])
        L += ["## What was configured (the truth)", "",
              "- nginx on 127.0.0.1:18081 with the SAME limiter as `shared-token-bucket`: one global"
              " bucket (constant key), `rate=15r/s burst=5 nodelay`, 429 + `Retry-After: 2`.",
              "- Backend tools/upstream.py (latency grows with load)."] + describe_plan(run) + [
              "- The threads' start times are spread evenly over the 1-s period, so the offered"
              " load is smooth, well under 15 r/s, and never bursts past 5.", ""]
    else:
        check(len(thr) > 50, "only %d throttled samples" % len(thr))
        L = header(run, "Shared token bucket", ["shared-token-bucket.csv.gz", "shared-token-bucket.xml.gz",
                                                "shared-token-bucket.pcap.gz", "server-access.log.gz",
                                                "plan.jmx", "nginx.conf"])
        L += ["## What was configured (the truth)", "",
              "- nginx on 127.0.0.1:18081: `limit_req_zone $jtlscope_global_key zone=global:1m"
              " rate=15r/s;` with a constant key (one bucket for every client and connection),"
              " `limit_req zone=global burst=5 nodelay;` → 429 + `Retry-After: 2`.",
              "- Model: leaky bucket 15 r/s, burst 5 (≡ token bucket 15 tokens/s, capacity 5 (+1));"
              " rejected requests take no token.  Scope: **shared (global)**.",
              "- Backend tools/upstream.py (latency grows with load)."] + describe_plan(run) + [
              "- The aggregate offered rate crosses 15 req/s when the 16th thread starts.", ""]
    describe_common(L, csv_s, xml_s, fields, t0, t_end, jm_start, codes)
    L += ["## What a correct analysis must find", ""]
    if run == "no-throttle":
        peak = max(collections.Counter((s.ts - t0) // 1000 for s in xml_s).values())
        L += ["- **no throttling**: 0 × 429, 0 × 503, no Retry-After header anywhere; an analysis must"
              " report that the run was not throttled (and must not invent an onset or a limit).",
              "- offered rate: %.1f req/s on average over the run, at most %d requests started in"
              " any 1-s bucket (limit 15 r/s, burst 5)" % (
                  len(xml_s) / ((t_end - t0) / 1000.0), peak),
              "- threads: %d (all in `clients`)" % len({s.thread for s in xml_s})]
        replay_section(L, log, 15, 5)
    else:
        oi = throttle_section(L, "run", xml_s, t0, codes, xml_s, t_end)
        sus_ms = t0 + 1000 * oi["sustained_bucket"] if oi["sustained_bucket"] is not None else oi["first"].ts
        plateau = accepted_plateau(xml_s, t0, codes, sus_ms, max(s.ts for s in xml_s))
        L.append("- accepted rate while throttled (+%d..+%d s): mean %.1f/s, median %g/s (min %d, max %d)"
                 " — a fit must find ≈15 r/s, burst ≈5" % (plateau["from"], plateau["to"] + 1,
                                                          plateau["mean"], plateau["median"],
                                                          plateau["min"], plateau["max"]))
        ra = ra_counter(xml_s, codes)
        told, early, med_gap = retry_after_compliance(xml_s, codes)
        L.append("- Retry-After: " + ", ".join("%s × %d" % (k, v) for k, v in sorted(ra.items())))
        L.append("- Retry-After compliance: %d of %d follow-ups came sooner than Retry-After (median"
                 " wait %.2f s)" % (early, told, (med_gap or 0) / 1000.0))
        L.append("- scope: **shared (global)** — %d of %d threads were throttled, each offering only"
                 " 1 req/s; throttling starts when the aggregate passes 15 req/s and the accepted"
                 " aggregate stays flat at 15 req/s while threads are added" % (
                     len({s.thread for s in thr}), len({s.thread for s in xml_s})))
        replay_section(L, log, 15, 5)
    L += ["", ("Tolerances: none — the number of throttled samples is exactly 0." if run == "no-throttle"
               else "Tolerances: onset ±1 s, rates ±10 %, thread counts ±2."), "", "## Per 5 s", ""]
    L += window_table(xml_s, t0, codes, 5) + [""]
    describe_pcap(L, pcap, t0, len(csv_s), codes)
    return L


def per_connection(rundir):
    codes = {"429"}
    csv_s, xml_s, fields, pcap, jm_start, t0, t_end = common_load(rundir)
    log = read_nginx_log(os.path.join(rundir, "server-access.log"))
    by_thread = collections.defaultdict(list)
    for s in xml_s:
        by_thread[s.thread].append(s)
    conns = collections.defaultdict(set)
    for e in log:
        conns[e["thread"]].add(e["conn"])
    heavy = sorted(t for t in by_thread if t.startswith("heavy"))
    light = sorted(t for t in by_thread if t.startswith("light"))
    for t in heavy:
        check(any(is_throttle(s, codes) for s in by_thread[t]), "heavy thread %s never throttled" % t)
    for t in light:
        check(not any(is_throttle(s, codes) for s in by_thread[t]), "light thread %s throttled" % t)
    one_conn = all(len(conns.get(t, ())) == 1 for t in by_thread)
    L = header("per-connection", "Per-connection limit",
               ["per-connection.csv.gz", "per-connection.xml.gz", "per-connection.pcap.gz",
                "server-access.log.gz", "plan.jmx", "nginx.conf"])
    L += ["## What was configured (the truth)", "",
          "- nginx on 127.0.0.1:18082: `limit_req_zone $connection zone=perconn:1m rate=2r/s;`"
          " `limit_req zone=perconn burst=2 nodelay;` → 429 + `Retry-After: 1`.  `$connection` is"
          " nginx's serial number of the TCP connection: one bucket PER CONNECTION.",
          "- JMeter 2.13's HttpClient4 keeps one keep-alive connection per thread for the whole run"
          " (nginx keeps connections open after a 429; keepalive_requests 1000 is never reached),"
          " so per connection = per thread here: %s." % (
              "verified — every thread used exactly one connection (server log, X-JMeter-Thread header)"
              if one_conn else "NOT the case in this run: " + ", ".join(
                  "%s: %d" % (t, len(c)) for t, c in sorted(conns.items()) if len(c) != 1)),
          "- Model: leaky bucket 2 r/s, burst 2 per connection.  Scope: **per connection**.",
          ] + describe_plan("per-connection") + [
          "- The aggregate is far above 2 r/s and irrelevant: each heavy connection (4 req/s) is"
          " throttled on its own, no light one (1 req/s) ever is.", ""]
    describe_common(L, csv_s, xml_s, fields, t0, t_end, jm_start, codes)
    L += ["## What a correct analysis must find", ""]
    oi = throttle_section(L, "run", xml_s, t0, codes, xml_s, t_end)
    L += ["- scope: **per connection / per thread** — all %d heavy threads (4 req/s each) are"
          " throttled, each soon after its own start, whatever the aggregate; none of the %d light"
          " threads (1 req/s) ever is, although they share the server and the time window with the"
          " heavy ones." % (len(heavy), len(light)),
          "- each heavy thread's accepted rate ≈2 req/s (limit) while offered 4 req/s; a fit must find"
          " ≈2 r/s per connection, burst ≈2"]
    told, early, med_gap = retry_after_compliance(xml_s, codes)
    L.append("- Retry-After: " + ", ".join("%s × %d" % (k, v) for k, v in sorted(ra_counter(xml_s, codes).items()))
             + "; %d of %d follow-ups came sooner than Retry-After (median wait %.2f s)" % (
                 early, told, (med_gap or 0) / 1000.0))
    replay_section(L, log, 2, 2, key=lambda e: e["conn"], key_name="connection ($connection)")
    L += ["", "## Per thread", "",
          "| thread | connections (server) | samples | throttled | first throttle after the thread's first request | accepted r/s (after 5 s) |",
          "|---|---:|---:|---:|---:|---:|"]
    for t in heavy + light:
        lst = sorted(by_thread[t], key=lambda s: s.ts)
        thr = [s for s in lst if is_throttle(s, codes)]
        first = (thr[0].ts - lst[0].ts) / 1000.0 if thr else None
        span_from = lst[0].ts + 5000
        acc = [s for s in lst if s.ts >= span_from and not is_throttle(s, codes)]
        span = (lst[-1].ts - span_from) / 1000.0
        L.append("| %s | %d | %d | %d | %s | %s |" % (
            t, len(conns.get(t, ())), len(lst), len(thr), "%.2f s" % first if first is not None else "never",
            "%.2f" % (len(acc) / span) if span > 0 else "-"))
    L += ["", "Tolerances: per-thread onset ±0.5 s, rates ±10 %.", "", "## Per 5 s (all threads)", ""]
    L += window_table(xml_s, t0, codes, 5) + [""]
    describe_pcap(L, pcap, t0, len(csv_s), codes)
    return L


def fixed_window(rundir):
    codes = {"503"}
    conf = dict(l.strip().split("=", 1) for l in open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                                   "..", "known", "fixed-window-503", "limiter.conf"))
                if "=" in l and not l.startswith("#"))
    limit, window = int(conf["limit"]), int(conf["window"])
    csv_s, xml_s, fields, pcap, jm_start, t0, t_end = common_load(rundir)
    thr = [s for s in xml_s if is_throttle(s, codes)]
    check(len(thr) > 20, "only %d throttled samples" % len(thr))
    check(all("retry-after" in s.rsp_headers for s in thr), "a 503 without Retry-After")
    # server's own log: epoch_ms status window_start accepted retry
    slog = []
    p = os.path.join(rundir, "server-access.log")
    if os.path.exists(p):
        for line in open(p):
            f = line.split()
            if len(f) == 5:
                slog.append((int(f[0]), f[1], int(f[2]), int(f[3]), f[4]))
    per_w = collections.defaultdict(lambda: [0, 0])
    for ms, st, ws, acc, ra in slog:
        per_w[ws][0 if st == "200" else 1] += 1
    check(all(a <= limit for a, _ in per_w.values()), "a window accepted more than the limit")
    # Retry-After / X-RateLimit-Reset consistency in the JTL (response end time ~ server time)
    ra_ok = reset_ok = 0
    for s in thr:
        resp = s.end() / 1000.0
        wend = (math.floor(s.ts / 1000.0 / window) + 1) * window
        reset = int(s.rsp_headers.get("x-ratelimit-reset", "0"))
        if reset in (wend, wend + window):
            reset_ok += 1
        if abs(int(s.rsp_headers["retry-after"]) - (reset - resp)) <= 1.0:
            ra_ok += 1
    L = header("fixed-window-503", "Fixed window, 503 + Retry-After",
               ["fixed-window-503.csv.gz", "fixed-window-503.xml.gz", "fixed-window-503.pcap.gz",
                "server-access.log.gz", "plan.jmx", "limiter.conf"])
    L += ["## What was configured (the truth)", "",
          "- `tools/fixed_window_server.py --port 18100 --limit %d --window %d` (python3 stdlib,"
          " HTTP/1.1 keep-alive) on 127.0.0.1:18100." % (limit, window),
          "- Model: **fixed window**: at most %d ACCEPTED requests per %d-s window, windows aligned to"
          " epoch multiples of %d s (…:00, …:10, …:20 …), one global counter (scope: **shared /"
          " global**); rejected requests do not count; the counter resets at each boundary." % (
              limit, window, window),
          "- Rejected → `503 Service Unavailable` with `Retry-After: <whole seconds to the window end,"
          " rounded up, ≥1>`; every response carries `X-RateLimit-Limit: %d`,"
          " `X-RateLimit-Remaining` (0 on 503) and `X-RateLimit-Reset: <epoch s of the window end>`." % limit,
          ] + describe_plan("fixed-window-503") + [
          "- The first window(s) stay under %d; later windows exhaust the limit part-way and then"
          " reject until the boundary." % limit, ""]
    describe_common(L, csv_s, xml_s, fields, t0, t_end, jm_start, codes)
    L += ["## What a correct analysis must find", ""]
    oi = throttle_section(L, "run", xml_s, t0, codes, xml_s, t_end, sustained=False)
    L += ["- throttle signal is **503 + Retry-After** (no 429 at all); analyses that only look at 429"
          " find nothing",
          "- model: fixed window of %d s, limit %d per window, boundaries at epoch multiples of %d s;"
          " evidence: Retry-After counts down to a shared boundary (%d of %d throttled responses have"
          " Retry-After within 1 s of X-RateLimit-Reset − response time) and X-RateLimit-Reset equals"
          " the end of the sample's window (%d of %d); accepted per window never exceeds %d." % (
              window, limit, window, ra_ok, len(thr), reset_ok, len(thr), limit),
          "- Retry-After values: " + ", ".join("%s × %d" % (k, v) for k, v in sorted(
              ra_counter(xml_s, codes).items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else -1))]
    told, early, med_gap = retry_after_compliance(xml_s, codes)
    L.append("- Retry-After compliance: %d of %d follow-ups came sooner than Retry-After (median"
             " wait %.2f s): JMeter ignores it" % (early, told, (med_gap or 0) / 1000.0))
    L += ["", "## Per window (server log, epoch-aligned)", "",
          "| window start (epoch s) | from t0 | accepted | rejected (503) | first 503 at |",
          "|---:|---:|---:|---:|---:|"]
    first503 = {}
    for ms, st, ws, acc, ra in slog:
        if st == "503" and ws not in first503:
            first503[ws] = ms
    for ws in sorted(per_w):
        a, r = per_w[ws]
        L.append("| %d | %+.1f s | %d | %d | %s |" % (
            ws, ws - t0 / 1000.0, a, r,
            "+%.1f s into the window" % ((first503[ws] - ws * 1000) / 1000.0) if ws in first503 else "-"))
    L += ["", "Tolerances: onset ±1 s; the window length and limit are exact.", "", "## Per 5 s", ""]
    L += window_table(xml_s, t0, codes, 5) + [""]
    describe_pcap(L, pcap, t0, len(csv_s), codes)
    return L


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    run, rundir = argv[1], argv[2]
    try:
        if run == "demo":
            lines = demo(rundir)
        elif run == "shared-token-bucket":
            lines = shared_token_bucket(rundir)
        elif run == "no-throttle":
            lines = shared_token_bucket(rundir, "no-throttle")
        elif run == "per-connection":
            lines = per_connection(rundir)
        elif run == "fixed-window-503":
            lines = fixed_window(rundir)
        else:
            sys.stderr.write("unknown run %s\n" % run)
            return 2
    except Fail as e:
        sys.stderr.write("expected.py %s: %s\n" % (run, e))
        return 1
    sys.stdout.write("\n".join(lines).rstrip() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
