/* throttle_verdict.c - the headline, VERDICT and WHAT TO DO paragraphs, written from the
 * numbers and enums of a throttle result (every claim traces to a table cell of the report).
 * Sentences are short and say each thing once; the statistics that back them stay in the
 * tables (LIMITER FIT, SCOPE; "Limiter evidence" in md/html). */
#include "reports/throttle_verdict.h"

#include "analyzer/analysis.h"
#include "common/util.h"
#include "reports/report_time.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HEADLINE_FAILURE_COLS 60   /* a failure type quoted in the headline is cut here */
#define XML_HEADERS_HINT                                                                  \
	"save XML results with response headers (jmeter.save.saveservice.output_format=xml " \
	"and jmeter.save.saveservice.responseHeaders=true)"

void verdict_context_init(struct verdict_context *c, const struct analysis *a)
{
	memset(c, 0, sizeof *c);
	if (!a)
		return;
	bool csv = a->ninputs > 0;
	for (size_t i = 0; i < a->ninputs; i++)
		if (!a->inputs[i].format || strcmp(a->inputs[i].format, "csv") != 0)
			csv = false;
	c->headers_unrecorded = csv;
	uint64_t thr = 0, ws = 0;
	for (size_t i = 0; i < a->nerrors; i++) {
		thr += a->errors[i].throttled;
		if (strncmp(a->errors[i].type, "WS", 2) == 0 &&
		    (a->errors[i].type[2] == '/' || a->errors[i].type[2] == '\0'))
			ws += a->errors[i].throttled;
	}
	c->inband = thr && ws * 2 > thr;
	if (a->dominant_failure) {
		c->dominant_failure = a->dominant_failure->type;
		c->dominant_count = a->dominant_failure_count;
	}
	c->failures = a->nonthrottle_failures;
	c->samples = a->overall.count;
}

/* Wall-clock time of the onset, in the report zone: "01:17:19 UTC", "09:17:19 +08". */
static void add_time(struct strbuf *sb, int64_t ms)
{
	char t[96];
	report_time(t, sizeof t, ms, RT_ZONE);
	/* the zone's name is in the report header: the offset alone next to each time */
	char *paren = strstr(t, " (");
	if (paren)
		*paren = '\0';
	strbuf_addstr(sb, t);
}

static void add_rate(struct strbuf *sb, double r)
{
	if (r >= 100)
		strbuf_addf(sb, "%.0f", r);
	else if (r >= 10)
		strbuf_addf(sb, "%.1f", r);
	else
		strbuf_addf(sb, "%.2f", r);
}

/* A rate for the headline: whole numbers from 10 up, two significant digits below. */
static void add_rate_short(struct strbuf *sb, double r)
{
	if (r >= 10)
		strbuf_addf(sb, "%.0f", r);
	else
		strbuf_addf(sb, "%.2g", r);
}

static void add_ms(struct strbuf *sb, double ms)
{
	if (ms >= 100)
		strbuf_addf(sb, "%.0f", ms);
	else
		strbuf_addf(sb, "%.1f", ms);
}

static void add_secs(struct strbuf *sb, double s)
{
	if (fabs(s - round(s)) < 0.05)
		strbuf_addf(sb, "%.0f", s);
	else
		strbuf_addf(sb, "%.1f", s);
}

static void add_pct(struct strbuf *sb, uint64_t part, uint64_t whole)
{
	double p = whole ? 100.0 * (double)part / (double)whole : 0;
	strbuf_addf(sb, p >= 10 ? "%.0f %%" : "%.1f %%", p);
}

static const char *unit_name(const struct throttle_scope_result *s, bool plural)
{
	if (s->scope == THROTTLE_SCOPE_PER_CLIENT)
		return plural ? "client hosts" : "client host";
	if (s->key_is_connection)
		return plural ? "connections" : "connection";
	return plural ? "threads" : "thread";
}

static const char *sender_name(const struct throttle_group *g)
{
	return g->scope.key_is_connection ? "connections" : "threads";
}

static const char *senders(const struct throttle_group *g, uint32_t n)
{
	if (n == 1)
		return g->scope.key_is_connection ? "connection" : "thread";
	return sender_name(g);
}

