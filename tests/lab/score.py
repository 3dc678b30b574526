#!/usr/bin/env python3
"""score.py - score jtlscope's throttle verdicts against the limiter lab's truth files.

usage: score.py [--jtlscope ./jtlscope] [--json OUT] [--floor tests/lab/floor.json]
                [--tap] [--measure-floor] [--jobs 2] DIR...

Each DIR is a corpus folder (holding scenario folders, each with a truth.json) or one scenario
folder.  For every scenario it runs `jtlscope report <inputs> <args> --format json -o TMP`
in the scenario folder, reads TMP/report.json and compares the `throttle` object with the
truth's `expect` (schema and tolerances: tests/lab/TRUTH.md; the checks: docs/accuracy.md).

Prints a per-scenario table, per-check totals, a confusion matrix for the model and for the
scope, and calibration per confidence level; `--json OUT` writes the same as JSON.  Exit 1
when a DIR scores below its floor in floor.json, 2 on usage or unreadable input.  `--tap`
adds one TAP line per floor criterion (for tests/run.sh).  python3 stdlib only.
"""

import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile

CHECKS = ["detected", "finding", "onset", "threads_at_onset", "model",
          "rate_per_s", "burst", "limit", "window_s", "concurrency",
          "scope", "key", "retry_honoured", "retry_violated"]
PARAMS = ["rate_per_s", "burst", "limit", "window_s", "concurrency"]
SHORT = {"detected": "det", "finding": "fnd", "onset": "ons", "threads_at_onset": "thr",
         "model": "mod", "rate_per_s": "rate", "burst": "bur", "limit": "lim",
         "window_s": "win", "concurrency": "cc", "scope": "scp", "key": "key",
         "retry_honoured": "hon", "retry_violated": "vio"}
MODELS = ["token-bucket", "fixed-window", "sliding-window", "concurrency", "unknown"]
SCOPES = ["shared", "per-tenant", "per-client-host", "per-connection", "per-thread", "unknown"]
CONFIDENCES = ["high", "medium", "low", "none"]
SCOPE_ALIASES = {"per-client": "per-client-host", "global": "shared"}
PARTITIONED = {"per-tenant", "per-client-host", "per-connection", "per-thread"}

ONSET_TOL_MS = 2000          # onset +-2 s
REL_TOL = 0.10               # threads, rate, limit, window, concurrency, retry counts: +-10 %
BURST_SLACK = 1              # burst: inside the interval +-1 (or +-max(1, 10 %) without one)
CONCURRENCY_MIN_TOL = 1      # concurrency: at least +-1
RETRY_MIN_TOL = 2            # Retry-After honoured/violated: at least +-2
# A reported interval is evidence only while it is an error bar, not a shrug: when its
# half-width exceeds this share of the point estimate (burst: or BURST_MAX_HALF_WIDTH
# requests, whichever is larger), the point estimate must be within the plain tolerance.
MAX_INTERVAL_REL = 0.25
BURST_MAX_HALF_WIDTH = 2
JTLSCOPE_TIMEOUT_S = 120


# ---------------------------------------------------------------------------------------
# Reading the two sides

def norm_scope(s):
    if s is None:
        return None
    s = str(s).strip().lower()
    return SCOPE_ALIASES.get(s, s)


def norm_key(k):
    if k is None:
        return None
    k = str(k).strip()
    return k.lower()


def accept_list(expect, many, one, norm=lambda x: x):
    """The answers counted right: expect[many] (a null entry means "no answer" is right), else
    [expect[one]]; [] when the check does not apply."""
    if many in expect and expect[many] is not None:
        xs = expect[many]
    elif expect.get(one) is not None:
        xs = [expect[one]]
    else:
        xs = []
    return ["none" if x is None else norm(x) for x in xs]


