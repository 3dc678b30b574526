/* genarchive.c - write one synthetic JMeter run (for tests/archive and bench/bench_batch.sh).
 *
 *   genarchive [--xml] [--gzip] [--seconds S] [--threads T] [--limit R] [--t0 MS] SEED > run.jtl
 *
 * Deterministic for a given SEED.  T threads ramp up over the first 30 % of S seconds; each sends
 * one request a second (+0..200 ms jitter), alternating "Login", "Send message", "Inbox", to two
 * hosts: api.ap-southeast-1.test (even threads) and api.us-east-1.test (odd threads).  With
 * --limit R, requests to ap-southeast-1 pass a shared token bucket of R tokens/s (burst R/2);
 * rejected ones are 429 "Too Many Requests" (XML: with Retry-After: 60) answered in 1-3 ms.
 * Latency of accepted requests grows with the offered load.  CSV has JMeter 5's default columns;
 * --xml writes <httpSample> elements with response headers.  --gzip compresses (zlib).
 * Without --t0 the run starts at 1700000000000 + SEED hours. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "tests/testlib.h"

struct ev {
	int64_t ts;
	int thread;
	int seq;
};

static uint64_t st;
static uint64_t rnd(void)
{
	return testlib_xorshift64(&st);
}

static int cmp_ev(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->thread - y->thread;
}

static gzFile gz;
static FILE *out;
static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emit(const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof buf)
		n = (int)sizeof buf - 1;
	if (gz)
		gzwrite(gz, buf, (unsigned)n);
	else
		fwrite(buf, 1, (size_t)n, out);
}

int main(int argc, char **argv)
{
	int xml = 0, gzip = 0, seconds = 60, threads = 20;
	double limit = 0;
	long long t0 = -1;
	long long seed = -1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--xml") == 0) xml = 1;
		else if (strcmp(argv[i], "--gzip") == 0) gzip = 1;
		else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) seconds = atoi(argv[++i]);
		else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = atoi(argv[++i]);
		else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) limit = atof(argv[++i]);
		else if (strcmp(argv[i], "--t0") == 0 && i + 1 < argc) t0 = atoll(argv[++i]);
		else if (argv[i][0] != '-' && seed < 0) seed = atoll(argv[i]);
		else {
			fprintf(stderr, "usage: genarchive [--xml] [--gzip] [--seconds S] [--threads T] "
					"[--limit R] [--t0 MS] SEED\n");
			return 2;
		}
	}
	if (seed < 0 || seconds <= 0 || threads <= 0 || threads > 100000)
		return 2;
	st = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)seed * 0x100000001b3ULL);
	for (int i = 0; i < 8; i++)
		rnd();
	if (t0 < 0)
		t0 = 1700000000000LL + seed * 3600000LL;
	out = stdout;
	if (gzip) {
		gz = gzdopen(1, "wb6");
		if (!gz)
			return 1;
	}

	/* schedule */
	size_t cap = (size_t)threads * (size_t)(seconds + 1), n = 0;
	struct ev *e = calloc(cap, sizeof *e);
	if (!e)
		return 1;
	double ramp = 0.3 * seconds * 1000.0;
	for (int t = 0; t < threads; t++) {
		int64_t start = (int64_t)(ramp * t / threads);
		for (int k = 0;; k++) {
			int64_t ts = start + k * 1000 + (int64_t)(rnd() % 200);
			if (ts >= (int64_t)seconds * 1000 || n >= cap)
				break;
			e[n++] = (struct ev){ ts, t, k };
		}
	}
	qsort(e, n, sizeof *e, cmp_ev);

	static const char *labels[] = { "Login", "Send message", "Inbox" };
	static const char *hosts[] = { "api.ap-southeast-1.test", "api.us-east-1.test" };
	if (xml)
		emit("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testResults version=\"1.2\">\n");
	else
		emit("timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,"
		     "failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n");
	double tokens = limit > 0 ? limit / 2 : 0, burst = limit / 2;
	int64_t last = 0;
	for (size_t i = 0; i < n; i++) {
		int th = e[i].thread, region = th % 2;
		int64_t ts = e[i].ts;
		if (limit > 0 && region == 0) {
			tokens += (double)(ts - last) * limit / 1000.0;
			if (tokens > burst)
				tokens = burst;
		}
		if (region == 0)
			last = ts;
		int throttled = 0;
		if (limit > 0 && region == 0) {
			if (tokens >= 1)
				tokens -= 1;
			else
				throttled = 1;
		}
		int active = 0;
		for (int t = 0; t < threads; t++)
			if ((int64_t)(ramp * t / threads) <= ts)
				active++;
		const char *label = labels[e[i].seq % 3];
		uint64_t r = rnd();
		int elapsed = throttled ? 1 + (int)(r % 3)
					: 8 + active / 2 + (int)(r % 40) + (r % 50 == 0 ? (int)(r >> 40) % 400 : 0);
		int bytes = throttled ? 120 : 300 + (int)((r >> 8) % 2000);
		int errored = !throttled && (r >> 20) % 200 == 0; /* 0.5 % server errors */
		const char *code = throttled ? "429" : errored ? "500" : "200";
		const char *msg = throttled ? "Too Many Requests" : errored ? "Internal Server Error" : "OK";
		const char *ok = throttled || errored ? "false" : "true";
		int ng = active, na = active;
		int64_t abs_ts = t0 + ts;
		if (xml) {
			emit("<httpSample t=\"%d\" it=\"0\" lt=\"%d\" ct=\"%d\" ts=\"%" PRId64 "\" s=\"%s\" "
			     "lb=\"%s\" rc=\"%s\" rm=\"%s\" tn=\"Users 1-%d\" dt=\"text\" by=\"%d\" sby=\"180\" "
			     "ng=\"%d\" na=\"%d\" hn=\"loadgen-1\">\n",
			     elapsed, elapsed * 3 / 4, e[i].seq == 0 ? 5 : 0, abs_ts, ok, label, code, msg, th + 1,
			     bytes, ng, na);
			emit("  <responseHeader class=\"java.lang.String\">HTTP/1.1 %s %s\nContent-Type: "
			     "application/json\n%s</responseHeader>\n", code, msg,
			     throttled ? "Retry-After: 60\n" : "");
			emit("  <java.net.URL>https://%s/v1/%s</java.net.URL>\n</httpSample>\n", hosts[region],
			     e[i].seq % 3 == 1 ? "messages" : "inbox");
		} else {
			emit("%" PRId64 ",%d,%s,%s,%s,Users 1-%d,text,%s,%s,%d,180,%d,%d,https://%s/v1/%s,%d,0,%d\n",
			     abs_ts, elapsed, label, code, msg, th + 1, ok,
			     throttled ? "\"rate limited, retry after 60\"" : "", bytes, ng, na, hosts[region],
			     e[i].seq % 3 == 1 ? "messages" : "inbox", elapsed * 3 / 4, e[i].seq == 0 ? 5 : 0);
		}
	}
	if (xml)
		emit("</testResults>\n");
	free(e);
	if (gz)
		return gzclose(gz) == Z_OK ? 0 : 1;
	return fflush(stdout) == 0 ? 0 : 1;
}
