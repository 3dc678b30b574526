#!/usr/bin/env python3
"""Generate the second run of each "what if" pair (issue 16): the first run is a committed lab
scenario (tests/lab/corpus/<id>/); the second is the same limiter (same scenario.json: server,
parameters, plan) run again with one change to the client: fewer threads, or a client that
honours Retry-After.  Writes tests/lab/whatif/<id>/ (run_scenario.py's folder layout, no capture)
and tests/lab/whatif/pairs.json.  Needs root (the lab), one scenario at a time.

    sudo python3 tests/lab/whatif_pairs.py [--only ID] [--list]
"""
import argparse
import copy
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
OUT = os.path.join(HERE, "whatif")

# (first run, change, value): "users" -> every thread group scaled to that share of its threads;
# "honour" -> the client honours Retry-After.
PAIRS = [
    ("s1-00-nginx-shared", "users", 0.55),
    ("s1-00-nginx-shared", "honour", True),
    ("s1-07-sliding-log", "honour", True),
    ("s1-04-fixed-window", "users", 0.55),
    ("s1-03-nginx-limit-conn", "users", 0.55),
    ("s2-04-fixed-window", "honour", True),
    ("s10-04-issue-4", "users", 0.6),
    ("s1-08-gcra", "users", 0.5),
]


def second(scn, change, value):
    s = copy.deepcopy(scn)
    s["capture"] = False
    if change == "users":
        for gen in s["client"]["generators"]:
            for g in gen.get("groups") or []:
                g["threads"] = max(1, int(round(g["threads"] * value)))
        tag = "u%d" % int(round(value * 100))
    else:
        s["client"]["honours_retry_after"] = True
        tag = "ra"
    s["id"] = "w-%s-%s" % (scn["id"], tag)
    return s


def pair_id(a, change, value):
    return "w-%s-%s" % (a, "u%d" % int(round(value * 100)) if change == "users" else "ra")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    pairs = []
    for a, change, value in PAIRS:
        with open(os.path.join(CORPUS, a, "scenario.json")) as f:
            scn = json.load(f)
        b = second(scn, change, value)
        users_b = sum(g["threads"] for gen in b["client"]["generators"] for g in gen.get("groups") or [])
        ra = scn["limiter"].get("retry_after", "")
        pairs.append({"first": "corpus/" + a, "second": "whatif/" + b["id"], "change": change,
                      # what the user knows of the server: its fixed Retry-After (the CSV JTLs
                      # keep no headers); countdown / HTTP-date values are not fixed
                      "retry_after_s": int(ra[6:]) if ra.startswith("fixed:") else None,
                      "users": users_b if change == "users" else None,
                      "ramp_s": max(g["ramp_s"] for gen in b["client"]["generators"] for g in gen.get("groups") or [])})
        if args.list or (args.only and args.only != b["id"]):
            print(b["id"])
            continue
        if os.path.isdir(os.path.join(OUT, b["id"])):
            print("%s: already there" % b["id"], file=sys.stderr)
            continue
        path = os.path.join(OUT, b["id"] + ".scenario.json")
        with open(path, "w") as f:
            json.dump(b, f, indent=1)
        r = subprocess.run([sys.executable, os.path.join(HERE, "run_scenario.py"), "--scenario", path,
                            "--out", OUT])
        os.unlink(path)
        if r.returncode != 0:
            print("%s: run failed (%d)" % (b["id"], r.returncode), file=sys.stderr)
    with open(os.path.join(OUT, "pairs.json"), "w") as f:
        json.dump({"schema": "jtlscope-whatif-pairs/1", "pairs": pairs}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