def shows_headers(truth):
    """Can any input hold the responses' headers (Retry-After)?  A capture can; a JTL only as
    XML with response headers kept (the lab's client format `xml-headers`)."""
    for i in truth.get("inputs") or []:
        if ".pcap" in os.path.basename(str(i)):
            return True
    c = truth.get("client") or {}
    if c.get("kind") not in (None, "jmeter"):
        return True
    fmt = c.get("format")
    return fmt is None or str(fmt).startswith("xml-headers")


def num(x):
    """A JSON number (not a bool) as float, else None."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return float(x)


def answer_of(report):
    """The answer jtlscope gave, in the scorer's terms, from its JSON report."""
    t = report.get("throttle") or {}
    detected = bool(t.get("detected"))
    finding = t.get("finding")
    if not finding:
        finding = "rate-limit" if detected else "none"
    onset = t.get("onset") or {}
    limit = t.get("limit") or {}
    regions = t.get("regions") or []

    # scope_detail belongs at the top level (the contract); today's binary has it only in
    # regions[]: with one region that region is the top level; else the one `group` names.
    sd = t.get("scope_detail")
    sd_from = "throttle"
    if not isinstance(sd, dict):
        sd, sd_from = None, None
        group = t.get("group")
        if len(regions) == 1:
            sd, sd_from = regions[0].get("scope_detail"), "regions[0]"
        elif group is not None:
            for r in regions:
                if r.get("region") == group:
                    sd, sd_from = r.get("scope_detail"), "regions[%s]" % group
        if not isinstance(sd, dict):
            sd, sd_from = None, None

    model = limit.get("model") if (detected and limit) else None
    a = {
        "detected": detected,
        "finding": finding,
        "finding_reported": t.get("finding") is not None,
        "group": t.get("group"),
        "onset_ms": num(onset.get("ts_ms")),
        "threads_at_onset": num(onset.get("threads")),
        "model": model if model else "none",
        "model_confidence": (limit.get("confidence") or "none") if model else "none",
        "params": {},
        "scope": norm_scope(t.get("scope")) if detected else "none",
        "scope_confidence": (sd.get("confidence") or "none") if (sd and detected) else "none",
        # a key partitions a limit only for a per-key scope: a shared or unknown answer names
        # none, whatever scope_detail.key holds (today's binary fills in the key it tested)
        "key": norm_key(sd.get("key")) if (sd and detected and norm_scope(t.get("scope"))
                                           in PARTITIONED) else
               # only some groups were throttled: the grouping is the key that tells who
               (norm_key(t.get("group_key")) if (detected and t.get("group_key")) else None),
        "key_from": sd_from,
        "retry_seen": num((t.get("retry_after") or {}).get("seen")),
        "retry_honoured": num((t.get("retry_after") or {}).get("honoured")),
        "retry_violated": num((t.get("retry_after") or {}).get("violated")),
    }
    for p in PARAMS:
        a["params"][p] = {"value": num(limit.get(p)) if model else None,
                          "low": num(limit.get(p + "_low")) if model else None,
                          "high": num(limit.get(p + "_high")) if model else None}
    # what the regions say, to name in a failure (e.g. the answer is only inside regions[])
    hints = []
    for r in regions:
        if r.get("detected"):
            rl = r.get("limit") or {}
            hints.append("%s: %s/%s" % (r.get("region"), rl.get("model", "-"),
                                        norm_scope(r.get("scope"))))
    a["region_hints"] = hints
    return a


# ---------------------------------------------------------------------------------------
# The comparisons

def fmt(x):
    if x is None:
        return "none"
    if isinstance(x, float):
        if x == int(x) and abs(x) < 1e15:
            return str(int(x))
        return "%.3g" % x
    if isinstance(x, (list, tuple)):
        return "|".join(fmt(v) for v in x)
    return str(x)


def within(got, want, rel, minabs=0.0):
    tol = max(abs(want) * rel, minabs)
    return abs(got - want) <= tol + 1e-9


