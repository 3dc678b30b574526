#!/usr/bin/env python3
"""Run one limiter-lab scenario end to end and write its corpus folder (root, loopback only).

usage: sudo tests/lab/run_scenario.py --seed S --index I [--family F] [--out DIR] [--keep]
       sudo tests/lab/run_scenario.py --scenario FILE.json [--out DIR]

  1. draws the scenario (scenarios.py) or reads it;
  2. starts its servers on 127.0.0.0/8, ports 18100-18499 only (refuses if a port is taken):
     nginx with its own prefix in a temp dir (never the system service) in front of a lab
     backend, or a lab limiter (servers/limiter_server.py), or the WebSocket limiter
     (servers/ws_server.py);
  3. tcpdump on lo (snaplen 512) when the scenario has a capture;
  4. runs the client: JMeter 2.13 non-GUI (one process per generator, under `timeout`) or the
     WebSocket client (clients/ws_client.py, under `timeout`);
  5. stops everything it started, by pid, also on error or Ctrl-C;
  6. computes truth.json with truth.py from the limiter's own log;
  7. writes OUT/<id>/: the inputs (gzip -9 -n), truth.json, scenario.json, limiter.log.gz, the
     plan(s) and the server config.  OUT defaults to tests/lab/corpus.
Needs Debian 12 packages jmeter jmeter-http openjdk-17-jdk-headless nginx tcpdump iproute2
python3 (JTLSCOPE_INSTALL=1 apt-get installs missing ones).  --keep keeps the temp dir.
Exit status 0 ok, 1 the run failed (nothing written), 2 usage.

       tests/lab/run_scenario.py --verify DIR...     (no root) checks that every HTTP sample in
       a folder's JTL(s) has its decision in limiter.log.gz and vice versa (counts must be equal)
"""
import argparse
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import jmx          # noqa: E402
import scenarios    # noqa: E402
import truth        # noqa: E402

JMETER_HOME = os.environ.get("JMETER_HOME", "/usr/share/jmeter")
LAUNCHER = os.path.join(ROOT, "sample-data", "tools", "JtlscopeJMeterLauncher.java")
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
PORT_MIN, PORT_MAX = 18100, 18499

PROCS = []


def log(msg):
    sys.stderr.write("[lab %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


class Fail(Exception):
    pass


def start(cmd, logpath, **kw):
    f = open(logpath, "w")
    p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, start_new_session=True, **kw)
    f.close()
    PROCS.append(p)
    return p


def stop(p, timeout=5.0):
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
    if p in PROCS:
        PROCS.remove(p)


def stop_all():
    for p in reversed(list(PROCS)):
        stop(p)


def on_signal(signum, frame):
    # unwind to run()'s finally, which stops everything; waiting here could deadlock with the
    # Popen.wait() this signal interrupted
    raise SystemExit(128 + signum)


