/* genpcap.c - write a large synthetic HTTP/1.1 packet capture to stdout (for make bench).
 *
 *   genpcap [--profile mixed|keepalive|short] MEGABYTES [CONNECTIONS]
 *
 * Profiles: mixed (default, described below); keepalive: only endpoints whose request and
 * response fit one segment (no chunking), 50-400 exchanges per connection (small packets, like a
 * JMeter API test on keep-alive connections); short: the same small exchanges, one per
 * connection, closed 0.2-5 ms after the response (connection setup dominates).
 *
 * Classic pcap (little-endian, microsecond stamps, snaplen 262144), Ethernet, IPv4 with header
 * checksums, TCP with checksums; deterministic (fixed seeds): same bytes on every run.
 *
 * Traffic: 8 load generators (10.20.0.11-18) talk to three servers on port 80
 * (api/auth/static.example.com, 198.51.100.10-12) over CONNECTIONS (default 2000) keep-alive
 * connections that ramp up over 10 s and stay open together.  Each connection has a 3-way
 * handshake (MSS, SACK-permitted and window-scale options), then request/response exchanges
 * separated by think time (about 1 s, plus Retry-After after a 429), then a FIN close; a
 * connection whose lifetime (2-40 exchanges) ends is replaced by a new one (next ephemeral
 * port).  Once MEGABYTES are written no exchange is started: each connection finishes the
 * exchange it is in and closes when its think time ends (so the file is a little larger).
 *
 * Exchanges follow an endpoint table (GET, POST, PUT, DELETE; JSON, JavaScript, font and
 * form bodies): request and response bodies of varied sizes (2 B - 400 KB) are cut into
 * 1460-byte segments sent in slow-start flights (10, 20, 40, 44 segments, one RTT apart), the
 * receiver ACKs every second segment (the client also the last one), a server that takes over
 * 40 ms sends a delayed ACK first.  About 3 % of responses are "429 Too Many Requests" with
 * "Retry-After: 1", about 5 % chunked (chunks of 0.5-8 KB), a few 404 or 204.  About 0.3 % of messages have their
 * last segment retransmitted: a request segment lost past the capture point (resent after an
 * RTO, the server answers the copy), or a response whose ACK was lost (resent, dup-ACKed).
 * Sequence and acknowledgement numbers are exact (random ISNs, so some streams wrap).
 *
 * What was written goes to stderr as "key value" lines, for checking a parser against:
 *   packets, bytes (file size), connections, exchanges, requests_METHOD, code_NNN, chunked,
 *   retransmissions, payload_bytes, first_us, last_us.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define T0_US (1767225600LL * 1000000LL) /* 2026-01-01T00:00:00Z */
#define MSS 1460u
#define SEG_US 12        /* one full-size frame at 1 Gbit/s */
#define ACK_US 4         /* client's reaction time (capture point is near the clients) */
#define RAMP_US 10000000 /* connections open over the first 10 s */
#define NHOSTS 8
#define C2S 0
#define S2C 1
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_PSH 0x08
#define TH_ACK 0x10

/* ---- PRNG: splitmix64, one state per connection ---- */

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t urange(uint64_t *s, uint32_t lo, uint32_t hi) /* [lo, hi] */
{
	return lo + (uint32_t)(rnd(s) % ((uint64_t)hi - lo + 1));
}

static double unit(uint64_t *s) /* (0, 1] */
{
	return (double)((rnd(s) >> 11) + 1) / 9007199254740992.0;
}

static bool chance(uint64_t *s, unsigned per_100000)
{
	return rnd(s) % 100000u < per_100000;
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fprintf(stderr, "genpcap: out of memory\n");
		exit(1);
	}
	return q;
}

/* ---- body corpora ---- */

struct corpus {
	char *text;
	size_t len;
	size_t *obj;      /* start offsets of the units (JSON objects / JS lines) */
	size_t nobj;
};

static struct corpus json_corpus, js_corpus;
static uint8_t *bin_corpus;
#define BIN_CORPUS (1u << 20)

static void corpus_add(struct corpus *c, const char *s, size_t n)
{
	if (c->nobj % 1024 == 0)
		c->obj = xrealloc(c->obj, (c->nobj + 1024) * sizeof *c->obj);
	c->text = xrealloc(c->text, c->len + n + 1);
	c->obj[c->nobj++] = c->len;
	memcpy(c->text + c->len, s, n);
	c->len += n;
}