def check_param(name, want, got, identifiable):
    """-> (status, expected text, got text, interval) where interval is None (none reported),
    "too-wide", "covers" or "misses" (does the reported interval hold the truth?)."""
    v, lo, hi = got["value"], got["low"], got["high"]
    if not identifiable and v is None and lo is None and hi is None:
        return "n/a", fmt(want), "none (unidentifiable, not claimed)", None
    if name in ("burst", "concurrency"):
        point_ok = v is not None and within(v, want, REL_TOL, 1)
        tol_txt = "+-max(1, 10 %)"
    else:
        point_ok = v is not None and within(v, want, REL_TOL)
        tol_txt = "+-10 %"
    slack = BURST_SLACK if name == "burst" else 0
    interval = None
    got_txt = fmt(v)
    if lo is not None and hi is not None and lo <= hi:
        got_txt = "%s [%s..%s]" % (fmt(v), fmt(lo), fmt(hi))
        centre = v if v is not None else (lo + hi) / 2
        cap = abs(centre) * MAX_INTERVAL_REL
        if name == "burst":
            cap = max(cap, BURST_MAX_HALF_WIDTH)
        if (hi - lo) / 2 > cap + 1e-9:
            interval = "too-wide"
            got_txt += " (interval too wide to count)"
        elif lo - slack - 1e-9 <= want <= hi + slack + 1e-9:
            interval = "covers"
        else:
            interval = "misses"
    # TRUTH.md: within the tolerance, or the truth inside the reported interval
    ok = point_ok or interval == "covers"
    exp_txt = "%s (%s%s)" % (fmt(want), tol_txt, ", or in the interval" + (" +-1" if slack else "")
                             if interval in ("covers", "misses") else "")
    if v is None and interval not in ("covers", "misses"):
        got_txt = "none" if lo is None else got_txt
    return ("right" if ok else "wrong"), exp_txt, got_txt, interval


def compare(expect, ans, headers_visible=True):
    """Every check -> {status: right|wrong|n/a, expected, got}."""
    res = {}

    def put(name, status, expected=None, got=None):
        res[name] = {"status": status, "expected": expected, "got": got}

    # detected
    if expect.get("detected") is None:
        put("detected", "n/a")
    else:
        want = bool(expect["detected"])
        put("detected", "right" if ans["detected"] == want else "wrong", fmt(want),
            fmt(ans["detected"]))

    # finding
    accept = accept_list(expect, "finding_accept", "finding")
    if not accept:
        put("finding", "n/a")
    else:
        got = ans["finding"] + ("" if ans["finding_reported"] else " (derived)")
        put("finding", "right" if ans["finding"] in accept else "wrong", fmt(accept), got)

    # onset
    want = num(expect.get("onset_ms"))
    if want is None:
        put("onset", "n/a")
    elif ans["onset_ms"] is None:
        put("onset", "wrong", "%d (+-2 s)" % want, "none")
    else:
        d = ans["onset_ms"] - want
        put("onset", "right" if abs(d) <= ONSET_TOL_MS else "wrong", "%d (+-2 s)" % want,
            "%d (%+.1f s)" % (ans["onset_ms"], d / 1000.0))

    # threads at onset
    want = num(expect.get("threads_at_onset"))
    if want is None:
        put("threads_at_onset", "n/a")
    elif ans["threads_at_onset"] is None:
        put("threads_at_onset", "wrong", fmt(want) + " (+-10 %)", "none")
    else:
        put("threads_at_onset", "right" if within(ans["threads_at_onset"], want, REL_TOL)
            else "wrong", fmt(want) + " (+-10 %)", fmt(ans["threads_at_onset"]))

    # model
    identifiable = expect.get("identifiable", True) is not False
    accept = accept_list(expect, "model_accept", "model")
    if not identifiable:
        put("model", "right" if ans["model"] == "unknown" else "wrong",
            "unknown (unidentifiable%s)" % (": " + expect["why_unidentifiable"]
                                            if expect.get("why_unidentifiable") else ""),
            ans["model"])
    elif not accept:
        put("model", "n/a")
    else:
        put("model", "right" if ans["model"] in accept else "wrong", fmt(accept), ans["model"])

    # parameters
    params = expect.get("params") or {}
    for p in PARAMS:
        want = num(params.get(p))
        if want is None:
            put(p, "n/a")
            continue
        st, e, g, iv = check_param(p, want, ans["params"][p], identifiable)
        put(p, st, e, g)
        res[p]["interval"] = iv

    # scope
    accept = accept_list(expect, "scope_accept", "scope", norm_scope)
    if not accept:
        put("scope", "n/a")
    else:
        put("scope", "right" if ans["scope"] in accept else "wrong", fmt(accept), ans["scope"])

    # key
    accept = accept_list(expect, "key_accept", "key", norm_key)
    if not accept:
        put("key", "n/a")
    else:
        got = ans["key"] or "none"
        put("key", "right" if got in accept else "wrong", fmt(accept),
            got + ("" if ans["key"] is None or ans["key_from"] == "throttle"
                   else " (from %s)" % ans["key_from"]))

    # Retry-After compliance
    ra = expect.get("retry_after")
    for name, field in (("retry_honoured", "honoured"), ("retry_violated", "violated")):
        want = num(ra.get(field)) if isinstance(ra, dict) else None
        if want is None:
            put(name, "n/a")
        elif not headers_visible:
            put(name, "n/a", fmt(want), "(the inputs keep no response headers)")
        elif ans[name] is None:
            put(name, "wrong", fmt(want), "none")
        else:
            put(name, "right" if within(ans[name], want, REL_TOL, RETRY_MIN_TOL) else "wrong",
                fmt(want) + " (+-max(2, 10 %))", fmt(ans[name]))
    return res


