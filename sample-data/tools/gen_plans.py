#!/usr/bin/env python3
"""Write the JMeter 2.13 test plans (.jmx) used by sample-data/regen.sh.

The .jmx files are committed; this script is only needed to change them
consistently (run it from anywhere: it writes next to itself, in
sample-data/demo/ and sample-data/known/*/).  regen.sh does NOT run it.

Every plan:
  * one or more Thread Groups, each with a ramp-up, a scheduler DURATION and
    a finite loop count (both bound the run);
  * a Constant Throughput Timer per group in "this thread only" mode, so
    each thread sends at a fixed per-thread rate whatever the latency
    (JMeter does not honour Retry-After: throttled threads keep sending),
    plus a Uniform Random Timer (jitter within the period, rate unchanged);
  * a header X-JMeter-Thread carrying the JMeter thread name (for matching
    captured requests and server log lines to JTL threads);
  * a Response Assertion "response code is 200" (so throttled samples carry
    a failureMessage, as in many real plans);
  * TWO result collectors with their own save configuration, written in the
    same run: a CSV file (header line, all columns JMeter 2.13 can write
    except response data) and an XML file (with request and response
    headers, assertion failure messages, no response data).  The file names
    come from the properties jtlscope.csv and jtlscope.xml (-J on the
    command line).
"""
import os
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def sp(name, value):
    return '<stringProp name="%s">%s</stringProp>' % (name, escape(str(value)))


def bp(name, value):
    return '<boolProp name="%s">%s</boolProp>' % (name, "true" if value else "false")


def header_manager(headers, name="HTTP Header Manager"):
    items = "".join(
        '<elementProp name="" elementType="Header">%s%s</elementProp>'
        % (sp("Header.name", k), sp("Header.value", v)) for k, v in headers)
    return ('<HeaderManager guiclass="HeaderPanel" testclass="HeaderManager" testname="%s" enabled="true">'
            '<collectionProp name="HeaderManager.headers">%s</collectionProp></HeaderManager><hashTree/>'
            % (escape(name), items))


def sampler(label, host, port, path, method="GET", body=None):
    if body is None:
        args = '<collectionProp name="Arguments.arguments"/>'
        postbody = ""
    else:
        args = ('<collectionProp name="Arguments.arguments"><elementProp name="" elementType="HTTPArgument">'
                + bp("HTTPArgument.always_encode", False) + sp("Argument.value", body)
                + sp("Argument.metadata", "=") + '</elementProp></collectionProp>')
        postbody = bp("HTTPSampler.postBodyRaw", True)
    return (
        '<HTTPSamplerProxy guiclass="HttpTestSampleGui" testclass="HTTPSamplerProxy" testname="%s" enabled="true">'
        % escape(label)
        + postbody
        + '<elementProp name="HTTPsampler.Arguments" elementType="Arguments" guiclass="HTTPArgumentsPanel" '
          'testclass="Arguments" testname="User Defined Variables" enabled="true">' + args + '</elementProp>'
        + sp("HTTPSampler.domain", host) + sp("HTTPSampler.port", port)
        + sp("HTTPSampler.connect_timeout", 5000) + sp("HTTPSampler.response_timeout", 10000)
        + sp("HTTPSampler.protocol", "http") + sp("HTTPSampler.contentEncoding", "")
        + sp("HTTPSampler.path", path) + sp("HTTPSampler.method", method)
        + bp("HTTPSampler.follow_redirects", True) + bp("HTTPSampler.auto_redirects", False)
        + bp("HTTPSampler.use_keepalive", True) + bp("HTTPSampler.DO_MULTIPART_POST", False)
        + sp("HTTPSampler.implementation", "HttpClient4") + bp("HTTPSampler.monitor", False)
        + sp("HTTPSampler.embedded_url_re", "")
        + '</HTTPSamplerProxy><hashTree/>')


def ctt(per_minute):
    return ('<ConstantThroughputTimer guiclass="TestBeanGUI" testclass="ConstantThroughputTimer" '
            'testname="Constant Throughput Timer (per thread)" enabled="true">'
            '<intProp name="calcMode">0</intProp>'
            '<doubleProp><name>throughput</name><value>%.1f</value><savedValue>0.0</savedValue></doubleProp>'
            '</ConstantThroughputTimer><hashTree/>' % per_minute)


def jitter(range_ms):
    # added to the Constant Throughput Timer's delay: each request leaves 0..range_ms after its
    # slot, the per-thread rate is unchanged (the CTT keeps a fixed schedule), but threads do not
    # stay phase-locked (like think-time jitter in real plans)
    return ('<UniformRandomTimer guiclass="UniformRandomTimerGui" testclass="UniformRandomTimer" '
            'testname="Uniform Random Timer (jitter)" enabled="true">'
            + sp("ConstantTimer.delay", 0) + sp("RandomTimer.range", "%.1f" % range_ms)
            + '</UniformRandomTimer><hashTree/>')