/* "per thread", "per client host", ... for a per-key limit; "" for a total one. */
static const char *per_text(const struct throttle_group *g)
{
	if (!g->limit.per_key)
		return "";
	return g->scope.scope == THROTTLE_SCOPE_PER_CLIENT ? " per client host"
		: g->scope.key_is_connection ? " per connection" : " per thread";
}

/* The failure type, cut at its first ": " detail or at HEADLINE_FAILURE_COLS characters. */
static void add_failure_short(struct strbuf *sb, const char *type)
{
	size_t n = strlen(type);
	const char *colon = strstr(type, ": ");
	if (colon && colon - type >= 10)
		n = (size_t)(colon - type);
	size_t cols = 0, i = 0;
	while (i < n && cols < HEADLINE_FAILURE_COLS) {
		i++;
		while (i < n && ((unsigned char)type[i] & 0xc0) == 0x80)
			i++;
		cols++;
	}
	strbuf_add(sb, type, i);
	if (i < n)
		strbuf_addstr(sb, "…");
}

/* ---- verdict sentences ------------------------------------------------------------------ */

static void limit_sentence(struct strbuf *sb, const struct throttle_group *g)
{
	const struct throttle_limit *L = &g->limit;
	const char *per = per_text(g);
	const char *conf = throttle_confidence_name(L->confidence);
	switch (L->model) {
	case THROTTLE_MODEL_TOKEN_BUCKET:
		strbuf_addstr(sb, " The limit is a token bucket: ");
		add_rate(sb, L->rate_per_s);
		strbuf_addf(sb, " req/s%s with bursts of about %.0f (confidence %s).", per, L->burst,
			    conf);
		break;
	case THROTTLE_MODEL_FIXED_WINDOW:
		strbuf_addf(sb, " The limit is a fixed window: %.0f requests%s per ", L->limit, per);
		add_secs(sb, L->window_s);
		strbuf_addstr(sb, " s, ");
		add_rate(sb, L->rate_per_s);
		strbuf_addf(sb, " req/s on average (confidence %s).", conf);
		break;
	case THROTTLE_MODEL_SLIDING_WINDOW:
		strbuf_addf(sb, " The limit is a sliding window: at most %.0f requests%s in any ",
			    L->limit, per);
		add_secs(sb, L->window_s);
		strbuf_addstr(sb, " s, ");
		add_rate(sb, L->rate_per_s);
		strbuf_addf(sb, " req/s on average (confidence %s).", conf);
		break;
	case THROTTLE_MODEL_CONCURRENCY:
		strbuf_addf(sb, " The limit is a concurrency cap: about %.0f requests in flight%s "
			    "(confidence %s).", L->concurrency, per, conf);
		break;
	default:
		strbuf_addstr(sb, " The kind of limiter is unknown");
		if (L->why)
			strbuf_addf(sb, ": %s", L->why);
		strbuf_addstr(sb, ".");
		if (L->plateau_per_s > 0) {
			strbuf_addstr(sb, " Accepted requests ran at ");
			add_rate(sb, L->plateau_per_s);
			/* the plateau is per key only when it was measured on per-key series */
			strbuf_addf(sb, "/s%s while throttled.",
				    L->keys_fitted ? per : *per ? " in all" : "");
		}
		return;
	}
	if (L->confidence != THROTTLE_CONF_HIGH && L->why)
		strbuf_addf(sb, " The model is less certain because %s.", L->why);
}

/* Who shares the limit, in words (the evidence is in the SCOPE table). */
static void scope_sentence(struct strbuf *sb, const struct throttle_group *g)
{
	const struct throttle_scope_result *s = &g->scope;
	switch (s->scope) {
	case THROTTLE_SCOPE_SHARED:
		strbuf_addstr(sb, " All senders share it.");
		break;
	case THROTTLE_SCOPE_PER_THREAD:
	case THROTTLE_SCOPE_PER_CONNECTION:
	case THROTTLE_SCOPE_PER_CLIENT:
		strbuf_addf(sb, " Each %s has a limit of its own.", unit_name(s, false));
		break;
	case THROTTLE_SCOPE_PER_TENANT:
		if (s->key && strncmp(s->key, "header:", 7) == 0)
			strbuf_addf(sb, " Each value of the %s header has a limit of its own.", s->key + 7);
		else if (s->key && strcmp(s->key, "thread-group") == 0)
			strbuf_addstr(sb, " Each thread group has a limit of its own.");
		else
			strbuf_addstr(sb, " Each tenant has a limit of its own.");
		break;
	default:
		strbuf_addstr(sb, " Whether senders share the limit cannot be told.");
		break;
	}
}

