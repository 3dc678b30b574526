/* throttle_verdict.c - the VERDICT and WHAT TO DO paragraphs, written from the numbers and
 * enums of a throttle result (every claim traces to a table cell of the report). */
#include "reports/throttle_verdict.h"

#include "common/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void add_time(struct strbuf *sb, int64_t ms)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	if (!gmtime_r(&s, &tm)) {
		strbuf_addstr(sb, "?");
		return;
	}
	strbuf_addf(sb, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
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

static const char *unit_name(const struct throttle_scope_result *s, bool plural)
{
	if (s->scope == THROTTLE_SCOPE_PER_CLIENT)
		return plural ? "client hosts" : "client host";
	if (s->key_is_connection)
		return plural ? "connections" : "connection";
	return plural ? "threads" : "thread";
}

static void limit_sentence(struct strbuf *sb, const struct throttle_group *g)
{
	const struct throttle_limit *L = &g->limit;
	const char *per = "";
	if (L->per_key)
		per = g->scope.scope == THROTTLE_SCOPE_PER_CLIENT ? " per client host"
			: g->scope.key_is_connection ? " per connection" : " per thread";
	const char *conf = throttle_confidence_name(L->confidence);
	switch (L->model) {
	case THROTTLE_MODEL_TOKEN_BUCKET:
		strbuf_addstr(sb, " The server admits a steady ");
		add_rate(sb, L->rate_per_s);
		strbuf_addf(sb, " req/s%s with bursts of about %.0f (token bucket, confidence %s, "
			    "score %.2f): accepted requests plateau at ", per, L->burst, conf, L->score);
		add_rate(sb, L->plateau_per_s);
		strbuf_addstr(sb, "/s while the offered rate peaked at ");
		add_rate(sb, L->offered_peak_per_s);
		strbuf_addstr(sb, "/s.");
		break;
	case THROTTLE_MODEL_FIXED_WINDOW:
		strbuf_addf(sb, " The server admits %.0f requests%s per ", L->limit, per);
		add_secs(sb, L->window_s);
		strbuf_addf(sb, " s window (fixed window, confidence %s, score %.2f), ", conf,
			    L->score);
		strbuf_addstr(sb, "an average of ");
		add_rate(sb, L->rate_per_s);
		strbuf_addstr(sb, " req/s");
		if (L->countdown) {
			strbuf_addstr(sb, "; Retry-After/reset values counted down to window ends "
				      "every ");
			add_secs(sb, L->countdown_window_s);
			strbuf_addstr(sb, " s");
		}
		strbuf_addstr(sb, ".");
		break;
	case THROTTLE_MODEL_SLIDING_WINDOW:
		strbuf_addf(sb, " The server admits at most %.0f requests%s in any ", L->limit, per);
		add_secs(sb, L->window_s);
		strbuf_addf(sb, " s (sliding window, confidence %s, score %.2f), ", conf, L->score);
		add_rate(sb, L->rate_per_s);
		strbuf_addstr(sb, " req/s on average.");
		break;
	case THROTTLE_MODEL_CONCURRENCY:
		strbuf_addf(sb, " The server admits about %.0f requests in flight%s (concurrency "
			    "cap, confidence %s, score %.2f): rejections came when %.0f accepted "
			    "requests were in flight (median) while the accepted rate varied (CV "
			    "%.2f).", L->concurrency, per, conf, L->score, L->inflight_at_reject_p50,
			    L->accepted_cv);
		break;
	default:
		strbuf_addstr(sb, " The kind of limiter is unknown");
		if (L->why)
			strbuf_addf(sb, ": %s", L->why);
		strbuf_addstr(sb, ".");
		if (L->plateau_per_s > 0) {
			strbuf_addstr(sb, " Accepted requests ran at ");
			add_rate(sb, L->plateau_per_s);
			strbuf_addf(sb, "/s%s while throttled.", per);
		}
		return;
	}
	if (L->confidence != THROTTLE_CONF_HIGH && L->why)
		strbuf_addf(sb, " The model is less certain because %s.", L->why);
}

static void latency_sentence(struct strbuf *sb, const struct throttle_onset *o)
{
	if (o->latency_rising < 0) {
		strbuf_addstr(sb, " Whether latency rose before the onset cannot be told: too few "
			      "successful requests before it.");
		return;
	}
	strbuf_addstr(sb, " Latency of successful requests ");
	strbuf_addstr(sb, o->latency_rising ? "rose" : "did not rise");
	strbuf_addstr(sb, " before the onset (p95 ");
	add_ms(sb, o->baseline.p95_ms);
	strbuf_addstr(sb, " ms earlier, ");
	add_ms(sb, o->before.p95_ms);
	strbuf_addstr(sb, " ms just before)");
	if (o->latency_rising)
		strbuf_addstr(sb, ": the backend was slowing down, so the limit may be shedding "
			      "load from an overloaded service.");
	else
		strbuf_addstr(sb, ": this is a policy limit, not an overloaded backend.");
}

static void retry_sentence(struct strbuf *sb, const struct throttle_group *g)
{
	const struct throttle_retry *r = &g->retry;
	if (!r->seen) {
		if (g->throttled)
			strbuf_addstr(sb, " No throttled answer carried a Retry-After the input "
				      "records, so compliance cannot be judged.");
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
	strbuf_addf(sb, " was returned %llu times", (unsigned long long)r->seen);
	uint64_t judged = r->honoured + r->violated;
	if (!judged) {
		strbuf_addstr(sb, "; no thread sent again afterwards, so compliance cannot be "
			      "judged.");
		return;
	}
	if (r->violated == judged) {
		strbuf_addstr(sb, " and ignored every time (clients resent after a median ");
		add_secs(sb, r->median_wait_s);
		strbuf_addstr(sb, " s)");
	} else if (r->violated == 0) {
		strbuf_addstr(sb, " and honoured every time");
		if (r->at_deadline * 2 > r->honoured)
			strbuf_addstr(sb, ", with most retries right at the end of the wait");
	} else {
		strbuf_addf(sb, "; it was honoured %llu times and ignored %llu times (ignoring "
			    "clients resent a median ", (unsigned long long)r->honoured,
			    (unsigned long long)r->violated);
		add_secs(sb, r->median_early_s);
		strbuf_addstr(sb, " s early)");
	}
	strbuf_addstr(sb, ".");
}

static void advice(struct strbuf *sb, const struct throttle_group *g)
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
				strbuf_addf(sb, " (e.g. at most %.0f users at one request per ", users);
				add_secs(sb, 1.0 / s->key_rate_onset);
				strbuf_addstr(sb, " s)");
			}
			if (s->scope == THROTTLE_SCOPE_SHARED)
				strbuf_addstr(sb, ", or spread the load across tenants or credentials");
		}
		strbuf_addstr(sb, ".");
	} else {
		strbuf_addstr(sb, "The limit could not be measured from this run; repeat it with a "
			      "slow ramp of users (one thread added every few seconds) so the "
			      "accepted rate can plateau.");
	}
	const struct throttle_retry *r = &g->retry;
	if (r->violated) {
		strbuf_addstr(sb, " Honour Retry-After (back off");
		if (r->nvalues == 1) {
			strbuf_addstr(sb, " ");
			add_secs(sb, r->values[0].value_s);
			strbuf_addstr(sb, " s");
		} else {
			strbuf_addstr(sb, " for the announced time");
		}
		strbuf_addstr(sb, ", with jitter): resending early keeps the limiter saturated.");
	} else if (r->honoured && r->at_deadline * 2 > r->honoured) {
		strbuf_addstr(sb, " Add jitter to the Retry-After wait: clients came back together "
			      "at its end.");
	}
	if (o->latency_rising == 1)
		strbuf_addstr(sb, " Look at the backend too: its latency rose before throttling "
			      "began.");
	if (o->coordinated_omission)
		strbuf_addstr(sb, " Judge latency by successful requests only: the overall mean "
			      "is flattered by fast throttled answers.");
}