static void corpora_init(void)
{
	static const char *tags[] = { "new", "sale", "eco", "bestseller", "limited", "bundle",
				      "refurbished", "clearance" };
	static const char *names[] = { "Wireless Mouse", "USB-C Hub 7-in-1", "Mechanical Keyboard",
				       "27\\\" Monitor", "Noise Cancelling Headphones", "Webcam 1080p",
				       "Laptop Stand", "Desk Lamp LED", "Ergonomic Chair", "SSD 1TB NVMe" };
	uint64_t s = 0x6a09e667f3bcc908ULL;
	char b[512];
	/* ~2 MB of product objects, each followed by its separating comma */
	while (json_corpus.len < (2u << 20)) {
		unsigned id = urange(&s, 1000, 999999);
		int n = snprintf(b, sizeof b,
				 "{\"id\":%u,\"sku\":\"SKU-%06u\",\"name\":\"%s\",\"price\":%u.%02u,"
				 "\"currency\":\"EUR\",\"stock\":%u,\"tags\":[\"%s\",\"%s\"],"
				 "\"rating\":%u.%u,\"updated\":\"2025-12-%02uT%02u:%02u:%02uZ\"}",
				 id, id, names[rnd(&s) % 10], urange(&s, 1, 2999), urange(&s, 0, 99),
				 urange(&s, 0, 500), tags[rnd(&s) % 8], tags[rnd(&s) % 8],
				 urange(&s, 1, 4), urange(&s, 0, 9), urange(&s, 1, 31),
				 urange(&s, 0, 23), urange(&s, 0, 59), urange(&s, 0, 59));
		corpus_add(&json_corpus, b, (size_t)n);
	}
	/* ~1 MB of minified-JavaScript-like lines */
	while (js_corpus.len < (1u << 20)) {
		unsigned k = urange(&s, 1, 99999);
		int n = snprintf(b, sizeof b,
				 "function m%u(e,t){var n=e.length|0,r=t&&t.k%u||%u;for(var i=0;i<n;i++)"
				 "r=(r*31+e.charCodeAt(i))>>>0;return{key:\"c%u\",hash:r,ok:n>%u}}\n",
				 k, k % 97, k, k, k % 13);
		corpus_add(&js_corpus, b, (size_t)n);
	}
	bin_corpus = xrealloc(NULL, BIN_CORPUS);
	for (size_t i = 0; i < BIN_CORPUS; i += 8) {
		uint64_t v = rnd(&s);
		memcpy(bin_corpus + i, &v, 8);
	}
}

/* Exactly n bytes of valid JSON: an array of whole corpus objects padded by a last object
 * {"p":"..."} (n >= 12), or {} padded with spaces. */
static void json_fill(char *d, size_t n, uint64_t *s)
{
	if (n < 2) {
		memset(d, ' ', n);
		return;
	}
	if (n < 12) {
		d[0] = '{';
		memset(d + 1, ' ', n - 2);
		d[n - 1] = '}';
		return;
	}
	size_t pos = 0;
	d[pos++] = '[';
	size_t i = (size_t)(rnd(s) % json_corpus.nobj);
	for (;;) {
		size_t o = json_corpus.obj[i];
		size_t len = (i + 1 < json_corpus.nobj ? json_corpus.obj[i + 1] : json_corpus.len) - o;
		size_t comma = pos > 1;
		/* room left for this object, a comma, the pad object (>= 8) and ']' */
		if (pos + comma + len + 1 + 8 + 1 > n)
			break;
		if (comma)
			d[pos++] = ',';
		memcpy(d + pos, json_corpus.text + o, len);
		pos += len;
		i = i + 1 < json_corpus.nobj ? i + 1 : 0;
	}
	if (pos > 1)
		d[pos++] = ',';
	size_t r = n - pos - 1; /* pad object length, >= 8 */
	memcpy(d + pos, "{\"p\":\"", 6);
	for (size_t k = 0; k < r - 8; k++)
		d[pos + 6 + k] = (char)('a' + (k % 26));
	memcpy(d + pos + r - 2, "\"}", 2);
	d[n - 1] = ']';
}

static void js_fill(char *d, size_t n, uint64_t *s)
{
	size_t i = (size_t)(rnd(s) % js_corpus.nobj), pos = 0;
	while (pos < n) {
		size_t o = js_corpus.obj[i];
		size_t len = (i + 1 < js_corpus.nobj ? js_corpus.obj[i + 1] : js_corpus.len) - o;
		if (len > n - pos)
			len = n - pos;
		memcpy(d + pos, js_corpus.text + o, len);
		pos += len;
		i = i + 1 < js_corpus.nobj ? i + 1 : 0;
	}
}

static void bin_fill(char *d, size_t n, uint64_t *s)
{
	size_t pos = 0;
	while (pos < n) {
		size_t o = (size_t)(rnd(s) % (BIN_CORPUS / 2));
		size_t len = n - pos < BIN_CORPUS / 2 ? n - pos : BIN_CORPUS / 2;
		memcpy(d + pos, bin_corpus + o, len);
		pos += len;
	}
	if (n >= 4)
		memcpy(d, "wOF2", 4);
}

/* ---- endpoints ---- */

enum body_kind { B_NONE, B_JSON, B_FORM, B_JS, B_FONT, B_TEXT };