static void latency_sentence(struct strbuf *sb, const struct throttle_onset *o)
{
	if (o->latency_rising < 0) {
		strbuf_addstr(sb, " Too few requests succeeded before the onset to tell whether "
			      "latency rose.");
		return;
	}
	strbuf_addstr(sb, " Latency of successful requests ");
	strbuf_addstr(sb, o->latency_rising ? "rose" : "did not rise");
	/* cite the percentile that rose (the analysis calls it rising when p95 or p50 did) */
	bool p50 = o->latency_rising && o->before.p95_ms < o->baseline.p95_ms;
	strbuf_addstr(sb, p50 ? " before the onset (p50 " : " before the onset (p95 ");
	add_ms(sb, p50 ? o->baseline.p50_ms : o->baseline.p95_ms);
	strbuf_addstr(sb, " → ");
	add_ms(sb, p50 ? o->before.p50_ms : o->before.p95_ms);
	strbuf_addstr(sb, " ms)");
	if (o->latency_rising)
		strbuf_addstr(sb, ": the backend was slowing down as well.");
	else
		strbuf_addstr(sb, ": this is a policy limit, not an overloaded backend.");
}

static void retry_sentence(struct strbuf *sb, const struct throttle_group *g,
			   const struct verdict_context *c)
{
	const struct throttle_retry *r = &g->retry;
	if (!r->seen) {
		if (!g->throttled || (c && c->inband))
			return;
		if (c && c->headers_unrecorded)
			strbuf_addstr(sb, " CSV results keep no response headers, so whether clients "
				      "honoured Retry-After cannot be judged.");
		else
			strbuf_addstr(sb, " No throttled answer carried Retry-After, so compliance "
				      "cannot be judged.");
		return;
	}
	strbuf_addstr(sb, " Retry-After");
	if (r->nvalues == 1 && !r->values_other) {
		strbuf_addstr(sb, ": ");
		add_secs(sb, r->values[0].value_s);
	} else if (r->nvalues) {
		strbuf_addstr(sb, " (");
		add_secs(sb, r->values[0].value_s);
		strbuf_addstr(sb, "-");
		add_secs(sb, r->values[r->nvalues - 1].value_s);
		strbuf_addstr(sb, " s)");
	}
	strbuf_addf(sb, " was sent %llu times", (unsigned long long)r->seen);
	uint64_t judged = r->honoured + r->violated;
	if (!judged) {
		strbuf_addstr(sb, "; no thread sent again afterwards, so compliance cannot be "
			      "judged.");
		return;
	}
	if (r->violated == judged) {
		strbuf_addstr(sb, " and ignored every time: clients resent after a median ");
		add_secs(sb, r->median_wait_s);
		strbuf_addstr(sb, " s.");
	} else if (r->violated == 0) {
		strbuf_addstr(sb, " and honoured every time");
		strbuf_addstr(sb, r->at_deadline * 2 > r->honoured
				      ? ", most retries right at the end of the wait." : ".");
	} else {
		strbuf_addf(sb, ". It was honoured %llu times and ignored %llu times: ignoring "
			    "clients resent a median ", (unsigned long long)r->honoured,
			    (unsigned long long)r->violated);
		add_secs(sb, r->median_early_s);
		strbuf_addstr(sb, " s early.");
	}
}

/* The failure that is not throttling, when it matters (1 % of samples or more). */
static bool failure_matters(const struct verdict_context *c)
{
	return c && c->dominant_failure && c->samples && c->failures * 100 >= c->samples;
}

