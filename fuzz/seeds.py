#!/usr/bin/env python3
"""seeds.py - (re)build the seed corpora under fuzz/corpus/<target>/ from sample-data/, a few
small files of ../shared/data/ and crafted cases.  Deterministic: the same sources give the same
files (gzip mtime 0, sorted inputs).  Usage: python3 fuzz/seeds.py  (from the repository root).

Provenance of every seed is in its name: sd-* from sample-data/, sh-* from ../shared/data/
(see ../shared/data/jtl/PROVENANCE.md and pcap/PROVENANCE.md), cr-* crafted here.
Files produced by fuzzing campaigns (libFuzzer's SHA-1 names) are added by `-merge=1` and are
kept by this script (it only (over)writes its own names).
"""
import gzip, io, os, ssl, struct, sys, zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data")
OUT = os.path.join(ROOT, "fuzz", "corpus")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def gz(data, level=6):
    b = io.BytesIO()
    with gzip.GzipFile(fileobj=b, mode="wb", mtime=0, compresslevel=level) as g:
        g.write(data)
    return b.getvalue()


def head_lines(data, n):
    return b"".join(data.splitlines(keepends=True)[:n])


def sample(path):
    with open(os.path.join(ROOT, path), "rb") as f:
        raw = f.read()
    return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw


def shared(rel, limit=8192):
    p = os.path.join(SHARED, rel)
    if not os.path.exists(p):
        return None
    with open(p, "rb") as f:
        d = f.read()
    if len(d) > limit:  # cut at a line end
        cut = d.rfind(b"\n", 0, limit)
        d = d[: cut + 1 if cut > 0 else limit]
    return d


# ---- CSV JTL --------------------------------------------------------------------------------
def csv_seeds():
    demo = sample("sample-data/demo/demo.csv.gz")
    put("csv", "sd-demo-head.csv", head_lines(demo, 30))
    put("csv", "sd-demo-head.csv.gz", gz(head_lines(demo, 30)))
    try:
        fw = sample("sample-data/known/fixed-window-503/fixed-window-503.csv.gz")
        put("csv", "sd-fixed-window-head.csv", head_lines(fw, 25))
    except OSError:
        pass
    for rel in ["jtl/PerfAction/CSVSample.jtl", "jtl/apache-jmeter/Bug52968.csv",
                "jtl/apache-jmeter/JMS_TESTS.csv", "jtl/apache-jmeter/TEST_HTTP_Java.csv",
                "jtl/taurus/doublequoting.jtl", "jtl/taurus/quote-guessing-crash.jtl",
                "jtl/taurus/unicode.jtl", "jtl/taurus/nonstandard-unicode.jtl",
                "jtl/jmeter-plugins/few.jtl", "jtl/jmeter-plugins/issue96.jtl",
                "jtl/taurus/apiritif-results__apiritif-0.csv", "jtl/SCT_Jmeter/results.jtl",
                "jtl/taurus/kpi1.jtl"]:
        d = shared(rel, 4096)
        if d is not None:
            put("csv", "sh-" + rel.replace("/", "__"), d)
    H = "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n"
    put("csv", "cr-quoted.csv", H +
        '1700000000000,12,"GET /a, ""quoted""",200,OK,"T 1-1",text,true,,10,5,1,1,http://h/a,3,0,1\n'
        '1700000000001,13,"multi\nline",429,"Too Many",T 1-2,text,false,"rate, limited",0,0,1,1,,0,0,0\n')
    put("csv", "cr-semicolon.csv", H.replace(",", ";") + "1700000000000;5;L;200;OK;T 1-1;text;true;;1;1;1;1;;1;0;0\n")
    put("csv", "cr-tab.csv", H.replace(",", "\t") + "1700000000000\t5\tL\t200\tOK\tT 1-1\ttext\ttrue\t\t1\t1\t1\t1\t\t1\t0\t0\n")
    put("csv", "cr-pipe.csv", H.replace(",", "|") + "1700000000000|5|L|200|OK|T 1-1|text|true||1|1|1|1||1|0|0\n")
    put("csv", "cr-headerless.csv", "1700000000000,5,L,200,OK,T 1-1,text,true,,1,1,1\n1700000000100,6,M,500,ERR,T 1-2,text,false,boom,1,1,1\n")
    put("csv", "cr-formatted-ts.csv", "timeStamp,elapsed,label,responseCode,success\n2023/11/14 22:13:20.123,5,L,200,true\n2023-11-14 22:13:20,456,6,L,200,true\n")
    put("csv", "cr-crlf-bom.csv", ("\ufeff" + H).replace("\n", "\r\n") + "1700000000000,5,L,200,OK,T,text,true,,1,1,1,1,,1,0,0\r\n")
    put("csv", "cr-cr-only.csv", H.replace("\n", "\r") + "1700000000000,5,L,200,OK,T,text,true,,1,1,1,1,,1,0,0\r")
    put("csv", "cr-unterminated-quote.csv", H + '1700000000000,5,"L,200,OK\n')
    put("csv", "cr-nul.csv", H + "1700000000000,5,L\x00x,200,OK,T,text,true,,1,1,1,1,,1,0,0\n")
    put("csv", "cr-bad-utf8.csv", H.encode() + b"1700000000000,5,L\xff\xfe\xc3(,200,OK,T,text,true,,1,1,1,1,,1,0,0\n")
    put("csv", "cr-year9999-negative.csv", H + "253402300799999,-5,L,200,OK,T,text,true,,-1,1,1,1,,-1,0,-3\n")
    put("csv", "cr-repeated-header.csv", H + "1700000000000,5,L,200,OK,T,text,true,,1,1,1,1,,1,0,0\n" + H + "1700000000001,5,L,200,OK,T,text,true,,1,1,1,1,,1,0,0\n")
    put("csv", "cr-short-long-rows.csv", H + "1700000000000,5\n1700000000000," + ",".join(["x"] * 40) + "\n")
    put("csv", "cr-truncated-tail.csv", H + "1700000000000,5,L,200,OK,T,text,true,,1,1,1,1,,1,0,0\n1700000000001,5,L,2")
    put("csv", "cr-ansi.csv", H + "1700000000000,5,\x1b[31mred\x1b[0m,=cmd|' /C calc'!A0,<script>,`id`,text,true,,1,1,1,1,,1,0,0\n")
    put("csv", "cr-empty.csv", "")
    put("csv", "cr-header-only.csv", H)


