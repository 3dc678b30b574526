#!/usr/bin/env python3
"""JMeter 2.13 test-plan (.jmx) writer for the limiter lab (stdlib only).

plan(scenario) -> XML text for one JMeter process (one "generator").  Shape of the spec (the
"client" part of a scenario drawn by scenarios.py):

  groups: [{name, threads, ramp_s, duration_s, delay_s, loops,
            timer: {"mode": "ctt", "per_thread_rps": R, "jitter_ms": J}   per-thread Constant
                                                                          Throughput Timer
                   {"mode": "ctt-all", "total_rps": R}                    CTT over all active threads
                   {"mode": "closed"}                                     no timer (closed loop)
                   {"mode": "think", "think_ms": T, "jitter_ms": J}       constant + uniform think time
            host, port, samplers: [{label, path, method}], headers: [[name, value]],
            tc: "Transaction label" | null   (Transaction Controller, "generate parent sample")
           }]
  honours_retry_after: bool   Regular Expression Extractor on the response headers
                              (Retry-After -> ${RA}) + BeanShell Timer that sleeps that long
                              (seconds or HTTP-date) before the thread's next request
  outputs: [{"kind": "csv", "header": bool, "prop": "lab.out0"},
            {"kind": "xml", "headers": bool, "prop": "lab.out1"}]
The source address of every request is ${__P(lab.ip,)} (HTTPSampler.ipSource; empty = default),
so two JMeter processes running the same plan can be two generators on two addresses.
Every request carries X-JMeter-Thread: "<group name> <group no>-${__threadNum}" (= JMeter's thread
name) so the limiter's log names the thread.  Each group is bounded by its loop count AND its
scheduler duration.
"""
from xml.sax.saxutils import escape


def sp(name, value):
    return '<stringProp name="%s">%s</stringProp>' % (name, escape(str(value)))


def bp(name, value):
    return '<boolProp name="%s">%s</boolProp>' % (name, "true" if value else "false")


def header_manager(headers, name):
    items = "".join('<elementProp name="" elementType="Header">%s%s</elementProp>'
                    % (sp("Header.name", k), sp("Header.value", v)) for k, v in headers)
    return ('<HeaderManager guiclass="HeaderPanel" testclass="HeaderManager" testname="%s" enabled="true">'
            '<collectionProp name="HeaderManager.headers">%s</collectionProp></HeaderManager><hashTree/>'
            % (escape(name), items))


def sampler(label, host, port, path, method):
    if method == "POST":
        args = ('<collectionProp name="Arguments.arguments"><elementProp name="" elementType="HTTPArgument">'
                + bp("HTTPArgument.always_encode", False) + sp("Argument.value", '{"text":"hello"}')
                + sp("Argument.metadata", "=") + '</elementProp></collectionProp>')
        post = bp("HTTPSampler.postBodyRaw", True)
    else:
        args = '<collectionProp name="Arguments.arguments"/>'
        post = ""
    return ('<HTTPSamplerProxy guiclass="HttpTestSampleGui" testclass="HTTPSamplerProxy" testname="%s" '
            'enabled="true">' % escape(label) + post
            + '<elementProp name="HTTPsampler.Arguments" elementType="Arguments" guiclass="HTTPArgumentsPanel" '
              'testclass="Arguments" testname="User Defined Variables" enabled="true">' + args + '</elementProp>'
            + sp("HTTPSampler.domain", host) + sp("HTTPSampler.port", port)
            + sp("HTTPSampler.connect_timeout", 5000) + sp("HTTPSampler.response_timeout", 15000)
            + sp("HTTPSampler.protocol", "http") + sp("HTTPSampler.contentEncoding", "")
            + sp("HTTPSampler.path", path) + sp("HTTPSampler.method", method)
            + bp("HTTPSampler.follow_redirects", True) + bp("HTTPSampler.auto_redirects", False)
            + bp("HTTPSampler.use_keepalive", True) + bp("HTTPSampler.DO_MULTIPART_POST", False)
            + sp("HTTPSampler.implementation", "HttpClient4") + bp("HTTPSampler.monitor", False)
            + sp("HTTPSampler.embedded_url_re", "")
            + sp("HTTPSampler.ipSource", "${__P(lab.ip,)}")
            + '</HTTPSamplerProxy><hashTree/>')