struct endpoint {
	const char *method;
	int server;              /* 0 api, 1 auth, 2 static */
	const char *path;        /* printf format with up to two %u (ids) */
	unsigned id_max;         /* ids drawn from 1..id_max */
	unsigned weight;
	enum body_kind req_kind;
	uint32_t req_min, req_max;
	enum body_kind resp_kind;
	uint32_t resp_min, resp_max;
	unsigned chunked_pct;    /* of 2xx responses with a body */
	uint32_t srv_min_us, srv_max_us;
	int ok_status;
};

static const struct endpoint endpoints[] = {
	{ "GET", 0, "/api/v1/users/%u", 200, 20, B_NONE, 0, 0, B_JSON, 300, 1500, 0, 2000, 25000, 200 },
	{ "GET", 0, "/api/v1/products?page=%u&size=50", 40, 14, B_NONE, 0, 0, B_JSON, 8000, 48000, 0,
	  8000, 90000, 200 },
	{ "GET", 0, "/api/v1/search?q=item%u", 5000, 12, B_NONE, 0, 0, B_JSON, 1000, 30000, 30,
	  15000, 160000, 200 },
	{ "POST", 0, "/api/v1/orders", 0, 10, B_JSON, 300, 3000, B_JSON, 200, 800, 0, 20000, 120000,
	  201 },
	{ "GET", 0, "/api/v1/orders/%u/status", 100, 9, B_NONE, 0, 0, B_JSON, 100, 400, 0, 1000, 8000,
	  200 },
	{ "POST", 1, "/oauth/token", 0, 5, B_FORM, 120, 300, B_JSON, 800, 1400, 0, 5000, 30000, 200 },
	{ "GET", 2, "/assets/app.%u.js", 4, 3, B_NONE, 0, 0, B_JS, 120000, 400000, 0, 300, 2000, 200 },
	{ "GET", 2, "/assets/fonts/inter-%u.woff2", 6, 4, B_NONE, 0, 0, B_FONT, 20000, 110000, 0, 300,
	  2000, 200 },
	{ "GET", 0, "/api/v1/notifications?since=%u", 100000, 10, B_NONE, 0, 0, B_JSON, 50, 600, 0,
	  1000, 6000, 200 },
	{ "PUT", 0, "/api/v1/cart/%u", 50, 5, B_JSON, 200, 1200, B_JSON, 300, 1000, 0, 4000, 20000,
	  200 },
	{ "POST", 0, "/api/v1/uploads", 0, 1, B_JSON, 30000, 250000, B_JSON, 150, 300, 0, 40000,
	  250000, 201 },
	{ "GET", 0, "/api/v1/reports/export?month=%u", 12, 2, B_NONE, 0, 0, B_JSON, 40000, 300000, 100,
	  50000, 400000, 200 },
	{ "DELETE", 0, "/api/v1/cart/%u/items/%u", 50, 2, B_NONE, 0, 0, B_NONE, 0, 0, 0, 2000, 10000,
	  204 },
	{ "GET", 0, "/health", 0, 3, B_NONE, 0, 0, B_TEXT, 2, 2, 0, 100, 500, 200 },
};
#define NENDPOINTS (sizeof endpoints / sizeof endpoints[0])

static const char *server_name[3] = { "api.example.com", "auth.example.com", "static.example.com" };

/* ---- connections ---- */

struct pk {
	int64_t t;            /* capture time, us */
	uint32_t seq, ack;
	uint32_t off, len;    /* payload in the connection's buffer */
	uint8_t dir, flags;
};

enum { ST_NEW, ST_OPEN, ST_CLOSED };

struct conn {
	int state;
	uint64_t rng;
	int host, server;
	uint16_t cport;
	uint32_t isn[2], nxt[2], acked[2]; /* acked[d]: highest ack sent for direction d's data */
	uint16_t ipid[2];
	int64_t rtt, t;       /* t: time of the last planned packet (then: of the next step) */
	unsigned left;        /* exchanges before this connection closes */
	char *buf;
	size_t blen, bcap;
	struct pk *pk;
	size_t npk, cpk, pos;
};

static struct {
	uint64_t packets, bytes, connections, exchanges, chunked, retransmissions, payload;
	uint64_t codes[600];
	uint64_t methods[4];
	int64_t first_us, last_us;
} cnt;

static const char *method_names[4] = { "GET", "POST", "PUT", "DELETE" };
static uint64_t target_bytes;
/* --profile: mixed (default), keepalive (small single-segment exchanges on long keep-alive
 * connections, like a JMeter API test), short (one small exchange per connection) */
enum { P_MIXED, P_KEEPALIVE, P_SHORT };
static int profile = P_MIXED;

static bool endpoint_ok(const struct endpoint *e)
{
	return profile == P_MIXED ||
	       (e->req_max <= 1200 && e->resp_max <= 1500 && e->chunked_pct == 0);
}
static uint64_t next_serial;
static uint16_t host_port[NHOSTS];