static void failure_sentence(struct strbuf *sb, const struct verdict_context *c)
{
	if (!failure_matters(c))
		return;
	strbuf_addf(sb, " %llu samples (", (unsigned long long)c->failures);
	add_pct(sb, c->failures, c->samples);
	strbuf_addstr(sb, ") failed for reasons other than throttling.");
	if (c->dominant_count == c->failures)
		strbuf_addstr(sb, " All of them: ");
	else
		strbuf_addf(sb, " The most frequent failure (%llu of them): ",
			    (unsigned long long)c->dominant_count);
	strbuf_addstr(sb, c->dominant_failure);
	size_t n = strlen(c->dominant_failure);
	if (!n || c->dominant_failure[n - 1] != '.')
		strbuf_addch(sb, '.');
}

static void failure_advice(struct strbuf *sb, const struct verdict_context *c)
{
	if (failure_matters(c))
		strbuf_addstr(sb, " The failures are elsewhere: see the Errors table.");
}

static void advice(struct strbuf *sb, const struct throttle_group *g, const struct verdict_context *c)
{
	const struct throttle_limit *L = &g->limit;
	const struct throttle_onset *o = &g->onset;
	const struct throttle_scope_result *s = &g->scope;
	bool perk = L->per_key;
	if (L->model != THROTTLE_MODEL_UNKNOWN && L->rate_per_s > 0) {
		if (L->model == THROTTLE_MODEL_CONCURRENCY) {
			strbuf_addf(sb, "Keep fewer than %.0f requests in flight to %s at a time",
				    L->concurrency, g->name);
		} else {
			strbuf_addf(sb, "Keep the offered rate %s under ",
				    perk ? "of each sender" : "to this target");
			if (L->model == THROTTLE_MODEL_FIXED_WINDOW ||
			    L->model == THROTTLE_MODEL_SLIDING_WINDOW) {
				strbuf_addf(sb, "%.0f requests per ", L->limit);
				add_secs(sb, L->window_s);
				strbuf_addstr(sb, " s (");
				add_rate(sb, L->rate_per_s);
				strbuf_addstr(sb, " req/s)");
			} else {
				add_rate(sb, L->rate_per_s);
				strbuf_addstr(sb, " req/s");
			}
			if (perk) {
				strbuf_addf(sb, " per %s (a Constant Throughput Timer per %s)",
					    unit_name(s, false), unit_name(s, false));
			} else if (s->key_rate_onset > 0 && o->threads) {
				double users = floor(L->rate_per_s / s->key_rate_onset);
				strbuf_addf(sb, ", e.g. at most %.0f users at one request per ", users);
				add_secs(sb, 1.0 / s->key_rate_onset);
				strbuf_addstr(sb, " s");
			}
			if (s->scope == THROTTLE_SCOPE_SHARED)
				strbuf_addstr(sb, ". Or spread the load across tenants or credentials");
		}
		strbuf_addstr(sb, ".");
	} else {
		strbuf_addstr(sb, "The limit could not be measured from this run. Repeat it with a "
			      "slow ramp of users (one thread added every few seconds) so the "
			      "accepted rate can plateau.");
	}
	const struct throttle_retry *r = &g->retry;
	if (r->violated) {
		strbuf_addstr(sb, " Honour Retry-After: back off");
		if (r->nvalues == 1) {
			strbuf_addstr(sb, " ");
			add_secs(sb, r->values[0].value_s);
			strbuf_addstr(sb, " s");
		} else {
			strbuf_addstr(sb, " for the announced time");
		}
		strbuf_addstr(sb, ", with jitter. Resending early keeps the limiter saturated.");
	} else if (r->honoured && r->at_deadline * 2 > r->honoured) {
		strbuf_addstr(sb, " Add jitter to the Retry-After wait: clients came back together "
			      "at its end.");
	} else if (!r->seen && g->throttled && c && c->headers_unrecorded && !c->inband) {
		strbuf_addstr(sb, " To judge Retry-After compliance, " XML_HEADERS_HINT ".");
	}
	if (o->latency_rising == 1)
		strbuf_addstr(sb, " Look at the backend too: its latency rose before throttling "
			      "began.");
	if (o->coordinated_omission)
		strbuf_addstr(sb, " Judge latency by successful requests only.");
	failure_advice(sb, c);
}