# ---------------------------------------------------------------------------------------
# Running jtlscope

def find_scenarios(d):
    if os.path.isfile(os.path.join(d, "truth.json")):
        return [d]
    out = []
    for name in sorted(os.listdir(d)):
        p = os.path.join(d, name)
        if os.path.isdir(p) and os.path.isfile(os.path.join(p, "truth.json")):
            out.append(p)
    return out


def run_scenario(jtlscope, folder):
    with open(os.path.join(folder, "truth.json"), encoding="utf-8") as f:
        truth = json.load(f)
    sid = truth.get("id") or os.path.basename(os.path.normpath(folder))
    expect = truth.get("expect") or {}
    sc = {"id": sid, "class": truth.get("class") or "-", "folder": folder, "error": None,
          "answer": None}
    tmp = tempfile.mkdtemp(prefix="jtlscope-score.")
    try:
        cmd = [jtlscope, "report"] + list(truth.get("inputs") or []) + \
              list(truth.get("args") or []) + ["--format", "json", "-o", tmp]
        try:
            p = subprocess.run(cmd, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=JTLSCOPE_TIMEOUT_S)
            report_path = os.path.join(tmp, "report.json")
            if p.returncode not in (0, 6) or not os.path.isfile(report_path):
                err = p.stderr.decode("utf-8", "replace").strip().splitlines()
                sc["error"] = "jtlscope exited %d%s" % (p.returncode,
                                                        ": " + err[-1] if err else "")
            else:
                with open(report_path, encoding="utf-8") as f:
                    report = json.load(f)
                sc["answer"] = answer_of(report)
        except subprocess.TimeoutExpired:
            sc["error"] = "jtlscope took longer than %d s" % JTLSCOPE_TIMEOUT_S
        except (OSError, ValueError) as e:
            sc["error"] = "cannot run jtlscope or read its report: %s" % e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if sc["answer"] is None:
        # no answer at all: every applicable check is wrong
        blank = answer_of({})
        sc["checks"] = compare(expect, blank, shows_headers(truth))
        for c in sc["checks"].values():
            if c["status"] == "right":
                c["status"] = "wrong"
            if c["status"] == "wrong":
                c["got"] = "(no report)"
        sc["answer"] = blank
    else:
        sc["checks"] = compare(expect, sc["answer"], shows_headers(truth))
    ident = expect.get("identifiable", True) is not False
    sc["truth_model"] = ("unidentifiable" if not ident else (expect.get("model") or "none"))
    sc["truth_scope"] = norm_scope(expect.get("scope")) or "none"
    return sc