static void add_pk(struct conn *c, int64_t t, int dir, uint8_t flags, size_t off, size_t len)
{
	if (c->npk == c->cpk) {
		c->cpk = c->cpk ? c->cpk * 2 : 64;
		c->pk = xrealloc(c->pk, c->cpk * sizeof *c->pk);
	}
	struct pk *p = &c->pk[c->npk++];
	p->t = t;
	p->dir = (uint8_t)dir;
	p->flags = flags;
	p->seq = c->nxt[dir];
	p->ack = (flags & TH_ACK) ? c->nxt[!dir] : 0;
	p->off = (uint32_t)off;
	p->len = (uint32_t)len;
	if (t > c->t)
		c->t = t;
}

/* A pure ACK from dir acknowledging everything the other side sent so far. */
static void add_ack(struct conn *c, int64_t t, int dir)
{
	add_pk(c, t, dir, TH_ACK, 0, 0);
	c->acked[!dir] = c->nxt[!dir];
}

static char *buf_reserve(struct conn *c, size_t n)
{
	if (c->blen + n > c->bcap) {
		c->bcap = (c->blen + n) * 2;
		c->buf = xrealloc(c->buf, c->bcap);
	}
	return c->buf + c->blen;
}

static void buf_printf(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	char tmp[1024];
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp) {
		fprintf(stderr, "genpcap: header too long\n");
		exit(1);
	}
	memcpy(buf_reserve(c, (size_t)n), tmp, (size_t)n);
	c->blen += (size_t)n;
}

static void body_fill(char *d, size_t n, enum body_kind k, uint64_t *s)
{
	switch (k) {
	case B_JSON:
		json_fill(d, n, s);
		break;
	case B_JS:
		js_fill(d, n, s);
		break;
	case B_FONT:
		bin_fill(d, n, s);
		break;
	case B_TEXT:
		memcpy(d, "OK", n < 2 ? n : 2);
		memset(d + (n < 2 ? n : 2), '\n', n < 2 ? 0 : n - 2);
		break;
	case B_FORM:
	case B_NONE:
		break;
	}
}

static int64_t rto(struct conn *c)
{
	return 200000 + c->rtt + (int64_t)(rnd(&c->rng) % 20000);
}

/* Send len bytes at buf[off] from dir starting at time t (capture time of the first segment),
 * in slow-start flights.  Client data is captured when sent (server ACKs arrive one RTT
 * later); server data when it arrives (client ACKs at once, the next flight comes one RTT
 * after the ACK).  rtx: retransmit the last segment.  Returns the time of the last data
 * segment (the retransmission if any); *t_done is the last packet's time. */
static int64_t send_msg(struct conn *c, int dir, int64_t t, size_t off, size_t len, bool rtx,
			int64_t *t_done)
{
	size_t sent = 0;
	unsigned cwnd = 10;
	int64_t last_seg = t;
	while (sent < len) {
		int64_t ts = t, last_ack = t;
		for (unsigned k = 0; k < cwnd && sent < len; k++) {
			size_t n = len - sent < MSS ? len - sent : MSS;
			bool final = sent + n == len;
			uint8_t fl = (uint8_t)(TH_ACK | (final ? TH_PSH : 0));
			int64_t seg_t = ts;
			add_pk(c, ts, dir, fl, off + sent, n);
			c->nxt[dir] += (uint32_t)n;
			if (final && rtx) {
				uint32_t nxt = c->nxt[dir];
				if (dir == S2C)
					add_ack(c, ts + ACK_US, C2S); /* this ACK is lost on the way */
				seg_t = ts + rto(c);
				c->nxt[dir] -= (uint32_t)n;
				add_pk(c, seg_t, dir, fl, off + sent, n);
				c->nxt[dir] = nxt;
				cnt.retransmissions++;
			}
			sent += n;
			last_seg = seg_t;
			if (dir == S2C ? (k % 2 == 1 || final) : k % 2 == 1) {
				last_ack = seg_t + (dir == S2C ? ACK_US : c->rtt);
				add_ack(c, last_ack, !dir);
			}
			ts += SEG_US;
		}
		if (cwnd < 44)
			cwnd = cwnd * 2 < 44 ? cwnd * 2 : 44;
		t = (last_ack > ts ? last_ack : ts) + (dir == S2C ? c->rtt : 10);
	}
	*t_done = c->t;
	return last_seg;
}