/* ---- headline --------------------------------------------------------------------------- */

/* "an" before a number said with a vowel sound: 8, 11, 18, 80-89, 800-899, 11 000, ... */
static const char *article_for(const char *num)
{
	size_t d = strspn(num, "0123456789");
	if (num[0] == '8' || (d % 3 == 2 && (strncmp(num, "11", 2) == 0 || strncmp(num, "18", 2) == 0)))
		return "an";
	return "a";
}

static const char *scope_word(const struct throttle_scope_result *s)
{
	switch (s->scope) {
	case THROTTLE_SCOPE_SHARED: return "shared";
	case THROTTLE_SCOPE_PER_THREAD: return "per-thread";
	case THROTTLE_SCOPE_PER_CONNECTION: return "per-connection";
	case THROTTLE_SCOPE_PER_CLIENT: return "per-host";
	case THROTTLE_SCOPE_PER_TENANT:
		return s->key && strcmp(s->key, "thread-group") == 0 ? "per-thread-group" : "per-tenant";
	default: return NULL;
	}
}

/* "a shared 20 req/s limit", "a per-thread limit of 10 requests per 1 s", "a concurrency cap
 * of 8 requests in flight", "a limiter of unknown kind". */
static void add_limit_phrase(struct strbuf *sb, const struct throttle_group *g)
{
	const struct throttle_limit *L = &g->limit;
	const char *sc = scope_word(&g->scope);
	struct strbuf w = STRBUF_INIT;
	if (sc)
		strbuf_addf(&w, "%s ", sc);
	switch (L->model) {
	case THROTTLE_MODEL_TOKEN_BUCKET:
		add_rate_short(&w, L->rate_per_s);
		strbuf_addstr(&w, " req/s limit");
		break;
	case THROTTLE_MODEL_FIXED_WINDOW:
	case THROTTLE_MODEL_SLIDING_WINDOW:
		strbuf_addf(&w, "limit of %.0f requests %s ", L->limit,
			    L->model == THROTTLE_MODEL_FIXED_WINDOW ? "per" : "in any");
		add_secs(&w, L->window_s);
		strbuf_addstr(&w, " s");
		break;
	case THROTTLE_MODEL_CONCURRENCY:
		strbuf_addf(&w, "cap of %.0f requests in flight", L->concurrency);
		break;
	default:
		strbuf_addstr(&w, "limiter of unknown kind");
		break;
	}
	strbuf_addf(sb, "%s %s", article_for(strbuf_cstr(&w)), strbuf_cstr(&w));
	strbuf_release(&w);
}

static void add_retry_phrase(struct strbuf *sb, const struct throttle_group *g,
			     const struct verdict_context *c)
{
	const struct throttle_retry *r = &g->retry;
	if (!r->seen && c && c->inband)
		return; /* in-band signals carry no header */
	if (!r->seen) {
		if (c && c->headers_unrecorded)
			strbuf_addstr(sb, "; Retry-After not recorded (CSV)");
		else
			strbuf_addstr(sb, "; no Retry-After sent");
		return;
	}
	uint64_t judged = r->honoured + r->violated;
	if (!judged)
		return;
	const char *verb = r->violated == judged ? "ignored" : r->violated == 0 ? "honoured" : NULL;
	if (!verb) {
		strbuf_addf(sb, "; clients ignored Retry-After %llu of %llu times",
			    (unsigned long long)r->violated, (unsigned long long)judged);
		return;
	}
	strbuf_addf(sb, "; clients %s Retry-After", verb);
	if (r->nvalues == 1 && !r->values_other) {
		strbuf_addstr(sb, ": ");
		add_secs(sb, r->values[0].value_s);
	}
}

static void add_where(struct strbuf *sb, const struct throttle_result *R,
		      const struct throttle_group *prim, size_t naff)
{
	if (R->ngroups > 1 && prim != &R->overall) {
		strbuf_addf(sb, " in %s", prim->name);
		if (naff > 1)
			strbuf_addf(sb, " and %zu other %s%s", naff - 1,
				    throttle_group_kind(R->region_by), naff > 2 ? "s" : "");
	}
}