# ---- XML JTL --------------------------------------------------------------------------------
def xml_seeds():
    demo = sample("sample-data/demo/demo.xml.gz")
    end = 0
    for _ in range(3):
        end = demo.index(b"</httpSample>", end) + len(b"</httpSample>")
    head = demo[:end] + b"\n</testResults>\n"
    put("xml", "sd-demo-head.xml", head)
    put("xml", "sd-demo-head.xml.gz", gz(head))
    for rel in ["jtl/apache-jmeter/Bug52968.xml", "jtl/apache-jmeter/Bug62239.xml",
                "jtl/apache-jmeter/TestCookieManager.xml", "jtl/apache-jmeter/HTMLParserTestFile_2.xml",
                "jtl/apache-jmeter/JDBC_TESTS.xml", "jtl/jenkins-performance-plugin/JMeterResults.jtl",
                "jtl/jenkins-performance-plugin/JMeterResultsMultiLevel.jtl"]:
        d = shared(rel, 16384)
        if d is not None:
            put("xml", "sh-" + rel.replace("/", "__"), d)
    hdr = '<?xml version="1.0" encoding="UTF-8"?>\n<testResults version="1.2">\n'
    put("xml", "cr-subresults.xml", hdr +
        '<sample t="30" ts="1700000000000" s="false" lb="Txn" rc="" tn="T 1-1">\n'
        ' <httpSample t="10" lt="5" ct="1" ts="1700000000000" s="true" lb="GET /a" rc="200" rm="OK" tn="T 1-1" by="10" sby="5" ng="1" na="1" hn="h">\n'
        '  <responseHeader class="java.lang.String">HTTP/1.1 200 OK\nRetry-After: 5\nRateLimit: limit=10, remaining=0, reset=3\nX-RateLimit-Reset: 1700000005\n</responseHeader>\n'
        '  <responseData class="java.lang.String">slow down</responseData>\n'
        '  <java.net.URL>http://api.example.com/a</java.net.URL>\n'
        '  <httpSample t="3" ts="1700000000001" s="true" lb="GET /a-0" rc="302" tn="T 1-1"/>\n'
        ' </httpSample>\n'
        ' <httpSample t="20" ts="1700000000010" s="false" lb="GET /b" rc="429" rm="Too Many Requests" tn="T 1-1">\n'
        '  <assertionResult><name>code</name><failure>true</failure><error>false</error><failureMessage>429 &lt;!&gt;</failureMessage></assertionResult>\n'
        ' </httpSample>\n</sample>\n</testResults>\n')
    put("xml", "cr-entities.xml", '<?xml version="1.0"?>\n<!DOCTYPE testResults [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n'
        '<testResults version="1.2"><httpSample t="1" ts="1700000000000" s="true" lb="&b;" rc="200"/></testResults>\n')
    put("xml", "cr-external-entity.xml", '<?xml version="1.0"?>\n<!DOCTYPE testResults [<!ENTITY x SYSTEM "file:///etc/hostname">]>\n'
        '<testResults version="1.2"><httpSample t="1" ts="1700000000000" s="true" lb="&x;" rc="200"/></testResults>\n')
    put("xml", "cr-unclosed.xml", hdr + '<httpSample t="1" ts="1700000000000" s="true" lb="x" rc="200">\n<responseHeader>')
    put("xml", "cr-latin1.xml", '<?xml version="1.0" encoding="ISO-8859-1"?>\n<testResults><httpSample t="1" ts="1700000000000" s="true" lb="caf\xe9" rc="200"/></testResults>\n'.encode("latin-1"))
    put("xml", "cr-utf16.xml", '<?xml version="1.0" encoding="UTF-16"?>\n<testResults><httpSample t="1" ts="1700000000000" lb="x"/></testResults>\n'.encode("utf-16"))
    put("xml", "cr-cdata-ansi.xml", hdr + '<httpSample t="1" ts="1700000000000" s="true" lb="&#27;[31m&lt;script&gt;" rc="=1+1" rm="&#10;x" tn="`id`"><responseData><![CDATA[\x1b[2J]]></responseData></httpSample></testResults>\n')
    put("xml", "cr-deep.xml", hdr + "<sample lb='x' ts='1700000000000'>" * 40 + "</sample>" * 40 + "</testResults>\n")
    put("xml", "cr-bad-numbers.xml", hdr + '<httpSample t="-5" ts="253402300799999" s="maybe" lb="x" rc="200" by="99999999999999999999" ng="-1"/></testResults>\n')


