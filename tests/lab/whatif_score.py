#!/usr/bin/env python3
"""Score `jtlscope whatif` (issue 16) on pairs of lab runs of the same limiter made with two
client policies or loads (tests/lab/whatif/pairs.json, made by whatif_pairs.py): the second run
is predicted from the first (--users N --ramp R, or --policy honour-retry-after) and compared
with what the second run recorded: accepted throughput and throttled count, each within +-10 %
(throttled counts below 20 within +-2, the run-to-run noise of a handful of refusals).

    python3 tests/lab/whatif_score.py [--jtlscope ./jtlscope] [--tap] [--json OUT]
                                      [--floor N] [PAIRS.json]

--floor N: exit 1 when fewer than N of the predictions are within the tolerance (CI keeps the
measured scorecard from sliding back); without it the exit code only says whether it ran.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOL = 0.10
SMALL = 20     # throttled counts below this: absolute tolerance
SMALL_TOL = 2


def inputs_of(folder):
    with open(os.path.join(folder, "truth.json")) as f:
        t = json.load(f)
    ins = [i for i in t["inputs"] if not i.endswith(".pcap.gz")] or t["inputs"][:1]
    return [os.path.join(folder, i) for i in ins], t.get("args", [])


def whatif(jtlscope, folder, extra):
    ins, args = inputs_of(folder)
    cmd = [jtlscope, "whatif", "-q", "-f", "json"] + ins + args + extra
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if r.returncode not in (0, 1):
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), r.returncode, r.stderr.strip()[:300]))
    return json.loads(r.stdout), r.returncode


def within(pred, obs, small):
    if small and obs < SMALL:
        return abs(pred - obs) <= SMALL_TOL
    if obs == 0:
        return pred == 0
    return abs(pred - obs) <= TOL * obs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pairs", nargs="?", default=os.path.join(HERE, "whatif", "pairs.json"))
    ap.add_argument("--jtlscope", default="./jtlscope")
    ap.add_argument("--tap", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--floor", type=int)
    a = ap.parse_args()
    base = os.path.dirname(os.path.dirname(os.path.abspath(a.pairs)))
    with open(a.pairs) as f:
        pairs = json.load(f)["pairs"]
    rows, ok_n, total, n = [], 0, 0, 0
    for p in pairs:
        first = os.path.join(base, p["first"])
        second = os.path.join(base, p["second"])
        if not os.path.isdir(second):
            continue
        if p["change"] == "users":
            extra = ["--users", str(p["users"]), "--ramp", "%gs" % p["ramp_s"], "--policy", "none"]
        else:
            extra = ["--policy", "honour-retry-after"]
            if p.get("retry_after_s"):
                extra += ["--retry-after", "%ds" % p["retry_after_s"]]
        row = {"first": p["first"], "second": p["second"], "change": p["change"], "args": extra}
        try:
            pt, prc = whatif(a.jtlscope, first, extra)
            bt, _ = whatif(a.jtlscope, second, ["--policy", "none"])
        except (RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
            row["error"] = str(e)
            rows.append(row)
            total += 2
            continue
        rec = bt["recorded"]
        row["observed"] = {"accepted_per_s": rec["accepted_per_s"], "throttled": rec["throttled"],
                           "requests": rec["requests"]}
        if prc != 0 or not pt["scenarios"]:
            row["error"] = "no prediction: " + pt["limiter"].get("why", "limiter unknown")
            rows.append(row)
            total += 2
            continue
        sc = pt["scenarios"][-1]
        pr = {"accepted_per_s": sc["accepted_per_s"], "throttled": sc["throttled"],
              "requests": sc["requests"]}
        row["predicted"] = pr
        row["model"] = pt["limiter"]["model"]
        row["replay_check"] = {"predicted": pt["scenarios"][0]["throttled"]["v"],
                               "recorded": pt["recorded"]["throttled"]}
        acc_ok = within(pr["accepted_per_s"]["v"], rec["accepted_per_s"], False)
        thr_ok = within(pr["throttled"]["v"], rec["throttled"], True)
        row["accepted_within"] = acc_ok
        row["throttled_within"] = thr_ok
        row["accepted_err"] = (pr["accepted_per_s"]["v"] - rec["accepted_per_s"]) / rec["accepted_per_s"] \
            if rec["accepted_per_s"] else None
        row["throttled_in_range"] = pr["throttled"]["lo"] <= rec["throttled"] <= pr["throttled"]["hi"]
        ok_n += acc_ok + thr_ok
        total += 2
        rows.append(row)
    for r in rows:
        n += 1
        if "error" in r:
            line = "%s -> %s: %s" % (r["first"], r["second"], r["error"])
            if a.tap:
                # no prediction (limiter unknown) is a miss of the scorecard; a failing run
                # of jtlscope is a failure
                crashed = not r["error"].startswith("no prediction")
                print("%s %d - whatif %s: %s" % ("not ok" if crashed else "ok", n, r["second"],
                                                r["error"][:200]))
            else:
                print(line)
            continue
        pr, ob = r["predicted"], r["observed"]
        desc = ("%s (%s %s): accepted/s %.2f vs %.2f (%+.0f %%) %s; throttled %.0f [%.0f-%.0f] vs %d %s" % (
            r["second"], r["change"], r["model"], pr["accepted_per_s"]["v"], ob["accepted_per_s"],
            100 * (r["accepted_err"] or 0), "ok" if r["accepted_within"] else "MISS",
            pr["throttled"]["v"], pr["throttled"]["lo"], pr["throttled"]["hi"], ob["throttled"],
            "ok" if r["throttled_within"] else "MISS"))
        if a.tap:
            # the scorecard is informational per pair; --floor is the check
            print("ok %d - whatif %s" % (n, desc))
        else:
            print(desc)
    summary = "whatif scorecard: %d of %d predictions within +-10 %% (%d pairs)" % (ok_n, total, len(rows))
    print(("# " if a.tap else "") + summary)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"schema": "jtlscope-whatif-score/1", "within": ok_n, "total": total, "pairs": rows},
                      f, indent=1)
    if a.floor is not None:
        good = ok_n >= a.floor
        if a.tap:
            n += 1
            print("%s %d - whatif scorecard at or above the floor (%d >= %d)" % (
                "ok" if good else "not ok", n, ok_n, a.floor))
            print("1..%d" % n)
        return 0 if good else 1
    if a.tap:
        print("1..%d" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