def ctt(per_minute, mode):
    # calcMode 0: this thread only; 1: all active threads
    return ('<ConstantThroughputTimer guiclass="TestBeanGUI" testclass="ConstantThroughputTimer" '
            'testname="Constant Throughput Timer" enabled="true">'
            '<intProp name="calcMode">%d</intProp>'
            '<doubleProp><name>throughput</name><value>%.3f</value><savedValue>0.0</savedValue></doubleProp>'
            '</ConstantThroughputTimer><hashTree/>' % (mode, per_minute))


def uniform_timer(const_ms, range_ms, name):
    return ('<UniformRandomTimer guiclass="UniformRandomTimerGui" testclass="UniformRandomTimer" '
            'testname="%s" enabled="true">' % escape(name)
            + sp("ConstantTimer.delay", int(const_ms)) + sp("RandomTimer.range", "%.1f" % range_ms)
            + '</UniformRandomTimer><hashTree/>')


def assertion_200():
    return ('<ResponseAssertion guiclass="AssertionGui" testclass="ResponseAssertion" '
            'testname="Response code is 200" enabled="true">'
            '<collectionProp name="Asserion.test_strings"><stringProp name="49586">200</stringProp></collectionProp>'
            + sp("Assertion.test_field", "Assertion.response_code") + bp("Assertion.assume_success", False)
            + '<intProp name="Assertion.test_type">8</intProp></ResponseAssertion><hashTree/>')


BSH_RETRY = r"""String ra = vars.get("RA");
long d = 0;
if (ra != null && ra.trim().length() > 0) {
    ra = ra.trim();
    try {
        d = (long) (Double.parseDouble(ra) * 1000.0);
    } catch (Exception e) {
        try {
            java.text.SimpleDateFormat f = new java.text.SimpleDateFormat("EEE, dd MMM yyyy HH:mm:ss zzz", java.util.Locale.US);
            d = f.parse(ra).getTime() - System.currentTimeMillis();
        } catch (Exception e2) {
            d = 0;
        }
    }
    vars.put("RA", "");
}
if (d < 0) d = 0;
d;
"""


def honour_retry_after():
    rx = ('<RegexExtractor guiclass="RegexExtractorGui" testclass="RegexExtractor" '
          'testname="Retry-After header" enabled="true">'
          + sp("RegexExtractor.useHeaders", "true") + sp("RegexExtractor.refname", "RA")
          + sp("RegexExtractor.regex", "(?i)Retry-After:\\s*([^\\r\\n]+)")
          + sp("RegexExtractor.template", "$1$") + sp("RegexExtractor.default", "")
          + sp("RegexExtractor.match_number", "1") + '</RegexExtractor><hashTree/>')
    tm = ('<BeanShellTimer guiclass="TestBeanGUI" testclass="BeanShellTimer" '
          'testname="Wait for Retry-After" enabled="true">'
          + sp("filename", "") + sp("parameters", "") + bp("resetInterpreter", False)
          + sp("script", BSH_RETRY) + '</BeanShellTimer><hashTree/>')
    return rx + tm


def timers(t):
    m = t["mode"]
    if m == "ctt":
        out = ctt(t["per_thread_rps"] * 60.0, 0)
        if t.get("jitter_ms", 0) > 0:
            out += uniform_timer(0, t["jitter_ms"], "Jitter")
        return out
    if m == "ctt-all":
        return ctt(t["total_rps"] * 60.0, 1)
    if m == "think":
        return uniform_timer(t["think_ms"], t.get("jitter_ms", 0), "Think time")
    if m == "closed":
        return ""
    raise ValueError(m)