def assertion_200():
    return ('<ResponseAssertion guiclass="AssertionGui" testclass="ResponseAssertion" '
            'testname="Response code is 200" enabled="true">'
            '<collectionProp name="Asserion.test_strings"><stringProp name="49586">200</stringProp></collectionProp>'
            + sp("Assertion.test_field", "Assertion.response_code")
            + bp("Assertion.assume_success", False)
            + '<intProp name="Assertion.test_type">8</intProp></ResponseAssertion><hashTree/>')


def thread_group(index, name, threads, ramp, duration, per_thread_per_min, samplers, jitter_ms):
    # loops bound the run even if the scheduler failed: duration * rate + slack
    loops = int(duration * per_thread_per_min / 60.0) + 5
    # JMeter 2.13 has no __threadName function: rebuild the thread name ("NAME G-N", G = the
    # group's position in the plan, N = __threadNum) so that requests in the capture and the
    # server log can be matched to JTL threads.
    headers = [("X-JMeter-Thread", "%s %d-${__threadNum}" % (name, index))]
    body = ("".join(samplers) + ctt(per_thread_per_min) + jitter(jitter_ms)
            + header_manager(headers, "Thread header"))
    return (
        '<ThreadGroup guiclass="ThreadGroupGui" testclass="ThreadGroup" testname="%s" enabled="true">' % escape(name)
        + sp("ThreadGroup.on_sample_error", "continue")
        + '<elementProp name="ThreadGroup.main_controller" elementType="LoopController" guiclass="LoopControlPanel" '
          'testclass="LoopController" testname="Loop Controller" enabled="true">'
        + bp("LoopController.continue_forever", False) + sp("LoopController.loops", loops) + '</elementProp>'
        + sp("ThreadGroup.num_threads", threads) + sp("ThreadGroup.ramp_time", ramp)
        + '<longProp name="ThreadGroup.start_time">1</longProp><longProp name="ThreadGroup.end_time">1</longProp>'
        + bp("ThreadGroup.scheduler", True) + sp("ThreadGroup.duration", duration) + sp("ThreadGroup.delay", 0)
        + '</ThreadGroup><hashTree>' + body + '</hashTree>')


SAVE_COMMON = dict(time=True, latency=True, timestamp=True, success=True, label=True, code=True,
                   message=True, threadName=True, dataType=True, encoding=False, assertions=True,
                   subresults=True, responseData=False, samplerData=False, xml=False, fieldNames=True,
                   responseHeaders=False, requestHeaders=False, responseDataOnError=False,
                   saveAssertionResultsFailureMessage=True, assertionsResultsToSave=0, bytes=True,
                   url=True, fileName=False, hostname=True, threadCounts=True, sampleCount=True,
                   idleTime=True, connectTime=True)


def collector(name, prop, **over):
    cfg = dict(SAVE_COMMON)
    cfg.update(over)
    order = ["time", "latency", "timestamp", "success", "label", "code", "message", "threadName",
             "dataType", "encoding", "assertions", "subresults", "responseData", "samplerData", "xml",
             "fieldNames", "responseHeaders", "requestHeaders", "responseDataOnError",
             "saveAssertionResultsFailureMessage", "assertionsResultsToSave", "bytes", "url",
             "fileName", "hostname", "threadCounts", "sampleCount", "idleTime", "connectTime"]
    fields = "".join("<%s>%s</%s>" % (k, (str(cfg[k]).lower() if isinstance(cfg[k], bool) else cfg[k]), k)
                     for k in order)
    return ('<ResultCollector guiclass="SimpleDataWriter" testclass="ResultCollector" testname="%s" enabled="true">'
            % escape(name)
            + bp("ResultCollector.error_logging", False)
            + '<objProp><name>saveConfig</name><value class="SampleSaveConfiguration">' + fields
            + '</value></objProp>' + sp("filename", "${__P(%s)}" % prop) + '</ResultCollector><hashTree/>')