# ---------------------------------------------------------------------------------------
# Scorecards

def pct(r, n):
    return None if n == 0 else round(100.0 * r / n, 1)


def scorecard(scenarios):
    checks = {}
    for c in CHECKS:
        r = sum(1 for s in scenarios if s["checks"][c]["status"] == "right")
        n = sum(1 for s in scenarios if s["checks"][c]["status"] != "n/a")
        checks[c] = {"right": r, "applicable": n, "pct": pct(r, n)}
    tr = sum(v["right"] for v in checks.values())
    tn = sum(v["applicable"] for v in checks.values())

    def matrix(rowkey, colkey, rows0, cols0):
        rows = list(rows0)
        cols = list(cols0)
        cells = {}
        for s in scenarios:
            r, c = s[rowkey], s["answer"][colkey]
            if r not in rows:
                rows.append(r)
            if c not in cols:
                cols.append(c)
            cells.setdefault(r, {}).setdefault(c, 0)
            cells[r][c] += 1
        rows = [r for r in rows if r in cells]
        used = {c for r in cells.values() for c in r}
        cols = [c for c in cols if c in used]
        return {"rows": rows, "cols": cols,
                "cells": [[cells.get(r, {}).get(c, 0) for c in cols] for r in rows]}

    def calibration(check, confkey):
        out = {}
        for lvl in CONFIDENCES:
            xs = [s for s in scenarios if s["checks"][check]["status"] != "n/a"
                  and (s["answer"][confkey] if s["answer"][confkey] in CONFIDENCES
                       else "none") == lvl]
            r = sum(1 for s in xs if s["checks"][check]["status"] == "right")
            out[lvl] = {"answers": len(xs), "right": r, "pct": pct(r, len(xs))}
        return out

    classes = {}
    for s in scenarios:
        c = classes.setdefault(s["class"], {"scenarios": 0, "right": 0, "applicable": 0,
                                            "all_right": 0})
        r = sum(1 for k in s["checks"].values() if k["status"] == "right")
        n = sum(1 for k in s["checks"].values() if k["status"] != "n/a")
        c["scenarios"] += 1
        c["right"] += r
        c["applicable"] += n
        c["all_right"] += 1 if r == n and not s["error"] else 0
    for c in classes.values():
        c["pct"] = pct(c["right"], c["applicable"])

    intervals = {}
    for p in PARAMS:
        ivs = [s["checks"][p].get("interval") for s in scenarios]
        n = sum(1 for x in ivs if x in ("covers", "misses"))
        c = sum(1 for x in ivs if x == "covers")
        intervals[p] = {"reported": n, "covers": c, "too_wide": ivs.count("too-wide"),
                        "pct": pct(c, n)}

    cal = {"model": calibration("model", "model_confidence"),
           "scope": calibration("scope", "scope_confidence")}
    hn = cal["model"]["high"]["answers"] + cal["scope"]["high"]["answers"]
    hr = cal["model"]["high"]["right"] + cal["scope"]["high"]["right"]
    return {
        "scenarios": len(scenarios),
        "errors": sum(1 for s in scenarios if s["error"]),
        "checks": checks,
        "overall": {"right": tr, "applicable": tn, "pct": pct(tr, tn)},
        "confusion": {
            "model": matrix("truth_model", "model",
                            ["token-bucket", "fixed-window", "sliding-window", "concurrency",
                             "unidentifiable", "none"], MODELS + ["none"]),
            "scope": matrix("truth_scope", "scope", SCOPES + ["none"], SCOPES + ["none"]),
        },
        "calibration": cal,
        "classes": {k: classes[k] for k in sorted(classes)},
        "intervals": intervals,
        "high_confidence": {"answers": hn, "right": hr, "pct": pct(hr, hn)},
    }


