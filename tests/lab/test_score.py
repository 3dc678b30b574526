#!/usr/bin/env python3
"""test_score.py - unit test of tests/lab/score.py (python3 stdlib only).

Builds synthetic scenario folders in a temp dir, each with a truth.json and a canned
jtlscope report; a fake `jtlscope` (a python script written here) copies the scenario's input
(the canned report) to `-o DIR/report.json`, so score.py runs its whole path: folder discovery,
subprocess in the scenario folder, JSON reading, the comparisons, the scorecard, the floor.
Prints TAP ("ok - ..." / "not ok - ...") for tests/run.sh; exit 1 when a test failed.
"""

import copy
import io
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCORE = os.path.join(HERE, "score.py")
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
import score  # noqa: E402,F401  (imported so that a syntax error fails every test run)

FAKE = """#!/usr/bin/env python3
import shutil, sys, os
a = sys.argv[1:]
assert a[0] == "report", a
out = a[a.index("-o") + 1]
src = a[1]
if src.endswith(".fail"):
    sys.stderr.write("jtlscope: cannot open input\\n")
    sys.exit(3)
os.makedirs(out, exist_ok=True)
shutil.copy(src, os.path.join(out, "report.json"))
"""

BASE_EXPECT = {
    "detected": True, "finding": "rate-limit", "onset_ms": 1000000, "threads_at_onset": 20,
    "model": "token-bucket", "model_accept": ["token-bucket"], "identifiable": True,
    "why_unidentifiable": None,
    "params": {"rate_per_s": 15.0, "burst": 6, "limit": None, "window_s": None,
               "concurrency": None},
    "scope": "per-tenant", "scope_accept": ["per-tenant"], "key": "header:X-Tenant",
    "key_accept": ["header:X-Tenant", "thread-group"], "throttled_keys": ["a"],
    "retry_after": {"seen": 100, "honoured": 0, "violated": 90},
}

BASE_THROTTLE = {
    "detected": True,
    "onset": {"ts_ms": 1000500, "threads": 21},
    "limit": {"model": "token-bucket", "confidence": "high", "rate_per_s": 15.5, "burst": 6,
              "limit": None, "window_s": None, "concurrency": None},
    "scope": "per-tenant",
    "scope_detail": {"key": "header:X-Tenant", "confidence": "high", "key_verdicts": []},
    "retry_after": {"seen": 100, "honoured": 1, "violated": 89},
    "regions": [],
}


def report(**over):
    t = copy.deepcopy(BASE_THROTTLE)
    for k, v in over.items():
        if v is DEL:
            t.pop(k, None)
        else:
            t[k] = v
    return {"schema": "jtlscope-report/1", "throttle": t}


def limit(**over):
    lim = copy.deepcopy(BASE_THROTTLE["limit"])
    lim.update(over)
    return lim


def expect(**over):
    e = copy.deepcopy(BASE_EXPECT)
    for k, v in over.items():
        e[k] = v
    return e


DEL = object()


class Env:
    """A temp corpus: scenario folders with truth + canned report, and the fake jtlscope."""

    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="score-test.")
        self.root = self.tmp.name
        self.corpus = os.path.join(self.root, "corpus")
        os.makedirs(self.corpus)
        self.fake = os.path.join(self.root, "fake-jtlscope")
        with open(self.fake, "w") as f:
            f.write(FAKE)
        os.chmod(self.fake, 0o755)
        # inputs may point outside the scenario folder: keep the reports in a sibling folder
        self.reports = os.path.join(self.root, "reports")
        os.makedirs(self.reports)

    def add(self, sid, exp, rep, cls="test", fail=False, **truth_extra):
        d = os.path.join(self.corpus, sid)
        os.makedirs(d)
        rp = os.path.join(self.reports, sid + (".fail" if fail else ".json"))
        with open(rp, "w") as f:
            json.dump(rep, f)
        truth = {"schema": "jtlscope-lab-truth/1", "id": sid, "class": cls,
                 "inputs": [os.path.join("..", "..", "reports", os.path.basename(rp))],
                 "args": [], "expect": exp}
        truth.update(truth_extra)
        with open(os.path.join(d, "truth.json"), "w") as f:
            json.dump(truth, f)
        return d

    def run(self, *args, dirs=None):
        cmd = [sys.executable, SCORE, "--jtlscope", self.fake] + list(args) + \
              (dirs if dirs is not None else [self.corpus])
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def score(self, *args, dirs=None):
        """Run with --json; -> (rc, doc)."""
        out = os.path.join(self.root, "out.json")
        if os.path.exists(out):
            os.remove(out)
        rc, so, se = self.run("--no-floor", "--json", out, *args, dirs=dirs)
        assert rc in (0, 1), (rc, so, se)
        with open(out) as f:
            return rc, json.load(f)

    def close(self):
        self.tmp.cleanup()


