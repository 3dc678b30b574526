/* gensoak.c - write a synthetic soak-test CSV JTL to stdout: the same rows spread over any
 * duration (for make bench and tests/soak.sh).
 *
 *   gensoak ROWS DURATION [MAX_THREADS [PERIOD [SEED]]]     DURATION, PERIOD: 90s, 30m, 12h, 7d
 *
 * Row i nominally ends at i * DURATION / ROWS: 1 h, 12 h and 7 d files hold the same number of
 * rows with the same labels in the same order; the active threads, the sending thread and
 * whether a row is throttled follow where its timestamp falls in the period, so a 1 h file
 * holds one episode and a 7 d file 168, with about the same share throttled.  Load comes and goes with
 * PERIOD (default 1h): the active threads climb from 50 to MAX_THREADS (default 400) and back
 * within each period, and while more than 3/4 of MAX_THREADS are active a limiter admits only
 * that many threads' worth: the rest are answered 429 (success false, a few ms), so every
 * period holds one throttling episode of about 17 % of its length.  The sample's thread is
 * drawn from the active ones.  Rows are written in completion order, as JMeter writes them
 * (start = nominal end - elapsed), so timestamps are not sorted.  Deterministic for a SEED
 * (default 0); the run starts at 1700000000000 + SEED hours.
 *
 * On stderr: "rows N", "throttled N", "episodes N" (periods that reached the limit). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testlib.h"

static uint64_t s = 0x2545f4914f6cdd1dULL;
static uint64_t rnd(void)
{
	return testlib_xorshift64(&s);
}

/* "90s", "30m", "12h", "7d" (or plain seconds) -> ms; -1 if malformed */
static int64_t parse_dur(const char *a)
{
	char *end;
	long long v = strtoll(a, &end, 10);
	if (end == a || v <= 0 || v > 366LL * 24 * 3600)
		return -1;
	int64_t unit = 1000;
	if (*end == 'm')
		unit = 60 * 1000;
	else if (*end == 'h')
		unit = 3600 * 1000;
	else if (*end == 'd')
		unit = 24 * 3600 * 1000;
	else if (*end != 's' && *end != '\0')
		return -1;
	if (*end && end[1])
		return -1;
	return (int64_t)v * unit;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: gensoak ROWS DURATION [MAX_THREADS [PERIOD [SEED]]]\n");
		return 2;
	}
	long long rows = atoll(argv[1]);
	int64_t dur = parse_dur(argv[2]);
	int maxth = argc > 3 ? atoi(argv[3]) : 400;
	int64_t period = argc > 4 ? parse_dur(argv[4]) : 3600 * 1000;
	long long seed = argc > 5 ? atoll(argv[5]) : 0;
	if (rows <= 0 || dur <= 0 || maxth < 60 || maxth > 100000 || period <= 0 || seed < 0 ||
	    seed > 1000000) {
		fprintf(stderr, "gensoak: bad arguments\n");
		return 2;
	}
	static const char *labels[] = { "Login", "GET /api/v1/messages", "POST /api/v1/messages",
					 "List conversations", "Get profile", "Notifications poll" };
	static char buf[1 << 16];
	setvbuf(stdout, buf, _IOFBF, sizeof buf);
	fputs("timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,"
	      "failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n",
	      stdout);
	const int64_t t0 = 1700000000000LL + (int64_t)seed * 3600 * 1000;
	s ^= (uint64_t)seed * 0x9e3779b97f4a7c15ULL;
	if (!s)
		s = 1;
	const int minth = 50;
	const int limit = maxth * 3 / 4;
	long long nthr = 0;
	int64_t last_ep = -1;
	long long episodes = 0;
	for (long long i = 0; i < rows; i++) {
		/* nominal end of sample i: rows evenly over the duration */
		int64_t end = t0 + (int64_t)((double)i * (double)dur / (double)rows);
		int64_t ph = (end - t0) % period;
		double tri = ph < period / 2 ? 2.0 * (double)ph / (double)period
					     : 2.0 - 2.0 * (double)ph / (double)period;
		int active = minth + (int)((double)(maxth - minth) * tri);
		if (active < 1)
			active = 1;
		int th = (int)(rnd() % (uint64_t)active) + 1;
		int li = (int)(rnd() % (sizeof labels / sizeof *labels));
		uint64_t r = rnd();
		int throttled = 0;
		if (active > limit) {
			/* the limiter admits limit / active of the offered requests */
			double p = 1.0 - (double)limit / (double)active;
			throttled = (double)(r >> 11) / 9007199254740992.0 < p;
			int64_t ep = (end - t0) / period;
			if (ep != last_ep) {
				last_ep = ep;
				episodes++;
			}
		}
		uint64_t r2 = rnd();
		int elapsed = throttled ? (int)(2 + r2 % 4)
					: (int)(20 + (r2 % 120) * ((r2 >> 20) % 6 + 1) / 2);
		int latency = throttled ? elapsed : elapsed * 3 / 4;
		int connect = (r2 >> 33) % 20 == 0 ? (int)((r2 >> 44) % 30) : 0;
		nthr += throttled;
		printf("%" PRId64 ",%d,%s,%s,%s,Soak 1-%d,text,%s,%s,%d,%d,%d,%d,"
		       "https://api.example.com/v1/%s/%d,%d,0,%d\n",
		       end - elapsed, elapsed, labels[li], throttled ? "429" : "200",
		       throttled ? "Too Many Requests" : "OK", th, throttled ? "false" : "true",
		       throttled ? "rate limited" : "", (int)(200 + (r2 >> 24) % 3000),
		       (int)(100 + (r2 >> 30) % 300), active, active, li % 2 ? "messages" : "users",
		       (int)((r2 >> 8) % 1000), latency, connect);
	}
	fprintf(stderr, "rows %lld\nthrottled %lld\nepisodes %lld\n", rows, nthr, episodes);
	return fflush(stdout) == 0 ? 0 : 1;
}