# ---------------------------------------------------------------------------------------
# Floors

def judge(name, card, floor):
    """-> list of (ok, text) for one set against its floor (a dict, possibly empty)."""
    out = []
    if not floor:
        return out
    if floor.get("scenarios") not in (None, card["scenarios"]):
        # not a failure by itself (the percentages are judged as they are), but the floor no
        # longer describes this folder: say so, so that it gets re-measured
        out.append((True, "%s: floor measured on %d scenarios, the folder has %d: re-measure "
                    "with score.py --measure-floor # SKIP" % (name, floor["scenarios"],
                                                             card["scenarios"])))
    if "overall_pct" in floor:
        got = card["overall"]["pct"]
        ok = got is not None and got + 1e-9 >= floor["overall_pct"]
        out.append((ok, "%s overall %s %% (%d/%d) >= floor %.1f %%" % (
            name, pcts(got), card["overall"]["right"], card["overall"]["applicable"],
            floor["overall_pct"])))
    hf = floor.get("high")
    if hf:
        h = card["high_confidence"]
        if h["answers"] < hf.get("min_answers", 1):
            out.append((True, "%s high-confidence answers right: %d answers, fewer than %d: "
                        "not judged # SKIP" % (name, h["answers"], hf.get("min_answers", 1))))
        else:
            ok = h["pct"] + 1e-9 >= hf["pct"]
            out.append((ok, "%s high-confidence answers right %s %% (%d/%d) >= floor %.1f %%" % (
                name, pcts(h["pct"]), h["right"], h["answers"], hf["pct"])))
    for c, f in sorted((floor.get("checks") or {}).items(), key=lambda kv: CHECKS.index(kv[0])
                       if kv[0] in CHECKS else 99):
        v = card["checks"].get(c)
        if v is None or v["applicable"] == 0:
            out.append((True, "%s %s: no applicable scenario # SKIP" % (name, c)))
            continue
        ok = v["pct"] + 1e-9 >= f
        out.append((ok, "%s %s %s %% (%d/%d) >= floor %.1f %%" % (
            name, c, pcts(v["pct"]), v["right"], v["applicable"], f)))
    return out


def measured_floor(card):
    """The floor a set achieves now (rounded down to 0.1 %), for --measure-floor."""
    def down(r, n):
        return (1000 * r // n) / 10.0 if n else 0.0
    h = card["high_confidence"]
    return {"scenarios": card["scenarios"],
            "overall_pct": down(card["overall"]["right"], card["overall"]["applicable"]),
            "high": {"min_answers": 5, "pct": down(h["right"], h["answers"])},
            "checks": {c: down(v["right"], v["applicable"]) for c, v in card["checks"].items()
                       if v["applicable"] > 0}}


# ---------------------------------------------------------------------------------------
# Text output

def table(rows, header, align=None):
    w = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    align = align or ["l"] + ["r"] * (len(header) - 1)
    lines = []
    for r in [header] + rows:
        cells = [(str(c).ljust(w[i]) if align[i] == "l" else str(c).rjust(w[i]))
                 for i, c in enumerate(r)]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * x for x in w))
    return "\n".join(lines)


def pcts(x):
    return "-" if x is None else "%.1f" % x