def checks_of(doc, sid):
    for s in doc["scenarios"]:
        if s["id"] == sid:
            return {k: v["status"] for k, v in s["checks"].items()}
    raise KeyError(sid)


class TestComparisons(unittest.TestCase):
    def setUp(self):
        self.env = Env()

    def tearDown(self):
        self.env.close()

    def one(self, exp, rep):
        self.env.add("s", exp, rep)
        rc, doc = self.env.score()
        return checks_of(doc, "s")

    def test_all_right(self):
        c = self.one(expect(), report())
        self.assertEqual({k for k, v in c.items() if v == "wrong"}, set())
        for k in ("detected", "finding", "onset", "threads_at_onset", "model", "rate_per_s",
                  "burst", "scope", "key", "retry_honoured", "retry_violated"):
            self.assertEqual(c[k], "right", k)
        for k in ("limit", "window_s", "concurrency"):
            self.assertEqual(c[k], "n/a", k)

    def test_rate_interval_includes_truth(self):
        # point 17 is 13 % off, but the interval 14..18 holds 15: right
        c = self.one(expect(), report(limit=limit(rate_per_s=17.0, rate_per_s_low=14.0,
                                                  rate_per_s_high=18.0)))
        self.assertEqual(c["rate_per_s"], "right")

    def test_rate_point_outside_tolerance(self):
        c = self.one(expect(), report(limit=limit(rate_per_s=17.0)))
        self.assertEqual(c["rate_per_s"], "wrong")

    def test_rate_interval_excludes_truth(self):
        # the point (15.5) passes +-10 % (TRUTH.md: tolerance OR interval); the interval 16..18
        # misses the truth, which the interval table counts
        self.env.add("near", expect(), report(limit=limit(rate_per_s=15.5, rate_per_s_low=16.0,
                                                          rate_per_s_high=18.0)))
        self.env.add("far", expect(), report(limit=limit(rate_per_s=17.0, rate_per_s_low=16.0,
                                                         rate_per_s_high=18.0)))
        self.env.add("hit", expect(), report(limit=limit(rate_per_s=17.0, rate_per_s_low=14.0,
                                                         rate_per_s_high=18.0)))
        rc, doc = self.env.score()
        self.assertEqual(checks_of(doc, "near")["rate_per_s"], "right")
        self.assertEqual(checks_of(doc, "far")["rate_per_s"], "wrong")
        self.assertEqual(doc["total"]["intervals"]["rate_per_s"],
                         {"reported": 3, "covers": 1, "too_wide": 0, "pct": 33.3})

    def test_rate_interval_too_wide_falls_back_to_point(self):
        wide = limit(rate_per_s=17.0, rate_per_s_low=5.0, rate_per_s_high=30.0)
        self.assertEqual(self.one(expect(), report(limit=wide))["rate_per_s"], "wrong")

    def test_rate_interval_too_wide_point_close(self):
        wide = limit(rate_per_s=16.0, rate_per_s_low=5.0, rate_per_s_high=30.0)
        self.assertEqual(self.one(expect(), report(limit=wide))["rate_per_s"], "right")

    def test_rate_tolerance_edges(self):
        self.env.add("in", expect(), report(limit=limit(rate_per_s=16.4)))
        self.env.add("out", expect(), report(limit=limit(rate_per_s=16.6)))
        self.env.add("lowin", expect(), report(limit=limit(rate_per_s=13.6)))
        self.env.add("lowout", expect(), report(limit=limit(rate_per_s=13.4)))
        rc, doc = self.env.score()
        self.assertEqual(checks_of(doc, "in")["rate_per_s"], "right")
        self.assertEqual(checks_of(doc, "out")["rate_per_s"], "wrong")
        self.assertEqual(checks_of(doc, "lowin")["rate_per_s"], "right")
        self.assertEqual(checks_of(doc, "lowout")["rate_per_s"], "wrong")

    def test_burst_interval_plus_minus_one(self):
        self.env.add("b1", expect(), report(limit=limit(burst=4, burst_low=3, burst_high=5)))
        self.env.add("b2", expect(), report(limit=limit(burst=3, burst_low=2, burst_high=4)))
        self.env.add("b3", expect(), report(limit=limit(burst=5)))
        self.env.add("b4", expect(), report(limit=limit(burst=4)))
        self.env.add("b5", expect(), report(limit=limit(burst=None)))
        rc, doc = self.env.score()
        self.assertEqual(checks_of(doc, "b1")["burst"], "right")   # 6 in 3..5 +-1
        self.assertEqual(checks_of(doc, "b2")["burst"], "wrong")   # 6 not in 2..4 +-1, 3 != 6+-1
        self.assertEqual(checks_of(doc, "b3")["burst"], "right")   # no interval: +-1
        self.assertEqual(checks_of(doc, "b4")["burst"], "wrong")
        self.assertEqual(checks_of(doc, "b5")["burst"], "wrong")   # not reported

    def test_window_and_limit_intervals(self):
        e = expect(model="fixed-window", model_accept=["fixed-window"],
                   params={"rate_per_s": None, "burst": None, "limit": 50, "window_s": 10,
                           "concurrency": None})
        r = report(limit=limit(model="fixed-window", rate_per_s=None, burst=None, limit=56,
                               limit_low=48, limit_high=60, window_s=11.5))
        c = self.one(e, r)
        self.assertEqual(c["model"], "right")
        self.assertEqual(c["limit"], "right")       # 50 in 48..60
        self.assertEqual(c["window_s"], "wrong")    # 11.5 is 15 % off, no interval
        self.assertEqual(c["rate_per_s"], "n/a")
        self.assertEqual(c["burst"], "n/a")

    def test_concurrency_at_least_one(self):
        e = expect(model="concurrency", model_accept=["concurrency"],
                   params={"rate_per_s": None, "burst": None, "limit": None, "window_s": None,
                           "concurrency": 4})
        self.env.add("c5", e, report(limit=limit(model="concurrency", concurrency=5)))
        self.env.add("c6", e, report(limit=limit(model="concurrency", concurrency=6)))
        rc, doc = self.env.score()
        self.assertEqual(checks_of(doc, "c5")["concurrency"], "right")
        self.assertEqual(checks_of(doc, "c6")["concurrency"], "wrong")

    def test_unknown_when_unidentifiable(self):
        e = expect(identifiable=False, why_unidentifiable="lockstep arrivals")
        self.env.add("unk", e, report(limit=limit(model="unknown", confidence="low",
                                                  rate_per_s=None, burst=None)))
        self.env.add("specific", e, report())
        self.env.add("claimed", e, report(limit=limit(model="unknown", rate_per_s=30.0,
                                                      burst=None)))
        rc, doc = self.env.score()
        u = checks_of(doc, "unk")
        self.assertEqual(u["model"], "right")
        self.assertEqual(u["rate_per_s"], "n/a")   # not identifiable and not claimed
        self.assertEqual(u["burst"], "n/a")
        s = checks_of(doc, "specific")
        self.assertEqual(s["model"], "wrong")       # a specific model is wrong
        cl = checks_of(doc, "claimed")
        self.assertEqual(cl["model"], "right")
        self.assertEqual(cl["rate_per_s"], "wrong")  # a claimed number must still be right

    def test_unknown_when_identifiable_is_wrong(self):
        c = self.one(expect(), report(limit=limit(model="unknown", rate_per_s=None,
                                                  burst=None)))
        self.assertEqual(c["model"], "wrong")
        self.assertEqual(c["rate_per_s"], "wrong")

    def test_scope_alias_per_client(self):
        e = expect(scope="per-client-host", scope_accept=["per-client-host"], key="client-host",
                   key_accept=["client-host"])
        r = report(scope="per-client", scope_detail={"key": "client-host",
                                                     "confidence": "medium"})
        c = self.one(e, r)
        self.assertEqual(c["scope"], "right")
        self.assertEqual(c["key"], "right")

    def test_key_header_case_and_accept_list(self):
        self.env.add("k1", expect(), report(scope_detail={"key": "header:x-tenant",
                                                          "confidence": "high"}))
        self.env.add("k2", expect(), report(scope_detail={"key": "thread-group",
                                                          "confidence": "high"}))
        self.env.add("k3", expect(), report(scope_detail={"key": "thread",
                                                          "confidence": "high"}))
        rc, doc = self.env.score()
        self.assertEqual(checks_of(doc, "k1")["key"], "right")
        self.assertEqual(checks_of(doc, "k2")["key"], "right")
        self.assertEqual(checks_of(doc, "k3")["key"], "wrong")

    def test_scope_detail_from_single_region_only(self):
        rd = {"region": "a", "detected": True, "scope": "per-tenant",
              "limit": {"model": "token-bucket"},
              "scope_detail": {"key": "header:X-Tenant", "confidence": "high"}}
        other = {"region": "b", "detected": False, "scope": "unknown", "scope_detail": None}
        self.env.add("one", expect(), report(scope_detail=DEL, regions=[rd]))
        self.env.add("two", expect(), report(scope_detail=DEL, regions=[rd, other]))
        self.env.add("grp", expect(), report(scope_detail=DEL, regions=[other, rd], group="a"))
        rc, doc = self.env.score()
        self.assertEqual(checks_of(doc, "one")["key"], "right")
        self.assertEqual(checks_of(doc, "two")["key"], "wrong")   # the top level says nothing
        self.assertEqual(checks_of(doc, "grp")["key"], "right")   # `group` names the region

    def test_finding_derived_and_reported(self):
        self.env.add("derived", expect(), report())
        self.env.add("prob", expect(finding="probable-rate-limit"),
                     report(finding="probable-rate-limit"))
        self.env.add("probwrong", expect(finding="probable-rate-limit"), report())
        self.env.add("overload", expect(detected=False, finding="overload", model=None,
                                        model_accept=[], onset_ms=None, threads_at_onset=None,
                                        params={}, scope=None, scope_accept=[], key=None,
                                        key_accept=[], retry_after=None),
                     report(detected=False, finding="overload", limit=None, onset=None))
        rc, doc = self.env.score()
        self.assertEqual(checks_of(doc, "derived")["finding"], "right")
        self.assertEqual(checks_of(doc, "prob")["finding"], "right")
        self.assertEqual(checks_of(doc, "probwrong")["finding"], "wrong")
        ov = checks_of(doc, "overload")
        self.assertEqual(ov["detected"], "right")
        self.assertEqual(ov["finding"], "right")
        self.assertEqual({k for k, v in ov.items() if v != "n/a"}, {"detected", "finding"})

    def test_onset_and_threads_tolerance(self):
        self.env.add("o1", expect(), report(onset={"ts_ms": 1002000, "threads": 22}))
        self.env.add("o2", expect(), report(onset={"ts_ms": 997999, "threads": 23}))
        self.env.add("o3", expect(), report(onset=None))
        rc, doc = self.env.score()
        self.assertEqual(checks_of(doc, "o1")["onset"], "right")
        self.assertEqual(checks_of(doc, "o1")["threads_at_onset"], "right")  # 22 vs 20: 10 %
        self.assertEqual(checks_of(doc, "o2")["onset"], "wrong")             # 2.001 s early
        self.assertEqual(checks_of(doc, "o2")["threads_at_onset"], "wrong")  # 23 vs 20
        self.assertEqual(checks_of(doc, "o3")["onset"], "wrong")

    def test_retry_tolerance(self):
        e = expect(retry_after={"seen": 10, "honoured": 3, "violated": 7})
        self.env.add("r1", e, report(retry_after={"seen": 10, "honoured": 5, "violated": 5}))
        self.env.add("r2", e, report(retry_after={"seen": 10, "honoured": 6, "violated": 4}))
        self.env.add("r3", expect(retry_after=None), report())
        rc, doc = self.env.score()
        self.assertEqual(checks_of(doc, "r1")["retry_honoured"], "right")   # +-2 minimum
        self.assertEqual(checks_of(doc, "r1")["retry_violated"], "right")
        self.assertEqual(checks_of(doc, "r2")["retry_honoured"], "wrong")
        self.assertEqual(checks_of(doc, "r2")["retry_violated"], "wrong")
        self.assertEqual(checks_of(doc, "r3")["retry_honoured"], "n/a")

    def test_lab_accept_lists_with_null(self):
        # the lab writes [null] for "no answer is right" (not throttled; a shared limit's key)
        none = expect(detected=False, finding="none", model=None, model_accept=[None],
                      onset_ms=None, threads_at_onset=None, params={}, scope=None,
                      scope_accept=[None], key=None, key_accept=[None], retry_after=None)
        quiet = report(detected=False, onset=None, limit=None, scope="unknown",
                       scope_detail=None)
        self.env.add("quiet", none, quiet)
        self.env.add("false-alarm", none, report())
        shared = expect(scope="shared", scope_accept=["shared"], key=None, key_accept=[None])
        # a shared answer names no partition key, whatever scope_detail.key holds
        self.env.add("shared", shared, report(scope="shared",
                                              scope_detail={"key": "thread",
                                                            "confidence": "high"}))
        self.env.add("tenant-not-shared", shared, report())
        rc, doc = self.env.score()
        q = checks_of(doc, "quiet")
        for k in ("detected", "finding", "model", "scope", "key"):
            self.assertEqual(q[k], "right", k)
        f = checks_of(doc, "false-alarm")
        for k in ("detected", "finding", "model", "scope", "key"):
            self.assertEqual(f[k], "wrong", k)
        self.assertEqual(checks_of(doc, "shared")["key"], "right")
        self.assertEqual(checks_of(doc, "tenant-not-shared")["scope"], "wrong")
        self.assertEqual(checks_of(doc, "tenant-not-shared")["key"], "wrong")

    def test_finding_accept(self):
        e = expect(finding="probable-rate-limit",
                   finding_accept=["probable-rate-limit", "rate-limit"])
        self.env.add("plain", e, report())
        self.env.add("overload", e, report(finding="overload"))
        rc, doc = self.env.score()
        self.assertEqual(checks_of(doc, "plain")["finding"], "right")
        self.assertEqual(checks_of(doc, "overload")["finding"], "wrong")

    def test_retry_not_applicable_without_headers(self):
        silent = report(retry_after={"seen": 0, "honoured": 0, "violated": 0})
        self.env.add("csv", expect(), silent, client={"kind": "jmeter", "format": "csv-header"})
        self.env.add("xmlno", expect(), silent,
                     client={"kind": "jmeter", "format": "xml-noheaders"})
        self.env.add("xml", expect(), silent, client={"kind": "jmeter", "format": "xml-headers"})
        rc, doc = self.env.score()
        self.assertEqual(checks_of(doc, "csv")["retry_violated"], "n/a")
        self.assertEqual(checks_of(doc, "xmlno")["retry_violated"], "n/a")
        self.assertEqual(checks_of(doc, "xml")["retry_violated"], "wrong")
        self.assertEqual(checks_of(doc, "xml")["retry_honoured"], "right")   # 0 vs 0

    def test_not_detected_when_throttled(self):
        c = self.one(expect(), report(detected=False, onset=None, limit=None, scope="unknown",
                                      scope_detail=None))
        for k in ("detected", "finding", "onset", "threads_at_onset", "model", "rate_per_s",
                  "burst", "scope", "key"):
            self.assertEqual(c[k], "wrong", k)

    def test_jtlscope_failure_is_all_wrong(self):
        self.env.add("f", expect(), report(), fail=True)
        rc, doc = self.env.score()
        self.assertEqual(rc, 1)
        s = doc["scenarios"][0]
        self.assertIn("exited 3", s["error"])
        self.assertFalse([k for k, v in s["checks"].items() if v["status"] == "right"])


