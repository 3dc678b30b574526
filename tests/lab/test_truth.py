#!/usr/bin/env python3
"""Unit tests of truth.py's definitions on hand-made limiter logs (python3 -m unittest; stdlib).

usage: python3 tests/lab/test_truth.py
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import truth  # noqa: E402
import scenarios  # noqa: E402


def rec(t, st=200, th="t1", key="*", ra_until=None, dur=5.0, conn=1, peer="127.0.0.1:1000"):
    return {"t_in": float(t), "t_out": float(t) + dur, "st": st, "why": "ok" if st == 200 else "limit",
            "key": key, "th": th, "conn": conn, "peer": peer, "local": "127.0.0.1:18100",
            "ra_until": ra_until, "ra": None}


class Onset(unittest.TestCase):
    def test_isolated_rejection_is_not_the_onset(self):
        rej = [rec(1000, 429), rec(20000, 429), rec(20100, 429), rec(20200, 429)]
        self.assertEqual(truth.onset_of(rej, 5000.0), 1)

    def test_three_within_window(self):
        rej = [rec(1000, 429), rec(3000, 429), rec(5900, 429)]
        self.assertEqual(truth.onset_of(rej, 5000.0), 0)
        self.assertIsNone(truth.onset_of(rej, 4000.0))


class RetryAfter(unittest.TestCase):
    def test_honoured_violated_unmatched(self):
        recs = [rec(0, 429, "a", ra_until=2005.0), rec(2500, 200, "a"),      # honoured
                rec(0, 429, "b", ra_until=2005.0), rec(1000, 200, "b"),      # violated
                rec(0, 429, "c", ra_until=2005.0)]                           # unmatched
        r = truth.retry_stats(sorted(recs, key=lambda x: x["t_in"]))
        self.assertEqual((r["seen"], r["honoured"], r["violated"], r["unmatched"]), (3, 1, 1, 1))

    def test_next_request_of_the_same_thread_only(self):
        recs = [rec(0, 429, "a", ra_until=3005.0), rec(100, 200, "b"), rec(3100, 200, "a")]
        r = truth.retry_stats(recs)
        self.assertEqual((r["honoured"], r["violated"]), (1, 0))


class NginxReplay(unittest.TestCase):
    def test_replay_matches_limit_req_arithmetic(self):
        # 2 r/s burst 1: at t=0,100,200 ms -> accept, accept (excess 1 <= burst 1), reject;
        # at 1200 ms excess has drained by 2.4 -> accept
        recs = [rec(0), rec(100), rec(200, 429), rec(1200)]
        self.assertEqual(truth.replay_nginx(recs, "2r/s", 1), 1.0)
        wrong = [rec(0), rec(100, 429), rec(200, 429), rec(1200)]
        self.assertLess(truth.replay_nginx(wrong, "2r/s", 1), 1.0)

    def test_rate_per_minute(self):
        self.assertEqual(truth.nginx_rate_milli("30r/m"), 500)
        self.assertEqual(truth.nginx_rate_milli("15r/s"), 15000)


class Compute(unittest.TestCase):
    def scenario(self):
        s = scenarios.draw(1, 0, "nginx-shared")
        s["limiter"]["params"].update(rate="10r/s", rate_per_s=10.0, burst=4)
        return s

    def test_shared_token_bucket_truth(self):
        s = self.scenario()
        recs = []
        t = 0.0
        for i in range(400):            # 20 r/s offered by 10 threads: every other one rejected
            st = 200 if i < 5 or i % 2 == 0 else 429
            recs.append(rec(t, st, th="users 1-%d" % (i % 10 + 1), conn=i % 10 + 1))
            t += 50.0
        tr = truth.compute(s, recs, ["results.csv.gz"])
        e = tr["expect"]
        self.assertTrue(e["detected"])
        self.assertEqual(e["model"], "token-bucket")
        self.assertEqual(e["params"]["burst"], 5)          # nginx burst 4 = capacity 5
        self.assertEqual(e["scope"], "shared")
        self.assertEqual(e["onset_ms"], 250)
        self.assertEqual(e["threads_at_onset"], 8)          # arrivals 0..350 ms (onset + 100 ms)
        self.assertTrue(e["identifiable"])

    def test_few_rejections_are_unidentifiable(self):
        s = self.scenario()
        recs = [rec(i * 100.0, 429 if i in (50, 51, 52, 53, 54) else 200) for i in range(300)]
        e = truth.compute(s, recs, ["results.csv.gz"])["expect"]
        self.assertTrue(e["detected"])
        self.assertFalse(e["identifiable"])
        self.assertIn("too few", e["why_unidentifiable"])
        self.assertIn("unknown", e["model_accept"])

    def test_no_rejection_is_not_detected(self):
        s = self.scenario()
        e = truth.compute(s, [rec(i * 100.0) for i in range(300)], ["results.csv.gz"])["expect"]
        self.assertFalse(e["detected"])
        self.assertEqual(e["finding"], "none")
        self.assertIsNone(e["model"])


class Draws(unittest.TestCase):
    def test_bounds_hold_for_many_draws(self):
        for seed in range(1, 6):
            for i in range(len(scenarios.FAMILIES)):
                s = scenarios.draw(seed, i)
                self.assertTrue(18100 <= s["port"] and s["port"] + 3 <= 18499, s["id"])
                self.assertLessEqual(s["expected_samples"], 4000, s["id"])
                c = s["client"]
                if c["kind"] == "jmeter":
                    for g in c["generators"]:
                        for gr in g["groups"]:
                            self.assertLessEqual(gr["duration_s"], 45, s["id"])
                            self.assertLessEqual(gr["threads"], 120, s["id"])
                else:
                    for r in c["runs"]:
                        self.assertLessEqual(r["duration_s"] + r["ramp_s"], 50, s["id"])

    def test_draw_is_a_function_of_seed_and_index(self):
        self.assertEqual(scenarios.draw(7, 3), scenarios.draw(7, 3))
        self.assertNotEqual(scenarios.draw(7, 3), scenarios.draw(8, 3))


if __name__ == "__main__":
    unittest.main()