# ---- gzip / input layer -----------------------------------------------------------------------
def input_seeds():
    text = b"timeStamp,elapsed,label\n1700000000000,5,L\n" * 3
    put("input", "cr-plain.csv", text)
    put("input", "cr-one.gz", gz(text))
    put("input", "cr-two-members.gz", gz(text) + gz(b"<testResults/>\n"))
    put("input", "cr-zero-padding.gz", gz(text) + b"\x00" * 64)
    put("input", "cr-trailing-garbage.gz", gz(text) + b"garbage")
    put("input", "cr-truncated.gz", gz(text)[:-6])
    g = bytearray(gz(text))
    g[-8] ^= 0xff  # CRC wrong
    put("input", "cr-bad-crc.gz", bytes(g))
    put("input", "cr-stored.gz", gz(text, 0))
    put("input", "cr-ratio.gz", gz(b"A" * 200000, 9))
    put("input", "cr-magic-only.gz", b"\x1f\x8b")
    put("input", "cr-fextra-fname.gz", b"\x1f\x8b\x08\x1c\x00\x00\x00\x00\x00\xff\x04\x00ab\x00\x00name\x00comment\x00" + gz(text)[10:])
    put("input", "cr-pcap-magic.bin", b"\xd4\xc3\xb2\xa1" + b"\x00" * 20)
    put("input", "cr-pcapng-magic.bin", b"\x0a\x0d\x0d\x0a" + b"\x00" * 20)
    put("input", "cr-xml-bom.xml", b"\xef\xbb\xbf  <testResults/>")
    put("input", "cr-json.json", b'  {"jtlscope": 1}')
    put("input", "cr-binary.bin", bytes(range(256)))
    put("input", "cr-big-peek.txt", b"x" * 5000)