void throttle_verdict(const struct throttle_result *R, char **verdict, char **advice_out)
{
	struct strbuf v = STRBUF_INIT, a = STRBUF_INIT;
	const struct throttle_group *all = &R->overall;
	if (R->samples == 0) {
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
		strbuf_addf(&v, "No throttling signal, but an overloaded service: %llu answers were "
			    "503 without Retry-After or rate-limit headers, and they follow the load, "
			    "not a rate limit",
			    (unsigned long long)R->plain_503);
		if (og->limit.inflight_latency_ratio > 0)
			strbuf_addf(&v, " (accepted requests took %.1fx as long when many were in "
				    "flight as when few were: a queue filling up)",
				    og->limit.inflight_latency_ratio);
		strbuf_addstr(&v, ". The shedding began at ");
		add_time(&v, og->onset.ts_ms);
		strbuf_addf(&v, " (+%.0f s), when %u threads were sending ", og->onset.offset_s,
			    og->onset.threads);
		add_rate(&v, og->onset.rate_per_s);
		strbuf_addstr(&v, " req/s.");
		latency_sentence(&v, &og->onset);
		strbuf_addstr(&a, "Find the bottleneck behind the 503s (server capacity, a queue or "
			      "pool limit) before tuning the client: backing off helps the service "
			      "recover but a lower request rate is what avoids the shedding.");
		goto done;
	}
	if (!prim && R->encrypted * 2 > R->samples) {
		strbuf_addf(&v, "Throttling cannot be seen: %llu of the %llu exchanges are encrypted "
			    "(TLS without a key log), so their status codes, and any 429 or 503 among "
			    "them, are unknown; only their timing and sizes are known.",
			    (unsigned long long)R->encrypted, (unsigned long long)R->samples);
		strbuf_addstr(&a, "Analyse the JMeter results of the same run together with this "
			      "capture (they carry the codes; the capture adds the network split), or "
			      "give the TLS key log of the run with --tls-keylog.");
		goto done;
	}
	if (!prim) {
		if (!R->throttled) {
			strbuf_addf(&v, "No throttling: none of the %llu samples was a throttle "
				    "signal.", (unsigned long long)R->samples);
		} else {
			strbuf_addf(&v, "No sustained throttling: %llu throttled answers (",
				    (unsigned long long)R->throttled);
			add_rate(&v, 100.0 * (double)R->throttled / (double)R->samples);
			strbuf_addstr(&v, " % of requests, the first at ");
			add_time(&v, all->onset.first_isolated_ms);
			strbuf_addf(&v, ", +%.0f s) stayed below the level that counts as "
				    "sustained (at least 5 throttled answers making 5 %% of the "
				    "requests in 2 s, and recurring): they are treated as isolated "
				    "events, not an onset.",
				    fmax(0.0, (double)(all->onset.first_isolated_ms - R->start_ms)) /
					    1000.0);
		}
		if (R->plain_503) {
			strbuf_addf(&v, " %llu answers were 503 without Retry-After or rate-limit "
				    "headers in this input (CSV results do not keep headers); they "
				    "were not counted as throttling.",
				    (unsigned long long)R->plain_503);
			strbuf_addstr(&a, "If the 503 answers come from a rate limiter, analyse the "
				      "XML results (which keep response headers) or add 503 to "
				      "--throttle-codes.");
		} else if (R->throttled * 100 >= R->samples) {
			strbuf_addstr(&a, "No sustained limit was hit, but a background of throttled "
				      "answers remains: short bursts exceed a limit. Smoothing the "
				      "request rate (fewer simultaneous starts, a throughput timer) "
				      "would avoid them.");
		} else {
			strbuf_addstr(&a, "Nothing to change for throttling.");
		}
		goto done;
	}
	const struct throttle_onset *o = &prim->onset;
	if (R->transactions_as_requests)
		strbuf_addstr(&v, "These results hold only Transaction Controller parent samples (a CSV "
			      "of \"Generate parent sample\" keeps no children), so each parent is taken "
			      "as one request, with the code of its failing child. ");
	if (R->finding == THROTTLE_FINDING_PROBABLE) {
		strbuf_addf(&v, "Probable throttling: no answer carried a throttle signal, but the %llu "
			    "answers that were 503 without Retry-After or rate-limit headers (CSV results "
			    "keep no headers) follow a limiter",
			    (unsigned long long)R->plain_503);
		if (prim->limit.refused_p50_ms >= 0 && prim->limit.accepted_p50_ms >= 0)
			strbuf_addf(&v, ": they came back fast (median %.0f ms, accepted requests %.0f "
				    "ms)", prim->limit.refused_p50_ms, prim->limit.accepted_p50_ms);
		strbuf_addstr(&v, ", and the limiter below tells which requests were refused. ");
	}
	strbuf_addstr(&v, R->finding == THROTTLE_FINDING_PROBABLE ? "The 503s began at " :
								   "Throttling began at ");
	add_time(&v, o->ts_ms);
	strbuf_addf(&v, " (+%.0f s)", o->offset_s);
	if (R->ngroups > 1 && prim != all)
		strbuf_addf(&v, " in %s%s", prim->name, naff == 1 ? " only" : " first");
	strbuf_addf(&v, ", when %u %s were sending ", o->threads,
		    prim->scope.key_is_connection ? "connections" : "threads");
	add_rate(&v, o->rate_per_s);
	strbuf_addf(&v, " req/s to it (%u in flight); ", o->inflight);
	add_rate(&v, 100 * o->throttled_frac_after);
	strbuf_addstr(&v, " % of requests in the following ");
	add_secs(&v, o->after_window_s);
	strbuf_addstr(&v, " s were throttled.");
	if (R->ngroups > 1) {
		for (size_t i = 0; i < R->ngroups; i++) {
			const struct throttle_group *g = &R->groups[i];
			if (g == prim || !g->detected)
				continue;
			strbuf_addf(&v, " %s was throttled too from ", g->name);
			add_time(&v, g->onset.ts_ms);
			strbuf_addf(&v, " (+%.0f s, %u threads, ", g->onset.offset_s,
				    g->onset.threads);
			add_rate(&v, g->onset.rate_per_s);
			strbuf_addstr(&v, " req/s).");
		}
		for (size_t i = 0; i < R->ngroups; i++) {
			const struct throttle_group *g = &R->groups[i];
			if (g->detected)
				continue;
			strbuf_addf(&v, " %s (%u threads, ", g->name, g->threads_at_first_onset);
			add_rate(&v, g->rate_at_first_onset);
			strbuf_addstr(&v, " req/s at that moment) was never throttled");
			if (g->throttled)
				strbuf_addf(&v, " except %llu isolated answers",
					    (unsigned long long)g->throttled);
			strbuf_addstr(&v, ".");
		}
	}
	limit_sentence(&v, prim);
	if (prim->scope.evidence && prim->scope.evidence[0]) {
		strbuf_addch(&v, ' ');
		const char *e = prim->scope.evidence;
		if (e[0] >= 'a' && e[0] <= 'z') {
			strbuf_addch(&v, (char)(e[0] - 'a' + 'A'));
			strbuf_addstr(&v, e + 1);
		} else {
			strbuf_addstr(&v, e);
		}
		strbuf_addstr(&v, ".");
	}
	latency_sentence(&v, o);
	retry_sentence(&v, prim);
	if (o->coordinated_omission) {
		strbuf_addstr(&v, " Mean latency fell after the onset (");
		add_ms(&v, o->mean_all_before_ms);
		strbuf_addstr(&v, " -> ");
		add_ms(&v, o->mean_all_after_ms);
		strbuf_addstr(&v, " ms) only because throttled answers take ");
		add_ms(&v, o->mean_throttled_ms);
		strbuf_addstr(&v, " ms; success-only p95 went ");
		add_ms(&v, o->before.p95_ms);
		strbuf_addstr(&v, " -> ");
		add_ms(&v, o->after.p95_ms);
		strbuf_addstr(&v, " ms.");
	}
	if (all->onset.isolated)
		strbuf_addf(&v, " %llu further throttled answers were isolated events outside the "
			    "sustained throttling.", (unsigned long long)all->onset.isolated);
	advice(&a, prim);
done:
	*verdict = strbuf_detach(&v);
	*advice_out = strbuf_detach(&a);
	if (!*verdict)
		*verdict = xstrdup("");
	if (!*advice_out)
		*advice_out = xstrdup("");
}