static void put_date(char *d, size_t n, int64_t us)
{
	time_t sec = (time_t)(us / 1000000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	strftime(d, n, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* One request/response exchange whose request starts at t. */
static void plan_exchange(struct conn *c, int64_t t)
{
	uint64_t *s = &c->rng;
	unsigned total = 0;
	for (size_t i = 0; i < NENDPOINTS; i++)
		if (endpoints[i].server == c->server && endpoint_ok(&endpoints[i]))
			total += endpoints[i].weight;
	unsigned w = (unsigned)(rnd(s) % total);
	const struct endpoint *e = NULL;
	for (size_t i = 0; i < NENDPOINTS; i++) {
		if (endpoints[i].server != c->server || !endpoint_ok(&endpoints[i]))
			continue;
		if (w < endpoints[i].weight) {
			e = &endpoints[i];
			break;
		}
		w -= endpoints[i].weight;
	}
	c->blen = 0;

	/* request */
	char path[256];
	unsigned id1 = e->id_max ? urange(s, 1, e->id_max) : 0, id2 = urange(s, 1, 40);
	snprintf(path, sizeof path, e->path, id1, id2);
	size_t qbody = e->req_kind == B_NONE ? 0 : urange(s, e->req_min, e->req_max);
	char form[320];
	if (e->req_kind == B_FORM) {
		int n = snprintf(form, sizeof form,
				 "grant_type=client_credentials&client_id=jmeter-load-%d&scope=orders%%3Aread"
				 "+orders%%3Awrite&client_secret=%016" PRIx64, c->host, rnd(s));
		qbody = (size_t)n;
	}
	buf_printf(c, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Apache-HttpClient/4.5.14 (Java/17.0.9)"
		   "\r\nAccept: %s\r\nConnection: keep-alive\r\n", e->method, path,
		   server_name[c->server], e->server == 2 ? "*/*" : "application/json");
	if (e->server == 0)
		buf_printf(c, "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.%016" PRIx64 "\r\n"
			   "X-Request-ID: %016" PRIx64 "\r\n", rnd(s), rnd(s));
	if (qbody)
		buf_printf(c, "Content-Type: %s\r\nContent-Length: %zu\r\n",
			   e->req_kind == B_FORM ? "application/x-www-form-urlencoded"
						 : "application/json; charset=UTF-8", qbody);
	buf_printf(c, "\r\n");
	if (qbody) {
		char *d = buf_reserve(c, qbody);
		if (e->req_kind == B_FORM)
			memcpy(d, form, qbody);
		else
			body_fill(d, qbody, e->req_kind, s);
		c->blen += qbody;
	}
	size_t qlen = c->blen;
	for (int m = 0; m < 4; m++)
		if (!strcmp(e->method, method_names[m]))
			cnt.methods[m]++;

	/* response */
	int status = e->ok_status;
	const char *reason = status == 201 ? "Created" : status == 204 ? "No Content" : "OK";
	enum body_kind bk = e->resp_kind;
	size_t rbody = bk == B_NONE ? 0 : urange(s, e->resp_min, e->resp_max);
	bool throttled = chance(s, 3000);
	int64_t srv = (int64_t)urange(s, e->srv_min_us, e->srv_max_us);
	if (throttled) {
		status = 429;
		reason = "Too Many Requests";
		bk = B_JSON;
		srv = (int64_t)urange(s, 150, 1500);
	} else if (e->id_max == 200 && chance(s, 1500)) {
		status = 404;
		reason = "Not Found";
		bk = B_JSON;
	}
	char date[64];
	put_date(date, sizeof date, t + c->rtt + srv);
	bool chunked = false;
	const char *ctype = bk == B_JS ? "application/javascript" : bk == B_FONT ? "font/woff2" :
			    bk == B_TEXT ? "text/plain" : "application/json";
	buf_printf(c, "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: nginx/1.24.0\r\n", status, reason, date);
	if (status == 429) {
		static const char msg[] = "{\"error\":\"rate_limited\",\"message\":\"Too many requests, "
					  "retry after 1 second\"}";
		buf_printf(c, "Content-Type: application/json\r\nContent-Length: %zu\r\nRetry-After: 1\r\n"
			   "X-RateLimit-Limit: 600\r\nX-RateLimit-Remaining: 0\r\nConnection: keep-alive"
			   "\r\n\r\n%s", sizeof msg - 1, msg);
	} else if (status == 404) {
		static const char msg[] = "{\"error\":\"not_found\",\"message\":\"No such user\"}";
		buf_printf(c, "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: "
			   "keep-alive\r\n\r\n%s", sizeof msg - 1, msg);
	} else if (status == 204) {
		buf_printf(c, "Connection: keep-alive\r\n\r\n");
	} else {
		chunked = e->chunked_pct && rnd(s) % 100 < e->chunked_pct;
		buf_printf(c, "Content-Type: %s\r\n", ctype);
		if (e->server == 0)
			buf_printf(c, "X-RateLimit-Limit: 600\r\nX-RateLimit-Remaining: %u\r\n",
				   urange(s, 1, 599));
		if (e->server == 2)
			buf_printf(c, "Cache-Control: public, max-age=31536000, immutable\r\n"
				   "ETag: \"%08" PRIx64 "\"\r\n", rnd(s) & 0xffffffffu);
		if (chunked)
			buf_printf(c, "Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n");
		else
			buf_printf(c, "Content-Length: %zu\r\nConnection: keep-alive\r\n\r\n", rbody);
		if (!chunked) {
			body_fill(buf_reserve(c, rbody), rbody, bk, s);
			c->blen += rbody;
		} else {
			/* body generated in place, then framed chunk by chunk behind it */
			static char *tmp;
			static size_t tcap;
			if (rbody > tcap) {
				tcap = rbody * 2;
				tmp = xrealloc(tmp, tcap);
			}
			body_fill(tmp, rbody, bk, s);
			size_t pos = 0;
			while (pos < rbody) {
				size_t n = urange(s, 512, 8192);
				if (n > rbody - pos)
					n = rbody - pos;
				buf_printf(c, "%zx\r\n", n);
				memcpy(buf_reserve(c, n + 2), tmp + pos, n);
				memcpy(c->buf + c->blen + n, "\r\n", 2);
				c->blen += n + 2;
				pos += n;
			}
			buf_printf(c, "0\r\n\r\n");
			cnt.chunked++;
		}
	}
	size_t rlen = c->blen - qlen;
	cnt.codes[status]++;
	cnt.exchanges++;
	cnt.payload += qlen + rlen;

	/* packets */
	c->npk = c->pos = 0;
	int64_t done;
	int64_t tq = send_msg(c, C2S, t, 0, qlen, chance(s, 300), &done);
	if (srv > 40000 && c->acked[C2S] != c->nxt[C2S])
		add_ack(c, tq + c->rtt + 40000, S2C);
	send_msg(c, S2C, tq + c->rtt + srv, qlen, rlen, chance(s, 300), &done);
	/* stable insertion sort by time: flights of one side interleave with the other's ACKs */
	for (size_t i = 1; i < c->npk; i++) {
		struct pk p = c->pk[i];
		size_t j = i;
		while (j > 0 && c->pk[j - 1].t > p.t) {
			c->pk[j] = c->pk[j - 1];
			j--;
		}
		c->pk[j] = p;
	}
	/* think time: ~1 s exponential, at least Retry-After after a 429 */
	int64_t think = (int64_t)(-log(unit(s)) * 1000000.0);
	if (think < 20000)
		think = 20000;
	if (think > 8000000)
		think = 8000000;
	if (status == 429)
		think += 1000000;
	if (profile == P_SHORT)
		think = (int64_t)urange(s, 200, 5000); /* then the close */
	c->t = done + think;
}

static void conn_new(struct conn *c, int64_t t)
{
	uint64_t serial = ++next_serial;
	c->rng = 0x243f6a8885a308d3ULL ^ (serial * 0x9e3779b97f4a7c15ULL);
	rnd(&c->rng);
	c->state = ST_NEW;
	c->host = (int)(serial % NHOSTS);
	uint64_t *s = &c->rng;
	unsigned w = (unsigned)(rnd(s) % 100);
	c->server = w < 80 ? 0 : w < 88 ? 1 : 2;
	if (profile != P_MIXED)
		c->server = w < 90 ? 0 : 1;   /* the static server has only large bodies */
	c->cport = host_port[c->host];
	host_port[c->host] = (uint16_t)(host_port[c->host] >= 60999 ? 32768 : host_port[c->host] + 1);
	c->isn[C2S] = (uint32_t)rnd(s);
	c->isn[S2C] = (uint32_t)rnd(s);
	c->ipid[C2S] = (uint16_t)rnd(s);
	c->ipid[S2C] = (uint16_t)rnd(s);
	/* load generators sit 1-30 ms from the servers */
	c->rtt = 1000 + (int64_t)(c->host * 3800) + (int64_t)(rnd(s) % 400);
	c->left = profile == P_SHORT ? 1 : profile == P_KEEPALIVE ? urange(s, 50, 400)
								   : urange(s, 2, 40);
	c->t = t;
}

/* Plan the connection's next packets; false when it has none left. */
static bool plan(struct conn *c)
{
	uint64_t *s = &c->rng;
	bool stopping = cnt.bytes >= target_bytes;
	c->npk = c->pos = 0;
	if (c->state == ST_CLOSED) {
		if (stopping)
			return false;
		conn_new(c, c->t + (int64_t)urange(s, 1000, 50000));
	}
	if (c->state == ST_NEW) {
		if (stopping)
			return false;
		int64_t t = c->t;
		c->nxt[C2S] = c->isn[C2S];
		c->nxt[S2C] = c->isn[S2C];
		add_pk(c, t, C2S, TH_SYN, 0, 0);
		cnt.connections++;
		c->nxt[C2S]++;
		add_pk(c, t + c->rtt, S2C, TH_SYN | TH_ACK, 0, 0);
		c->nxt[S2C]++;
		add_ack(c, t + c->rtt + ACK_US, C2S);
		c->state = ST_OPEN;
		c->t += (int64_t)urange(s, 50, 400); /* the first request follows at once */
		return true;
	}
	if (stopping || c->left == 0) {
		int64_t t = c->t;
		add_pk(c, t, C2S, TH_FIN | TH_ACK, 0, 0);
		c->nxt[C2S]++;
		add_pk(c, t + c->rtt, S2C, TH_FIN | TH_ACK, 0, 0);
		c->nxt[S2C]++;
		add_ack(c, t + c->rtt + ACK_US, C2S);
		c->state = ST_CLOSED;
		return true;
	}
	plan_exchange(c, c->t);
	c->left--;
	return true;
}

/* ---- output ---- */

static uint8_t obuf[1 << 20];
static size_t olen;

static void flush_out(void)
{
	if (olen && fwrite(obuf, 1, olen, stdout) != olen) {
		perror("genpcap: write");
		exit(1);
	}
	olen = 0;
}

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void be16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	uint64_t s = sum;
	size_t i = 0;
	for (; i + 4 <= n; i += 4)
		s += (uint32_t)p[i] << 8 | p[i + 1] | ((uint32_t)p[i + 2] << 8 | p[i + 3]);
	for (; i + 2 <= n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < n)
		s += (uint32_t)p[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void write_pkt(struct conn *c, const struct pk *p)
{
	if (p->t < cnt.last_us) {
		fprintf(stderr, "genpcap: internal error: time goes back at packet %" PRIu64 "\n",
			cnt.packets + 1);
		exit(1);
	}
	size_t optlen = (p->flags & TH_SYN) ? 12 : 0;
	size_t tcplen = 20 + optlen + p->len;
	size_t flen = 14 + 20 + tcplen;
	if (olen + 16 + flen > sizeof obuf)
		flush_out();
	uint8_t *r = obuf + olen;
	le32(r, (uint32_t)(p->t / 1000000));
	le32(r + 4, (uint32_t)(p->t % 1000000));
	le32(r + 8, (uint32_t)flen);
	le32(r + 12, (uint32_t)flen);
	uint8_t *f = r + 16;
	static const uint8_t gw[6] = { 0x00, 0x1c, 0x73, 0x10, 0x00, 0x01 };
	uint8_t hm[6] = { 0x3c, 0xec, 0xef, 0x4a, 0x00, (uint8_t)(0x11 + c->host) };
	memcpy(f, p->dir == C2S ? gw : hm, 6);
	memcpy(f + 6, p->dir == C2S ? hm : gw, 6);
	be16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	uint8_t cip[4] = { 10, 20, 0, (uint8_t)(11 + c->host) };
	uint8_t sip[4] = { 198, 51, 100, (uint8_t)(10 + c->server) };
	ip[0] = 0x45;
	ip[1] = 0;
	be16(ip + 2, (unsigned)(20 + tcplen));
	be16(ip + 4, c->ipid[p->dir]++);
	be16(ip + 6, 0x4000); /* DF */
	ip[8] = p->dir == C2S ? 64 : 57;
	ip[9] = 6;
	ip[10] = ip[11] = 0;
	memcpy(ip + 12, p->dir == C2S ? cip : sip, 4);
	memcpy(ip + 16, p->dir == C2S ? sip : cip, 4);
	be16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	uint8_t *th = ip + 20;
	be16(th, p->dir == C2S ? c->cport : 80);
	be16(th + 2, p->dir == C2S ? 80 : c->cport);
	be32(th + 4, p->seq);
	be32(th + 8, p->ack);
	th[12] = (uint8_t)(((20 + optlen) / 4) << 4);
	th[13] = p->flags;
	if (p->flags & TH_SYN)
		be16(th + 14, p->dir == C2S ? 64240 : 65160);
	else
		be16(th + 14, p->dir == C2S ? 502 : 509); /* scaled by 128 */
	th[16] = th[17] = th[18] = th[19] = 0;
	if (optlen) {
		static const uint8_t opts[12] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7, 1, 1, 4, 2 };
		memcpy(th + 20, opts, 12);
	}
	if (p->len)
		memcpy(th + 20 + optlen, c->buf + p->off, p->len);
	uint8_t pseudo[12];
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 6;
	be16(pseudo + 10, (unsigned)tcplen);
	be16(th + 16, csum_fold(csum_add(csum_add(0, pseudo, 12), th, tcplen)));
	olen += 16 + flen;
	cnt.packets++;
	cnt.bytes += 16 + flen;
	if (!cnt.first_us)
		cnt.first_us = p->t;
	cnt.last_us = p->t;
}

/* ---- scheduler: min-heap of connections keyed by their next packet's time ---- */

static struct conn *conns;
static size_t *heap, nheap;

/* The next packet's time, or when nothing is planned, the time to plan the next step. */
static int64_t key(const struct conn *c)
{
	return c->pos < c->npk ? c->pk[c->pos].t : c->t;
}

static bool before(size_t a, size_t b)
{
	int64_t tx = key(&conns[a]), ty = key(&conns[b]);
	return tx < ty || (tx == ty && a < b);
}

static void sift_down(size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < nheap && before(heap[l], heap[m]))
			m = l;
		if (l + 1 < nheap && before(heap[l + 1], heap[m]))
			m = l + 1;
		if (m == i)
			return;
		size_t tmp = heap[i];
		heap[i] = heap[m];
		heap[m] = tmp;
		i = m;
	}
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "--profile")) {
		if (!strcmp(argv[2], "mixed"))
			profile = P_MIXED;
		else if (!strcmp(argv[2], "keepalive"))
			profile = P_KEEPALIVE;
		else if (!strcmp(argv[2], "short"))
			profile = P_SHORT;
		else
			argc = 0;
		argc -= 2;
		argv += 2;
	}
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: genpcap [--profile mixed|keepalive|short] MEGABYTES "
			"[CONNECTIONS] >FILE.pcap\n");
		return 2;
	}
	double mb = atof(argv[1]);
	long nconn = argc > 2 ? atol(argv[2]) : 2000;
	if (!(mb > 0) || nconn <= 0 || nconn > 60000) {
		fprintf(stderr, "genpcap: MEGABYTES > 0, 1 <= CONNECTIONS <= 60000\n");
		return 2;
	}
	if (isatty(STDOUT_FILENO)) {
		fprintf(stderr, "genpcap: refusing to write a capture to a terminal\n");
		return 2;
	}
	target_bytes = (uint64_t)(mb * 1e6);
	corpora_init();
	for (int h = 0; h < NHOSTS; h++)
		host_port[h] = (uint16_t)(32768 + 997 * h);

	/* global header: magic, v2.4, thiszone, sigfigs, snaplen, LINKTYPE_ETHERNET */
	uint8_t gh[24];
	le32(gh, 0xa1b2c3d4u);
	gh[4] = 2, gh[5] = 0, gh[6] = 4, gh[7] = 0;
	le32(gh + 8, 0);
	le32(gh + 12, 0);
	le32(gh + 16, 262144);
	le32(gh + 20, 1);
	memcpy(obuf, gh, 24);
	olen = 24;
	cnt.bytes = 24;

	size_t n = (size_t)nconn;
	conns = calloc(n, sizeof *conns);
	heap = calloc(n, sizeof *heap);
	if (!conns || !heap) {
		fprintf(stderr, "genpcap: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		struct conn *c = &conns[i];
		conn_new(c, T0_US + (int64_t)(i * RAMP_US / n));
		c->t += (int64_t)(rnd(&c->rng) % (RAMP_US / n + 1));
		heap[nheap++] = i;
	}
	for (size_t i = nheap / 2; i-- > 0;)
		sift_down(i);

	/* Steps are planned lazily, when their time comes, so that the budget check sees every
	 * byte written before it and the capture ends close to MEGABYTES. */
	while (nheap) {
		size_t i = heap[0];
		struct conn *c = &conns[i];
		if (c->pos < c->npk) {
			write_pkt(c, &c->pk[c->pos]);
			if (++c->pos == c->npk && c->bcap > (64u << 10)) {
				free(c->buf); /* drop big buffers between exchanges */
				c->buf = NULL;
				c->bcap = 0;
			}
		} else if (!plan(c)) {
			heap[0] = heap[--nheap];
			free(c->buf);
			free(c->pk);
			c->buf = NULL;
			c->pk = NULL;
			if (!nheap)
				break;
		}
		sift_down(0);
	}
	flush_out();
	if (fflush(stdout) != 0) {
		perror("genpcap: write");
		return 1;
	}

	fprintf(stderr, "packets %" PRIu64 "\nbytes %" PRIu64 "\nconnections %" PRIu64
		"\nexchanges %" PRIu64 "\n", cnt.packets, cnt.bytes, cnt.connections, cnt.exchanges);
	for (int m = 0; m < 4; m++)
		fprintf(stderr, "requests_%s %" PRIu64 "\n", method_names[m], cnt.methods[m]);
	for (int k = 0; k < 600; k++)
		if (cnt.codes[k])
			fprintf(stderr, "code_%d %" PRIu64 "\n", k, cnt.codes[k]);
	fprintf(stderr, "chunked %" PRIu64 "\nretransmissions %" PRIu64 "\npayload_bytes %" PRIu64
		"\nfirst_us %" PRId64 "\nlast_us %" PRId64 "\n", cnt.chunked, cnt.retransmissions,
		cnt.payload, cnt.first_us, cnt.last_us);
	free(conns);
	free(heap);
	return 0;
}
