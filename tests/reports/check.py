#!/usr/bin/env python3
"""check.py DIR - checks reports written into DIR with real parsers; prints "ok - ..." /
"not ok - ..." lines (run.sh counts them).

  *.html  python's html.parser: no <script>, <iframe>, <object>, <embed>, <img>, <link>,
          <base>, <meta http-equiv=refresh>, no on* attribute, no src/href/xlink:href/action
          that leaves the document, a Content-Security-Policy; inline <svg> balanced
  *.svg   xml.etree parses it; no script/foreignObject/image, no on* attribute, every href
          starts with '#'
  *.csv   csv module: every record has the header's width; no text cell a spreadsheet would
          run (= + - @ TAB CR first, also after blanks) unless it is a plain number
  *.md    every table row has its header's number of cells (unescaped '|')
"""
import csv, glob, html.parser, io, os, re, sys
import xml.etree.ElementTree as ET

results = []


def check(ok, what):
    results.append(ok)
    print(("ok - " if ok else "not ok - ") + what)


BAD_TAGS = {"script", "iframe", "object", "embed", "img", "link", "base", "frame", "frameset",
            "applet", "form", "foreignobject", "image", "audio", "video", "source"}


class Html(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.bad = []
        self.csp = False
        self.svg_depth = 0
        self.svgs = 0

    def handle_starttag(self, tag, attrs):
        self._tag(tag, attrs)
        if tag == "svg":
            self.svg_depth += 1
            self.svgs += 1

    def handle_startendtag(self, tag, attrs):
        self._tag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "svg":
            self.svg_depth -= 1

    def _tag(self, tag, attrs):
        if tag in BAD_TAGS:
            self.bad.append("<%s>" % tag)
        for k, v in attrs:
            v = v or ""
            if k.startswith("on"):
                self.bad.append("%s attribute on <%s>" % (k, tag))
            if k in ("src", "href", "xlink:href", "action", "formaction", "background", "poster") \
                    and not v.startswith("#"):
                self.bad.append("%s=%r on <%s>" % (k, v, tag))
            if "url(" in v and not re.search(r"url\(#", v):
                self.bad.append("url() in %s on <%s>" % (k, tag))
        if tag == "meta":
            d = dict(attrs)
            eq = (d.get("http-equiv") or "").lower()
            if eq == "refresh":
                self.bad.append("meta refresh")
            if eq == "content-security-policy" and "default-src 'none'" in (d.get("content") or ""):
                self.csp = True


def read_utf8(path):
    """(name, bytes, text) of a file; text is None, and a failed check said, when the bytes
    are not UTF-8."""
    name = os.path.basename(path)
    with open(path, "rb") as f:
        raw = f.read()
    try:
        return name, raw, raw.decode("utf-8")
    except UnicodeDecodeError as e:
        check(False, "%s is valid UTF-8 (%s)" % (name, e))
        return name, raw, None


def check_html(path):
    name, raw, text = read_utf8(path)
    if text is None:
        text = raw.decode("utf-8", "replace")
    else:
        check(True, "%s is valid UTF-8" % name)
    p = Html()
    p.feed(text)
    p.close()
    check(not p.bad, "%s: no active or external content %s" % (name, p.bad[:5] if p.bad else ""))
    check(p.csp, "%s: Content-Security-Policy default-src 'none'" % name)
    check(p.svg_depth == 0, "%s: inline <svg> elements balanced (%d charts)" % (name, p.svgs))
    check(re.search(r"<script", text, re.I) is None, "%s: no '<script' anywhere" % name)
    return p.svgs


def check_svg(path):
    name = os.path.basename(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        check(False, "%s is well-formed XML (%s)" % (name, e))
        return
    check(True, "%s is well-formed XML" % name)
    bad = []
    for el in root.iter():
        tag = el.tag.split("}")[-1].lower()
        if tag in ("script", "foreignobject", "image", "iframe", "a", "style"):
            bad.append(tag)
        for k, v in el.attrib.items():
            k = k.split("}")[-1]
            if k.lower().startswith("on"):
                bad.append(k)
            if k == "href" and not v.startswith("#"):
                bad.append("href=" + v)
    check(not bad, "%s: no script, handler or outside reference %s" % (name, bad[:5] if bad else ""))


NUM = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def check_csv(path):
    name, raw, text = read_utf8(path)
    if text is None:
        return
    check(raw.endswith(b"\r\n"), "%s: CRLF record ends" % name)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    width = len(rows[0]) if rows else 0
    check(all(len(r) == width for r in rows), "%s: %d records of %d cells" % (name, len(rows), width))
    bad = [c for r in rows[1:] for c in r
           if c.lstrip(" ")[:1] in ("=", "+", "-", "@") and not NUM.match(c) or c[:1] in ("\t", "\r")]
    check(not bad, "%s: formula cells neutralised %s" % (name, bad[:3] if bad else ""))


def md_pipes(line):
    n, i = 0, 0
    while i < len(line):
        if line[i] == "\\":
            i += 2
            continue
        n += line[i] == "|"
        i += 1
    return n


def check_md(path):
    name = os.path.basename(path)
    text = open(path, "rb").read().decode("utf-8", "replace")
    want, bad, tables = None, [], 0
    for line in text.split("\n"):
        if line.startswith("|"):
            k = md_pipes(line)
            if want is None:
                want, tables = k, tables + 1
            elif k != want:
                bad.append(line[:60])
        else:
            want = None
    check(tables >= 3 and not bad, "%s: %d tables keep their column count %s" % (name, tables, bad[:2] if bad else ""))
    check(re.search(r"<(script|img|iframe)", text, re.I) is None, "%s: no raw HTML tags from input" % name)


def main():
    d = sys.argv[1]
    files = sorted(glob.glob(os.path.join(d, "**", "*"), recursive=True))
    kinds = {".html": check_html, ".svg": check_svg, ".csv": check_csv, ".md": check_md}
    seen = set()
    for p in files:
        ext = os.path.splitext(p)[1]
        if ext in kinds:
            kinds[ext](p)
            seen.add(ext)
    for ext in (".html", ".md", ".csv"):
        check(ext in seen, "a %s report was written" % ext)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