# ------------------------------------------------------------------ prerequisites
def prerequisites():
    if os.geteuid() != 0:
        raise Fail("run as root (tcpdump on lo)")
    need = []
    if not shutil.which("java") or not shutil.which("javac"):
        need.append("openjdk-17-jdk-headless")
    if not os.path.exists(JMETER_HOME + "/bin/ApacheJMeter.jar"):
        need.append("jmeter")
    if not os.path.exists(JMETER_HOME + "/lib/ext/ApacheJMeter_http.jar"):
        need.append("jmeter-http")
    os.environ["PATH"] += ":/usr/sbin:/sbin"
    for tool, pkg in (("nginx", "nginx"), ("tcpdump", "tcpdump"), ("ss", "iproute2"), ("timeout", "coreutils")):
        if not shutil.which(tool):
            need.append(pkg)
    if need:
        if os.environ.get("JTLSCOPE_INSTALL") == "1":
            log("installing: " + " ".join(need))
            subprocess.check_call(["apt-get", "install", "-y", "--no-install-recommends"] + need,
                                  env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        else:
            raise Fail("missing packages: %s (apt-get install them, or set JTLSCOPE_INSTALL=1)" % " ".join(need))


def port_busy(port):
    out = subprocess.run(["ss", "-Htan", "( sport = :%d )" % port], capture_output=True, text=True).stdout
    return any(l.split()[0] == "LISTEN" for l in out.splitlines() if l.split())


def wait_listen(addr, port, secs=10.0):
    end = time.time() + secs
    while time.time() < end:
        out = subprocess.run(["ss", "-Hltn", "( sport = :%d )" % port], capture_output=True, text=True).stdout
        if "%s:%d" % (addr, port) in out:
            return
        time.sleep(0.1)
    raise Fail("nothing listening on %s:%d" % (addr, port))


# ------------------------------------------------------------------ server configs
NGINX_LOG = ("'$msec $server_addr:$server_port $remote_addr:$remote_port conn=$connection "
             "req=$connection_requests \"$request\" $status rt=$request_time tenant=\"$http_x_tenant\" "
             "thread=\"$http_x_jmeter_thread\" ra=\"$sent_http_retry_after\"'")
KEYVAR = {"server-name": "$server_name", "client-host": "$binary_remote_addr", "connection": "$connection",
          "header:X-Tenant": "$http_x_tenant"}


def nginx_conf(s):
    lim = s["limiter"]
    p = lim["params"]
    port = s["port"]
    st = lim["status"]
    ra = lim["retry_after"]
    ra_line = "add_header Retry-After %s always;" % ra[6:] if ra.startswith("fixed:") else ""
    if lim["server"] == "nginx-limit-req":
        zone = "limit_req_zone %s zone=lab:1m rate=%s;" % (KEYVAR[lim["key"]], p["rate"])
        # nginx refuses "burst=0": no burst parameter is burst 0
        use = "limit_req zone=lab%s nodelay;\n            limit_req_status %d;" % (
            " burst=%d" % p["burst"] if p["burst"] > 0 else "", st)
    else:
        zone = "limit_conn_zone %s zone=lab:1m;" % KEYVAR[lim["key"]]
        use = "limit_conn lab %d;\n            limit_conn_status %d;" % (p["concurrency"], st)
    extra = ""
    if lim.get("unlimited_listen"):
        extra = """
    server {
        listen %s:%d;
        server_name api.unlimited.lab.test;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }""" % (lim["unlimited_listen"], port)
    return """# limiter lab %(id)s: %(server)s keyed by %(key)s, %(params)s
# started as: nginx -p RUNDIR -c RUNDIR/nginx.conf -e RUNDIR/logs/error.log
daemon off;
worker_processes 1;
pid logs/nginx.pid;
events { worker_connections 1024; }

http {
    client_body_temp_path tmp/body;
    proxy_temp_path       tmp/proxy;
    fastcgi_temp_path     tmp/fastcgi;
    uwsgi_temp_path       tmp/uwsgi;
    scgi_temp_path        tmp/scgi;
    log_format lab %(logfmt)s;
    access_log logs/access.log lab;
    keepalive_timeout 75s;
    keepalive_requests 100000;

    %(zone)s

    upstream backend { server 127.0.0.1:%(bport)d; keepalive 64; }

    server {
        listen 127.0.0.1:%(port)d;
        server_name api.lab.test;
        location / {
            %(use)s
            limit_req_log_level info;
            limit_conn_log_level info;
            error_page %(st)d = @throttled;
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
        location @throttled {
            default_type application/json;
            %(ra_line)s
            return %(st)d '{"error":"%(msg)s"}\\n';
        }
    }%(extra)s
}
""" % dict(id=s["id"], server=lim["server"], key=lim["key"], params=json.dumps(p), logfmt=NGINX_LOG,
           zone=zone, bport=port + 1, port=port, use=use, st=st, ra_line=ra_line,
           msg="too many requests" if st == 429 else "service unavailable", extra=extra)


def limiter_cmd(s, logpath):
    lim = s["limiter"]
    p = lim["params"]
    cmd = [PY, os.path.join(HERE, "servers", "limiter_server.py"), "--listen", "127.0.0.1:%d" % s["port"],
           "--algo", lim["server"], "--key", lim["key"], "--status", str(lim["status"]),
           "--retry-after", lim["retry_after"], "--log", logpath]
    if lim["server"] in ("fixed-window", "sliding-log", "sliding-counter"):
        cmd += ["--limit", str(p["limit"]), "--window", str(p["window_s"])]
    elif lim["server"] == "gcra":
        cmd += ["--rate", str(p["rate_per_s"]), "--burst", str(p["burst"])]
    elif lim["server"] == "stacked":
        cmd += ["--rate", str(p["rate_per_s"]), "--burst", str(p["burst"]),
                "--global-rate", str(p["global_rate_per_s"]), "--global-burst", str(p["global_burst"])]
    elif lim["server"] == "concurrency-queue":
        cmd += ["--workers", str(p["workers"]), "--queue", str(p["queue"]), "--delay-ms", str(p["service_ms"]),
                "--jitter-ms", "10"]
        if lim["retry_after"].startswith("fixed:"):
            cmd += ["--queue-retry", lim["retry_after"][6:]]
    if lim.get("ratelimit_headers"):
        cmd.append("--ratelimit-headers")
    if lim["server"] != "concurrency-queue":
        cmd += ["--delay-ms", "4", "--jitter-ms", "12"]
    return cmd


# ------------------------------------------------------------------ run
def compile_launcher(work):
    d = os.path.join(work, "launcher")
    os.makedirs(d)
    subprocess.check_call(["javac", "-nowarn", "-d", d, "-cp", JMETER_HOME + "/bin/ApacheJMeter.jar", LAUNCHER])
    return d


def run(s, out_root, keep=False):
    work = tempfile.mkdtemp(prefix="jtlscope-lab.")
    os.chmod(work, 0o755)
    ok = False
    try:
        _run(s, work, out_root)
        ok = True
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):      # a second Ctrl-C must not cut the cleanup
            signal.signal(sig, signal.SIG_IGN)
        stop_all()
        if keep or not ok and os.environ.get("JTLSCOPE_KEEP") == "1":
            log("kept temp dir " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)