def print_text(sets, allsc, total, judged, out):
    mark = {"right": "+", "wrong": "x", "n/a": "."}
    w = out.write
    w("jtlscope accuracy scorecard (+ right, x wrong, . not applicable)\n\n")
    rows = []
    for s in allsc:
        rows.append([s["id"], s["class"]] + [mark[s["checks"][c]["status"]] for c in CHECKS])
    w(table(rows, ["scenario", "class"] + [SHORT[c] for c in CHECKS],
            ["l", "l"] + ["r"] * len(CHECKS)) + "\n")
    w("\nFailures:\n")
    nfail = 0
    for s in allsc:
        bad = [c for c in CHECKS if s["checks"][c]["status"] == "wrong"]
        if s["error"]:
            w("  %s: %s\n" % (s["id"], s["error"]))
        for c in bad:
            nfail += 1
            k = s["checks"][c]
            w("  %s: %s: expected %s, got %s\n" % (s["id"], c, k["expected"], k["got"]))
        if bad and s["answer"]["region_hints"] and (
                "model" in bad or "scope" in bad) and not s["answer"]["group"]:
            w("  %s:   (regions[] say %s)\n" % (s["id"], "; ".join(s["answer"]["region_hints"])))
    if nfail == 0:
        w("  none\n")

    names = list(sets.keys())
    w("\nPer check (right / applicable):\n")
    cols = names + (["total"] if len(names) > 1 else [])
    cards = [sets[n] for n in names] + ([total] if len(names) > 1 else [])
    rows = []
    for c in CHECKS + ["overall"]:
        row = [c]
        for card in cards:
            v = card["overall"] if c == "overall" else card["checks"][c]
            row.append("%d/%d %s" % (v["right"], v["applicable"],
                                     pcts(v["pct"]) + (" %" if v["pct"] is not None else "")))
        rows.append(row)
    rows.append(["high confidence"] + ["%d/%d %s" % (
        card["high_confidence"]["right"], card["high_confidence"]["answers"],
        pcts(card["high_confidence"]["pct"]) + (" %" if card["high_confidence"]["pct"]
                                                 is not None else "")) for card in cards])
    w(table(rows, ["check"] + cols) + "\n")

    w("\nPer class (scenarios with every check right; checks right / applicable):\n")
    rows = [[k, "%d/%d" % (v["all_right"], v["scenarios"]),
             "%d/%d" % (v["right"], v["applicable"]), pcts(v["pct"])]
            for k, v in total["classes"].items()]
    w(table(rows, ["class", "all right", "checks", "%"]) + "\n")

    for what in ("model", "scope"):
        m = total["confusion"][what]
        w("\nConfusion matrix, %s (rows: truth, columns: jtlscope's answer):\n" % what)
        rows = [[r] + [str(x) if x else "." for x in cells] for r, cells in
                zip(m["rows"], m["cells"])]
        w(table(rows, ["truth \\ answer"] + m["cols"]) + "\n")

    w("\nIntervals (parameters reported with an interval; how many hold the truth):\n")
    rows = [[p, str(v["reported"]), str(v["covers"]), pcts(v["pct"]), str(v["too_wide"])]
            for p, v in total["intervals"].items()]
    w(table(rows, ["parameter", "intervals", "hold truth", "%", "too wide"]) + "\n")

    w("\nCalibration (applicable answers per confidence level):\n")
    rows = []
    for what in ("model", "scope"):
        for lvl in CONFIDENCES:
            v = total["calibration"][what][lvl]
            rows.append([what, lvl, str(v["answers"]), str(v["right"]), pcts(v["pct"])])
    w(table(rows, ["answer", "confidence", "answers", "right", "% right"],
            ["l", "l", "r", "r", "r"]) + "\n")

    if judged:
        w("\nFloor (tests/lab/floor.json):\n")
        for ok, text in judged:
            w("  %s %s\n" % ("ok  " if ok else "FAIL", text))


# ---------------------------------------------------------------------------------------