def thread_group(index, g, honour):
    samplers = "".join(sampler(s["label"], g["host"], g["port"], s["path"], s.get("method", "GET"))
                       for s in g["samplers"])
    if g.get("tc"):
        samplers = ('<TransactionController guiclass="TransactionControllerGui" testclass="TransactionController" '
                    'testname="%s" enabled="true">' % escape(g["tc"])
                    + bp("TransactionController.parent", True) + bp("TransactionController.includeTimers", False)
                    + '</TransactionController><hashTree>' + samplers + '</hashTree>')
    headers = [("X-JMeter-Thread", "%s %d-${__threadNum}" % (g["name"], index))] + [tuple(h) for h in g.get("headers", [])]
    body = samplers + timers(g["timer"]) + (honour_retry_after() if honour else "") \
        + header_manager(headers, "Group headers")
    return ('<ThreadGroup guiclass="ThreadGroupGui" testclass="ThreadGroup" testname="%s" enabled="true">'
            % escape(g["name"])
            + sp("ThreadGroup.on_sample_error", "continue")
            + '<elementProp name="ThreadGroup.main_controller" elementType="LoopController" guiclass="LoopControlPanel" '
              'testclass="LoopController" testname="Loop Controller" enabled="true">'
            + bp("LoopController.continue_forever", False) + sp("LoopController.loops", int(g["loops"]))
            + '</elementProp>'
            + sp("ThreadGroup.num_threads", g["threads"]) + sp("ThreadGroup.ramp_time", int(g["ramp_s"]))
            + '<longProp name="ThreadGroup.start_time">1</longProp><longProp name="ThreadGroup.end_time">1</longProp>'
            + bp("ThreadGroup.scheduler", True) + sp("ThreadGroup.duration", int(g["duration_s"]))
            + sp("ThreadGroup.delay", int(g.get("delay_s", 0)))
            + '</ThreadGroup><hashTree>' + body + '</hashTree>')


SAVE_ORDER = ["time", "latency", "timestamp", "success", "label", "code", "message", "threadName",
              "dataType", "encoding", "assertions", "subresults", "responseData", "samplerData", "xml",
              "fieldNames", "responseHeaders", "requestHeaders", "responseDataOnError",
              "saveAssertionResultsFailureMessage", "assertionsResultsToSave", "bytes", "url",
              "fileName", "hostname", "threadCounts", "sampleCount", "idleTime", "connectTime"]


def collector(out):
    cfg = dict(time=True, latency=True, timestamp=True, success=True, label=True, code=True,
               message=True, threadName=True, dataType=True, encoding=False, assertions=True,
               subresults=True, responseData=False, samplerData=False, xml=False, fieldNames=True,
               responseHeaders=False, requestHeaders=False, responseDataOnError=False,
               saveAssertionResultsFailureMessage=True, assertionsResultsToSave=0, bytes=True,
               url=True, fileName=False, hostname=True, threadCounts=True, sampleCount=True,
               idleTime=True, connectTime=True)
    if out["kind"] == "csv":
        cfg["fieldNames"] = bool(out.get("header", True))
        name = "CSV results"
    else:
        cfg.update(xml=True, fieldNames=False, responseHeaders=bool(out.get("headers")),
                   requestHeaders=bool(out.get("headers")))
        name = "XML results"
    fields = "".join("<%s>%s</%s>" % (k, str(cfg[k]).lower() if isinstance(cfg[k], bool) else cfg[k], k)
                     for k in SAVE_ORDER)
    return ('<ResultCollector guiclass="SimpleDataWriter" testclass="ResultCollector" testname="%s" enabled="true">'
            % name + bp("ResultCollector.error_logging", False)
            + '<objProp><name>saveConfig</name><value class="SampleSaveConfiguration">' + fields
            + '</value></objProp>' + sp("filename", "${__P(%s)}" % out["prop"]) + '</ResultCollector><hashTree/>')


def plan(name, comment, client):
    groups = "".join(thread_group(i + 1, g, client.get("honours_retry_after", False))
                     for i, g in enumerate(client["groups"]))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<jmeterTestPlan version="1.2" properties="2.8" jmeter="2.13 r1665067"><hashTree>'
            '<TestPlan guiclass="TestPlanGui" testclass="TestPlan" testname="%s" enabled="true">' % escape(name)
            + sp("TestPlan.comments", comment) + bp("TestPlan.functional_mode", False)
            + bp("TestPlan.serialize_threadgroups", False)
            + '<elementProp name="TestPlan.user_defined_variables" elementType="Arguments" guiclass="ArgumentsPanel" '
              'testclass="Arguments" testname="User Defined Variables" enabled="true">'
              '<collectionProp name="Arguments.arguments"/></elementProp>'
            + sp("TestPlan.user_define_classpath", "") + '</TestPlan><hashTree>'
            + header_manager([("Accept", "application/json")], "Common headers")
            + assertion_200() + groups
            + "".join(collector(o) for o in client["outputs"])
            + '</hashTree></hashTree></jmeterTestPlan>\n')