def _run(s, work, out_root):
    lim = s["limiter"]
    port = s["port"]
    if not (PORT_MIN <= port and port + 3 <= PORT_MAX):
        raise Fail("port %d outside %d-%d" % (port, PORT_MIN, PORT_MAX))
    for p in range(port, port + 4):
        if port_busy(p):
            raise Fail("TCP port %d is in use" % p)
    raw = os.path.join(work, "raw")
    os.makedirs(raw)
    files = {}                       # name in the corpus folder -> path of the raw file
    server_log = os.path.join(work, "limiter.log")
    client = s["client"]
    launcher = compile_launcher(work) if client["kind"] == "jmeter" else None

    # servers
    if lim["server"].startswith("nginx"):
        d = os.path.join(work, "nginx")
        for sub in ("logs", "tmp"):
            os.makedirs(os.path.join(d, sub))
        conf = nginx_conf(s)
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write(conf)
        files["nginx.conf"] = os.path.join(d, "nginx.conf")
        delay = lim["params"].get("backend_delay_ms", 6)
        start([PY, os.path.join(HERE, "servers", "limiter_server.py"), "--listen", "127.0.0.1:%d" % (port + 1),
               "--algo", "none", "--delay-ms", str(delay), "--jitter-ms", str(max(4.0, delay * 0.2))],
              os.path.join(work, "backend.log"))
        wait_listen("127.0.0.1", port + 1)
        subprocess.check_call(["nginx", "-t", "-q", "-p", d + "/", "-c", d + "/nginx.conf", "-e", d + "/logs/error.log"])
        start(["nginx", "-p", d + "/", "-c", d + "/nginx.conf", "-e", d + "/logs/error.log"],
              os.path.join(d, "logs", "stderr.log"))
        wait_listen("127.0.0.1", port)
        if lim.get("unlimited_listen"):
            wait_listen(lim["unlimited_listen"], port)
        nginx_log = os.path.join(d, "logs", "access.log")
    elif lim["server"] == "ws-bucket":
        start([PY, os.path.join(HERE, "servers", "ws_server.py"), "--listen", "127.0.0.1:%d" % port,
               "--rate", str(lim["params"]["rate_per_s"]), "--burst", str(lim["params"]["burst"]),
               "--key", lim["key"], "--log", server_log,
               "--retry-after", "countdown" if lim["retry_after"] == "in-band:countdown"
               else "fixed:" + lim["retry_after"].split(":", 1)[1]],
              os.path.join(work, "ws_server.out"))
        wait_listen("127.0.0.1", port)
        nginx_log = None
    else:
        cmd = limiter_cmd(s, server_log)
        with open(os.path.join(work, "limiter.cmd"), "w") as f:
            f.write(" ".join(os.path.relpath(c, ROOT) if c.startswith(ROOT) else c for c in cmd) + "\n")
        start(cmd, os.path.join(work, "limiter.out"))
        wait_listen("127.0.0.1", port)
        nginx_log = None

    tcpdump = None
    cap = os.path.join(raw, "capture.pcap")
    if s.get("capture"):
        tlog = os.path.join(work, "tcpdump.log")
        tcpdump = start(["tcpdump", "-i", "lo", "-n", "-s", "512", "-U", "-Z", "root", "-w", cap,
                         "tcp port %d" % port], tlog)
        for _ in range(50):
            if "listening on" in open(tlog).read():
                break
            time.sleep(0.1)
        else:
            raise Fail("tcpdump did not start")

    # clients
    t0 = time.time()
    if client["kind"] == "jmeter":
        procs = []
        for g in client["generators"]:
            plan = jmx.plan("limiter lab %s (%s)" % (s["id"], g["name"]), s["class"],
                            {"groups": g["groups"], "outputs": g["outputs"],
                             "honours_retry_after": client.get("honours_retry_after", False)})
            pname = "plan-%s.jmx" % g["name"] if len(client["generators"]) > 1 else "plan.jmx"
            ppath = os.path.join(work, pname)
            with open(ppath, "w") as f:
                f.write(plan)
            files[pname] = ppath
            outp = os.path.join(raw, g["output"])
            longest = max(gr["duration_s"] + gr.get("delay_s", 0) for gr in g["groups"])
            cmd = ["timeout", "-k", "10", str(int(longest + 60)), "java", "-Xms128m", "-Xmx384m",
                   "-Djmeter.home=" + JMETER_HOME, "-Djava.awt.headless=true"]
            if client.get("java_tz"):
                cmd.append("-Duser.timezone=" + client["java_tz"])
            cmd += ["-cp", JMETER_HOME + "/bin/ApacheJMeter.jar:" + launcher, "JtlscopeJMeterLauncher",
                    "-n", "-t", ppath, "-j", os.path.join(work, "jmeter-%s.log" % g["name"]),
                    "-Jlab.out=" + outp, "-Jlab.ip=" + g.get("ip", ""),
                    "-Jjmeterengine.nongui.port=0", "-Jsummariser.interval=10"]
            if client.get("timestamp_format"):
                cmd.append("-Jjmeter.save.saveservice.timestamp_format=" + client["timestamp_format"])
            procs.append((g, start(cmd, os.path.join(work, "jmeter-%s.out" % g["name"]), cwd=work), outp))
        for g, p, outp in procs:
            rc = p.wait()
            PROCS.remove(p)
            text = open(os.path.join(work, "jmeter-%s.out" % g["name"])).read()
            if rc != 0 or "ForbiddenClassException" in text or "Error in NonGUIDriver" in text:
                sys.stderr.write(text[-3000:])
                raise Fail("JMeter failed (rc=%d) for %s" % (rc, g["name"]))
            if not os.path.exists(outp) or os.path.getsize(outp) == 0:
                raise Fail("JMeter wrote no results for " + g["name"])
            files[g["output"] + ".gz"] = outp
    else:
        procs = []
        for i, r in enumerate(client["runs"]):
            cmd = ["timeout", "-k", "5", str(int(r["duration_s"] + r["ramp_s"] + 40)), PY,
                   os.path.join(HERE, "clients", "ws_client.py"), "--target", "127.0.0.1:%d" % port,
                   "--connections", str(r["connections"]), "--period", str(r["period_s"]),
                   "--duration", str(r["duration_s"]), "--mode", r["mode"], "--ramp", str(r["ramp_s"]),
                   "--jitter-ms", str(r["jitter_ms"]), "--seed", str(s["seed"] * 100 + s["index"] * 3 + i)]
            if r["honour"]:
                cmd.append("--honour")
            procs.append(start(cmd, os.path.join(work, "ws_client%d.out" % i)))
        for p in procs:
            rc = p.wait()
            PROCS.remove(p)
            if rc != 0:
                raise Fail("WebSocket client failed rc=%d" % rc)
    log("%s: client done in %.0f s" % (s["id"], time.time() - t0))
    time.sleep(1.0)
    if tcpdump is not None:
        stop(tcpdump)
        files["capture.pcap.gz"] = cap
    stop_all()
    if nginx_log:
        shutil.copy(nginx_log, server_log)
    if not os.path.exists(server_log) or os.path.getsize(server_log) == 0:
        raise Fail("the limiter logged nothing")

    inputs = [n for n in files if n.endswith((".csv.gz", ".xml.gz"))]
    inputs.sort()
    if s.get("capture"):
        if client["kind"] == "ws":
            inputs = ["capture.pcap.gz"]
        else:
            inputs.append("capture.pcap.gz")
    t = truth.compute(s, truth.read_log(server_log, s), inputs)

    dest = os.path.join(out_root, s["id"])
    tmpdest = dest + ".tmp"
    shutil.rmtree(tmpdest, ignore_errors=True)
    os.makedirs(tmpdest)
    for name, path in files.items():
        if name.endswith(".gz"):
            with open(path, "rb") as fi, open(os.path.join(tmpdest, name), "wb") as fo:
                fo.write(gzip.compress(fi.read(), 9, mtime=0))
        else:
            shutil.copy(path, os.path.join(tmpdest, name))
    with open(server_log, "rb") as fi, open(os.path.join(tmpdest, "limiter.log.gz"), "wb") as fo:
        fo.write(gzip.compress(fi.read(), 9, mtime=0))
    if os.path.exists(os.path.join(work, "limiter.cmd")):
        shutil.copy(os.path.join(work, "limiter.cmd"), os.path.join(tmpdest, "limiter.cmd"))
    with open(os.path.join(tmpdest, "scenario.json"), "w") as f:
        json.dump(s, f, indent=1)
        f.write("\n")
    with open(os.path.join(tmpdest, "truth.json"), "w") as f:
        json.dump(t, f, indent=1)
        f.write("\n")
    shutil.rmtree(dest, ignore_errors=True)
    os.rename(tmpdest, dest)
    size = sum(os.path.getsize(os.path.join(dest, n)) for n in os.listdir(dest))
    o = t["observed"]
    log("%s: wrote %s (%d bytes): %d requests, %d rejected, detected=%s model=%s scope=%s" % (
        s["id"], os.path.relpath(dest), size, o["requests"], o["rejected"], t["expect"]["detected"],
        t["expect"]["model"], t["expect"]["scope"]))