class TestScorecard(unittest.TestCase):
    def setUp(self):
        self.env = Env()
        e = self.env
        e.add("a-right", expect(), report())
        e.add("b-wrong-model", expect(), report(limit=limit(model="sliding-window",
                                                            confidence="high")))
        e.add("c-scope-medium", expect(), report(scope="shared",
                                                 scope_detail={"key": None,
                                                               "confidence": "medium"}))
        e.add("d-none", expect(detected=False, finding="none", model=None, model_accept=[],
                               onset_ms=None, threads_at_onset=None, params={}, scope=None,
                               scope_accept=[], key=None, key_accept=[], retry_after=None),
              report(detected=False, onset=None, limit=None, scope="unknown",
                     scope_detail=None))

    def tearDown(self):
        self.env.close()

    def test_confusion_and_calibration(self):
        rc, doc = self.env.score()
        t = doc["total"]
        m = t["confusion"]["model"]
        cell = dict(((r, c), m["cells"][i][j]) for i, r in enumerate(m["rows"])
                    for j, c in enumerate(m["cols"]))
        self.assertEqual(cell[("token-bucket", "token-bucket")], 2)
        self.assertEqual(cell[("token-bucket", "sliding-window")], 1)
        self.assertEqual(cell[("none", "none")], 1)
        s = t["confusion"]["scope"]
        cell = dict(((r, c), s["cells"][i][j]) for i, r in enumerate(s["rows"])
                    for j, c in enumerate(s["cols"]))
        self.assertEqual(cell[("per-tenant", "per-tenant")], 2)
        self.assertEqual(cell[("per-tenant", "shared")], 1)
        self.assertEqual(cell[("none", "none")], 1)
        cal = t["calibration"]
        self.assertEqual(cal["model"]["high"], {"answers": 3, "right": 2, "pct": 66.7})
        self.assertEqual(cal["scope"]["high"], {"answers": 2, "right": 2, "pct": 100.0})
        self.assertEqual(cal["scope"]["medium"], {"answers": 1, "right": 0, "pct": 0.0})
        self.assertEqual(t["high_confidence"], {"answers": 5, "right": 4, "pct": 80.0})
        self.assertEqual(t["checks"]["model"], {"right": 2, "applicable": 3, "pct": 66.7})
        self.assertEqual(t["checks"]["detected"], {"right": 4, "applicable": 4, "pct": 100.0})

    def test_deterministic_text(self):
        rc1, o1, _ = self.env.run("--no-floor")
        rc2, o2, _ = self.env.run("--no-floor", "--jobs", "1")
        self.assertEqual(o1, o2)
        self.assertIn("b-wrong-model: model: expected token-bucket, got sliding-window", o1)
        self.assertLess(o1.index("a-right"), o1.index("b-wrong-model"))

    def test_single_scenario_folder(self):
        rc, doc = self.env.score(dirs=[os.path.join(self.env.corpus, "b-wrong-model")])
        self.assertEqual([s["id"] for s in doc["scenarios"]], ["b-wrong-model"])

    def floor(self, f):
        p = os.path.join(self.env.root, "floor.json")
        with open(p, "w") as fh:
            json.dump(f, fh)
        return p

    def test_floor_pass_and_fail(self):
        rc, doc = self.env.score()
        overall = doc["total"]["overall"]["pct"]
        ok = self.floor({"sets": {"corpus": {"overall_pct": overall,
                                             "high": {"min_answers": 5, "pct": 80.0},
                                             "checks": {"model": 66.7}}}})
        rc, out, err = self.env.run("--floor", ok, "--tap")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("ok - accuracy: corpus overall", out)
        self.assertNotIn("not ok", out)
        bad = self.floor({"sets": {"corpus": {"overall_pct": overall + 0.1,
                                              "checks": {"model": 70}}}})
        rc, out, err = self.env.run("--floor", bad, "--tap")
        self.assertEqual(rc, 1)
        self.assertEqual(out.count("not ok - accuracy:"), 2)
        high = self.floor({"default": {"high": {"min_answers": 5, "pct": 81.0}}})
        rc, out, err = self.env.run("--floor", high, "--tap")
        self.assertEqual(rc, 1)
        self.assertIn("not ok - accuracy: corpus (default floor) high-confidence", out)
        moved = self.floor({"sets": {"corpus": {"scenarios": 3, "overall_pct": 0.0}}})
        rc, out, err = self.env.run("--floor", moved, "--tap")
        self.assertEqual(rc, 0)
        self.assertIn("floor measured on 3 scenarios, the folder has 4", out)
        few = self.floor({"default": {"high": {"min_answers": 6, "pct": 99.0}}})
        rc, out, err = self.env.run("--floor", few, "--tap")
        self.assertEqual(rc, 0)
        self.assertIn("# SKIP", out)

    def test_measure_floor(self):
        rc, out, err = self.env.run("--measure-floor")
        self.assertEqual(rc, 0, err)
        f = json.loads(out)["corpus"]
        self.assertEqual(f["scenarios"], 4)
        self.assertEqual(f["high"]["pct"], 80.0)
        self.assertEqual(f["checks"]["model"], 66.6)   # rounded down


class TapResult(unittest.TextTestResult):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.lines = []

    def addSuccess(self, test):
        super().addSuccess(test)
        self.lines.append("ok - score.py: %s" % test.id().split(".", 1)[1])

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.lines.append("not ok - score.py: %s" % test.id().split(".", 1)[1])

    def addError(self, test, err):
        super().addError(test, err)
        self.lines.append("not ok - score.py: %s (error)" % test.id().split(".", 1)[1])


if __name__ == "__main__":
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    buf = io.StringIO()
    runner = unittest.TextTestRunner(stream=buf, resultclass=TapResult, verbosity=0)
    res = runner.run(suite)
    sys.stderr.write(buf.getvalue())
    for line in res.lines:
        print(line)
    sys.exit(0 if res.wasSuccessful() else 1)