# ---- pcap -----------------------------------------------------------------------------------
def pcap_packets(d):
    """(linktype, [(ts_sec, ts_frac, data, wirelen)]) of a classic pcap, or None."""
    if len(d) < 24:
        return None
    magic = d[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return None
    lt = struct.unpack(e + "I", d[20:24])[0] & 0xffff
    pk, o = [], 24
    while o + 16 <= len(d):
        s, f, cl, wl = struct.unpack(e + "IIII", d[o:o + 16])
        o += 16
        if o + cl > len(d):
            break
        pk.append((s, f, d[o:o + cl], wl))
        o += cl
    return lt, pk


def pcap_file(lt, pkts, snaplen=262144):
    out = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, snaplen, lt)
    for s, f, data, wl in pkts:
        out += struct.pack("<IIII", s, f, len(data), wl) + data
    return out


def pcap_seeds():
    names = ["tcpdump__tcp-handshake-nano.pcap", "zeek__communityid__tcp.pcap", "zeek__http__get-gzip.pcap",
             "arkime__http-empty-useragent.pcap", "suricata-verify__websocket-ping__input.pcap",
             "zeek__websocket__two-binary-fragments.pcap", "zeek__tls__tls13_wolfssl.pcap",
             "zeek__tls__openjdk-25.0.2-zeek.org.pcap", "lwerdna__simple_http_sll2.pcap",
             "zeek__http-qinq-0.pcap", "zeek__http__get.pcap", "arkime__v6-http.pcap",
             "zeek__tls__tls1.2.pcap", "ndpi__hls.pcapng",
             "suricata-verify__firewall-88-default-accept-tx-pipeline__input.pcap"]
    frames = []
    for n in names:
        p = os.path.join(SHARED, "pcap", n)
        if not os.path.exists(p):
            continue
        with open(p, "rb") as f:
            d = f.read()
        put("pcap", "sh-" + n, d)
        parsed = pcap_packets(d)
        if parsed:
            frames.append((n, parsed))
    try:
        demo = sample("sample-data/demo/demo.pcap.gz")
        parsed = pcap_packets(demo)
        if parsed:
            lt, pk = parsed
            put("pcap", "sd-demo-head.pcap", pcap_file(lt, pk[:40]))
            put("pcap", "sd-demo-head.pcap.gz", gz(pcap_file(lt, pk[:40])))
            frames.append(("sd-demo", (lt, pk[:40])))
    except OSError:
        pass
    if frames:
        lt, pk = frames[0][1]
        f = pcap_file(lt, pk)
        put("pcap", "cr-truncated-header.pcap", f[:20])
        put("pcap", "cr-truncated-last-packet.pcap", f[:-3])
        put("pcap", "cr-absurd-snaplen.pcap", pcap_file(lt, pk[:2], snaplen=0xffffffff))
        s, fr, data, wl = pk[0]
        put("pcap", "cr-absurd-caplen.pcap", pcap_file(lt, []) + struct.pack("<IIII", s, fr, 0x7ffffff0, 0x7ffffff0) + data)
        put("pcap", "cr-caplen-gt-wirelen.pcap", pcap_file(lt, []) + struct.pack("<IIII", s, fr, len(data), 1) + data)
        put("pcap", "cr-unknown-linktype.pcap", pcap_file(147, pk[:1]))
    shb = struct.pack("<IIIHHq", 0x0a0d0d0a, 28, 0x1a2b3c4d, 1, 0, -1) + struct.pack("<I", 28)
    idb = struct.pack("<IIHHI", 1, 20, 1, 0, 262144) + struct.pack("<I", 20)
    put("pcap", "cr-pcapng-bad-block-len.pcapng", shb + struct.pack("<IIHHI", 1, 0xfffffff0, 1, 0, 0))
    put("pcap", "cr-pcapng-short-block.pcapng", shb + struct.pack("<II", 6, 8))
    put("pcap", "cr-pcapng-idb-only.pcapng", shb + idb)
    # frame and tcpstream seeds from the same packets
    dlts = [1, 0, 12, 14, 108, 113, 228, 229, 276, 1]
    for n, (lt, pk) in frames:
        if lt not in dlts:
            continue
        b = bytes([dlts.index(lt), 0])
        for i, (s, f, data, wl) in enumerate(pk[:24]):
            b += struct.pack(">HB", len(data), 0 if i == 0 else 1) + data
        put("frame", "sh-" + n.replace(".pcap", "") + ".frames", b)
        # single frames
        for i, (s, f, data, wl) in enumerate(pk[:3]):
            put("frame", "sh-%s-%d.frame" % (n.replace(".pcap", ""), i),
                bytes([dlts.index(lt), 1]) + struct.pack(">HB", len(data), 0) + data)
        streams = tcp_payloads(lt, pk)
        if streams:
            put("tcpstream", "sh-" + n.replace(".pcap", "") + ".stream", streams)