def jtl_samples(path):
    """HTTP samples in a gzipped JTL (CSV: records, minus the header; XML: <httpSample> elements)"""
    import csv
    import io
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        text = f.read()
    if text.lstrip().startswith("<"):
        return text.count("<httpSample ")
    rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if r]
    if rows and rows[0] and rows[0][0] == "timeStamp":
        rows = rows[1:]
    return len(rows)


def verify(dirs):
    """every JTL sample has its line in the limiter log and vice versa (HTTP scenarios)"""
    bad = 0
    for d in dirs:
        d = d.rstrip("/")
        if d.endswith(".tmp"):
            continue
        with open(os.path.join(d, "truth.json")) as f:
            t = json.load(f)
        jtls = [n for n in t["inputs"] if n.endswith((".csv.gz", ".xml.gz"))]
        if not jtls:
            print("%s: capture only (WebSocket), %d message decisions" % (os.path.basename(d), t["observed"]["requests"]))
            continue
        n = sum(jtl_samples(os.path.join(d, j)) for j in jtls)
        ok = n == t["observed"]["requests"]
        bad += not ok
        print("%s: %d JTL samples, %d limiter decisions %s" % (os.path.basename(d), n, t["observed"]["requests"],
                                                              "ok" if ok else "MISMATCH"))
    return 1 if bad else 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--verify":
        return verify(sys.argv[2:])
    ap = argparse.ArgumentParser(description="run one limiter-lab scenario")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--index", type=int)
    ap.add_argument("--family", choices=sorted(scenarios.FAMILY_FN))
    ap.add_argument("--scenario", help="scenario.json to run instead of drawing one")
    ap.add_argument("--out", default=os.path.join(HERE, "corpus"))
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    a = ap.parse_args()
    if a.scenario:
        with open(a.scenario) as f:
            s = json.load(f)
    elif a.seed is not None and a.index is not None:
        s = scenarios.draw(a.seed, a.index, a.family)
    else:
        ap.error("--seed and --index, or --scenario")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        prerequisites()
        os.makedirs(a.out, exist_ok=True)
        run(s, a.out, a.keep)
    except (Fail, subprocess.CalledProcessError, truth.Invalid) as e:
        log("ERROR %s: %s" % (s.get("id"), e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