static void headline_none(struct strbuf *h, const struct throttle_result *R,
			  const struct verdict_context *c)
{
	const struct throttle_group *all = &R->overall;
	if (!R->throttled) {
		strbuf_addf(h, "No throttling in %llu samples", (unsigned long long)R->samples);
	} else {
		strbuf_addf(h, "No sustained throttling: %llu isolated throttled answer%s",
			    (unsigned long long)R->throttled, R->throttled == 1 ? "" : "s");
		(void)all;
	}
	if (R->plain_503)
		strbuf_addf(h, "; %llu headerless 503s not counted", (unsigned long long)R->plain_503);
	if (failure_matters(c)) {
		strbuf_addstr(h, "; ");
		add_pct(h, c->failures, c->samples);
		strbuf_addstr(h, " failed, mostly: ");
		add_failure_short(h, c->dominant_failure);
	}
}

/* ---- the whole ------------------------------------------------------------------------- */

void throttle_verdict_full(const struct throttle_result *R, const struct verdict_context *c,
			   char **headline, char **verdict, char **advice_out)
{
	struct strbuf v = STRBUF_INIT, a = STRBUF_INIT, h = STRBUF_INIT;
	const struct throttle_group *all = &R->overall;
	if (R->samples == 0) {
		strbuf_addstr(&h, "No samples with a timestamp to analyse");
		strbuf_addstr(&v, "No samples with a timestamp to analyse.");
		strbuf_addstr(&a, "Check that the input is a JMeter result file with a timeStamp "
			      "column.");
		goto done;
	}
	/* primary group: the earliest onset; a single group stands for the run */
	const struct throttle_group *prim = NULL;
	size_t naff = 0;
	for (size_t i = 0; i < R->ngroups; i++) {
		const struct throttle_group *g = &R->groups[i];
		if (!g->detected)
			continue;
		naff++;
		if (!prim || g->onset.ts_ms < prim->onset.ts_ms)
			prim = g;
	}
	if (!prim && all->detected)
		prim = all;
	if (!prim && R->finding == THROTTLE_FINDING_OVERLOAD) {
		const struct throttle_group *og = R->primary ? R->primary : all;
		strbuf_addf(&h, "Overloaded, not rate-limited: %llu headerless 503s from +%.0f s "
			    "follow the load", (unsigned long long)R->plain_503, og->onset.offset_s);
		strbuf_addf(&v, "An overloaded service, not a rate limit. No answer carried a throttle "
			    "signal. %llu answers were 503 without Retry-After or rate-limit headers, "
			    "and they follow the load.", (unsigned long long)R->plain_503);
		if (og->limit.inflight_latency_ratio > 0)
			strbuf_addf(&v, " Accepted requests took %.1fx as long when many were in "
				    "flight as when few were: a queue was filling up.",
				    og->limit.inflight_latency_ratio);
		strbuf_addstr(&v, " The shedding began at ");
		add_time(&v, og->onset.ts_ms);
		strbuf_addf(&v, " (+%.0f s), when %u %s %s sending ", og->onset.offset_s,
			    og->onset.threads, senders(og, og->onset.threads),
			    og->onset.threads == 1 ? "was" : "were");
		add_rate(&v, og->onset.rate_per_s);
		strbuf_addstr(&v, " req/s.");
		latency_sentence(&v, &og->onset);
		failure_sentence(&v, c);
		strbuf_addstr(&a, "Find the bottleneck behind the 503s (server capacity, a queue or "
			      "pool limit) before tuning the client. Backing off helps the service "
			      "recover, but only a lower request rate avoids the shedding.");
		goto done;
	}
	if (!prim && R->encrypted * 2 > R->samples) {
		strbuf_addf(&h, "Throttling cannot be seen: %llu of %llu exchanges are encrypted",
			    (unsigned long long)R->encrypted, (unsigned long long)R->samples);
		strbuf_addf(&v, "Throttling cannot be seen. %llu of the %llu exchanges are encrypted "
			    "(TLS without a key log), so their status codes are unknown, and so is any "
			    "429 or 503 among them. Only their timing and sizes are known.",
			    (unsigned long long)R->encrypted, (unsigned long long)R->samples);
		strbuf_addstr(&a, "Analyse the JMeter results of the same run together with this "
			      "capture (they carry the codes; the capture adds the network split), or "
			      "give the TLS key log of the run with --tls-keylog.");
		goto done;
	}
	if (!prim) {
		headline_none(&h, R, c);
		if (!R->throttled) {
			strbuf_addf(&v, "No throttling: none of the %llu samples was a throttle "
				    "signal.", (unsigned long long)R->samples);
		} else {
			strbuf_addf(&v, "No sustained throttling. %llu answers (",
				    (unsigned long long)R->throttled);
			add_rate(&v, 100.0 * (double)R->throttled / (double)R->samples);
			strbuf_addstr(&v, " % of requests) were throttled, the first at ");
			add_time(&v, all->onset.first_isolated_ms);
			strbuf_addf(&v, " (+%.0f s). They are isolated events: sustained throttling "
				    "needs at least 5 throttled answers making 5 %% of the requests in "
				    "2 s, recurring.",
				    fmax(0.0, (double)(all->onset.first_isolated_ms - R->start_ms)) /
					    1000.0);
		}
		if (R->plain_503) {
			strbuf_addf(&v, " %llu answers were 503 without Retry-After or rate-limit "
				    "headers; they were not counted as throttling.",
				    (unsigned long long)R->plain_503);
			if (c && c->headers_unrecorded)
				strbuf_addstr(&v, " CSV results keep no response headers, so any such "
					      "headers were lost.");
			strbuf_addstr(&a, "If a rate limiter sent the 503s, ");
			if (c && c->headers_unrecorded)
				strbuf_addstr(&a, XML_HEADERS_HINT " or ");
			strbuf_addstr(&a, "add 503 to --throttle-codes.");
		} else if (R->throttled * 100 >= R->samples) {
			strbuf_addstr(&a, "No sustained limit was hit, but short bursts exceed a "
				      "limit. Smoothing the request rate (fewer simultaneous starts, a "
				      "throughput timer) would avoid them.");
		} else {
			strbuf_addstr(&a, "Nothing to change for throttling.");
		}
		failure_sentence(&v, c);
		failure_advice(&a, c);
		goto done;
	}
	const struct throttle_onset *o = &prim->onset;

	/* headline */
	if (R->finding == THROTTLE_FINDING_PROBABLE) {
		strbuf_addf(&h, "Probably throttled from +%.0f s", o->offset_s);
		add_where(&h, R, prim, naff);
		strbuf_addstr(&h, ": headerless 503s follow ");
		add_limit_phrase(&h, prim);
	} else {
		strbuf_addf(&h, "Throttled%s from +%.0f s", c && c->inband ? " in-band (WebSocket)" : "",
			    o->offset_s);
		add_where(&h, R, prim, naff);
		strbuf_addstr(&h, " by ");
		add_limit_phrase(&h, prim);
		add_retry_phrase(&h, prim, c);
	}

	/* verdict */
	if (R->transactions_as_requests)
		strbuf_addstr(&v, "These results hold only Transaction Controller parent samples (a CSV "
			      "of \"Generate parent sample\" keeps no children), so each parent is taken "
			      "as one request, with the code of its failing child. ");
	if (R->finding == THROTTLE_FINDING_PROBABLE) {
		strbuf_addf(&v, "Probable throttling. No answer carried a throttle signal, but %llu "
			    "answers were 503 without Retry-After or rate-limit headers, and they "
			    "follow a limiter.", (unsigned long long)R->plain_503);
		if (c && c->headers_unrecorded)
			strbuf_addstr(&v, " CSV results keep no response headers, so any such headers "
				      "were lost.");
		if (prim->limit.refused_p50_ms >= 0 && prim->limit.accepted_p50_ms >= 0)
			strbuf_addf(&v, " The 503s came back fast (median %.0f ms; accepted requests "
				    "%.0f ms).", prim->limit.refused_p50_ms, prim->limit.accepted_p50_ms);
		strbuf_addch(&v, ' ');
	}
	if (c && c->inband)
		strbuf_addstr(&v, "The throttle signals are in WebSocket messages (in-band). ");
	strbuf_addstr(&v, R->finding == THROTTLE_FINDING_PROBABLE ? "The 503s began at " :
								   "Throttling began at ");
	add_time(&v, o->ts_ms);
	strbuf_addf(&v, " (+%.0f s)", o->offset_s);
	if (R->ngroups > 1 && prim != all)
		strbuf_addf(&v, " in %s%s", prim->name, naff == 1 ? " only" : " first");
	strbuf_addf(&v, ". %u %s %s sending ", o->threads, senders(prim, o->threads),
		    o->threads == 1 ? "was" : "were");
	add_rate(&v, o->rate_per_s);
	strbuf_addf(&v, " req/s%s then (%u in flight). In the next ",
		    R->ngroups > 1 && prim != all ? " to it" : "", o->inflight);
	add_secs(&v, o->after_window_s);
	strbuf_addstr(&v, " s, ");
	add_rate(&v, 100 * o->throttled_frac_after);
	strbuf_addstr(&v, R->ngroups > 1 && prim != all ? " % of its requests were throttled."
							   : " % of the requests were throttled.");
	if (R->ngroups > 1) {
		for (size_t i = 0; i < R->ngroups; i++) {
			const struct throttle_group *g = &R->groups[i];
			if (g == prim || !g->detected)
				continue;
			strbuf_addf(&v, " %s was throttled too, from ", g->name);
			add_time(&v, g->onset.ts_ms);
			strbuf_addf(&v, " (+%.0f s, %u %s, ", g->onset.offset_s, g->onset.threads,
				    senders(g, g->onset.threads));
			add_rate(&v, g->onset.rate_per_s);
			strbuf_addstr(&v, " req/s).");
		}
		for (size_t i = 0; i < R->ngroups; i++) {
			const struct throttle_group *g = &R->groups[i];
			if (g->detected)
				continue;
			strbuf_addf(&v, " %s was never throttled", g->name);
			if (g->throttled)
				strbuf_addf(&v, " except %llu isolated answers",
					    (unsigned long long)g->throttled);
			strbuf_addf(&v, " (%u %s, ", g->threads_at_first_onset,
				    senders(prim, g->threads_at_first_onset));
			add_rate(&v, g->rate_at_first_onset);
			strbuf_addstr(&v, " req/s at that moment).");
		}
	}
	limit_sentence(&v, prim);
	if (prim->limit.model != THROTTLE_MODEL_UNKNOWN || prim->scope.scope != THROTTLE_SCOPE_UNKNOWN)
		scope_sentence(&v, prim);
	latency_sentence(&v, o);
	retry_sentence(&v, prim, c);
	if (o->coordinated_omission) {
		strbuf_addstr(&v, " Mean latency fell after the onset only because throttled "
			      "answers are fast (");
		add_ms(&v, o->mean_throttled_ms);
		strbuf_addstr(&v, " ms). Success-only p95 went ");
		add_ms(&v, o->before.p95_ms);
		strbuf_addstr(&v, " → ");
		add_ms(&v, o->after.p95_ms);
		strbuf_addstr(&v, " ms.");
	}
	if (all->onset.isolated)
		strbuf_addf(&v, " %llu more throttled answers were isolated events outside the "
			    "sustained throttling.", (unsigned long long)all->onset.isolated);
	failure_sentence(&v, c);
	advice(&a, prim, c);
done:
	*verdict = strbuf_detach(&v);
	*advice_out = strbuf_detach(&a);
	if (!*verdict)
		*verdict = xstrdup("");
	if (!*advice_out)
		*advice_out = xstrdup("");
	if (headline) {
		*headline = strbuf_detach(&h);
		if (!*headline)
			*headline = xstrdup("");
	} else {
		strbuf_release(&h);
	}
}

void throttle_verdict(const struct throttle_result *r, char **verdict, char **advice)
{
	throttle_verdict_full(r, NULL, NULL, verdict, advice);
}