def tcp_payloads(lt, pk):
    """Chunks (ctl dir, len, payload) of the first TCP connection's payloads (Ethernet/SLL2/raw)."""
    out = bytearray([0])
    client = None
    for s, f, d, wl in pk:
        off = {1: 14, 276: 20, 113: 16, 12: 0, 14: 0, 228: 0, 0: 4, 108: 4}.get(lt)
        if off is None:
            return None
        if lt == 1:
            et = struct.unpack(">H", d[12:14])[0]
            while et in (0x8100, 0x88a8) and len(d) >= off + 4:
                et = struct.unpack(">H", d[off + 2:off + 4])[0]
                off += 4
        ip = d[off:]
        if len(ip) < 20:
            continue
        v = ip[0] >> 4
        if v == 4:
            ihl = (ip[0] & 15) * 4
            if ip[9] != 6:
                continue
            tcp, src = ip[ihl:], ip[12:16]
        elif v == 6:
            if ip[6] != 6:
                continue
            tcp, src = ip[40:], ip[8:24]
        else:
            continue
        if len(tcp) < 20:
            continue
        sport = struct.unpack(">H", tcp[0:2])[0]
        hl = (tcp[12] >> 4) * 4
        pl = tcp[hl:]
        if client is None:
            client = (src, sport)
        if not pl:
            continue
        dirbit = 0 if (src, sport) == client else 1
        while pl:
            c = pl[:255]
            pl = pl[255:]
            out += bytes([dirbit, len(c)]) + c
        if len(out) > 6000:
            break
    return bytes(out) if len(out) > 1 else None


def client_hello(sni, alpn):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if alpn:
        ctx.set_alpn_protocols(alpn)
    i, o = ssl.MemoryBIO(), ssl.MemoryBIO()
    s = ctx.wrap_bio(i, o, server_hostname=sni)
    try:
        s.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return o.read()


def chunks(dirbit, data, flags=0):
    out = b""
    while data:
        c, data = data[:255], data[255:]
        out += bytes([dirbit | flags, len(c)]) + c
    return out


