#!/usr/bin/env python3
"""Check jtlscope's sample and response-code counts on every file in ../shared/data/jtl/
against reference-counts.json (an independent parser: Python csv + ElementTree).

Where jtlscope deliberately differs from the reference, EXPLAINED says why, and the test
asserts jtlscope's own answer instead (samples + skipped must still account for every record
the reference saw).  Prints TAP-like lines and a final 'N passed, N failed'."""
import json
import os
import subprocess
import sys

BIN = sys.argv[1] if len(sys.argv) > 1 else "./jtlscope"
ROOT = sys.argv[2] if len(sys.argv) > 2 else "../shared/data/jtl"

# file -> (why, check) where check(report, ref) returns an error string or None
EXPLAINED = {}


def explained(name, why):
    def deco(fn):
        EXPLAINED[name] = (why, fn)
        return fn
    return deco


def truncated_tail(rep, ref):
    """The file's last line has no newline and too few fields (the run was cut off while
    JMeter was writing): jtlscope skips it, counts it and flags the input as truncated; the
    reference parser counted it as a sample.  Every other record must agree exactly."""
    s = rep["samples"]
    inp = rep["inputs"][0]
    if s["skipped"] != 1 or not inp["truncated"] or s["total"] + 1 != ref_samples(ref):
        return "want reference-1 samples, 1 skipped, truncated; got %s" % s
    diff = 0
    for code, n in ref.get("response_codes", {}).items():
        got = rep["codes"].get(code, 0)
        if got > n:
            return "code %r: %d > reference %d" % (code, got, n)
        diff += n - got
    if diff != 1:
        return "codes differ from the reference by %d samples, want 1" % diff
    return None


for _name in ("defra-rod-catch-returns/result.jtl", "jsonplaceholder-test/results.jtl",
              "jtl-viewer/fakestore_v2.jtl"):
    EXPLAINED[_name] = ("last line cut off mid-record (no newline, missing fields): "
                        "skipped, counted and flagged truncated", truncated_tail)


# Files from which no sample can be read: jtlscope exits 3 with one line saying why and writes no
# report (a CI must not go green on them).  file -> (why, what stderr must say)
NO_SAMPLES = {
    "lightning/not_enough_columns_in_data_part.csv": (
        "the only data line has 3 of the header's 9 fields: a malformed record, skipped and "
        "counted, where the reference made a sample with missing fields",
        "all 1 records were skipped (line 2: expected 9 fields, found 3)"),
    "jenkins-performance-plugin/JMeterCsvResults3.csv": (
        "every timeStamp is '2011-21-21 ...' (month 21): not a date, so all 3 records are "
        "skipped, the message naming the value and --timestamp-format; Java's lenient "
        "SimpleDateFormat would roll it over into 2012, which would silently invent a date",
        "all 3 records were skipped (line 2: bad timeStamp '2011-21-21 14:15:25.321')"),
    "taurus/500-success__error.jtl": (
        "an empty <testResults/> (Taurus' error file of a run without errors)",
        "no samples: the XML holds no <httpSample> or <sample>"),
    "taurus/nonstandard-unicode.jtl": (
        "XStream-serialised WebDriver-plugin results: <com.googlecode...SampleResultWithSubs> "
        "elements are not JMeter samples; counted and named",
        "holds 3 elements that are not JMeter samples "
        "(<com.googlecode.jmeter.plugins.webdriver.sampler.SampleResultWithSubs> x3)"),
}


def ref_samples(ref):
    if ref.get("format") == "XML":
        return ref.get("samples_top_level", 0)
    return ref.get("samples", 0)


def main():
    with open(os.path.join(ROOT, "reference-counts.json")) as f:
        refs = json.load(f)
    passed = failed = 0
    for name in sorted(refs):
        ref = refs[name]
        path = os.path.join(ROOT, name)
        p = subprocess.run([BIN, "report", "-q", "--format", "json", path],
                           capture_output=True, timeout=120)
        try:
            rep = json.loads(p.stdout)
        except ValueError:
            rep = None
        err = None
        if name in NO_SAMPLES:
            why, want = NO_SAMPLES[name]
            stderr = p.stderr.decode(errors="replace")
            if p.returncode != 3 or p.stdout or want not in stderr:
                err = "want exit 3, no report, stderr %r; got exit %d, %d bytes out, %r" % (
                    want, p.returncode, len(p.stdout), stderr[:300])
            if err:
                failed += 1
                print("not ok - %s: %s" % (name, err))
            else:
                passed += 1
                print("ok - %s (no samples: %s)" % (name, why))
            continue
        if rep is None:
            err = "no JSON (exit %d): %s" % (p.returncode, p.stderr.decode(errors="replace")[:200])
        elif name in EXPLAINED:
            err = EXPLAINED[name][1](rep, ref)
        else:
            want_n = ref_samples(ref)
            got_n = rep["samples"]["total"]
            want_codes = {k: v for k, v in ref.get("response_codes", {}).items()}
            got_codes = rep["codes"]
            if got_n != want_n:
                err = "samples %d, reference %d (skipped %d)" % (got_n, want_n, rep["samples"]["skipped"])
            elif got_codes != want_codes:
                err = "codes %s, reference %s" % (got_codes, want_codes)
        if err:
            failed += 1
            print("not ok - %s: %s" % (name, err))
        else:
            passed += 1
            print("ok - %s%s" % (name, " (explained: %s)" % EXPLAINED[name][0] if name in EXPLAINED else ""))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