def main(argv):
    ap = argparse.ArgumentParser(description="Score jtlscope's verdicts against lab truth files.")
    ap.add_argument("--jtlscope", default="./jtlscope")
    ap.add_argument("--json", metavar="OUT")
    ap.add_argument("--floor", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                    "floor.json"))
    ap.add_argument("--no-floor", action="store_true", help="print the scorecard, judge nothing")
    ap.add_argument("--tap", action="store_true", help="also print one TAP line per criterion")
    ap.add_argument("--measure-floor", action="store_true",
                    help="print the floor each DIR achieves now (JSON) instead of judging")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("dirs", nargs="+", metavar="DIR")
    a = ap.parse_args(argv)

    jtl = os.path.abspath(a.jtlscope)
    if not os.access(jtl, os.X_OK):
        print("score.py: %s is not an executable" % a.jtlscope, file=sys.stderr)
        return 2
    floors = {}
    if not a.no_floor and not a.measure_floor:
        try:
            with open(a.floor, encoding="utf-8") as f:
                floors = json.load(f)
        except (OSError, ValueError) as e:
            print("score.py: cannot read floor %s: %s" % (a.floor, e), file=sys.stderr)
            return 2

    work = []   # (set name, folder)
    setnames = []
    for d in a.dirs:
        if not os.path.isdir(d):
            print("score.py: %s is not a folder" % d, file=sys.stderr)
            return 2
        name = os.path.basename(os.path.normpath(os.path.abspath(d)))
        base, i = name, 2
        while name in setnames:
            name, i = "%s-%d" % (base, i), i + 1
        setnames.append(name)
        scen = find_scenarios(d)
        if not scen:
            print("score.py: no truth.json in %s or its subfolders" % d, file=sys.stderr)
            return 2
        work += [(name, s) for s in scen]

    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        futs = {ex.submit(run_scenario, jtl, folder): (name, folder) for name, folder in work}
        for fu in concurrent.futures.as_completed(futs):
            name, folder = futs[fu]
            try:
                results[(name, folder)] = fu.result()
            except (OSError, ValueError) as e:
                print("score.py: %s: bad truth.json: %s" % (folder, e), file=sys.stderr)
                return 2
    allsc = [results[k] for k in work]
    for s in allsc:
        s["set"] = next(n for n, f in work if f == s["folder"])
    sets = {}
    for n in setnames:
        sets[n] = scorecard([s for s in allsc if s["set"] == n])
    total = scorecard(allsc)

    if a.measure_floor:
        print(json.dumps({n: measured_floor(c) for n, c in sets.items()}, indent=2,
                         sort_keys=True))
        return 0

    judged = []
    if floors:
        per = floors.get("sets") or {}
        for n in setnames:
            fl = per.get(n)
            label = n
            if fl is None:
                fl = floors.get("default")
                label = n + " (default floor)"
            judged += judge(label, sets[n], fl)

    print_text(sets, allsc, total, judged, sys.stdout)
    if a.tap:
        print()
        for ok, text in judged:
            print("%s - accuracy: %s" % ("ok" if ok else "not ok", text))
        for s in allsc:
            if s["error"]:
                print("not ok - accuracy: %s: %s" % (s["id"], s["error"]))
    if a.json:
        doc = {
            "schema": "jtlscope-accuracy/1",
            "jtlscope": a.jtlscope,
            "sets": sets,
            "total": total,
            "scenarios": [{"set": s["set"], "id": s["id"], "class": s["class"],
                           "folder": s["folder"], "error": s["error"],
                           "truth_model": s["truth_model"], "truth_scope": s["truth_scope"],
                           "answer": {k: v for k, v in s["answer"].items()},
                           "checks": s["checks"]} for s in allsc],
            "floor": [{"ok": ok, "text": text} for ok, text in judged],
        }
        d = os.path.dirname(a.json)
        if d:
            os.makedirs(d, exist_ok=True)
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1, sort_keys=True)
            f.write("\n")
    failed = [t for ok, t in judged if not ok] or [s for s in allsc if s["error"]]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