def tcpstream_seeds():
    req = b"GET /api/v1/inbox?x=1 HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: t\r\n\r\n"
    resp = (b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nRateLimit: limit=10, remaining=0, reset=3\r\n"
            b"Content-Length: 9\r\n\r\nslow down")
    put("tcpstream", "cr-http-429", b"\x00" + chunks(0, req) + chunks(1, resp))
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"
    put("tcpstream", "cr-http-chunked-pipelined", b"\x00" + chunks(0, req + req) + chunks(1, chunked + resp))
    put("tcpstream", "cr-http-100-continue", b"\x00" + chunks(0, b"POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n") +
        chunks(1, b"HTTP/1.1 100 Continue\r\n\r\n") + chunks(0, b"abcd") + chunks(1, b"HTTP/1.1 204 No Content\r\n\r\n"))
    put("tcpstream", "cr-http10-close", b"\x00" + chunks(0, b"GET / HTTP/1.0\r\n\r\n") + chunks(1, b"HTTP/1.0 200 OK\r\n\r\nbody until close") + bytes([3, 0]))
    put("tcpstream", "cr-http-hole-retrans", b"\x01" + chunks(0, req) + bytes([1 | 8, 20]) + resp[:20] + bytes([1 | 16, 30]) + resp[20:50])
    up = (b"GET /chat HTTP/1.1\r\nHost: ws.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    acc = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
    mask = b"\x01\x02\x03\x04"
    txt = b"rate limited"
    cframe = b"\x81" + bytes([0x80 | len(txt)]) + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(txt))
    sframe = b"\x01\x03abc" + b"\x80\x02de" + b"\x89\x00" + b"\x88\x05\x03\xe8bye"
    put("tcpstream", "cr-websocket", bytes([8]) + chunks(0, up) + chunks(1, acc) + chunks(0, cframe) + chunks(1, sframe))
    put("tcpstream", "cr-websocket-len64", bytes([8]) + chunks(0, up) + chunks(1, acc) + chunks(1, b"\x82\x7f" + struct.pack(">Q", 1 << 40) + b"xx"))
    for name, sni, alpn in [("cr-tls-hello-sni-alpn", "api.example.com", ["h2", "http/1.1"]), ("cr-tls-hello-plain", "x", None)]:
        try:
            ch = client_hello(sni, alpn)
        except Exception:
            continue
        put("tcpstream", name, bytes([8]) + chunks(0, ch) + chunks(1, b"\x16\x03\x03\x00\x04\x02\x00\x00\x00" + b"\x17\x03\x03\x00\x02hi"))
        put("tcpstream", name + "-split", bytes([8 | 1]) + b"".join(bytes([0, 7]) + ch[i:i + 7] for i in range(0, len(ch), 7)))


