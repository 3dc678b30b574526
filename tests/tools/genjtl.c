/* genjtl.c - write a synthetic JMeter-5.x-shaped CSV JTL to stdout (for make bench).
 *
 *   genjtl [--xml] ROWS [THREADS]
 *
 * Deterministic (fixed PRNG seed): 20 labels, THREADS threads (default 200) ramping up over the
 * first tenth of the run, ~25 % quoted messages, 2 % 429 with a failure message, latencies
 * log-normal-ish.  One row per sample, timestamps in start order with a little jitter.  --xml
 * writes the same samples as XML <httpSample> elements with their request and response headers
 * (429s with Retry-After), as JMeter saves them with the header options on. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testlib.h"

static uint64_t s = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	return testlib_xorshift64(&s);
}

int main(int argc, char **argv)
{
	int xml = argc > 1 && strcmp(argv[1], "--xml") == 0;
	if (xml) {
		argv++;
		argc--;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: genjtl [--xml] ROWS [THREADS]\n");
		return 2;
	}
	long long rows = atoll(argv[1]);
	int threads = argc > 2 ? atoi(argv[2]) : 200;
	if (rows <= 0 || threads <= 0)
		return 2;
	static const char *labels[] = {
		"Login", "Home page", "Search products", "Add to cart", "Checkout", "Payment",
		"GET /api/v1/messages", "POST /api/v1/messages", "List conversations", "Get profile",
		"Update profile", "Logout", "Static /css/main.css", "Static /js/app.js",
		"Notifications poll", "WebSocket handshake", "Send message", "Read receipts",
		"Upload avatar", "Analytics beacon",
	};
	static char buf[1 << 16];
	setvbuf(stdout, buf, _IOFBF, sizeof buf);
	if (xml)
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testResults version=\"1.2\">\n", stdout);
	else
		fputs("timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,"
	      "failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n", stdout);
	int64_t t0 = 1700000000000LL;
	/* about 2000 samples per second overall */
	for (long long i = 0; i < rows; i++) {
		int64_t ts = t0 + i / 2 + (int64_t)(rnd() % 40);
		long long ramp = rows / 10 ? rows / 10 : 1;
		int active = i < ramp ? 1 + (int)((long long)threads * i / ramp) : threads;
		int th = (int)(rnd() % (uint64_t)active) + 1;
		int li = (int)(rnd() % 20);
		uint64_t r = rnd();
		int elapsed = (int)(5 + (r % 200) * ((r >> 20) % 8 + 1) / 4);
		int throttled = (r >> 40) % 100 < 2;
		int latency = elapsed * 3 / 4;
		int connect = (r >> 33) % 10 == 0 ? (int)((r >> 44) % 30) : 0;
		if (xml) {
			int el = throttled ? 2 : elapsed;
			printf("<httpSample t=\"%d\" it=\"0\" lt=\"%d\" ct=\"%d\" ts=\"%" PRId64 "\" s=\"%s\" "
			       "lb=\"%s\" rc=\"%s\" rm=\"%s\" tn=\"Thread Group 1-%d\" dt=\"text\" by=\"%d\" "
			       "sby=\"%d\" ng=\"%d\" na=\"%d\">\n",
			       el, throttled ? 1 : latency, connect, ts, throttled ? "false" : "true", labels[li],
			       throttled ? "429" : "200",
			       throttled ? "Too Many Requests" : ((r >> 50) % 4 == 0 ? "OK, cached" : "OK"),
			       th, (int)(200 + (r >> 24) % 5000), (int)(100 + (r >> 30) % 400), active, active);
			printf("  <responseHeader class=\"java.lang.String\">HTTP/1.1 %s\nDate: Tue, 14 Nov 2023 "
			       "22:13:20 GMT\nContent-Type: application/json\n%s</responseHeader>\n",
			       throttled ? "429 Too Many Requests" : "200 OK",
			       throttled ? "Retry-After: 60\nX-RateLimit-Remaining: 0\n" : "");
			printf("  <requestHeader class=\"java.lang.String\">Host: api.example.com\nAccept: "
			       "application/json</requestHeader>\n");
			printf("  <java.net.URL>https://api.example.com/v1/%s/%d</java.net.URL>\n</httpSample>\n",
			       li % 2 ? "messages" : "users", (int)((r >> 8) % 1000));
			continue;
		}
		printf("%" PRId64 ",%d,%s,%s,%s,Thread Group 1-%d,text,%s,%s,%d,%d,%d,%d,"
		       "https://api.example.com/v1/%s/%d,%d,0,%d\n",
		       ts, throttled ? 2 : elapsed, labels[li], throttled ? "429" : "200",
		       throttled ? "Too Many Requests" : ((r >> 50) % 4 == 0 ? "\"OK, cached\"" : "OK"), th,
		       throttled ? "false" : "true",
		       throttled ? "\"The operation lasted too long: rate limited, retry after 60\"" : "",
		       (int)(200 + (r >> 24) % 5000), (int)(100 + (r >> 30) % 400), active, active,
		       li % 2 ? "messages" : "users", (int)((r >> 8) % 1000), throttled ? 1 : latency, connect);
	}
	if (xml)
		fputs("</testResults>\n", stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}