def plan(name, comment, groups, headers):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<jmeterTestPlan version="1.2" properties="2.8" jmeter="2.13 r1665067"><hashTree>'
        '<TestPlan guiclass="TestPlanGui" testclass="TestPlan" testname="%s" enabled="true">' % escape(name)
        + sp("TestPlan.comments", comment) + bp("TestPlan.functional_mode", False)
        + bp("TestPlan.serialize_threadgroups", False)
        + '<elementProp name="TestPlan.user_defined_variables" elementType="Arguments" guiclass="ArgumentsPanel" '
          'testclass="Arguments" testname="User Defined Variables" enabled="true">'
          '<collectionProp name="Arguments.arguments"/></elementProp>'
        + sp("TestPlan.user_define_classpath", "")
        + '</TestPlan><hashTree>'
        + header_manager(headers, "Common headers")
        + assertion_200()
        + "".join(groups)
        + collector("CSV results", "jtlscope.csv")
        + collector("XML results (with headers)", "jtlscope.xml", xml=True, responseHeaders=True,
                    requestHeaders=True, fieldNames=False)
        + '</hashTree></hashTree></jmeterTestPlan>\n')


def pretty(text):
    import xml.dom.minidom
    s = xml.dom.minidom.parseString(text.encode()).toprettyxml(indent="  ", encoding="UTF-8").decode()
    return "\n".join(l for l in s.splitlines() if l.strip()) + "\n"


def write(rel, text):
    path = os.path.join(ROOT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(pretty(text))
    print("wrote", path)


COMMON_HEADERS = [("Accept", "application/json")]
A = "api.ap-southeast-1.jtlscope.test"
B = "api.us-east-1.jtlscope.test"
MSG = '{"to":"team","text":"hello"}'


def messaging(host):
    return [sampler("GET /api/v1/inbox", host, 18080, "/api/v1/inbox"),
            sampler("POST /api/v1/messages", host, 18080, "/api/v1/messages", "POST", MSG)]


def main():
    write("demo/demo.jmx", plan(
        "jtlscope demo: two regions, one throttled",
        "ap-southeast-1 (127.0.0.1:18080) is behind nginx limit_req keyed by X-Tenant "
        "(20 r/s, burst 10, nodelay, 429 + Retry-After: 60); us-east-1 (127.0.0.2:18080) has no limit. "
        "Each thread sends one request every 2 s (alternating GET inbox / POST message).",
        [thread_group(1, "ap-southeast-1 users", 50, 40, 70, 30.0, messaging(A), 1000),
         thread_group(2, "us-east-1 users", 30, 30, 70, 30.0, messaging(B), 1000)],
        COMMON_HEADERS + [("X-Tenant", "acme"), ("Content-Type", "application/json")]))

    write("known/shared-token-bucket/plan.jmx", plan(
        "known: shared token bucket",
        "nginx limit_req keyed by a constant (one bucket for everybody): 15 r/s, burst 5, nodelay, "
        "429 + Retry-After: 2. 30 threads ramped over 25 s, 1 req/s each.",
        [thread_group(1, "clients", 30, 25, 40, 60.0,
                      [sampler("GET /v2/search", "127.0.0.1", 18081, "/v2/search")], 500)],
        COMMON_HEADERS))

    write("known/per-connection/plan.jmx", plan(
        "known: per-connection limit",
        "nginx limit_req keyed by $connection (one bucket per TCP connection = per JMeter thread, "
        "keep-alive): 2 r/s, burst 2, nodelay, 429 + Retry-After: 1. 8 heavy threads at 4 req/s, "
        "4 light threads at 1 req/s.",
        [thread_group(1, "heavy clients", 8, 8, 35, 240.0,
                      [sampler("GET /v1/quotes", "127.0.0.1", 18082, "/v1/quotes")], 100),
         thread_group(2, "light clients", 4, 4, 35, 60.0,
                      [sampler("GET /v1/quotes", "127.0.0.1", 18082, "/v1/quotes")], 100)],
        COMMON_HEADERS))

    write("known/fixed-window-503/plan.jmx", plan(
        "known: fixed window, 503 + Retry-After",
        "python fixed-window limiter: 50 accepted requests per 10 s window aligned to epoch "
        "multiples of 10 s, global; 503 + Retry-After (s to window end) + X-RateLimit-*. "
        "20 threads ramped over 30 s, 1 req/s each, 40 s.",
        [thread_group(1, "clients", 20, 30, 40, 60.0,
                      [sampler("GET /v1/items", "127.0.0.1", 18100, "/v1/items")], 500)],
        COMMON_HEADERS))

    write("known/no-throttle/plan.jmx", plan(
        "known: no throttling",
        "Same nginx limiter as shared-token-bucket (15 r/s, burst 5) but only 10 threads at "
        "1 req/s (10 r/s), start times spread evenly over the 1-s period: no request may be throttled.",
        [thread_group(1, "clients", 10, 9, 30, 60.0,
                      [sampler("GET /v2/search", "127.0.0.1", 18081, "/v2/search")], 100)],
        COMMON_HEADERS))


if __name__ == "__main__":
    main()