# ---- TLS decryption (fuzz_tlsdecrypt.c: byte 0 suite; segments [ctl][len][bytes], ctl bit 1
# seals the bytes under the connection's keys) and key logs ----------------------------------
def tls_seeds():
    req = b"GET /v2/search HTTP/1.1\r\nHost: api.example.com\r\n\r\n"
    resp = (b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2\r\nContent-Length: 13\r\n\r\n"
            b'{"code":429}\n')
    up = (b"GET /chat HTTP/1.1\r\nHost: ws.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    acc = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
    mask = b"\x01\x02\x03\x04"
    txt = b'{"action":"send","id":1}'
    cframe = b"\x81" + bytes([0x80 | len(txt)]) + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(txt))
    ans = b'{"type":"response","code":429,"id":1,"body":{"retryAfter":3}}'
    sframe = b"\x81" + bytes([len(ans)]) + ans
    for suite in range(5):
        put("tlsdecrypt", "cr-http-%d" % suite, bytes([suite]) + chunks(0, req, 2) + chunks(1, resp, 2) +
            chunks(0, req, 2) + chunks(1, resp[:30], 2) + chunks(1, resp[30:], 2))
        put("tlsdecrypt", "cr-ws-%d" % suite, bytes([suite]) + chunks(0, up, 2) + chunks(1, acc, 2) +
            chunks(0, cframe, 2) + chunks(1, sframe, 2))
        put("tlsdecrypt", "cr-bad-%d" % suite, bytes([suite]) + chunks(0, req, 2) + chunks(1, resp, 2 | 4) +
            chunks(0, req, 2 | 8) + chunks(1, b"\x17\x03\x03\x00\x20" + bytes(32)) + chunks(1, resp, 2 | 32))
    # permessage-deflate inside TLS and on plain TCP: compressed messages (context takeover on
    # the server side, a fragmented one, a bad one)
    acc_pmd = acc[:-2] + b"Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n\r\n"
    def wsframe(data, fin=True, rsv1=True, op=1, masked=False):
        b0 = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | op
        hdr = bytes([b0]) + (bytes([(0x80 if masked else 0) | len(data)]) if len(data) < 126 else
                             bytes([(0x80 if masked else 0) | 126]) + struct.pack(">H", len(data)))
        if masked:
            return hdr + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(data))
        return hdr + data
    co = zlib.compressobj(6, zlib.DEFLATED, -15)
    z1 = co.compress(ans) + co.flush(zlib.Z_SYNC_FLUSH)
    z2 = co.compress(ans.replace(b"429", b"200")) + co.flush(zlib.Z_SYNC_FLUSH)
    cc = zlib.compressobj(6, zlib.DEFLATED, -15)
    zc = cc.compress(txt) + cc.flush(zlib.Z_SYNC_FLUSH)
    pmd = (chunks(0, wsframe(zc[:-4], masked=True), 2) + chunks(1, wsframe(z1[:-4]), 2) +
           chunks(1, wsframe(z2[:-4][:5], fin=False), 2) + chunks(1, wsframe(z2[:-4][5:], rsv1=False, op=0), 2) +
           chunks(1, wsframe(b"\xff\xfe\xfd"), 2))
    for suite in (0, 2, 4):
        put("tlsdecrypt", "cr-wss-deflate-%d" % suite, bytes([suite]) + chunks(0, up, 2) + chunks(1, acc_pmd, 2) + pmd)
    put("tcpstream", "cr-websocket-deflate", bytes([8]) + chunks(0, up) + chunks(1, acc_pmd) +
        b"".join(chunks(d, f) for d, f in [(0, wsframe(zc[:-4], masked=True)), (1, wsframe(z1[:-4])),
                                           (1, wsframe(z2[:-4][:5], fin=False)),
                                           (1, wsframe(z2[:-4][5:], rsv1=False, op=0)),
                                           (1, wsframe(b"\xff\xfe\xfd"))]))
    # TLS 1.3 KeyUpdate (handshake type 24) as the inner content of a client record
    put("tlsdecrypt", "cr-keyupdate", bytes([0]) + chunks(0, req, 2) + bytes([0 | 2 | 16, 6]) +
        b"\x16\x18\x00\x00\x01\x00" + chunks(0, req, 2) + chunks(1, resp, 2))
    cr = "ab" * 32
    put("keylog", "cr-mixed", "# SSL/TLS secrets log file\n\nCLIENT_RANDOM %s %s\r\n"
        "CLIENT_TRAFFIC_SECRET_0 %s %s\nSERVER_TRAFFIC_SECRET_0 %s %s\n"
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET %s %s\nCLIENT_RANDOM %s 00\nCLIENT_RANDOM zz 11\n"
        "EXPORTER_SECRET %s %s" % (cr, "11" * 48, cr, "22" * 32, cr, "33" * 48, cr, "44" * 32, cr, cr, "55" * 32))
    if os.path.exists(os.path.join(ROOT, "tests/data/tls/keylog.keys")):
        with open(os.path.join(ROOT, "tests/data/tls/keylog.keys"), "rb") as f:
            put("keylog", "sd-python-keylog", f.read())


# ---- rate-limit headers, region maps, timestamps, escaping -------------------------------------
def text_seeds():
    put("ratelimit", "cr-all.txt", "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 120\r\nRateLimit: limit=100, remaining=0, reset=30\r\n"
        "RateLimit-Policy: 100;w=60\r\nRateLimit-Limit: 100\r\nRateLimit-Remaining: 0\r\nRateLimit-Reset: 30\r\n"
        "X-RateLimit-Limit: 100\nX-RateLimit-Remaining: 0\nX-RateLimit-Reset: 1700000030\n"
        "inin-ratelimit-count: 301\ninin-ratelimit-allowed: 300\ninin-ratelimit-reset: 12\nx-envoy-ratelimited: true\n")
    put("ratelimit", "cr-dates.txt", "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\nRetry-After: Wednesday, 21-Oct-15 07:28:00 GMT\nRetry-After: Wed Oct 21 07:28:00 2015\n")
    put("ratelimit", "cr-structured.txt", 'RateLimit: "default";r=0;t=30\nRateLimit-Policy: "default";q=100;w=60\nRateLimit: limit=1e99, remaining=-1, reset=99999999999999999999\n')
    put("ratelimit", "cr-odd.txt", "Retry-After:\nRetry-After: -1\nRetry-After: 1.5\n:\nno colon\nX-RateLimit-Reset:    \t 5 \n")
    put("ratelimit", "cr-date-only.txt", "Sun, 06 Nov 1994 08:49:37 GMT")
    rm = sample("sample-data/demo/region-map.txt")
    put("region", "sd-demo-region-map.txt", rm)
    put("region", "cr-rules.txt", "# comment\n\n(?i)^api\\.(?:us|eu)-.*$ us-or-eu\n\\.mypurecloud\\.(jp|de)$ apac-or-eu\n^(a+)+$ redos\n[ broken\n")
    put("region", "cr-backtrack.txt", "^(a|a)*b$ slow\n(?:x*)*y other\n(?<n>\\w+)\\k<n> dup\n")
    put("region", "cr-longline.txt", "a" * 5000 + " r\n")
    put("region", "cr-keys.txt", "https://user@[2001:db8::1]:8443/p\nhttp://API.Example.COM:80/x\nUsers 1-12\nexecute-api.ap-southeast-1.amazonaws.com\nus-gov-west-1\neurope-west4\n")
    put("timestamp", "cr-epoch.txt", "1700000000000")
    put("timestamp", "cr-auto1.txt", "2023/11/14 22:13:20.123")
    put("timestamp", "cr-auto2.txt", "2023-11-14T22:13:20,123456789+05:30")
    put("timestamp", "cr-auto3.txt", "9999-12-31 23:59:60Z")
    put("timestamp", "cr-fmt1.txt", b"yyyy/MM/dd HH:mm:ss.SSS\x002023/11/14 22:13:20.123")
    put("timestamp", "cr-fmt2.txt", b"dd/MM/yy hh:mm:ss a\x0014/11/23 10:13:20 PM")
    put("timestamp", "cr-fmt3.txt", b"'T'''yyyyMMddHHmmssSSSSSS\x00T'20231114221320123456")
    put("timestamp", "cr-ms.txt", b"ms\x00-1")
    put("escape", "cr-ansi.txt", "\x1b[31mred\x1b[0m \x1b]0;title\x07 \x9b31m")
    put("escape", "cr-markup.txt", "<script>alert('x')</script> | `id` $(id) *a* _b_ [l](http://x) # ! ~ $x$ & \" '")
    put("escape", "cr-formula.txt", "=cmd|' /C calc'!A0")
    put("escape", "cr-formula2.txt", "  +1+1")
    put("escape", "cr-negative.txt", "-12.5")
    put("escape", "cr-utf8.txt", b"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xc2\x85 \xed\xa0\x80 \xc0\xaf \xff \xf4\x90\x80\x80 \x00 \x7f")
    put("escape", "cr-gnuplot.txt", "a_b^c{d}@e~f&g\\\"h`date`")


def gate_seeds():
    exprs = ["p95>800ms", "errors>1%", "onset<300s", "label:Login:p99>2s", "rate<10/s",
             "label:GET http://h:8080/x:p95 >= 1 s", "region:us-east-1:limit<5", "throttled>=50%",
             "samples==4", "skipped!=0", "ok_p50<=0.5 min", "mean>1h", "onset_threads>3",
             "p50>99999999999999999999", "max>1.", "label::p95>1", "label:x", "<script>&\"'>1"]
    for i, e in enumerate(exprs, 1):
        put("gate", "cr-%d.txt" % i, e)
    put("gate", "cr-multi.txt", "p95>800ms\nerrors>1%\nlabel:Login:p99>2s\nrate<10/s\nonset<300s\nthrottled>0\n")


def main():
    gate_seeds()
    csv_seeds()
    xml_seeds()
    input_seeds()
    pcap_seeds()
    tcpstream_seeds()
    tls_seeds()
    text_seeds()
    total = 0
    for dp, _, fs in os.walk(OUT):
        for f in fs:
            total += os.path.getsize(os.path.join(dp, f))
    print("fuzz/corpus: %d bytes" % total)


if __name__ == "__main__":
    main()
