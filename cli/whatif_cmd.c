/* whatif_cmd.c - `jtlscope whatif RUN...`: the run's offered load replayed through the fitted
 * limiter under other client policies and loads (analyzer/whatif, docs/whatif.md).
 *
 * The inputs are read twice: once into the analysis (the throttle analysis fits the limiter),
 * once into the whatif trace (each request, classified by the finished throttle analysis). */
#include "cli/whatif_cmd.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/analysis.h"
#include "analyzer/region.h"
#include "analyzer/whatif/whatif.h"
#include "cli/options.h"
#include "cli/outfile.h"
#include "cli/read_input.h"
#include "common/diag.h"
#include "common/exit_codes.h"
#include "common/util.h"
#include "parsers/capture/capture.h"
#include "parsers/input.h"
#include "parsers/jtl.h"
#include "reports/output.h"
#include "reports/whatif_report.h"

#define WHATIF_EXIT_UNKNOWN 1   /* the limiter is unknown: nothing predicted */
#define WHATIF_DEFAULT_SEED 16u

void whatif_usage(FILE *f)
{
	fputs("usage: jtlscope whatif RUN... [--policy P]... [--users N] [--pace D] [--ramp D]\n"
	      "                       [--duration D] [--open-loop] [--seed N] [-f text|md|json|html]\n"
	      "                       [-o FILE] [analysis options as for 'jtlscope report']\n"
	      "\n"
	      "Replays the run (its JTLs, or one capture) through the limiter the throttle analysis\n"
	      "fitted, as recorded and under other client policies and loads: predicted accepted\n"
	      "rate, throttled answers, time to the first throttle, time to as many successes as\n"
	      "recorded, and the most users that stay under the limit, each with the range the\n"
	      "fitted parameters' intervals leave open.\n"
	      "\n"
	      "  --policy P     none | honour-retry-after | backoff=exp[,base=1s][,max=60s][,jitter]\n"
	      "                 | pace=R/s (all users together); repeatable.  Default: none,\n"
	      "                 honour-retry-after, backoff=exp,base=1s,max=60s, pace at 95 %% of the\n"
	      "                 limiter's rate\n"
	      "  --users N      simulate N users (JMeter threads) instead of the recorded ones\n"
	      "  --pace D       start-to-start interval per user (2s, 500ms)\n"
	      "  --ramp D       start the users evenly over D\n"
	      "  --retry-after D  the Retry-After the server sends, for honour-retry-after when the\n"
	      "                 inputs do not show it (CSV JTLs keep no headers)\n"
	      "  --loops N      requests per simulated user at most (default: as many as the\n"
	      "                 busiest recorded user sent)\n"
	      "  --duration D   simulated test length (default: the recorded one)\n"
	      "  --open-loop    arrivals ignore the answers (recorded starts, or users x pace)\n"
	      "  --seed N       random draws (service times, jitter); default 16\n"
	      "  -f F           text (default), md, json or html;  -o FILE  write there\n"
	      "\n"
	      "Exit codes: 0 predictions written, 1 the limiter is unknown (nothing predicted, the\n"
	      "output says why), 2 usage, 3 input error, 5 output error.\n", f);
}

/* The requests of the group the verdict is about (a region, host, thread group): the same
 * grouping the throttle analysis used (analyzer/region.h); NULL name = every request. */
struct group_filter {
	bool use_503;           /* probable throttling: the headerless 503s were the refusals */
	const char *name;
	enum region_by by;
	struct region_map *map;
	struct strbuf key, out;
};

static bool in_group(struct group_filter *g, const struct sample *s)
{
	if (!g->name)
		return true;
	region_key(g->by, s, &g->key);
	const char *name;
	if (g->key.len == 0) {
		name = REGION_UNKNOWN_KEY;
	} else {
		strbuf_reset(&g->out);
		name = region_map_lookup(g->map, strbuf_cstr(&g->key), g->key.len, g->by == REGION_BY_URL_HOST, &g->out)
			       ? strbuf_cstr(&g->out) : strbuf_cstr(&g->key);
	}
	return strcmp(name, g->name) == 0;
}

static bool is_refusal(const struct throttle *th, const struct group_filter *gf, const struct sample *s)
{
	return (th && throttle_is_signal(th, s)) || (gf->use_503 && sample_status(s) == 503);
}

/* Second pass: every request of every input into the trace. */
static int trace_input(struct whatif_trace *t, const struct throttle *th, const char *path, uint32_t source,
		       const struct jtl_options *jo0, struct group_filter *gf)
{
	char err[600];
	struct input *in = input_open(path, err, sizeof err);
	if (!in) {
		diag_error("%s", err);
		return EXIT_INPUT;
	}
	enum input_format fmt = input_sniff(in);
	struct diag d;
	diag_init(&d, path);
	d.quiet = true;
	struct sample s;
	int rc = EXIT_OK;
	if (fmt == INPUT_FMT_CSV || fmt == INPUT_FMT_XML) {
		struct jtl_options jo = *jo0;
		struct jtl_reader *r = jtl_open(in, fmt, &jo, &d, err, sizeof err);
		if (!r) {
			diag_error("'%s': %s", path, err);
			rc = EXIT_INPUT;
		} else {
			enum jtl_status st;
			while ((st = jtl_next(r, &s)) == JTL_RECORD || st == JTL_SKIPPED) {
				if (st != JTL_RECORD)
					continue;
				s.source = source;
				if (in_group(gf, &s))
					whatif_trace_add(t, &s, is_refusal(th, gf, &s));
			}
			jtl_close(r);
		}
	} else if (fmt == INPUT_FMT_PCAP || fmt == INPUT_FMT_PCAPNG) {
		struct capture *c = capture_open(in, &d, err, sizeof err);
		if (!c) {
			diag_error("'%s': %s", path, err);
			rc = EXIT_INPUT;
		} else {
			struct capture_event ev;
			while (capture_next(c, &ev) == CAP_EVENT) {
				if (!capture_event_to_sample(&ev, &s))
					continue;
				s.source = source;
				if (in_group(gf, &s))
					whatif_trace_add(t, &s, is_refusal(th, gf, &s));
			}
			capture_close(c);
		}
	}
	input_close(in);
	return rc;
}

static bool opt_seconds(const char *name, const char *arg, double *out)
{
	int64_t ms;
	if (!opt_duration_ms(arg, &ms) || ms < 0 || ms > 7LL * 24 * 3600 * 1000) {
		diag_error("%s: want a duration like 2s, 500ms or 1m, not '%s'", name, arg);
		return false;
	}
	*out = (double)ms / 1000.0;
	return true;
}

enum { W_POLICY = OPT_OWN, W_USERS, W_PACE, W_RAMP, W_DURATION, W_OPEN, W_SEED, W_LOOPS, W_RA };

struct whatif_opts {
	struct common_opts co;
	const struct output_format *fmt;
	const char *out;
	const char *policies[WHATIF_MAX_SCENARIOS];
	size_t npol;
	uint32_t users;
	double pace, ramp, duration, retry_after;
	bool open_loop;
	uint64_t loops, seed;
};

/* An unsigned number in 1..max ("--users"), or any for max 0: false with the message printed. */
static bool opt_count(const char *name, const char *arg, unsigned long long max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	if (errno || *end || end == arg || (max && (v < 1 || v > max))) {
		if (max)
			diag_error("%s: want 1..%llu, not '%s'", name, max, arg);
		else
			diag_error("%s: want a number, not '%s'", name, arg);
		return false;
	}
	*out = v;
	return true;
}

static int whatif_opt(void *ctx, int id, const char *arg)
{
	struct whatif_opts *o = ctx;
	uint64_t v;
	switch (id) {
	case 'f':
		o->fmt = output_find(OUTPUT_WHATIF, arg, strlen(arg));
		if (!o->fmt) {
			diag_error("--format: want text, md, json or html, not '%s'", arg);
			return -1;
		}
		return 0;
	case 'o': o->out = arg; return 0;
	case 'q': o->co.quiet = true; return 0;
	case W_POLICY:
		if (o->npol >= WHATIF_MAX_SCENARIOS - 1) {
			diag_error("--policy: at most %d", WHATIF_MAX_SCENARIOS - 1);
			return -1;
		}
		o->policies[o->npol++] = arg;
		return 0;
	case W_USERS:
		if (!opt_count("--users", arg, WHATIF_MAX_USERS, &v))
			return -1;
		o->users = (uint32_t)v;
		return 0;
	/* durations are at least 1 ms (opt_duration_ms) */
	case W_PACE: return opt_seconds("--pace", arg, &o->pace) ? 0 : -1;
	case W_RAMP: return opt_seconds("--ramp", arg, &o->ramp) ? 0 : -1;
	case W_DURATION: return opt_seconds("--duration", arg, &o->duration) ? 0 : -1;
	case W_OPEN: o->open_loop = true; return 0;
	case W_RA: return opt_seconds("--retry-after", arg, &o->retry_after) ? 0 : -1;
	case W_LOOPS: return opt_count("--loops", arg, WHATIF_MAX_SIM, &o->loops) ? 0 : -1;
	case W_SEED: return opt_count("--seed", arg, 0, &o->seed) ? 0 : -1;
	default: return common_opt(&o->co, id, arg) > 0 ? 0 : -1;
	}
}

int cmd_whatif(int argc, char **argv)
{
	struct whatif_opts wo = { .fmt = output_find(OUTPUT_WHATIF, "text", 4), .seed = WHATIF_DEFAULT_SEED };
	common_opts_init(&wo.co);
	static const struct option table[] = {
		BASIC_LONGOPTS,
		{ "policy", required_argument, NULL, W_POLICY },
		{ "users", required_argument, NULL, W_USERS },
		{ "pace", required_argument, NULL, W_PACE },
		{ "ramp", required_argument, NULL, W_RAMP },
		{ "duration", required_argument, NULL, W_DURATION },
		{ "open-loop", no_argument, NULL, W_OPEN },
		{ "seed", required_argument, NULL, W_SEED },
		{ "loops", required_argument, NULL, W_LOOPS },
		{ "retry-after", required_argument, NULL, W_RA },
		COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	static const struct opt_cmd cmd = { "whatif", table, whatif_usage, whatif_opt };
	int urc = opts_parse(&cmd, argc, argv, &wo);
	if (urc != OPTS_GO)
		return urc;
	struct common_opts co = wo.co;
	const char *const *policies = wo.policies;
	size_t npol = wo.npol;
	uint32_t users = wo.users;
	double pace = wo.pace, ramp = wo.ramp, duration = wo.duration, retry_after = wo.retry_after;
	bool open_loop = wo.open_loop;
	uint64_t loops = wo.loops, seed = wo.seed;
	struct whatif_scenario sc[WHATIF_MAX_SCENARIOS];
	size_t nsc = 0;
	char err[600];
	if (optind >= argc) {
		diag_error("whatif needs at least one input (the run's JTLs, or its capture)");
		whatif_usage(stderr);
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++)
		if (strcmp(argv[i], "-") == 0) {
			diag_error("whatif reads its inputs twice: give files, not '-'");
			return EXIT_USAGE;
		}
	/* the scenarios, checked before any input is read */
	struct whatif_scenario proto = { .users = users, .user_pace_s = pace, .ramp_s = ramp,
					 .duration_s = duration, .open_loop = open_loop, .seed = seed,
					 .retry_after_s = retry_after };
	sc[nsc] = proto;
	whatif_policy_parse(&sc[nsc], "replay", err, sizeof err);
	sc[nsc].users = 0;
	sc[nsc].user_pace_s = 0;
	sc[nsc].ramp_s = 0;
	sc[nsc].open_loop = true;
	nsc++;
	static const char *const defaults[] = { "none", "honour-retry-after", "backoff=exp,base=1s,max=60s", NULL };
	bool default_pace = npol == 0;
	const char *const *list = npol ? policies : defaults;
	size_t nlist = npol ? npol : 3;
	if (open_loop && !npol) {
		nlist = 1;   /* retry policies need closed-loop users */
	}
	for (size_t i = 0; i < nlist; i++) {
		sc[nsc] = proto;
		if (!whatif_policy_parse(&sc[nsc], list[i], err, sizeof err)) {
			diag_error("%s", err);
			return EXIT_USAGE;
		}
		if (open_loop && (sc[nsc].policy == WP_HONOUR_RA || sc[nsc].policy == WP_BACKOFF)) {
			diag_error("--open-loop: arrivals do not wait for answers, so --policy %s does not apply", list[i]);
			return EXIT_USAGE;
		}
		nsc++;
	}
	/* as recorded, as a baseline when a load is named */
	if (users && npol == 0) {
		/* the named load with the policies above; the recorded users' closed loop is the
		 * baseline the advice compares with */
		struct whatif_scenario b = proto;
		b.users = 0;
		b.user_pace_s = 0;
		b.ramp_s = 0;
		whatif_policy_parse(&b, "none", err, sizeof err);
		memmove(&sc[2], &sc[1], (nsc - 1) * sizeof sc[0]);
		sc[1] = b;
		nsc++;
	}

	co.jtl.keep_bodies = co.cfg.throttle.pattern != NULL;
	struct analysis *a = analysis_new(&co.cfg, err, sizeof err);
	if (!a) {
		diag_error("%s", err);
		return EXIT_USAGE;
	}
	struct read_opts ro = { .jtl = co.jtl, .strict = co.strict, .quiet = co.quiet, .captures = true };
	for (int i = optind; i < argc; i++) {
		int r = read_input(a, argv[i], &ro);
		if (r != EXIT_OK) {
			analysis_free(a);
			return r;
		}
	}
	analysis_finish(a);
	const struct throttle_result *tr = a->throttle ? throttle_result(a->throttle) : NULL;
	struct whatif_trace *t = whatif_trace_new();
	struct jtl_options jo = co.jtl;
	jo.tx_children = true;
	int rc = EXIT_OK;
	struct group_filter gf = { .by = co.cfg.throttle.region_by, .map = region_map_new() };
	strbuf_init(&gf.key);
	strbuf_init(&gf.out);
	if (co.cfg.throttle.region_map_path &&
	    !region_map_load(gf.map, co.cfg.throttle.region_map_path, err, sizeof err)) {
		diag_error("%s", err);
		rc = EXIT_INPUT;
	}
	gf.use_503 = tr && tr->primary && tr->primary->finding == THROTTLE_FINDING_PROBABLE;
	/* one group among several: replay its requests only ("other" folds many: all of them) */
	if (tr && tr->primary && tr->primary != &tr->overall && tr->ngroups > 1 && tr->primary->folded_keys == 0)
		gf.name = tr->primary->name;
	for (int i = optind; i < argc && rc == EXIT_OK; i++)
		rc = trace_input(t, a->throttle, argv[i], (uint32_t)(i - optind), &jo, &gf);
	region_map_free(gf.map);
	strbuf_release(&gf.key);
	strbuf_release(&gf.out);
	whatif_trace_finish(t);
	for (size_t i = 0; i < nsc; i++)
		if (sc[i].users)
			sc[i].user_quota = loops ? loops : whatif_recorded(t)->max_user_requests;
	proto.user_quota = loops ? loops : whatif_recorded(t)->max_user_requests;
	struct whatif_limiter lim;
	const char *why = "the throttle analysis did not run";
	bool known = rc == EXIT_OK && tr && tr->primary && whatif_limiter_from(&lim, tr->primary, &why);
	struct whatif_prediction *pred = xcalloc(WHATIF_MAX_SCENARIOS, sizeof *pred);
	struct whatif_prediction safe;
	uint32_t *rs = xcalloc(WHATIF_SERIES_MAX, sizeof *rs);
	size_t nrs = 0;
	bool have_safe = false;
	if (known && default_pace) {
		double r = whatif_limiter_rate(t, &lim, 0);
		if (r > 0 && nsc < WHATIF_MAX_SCENARIOS) {
			char pol[64];
			snprintf(pol, sizeof pol, "pace=%.3g/s", r * 0.95);
			sc[nsc] = proto;
			if (whatif_policy_parse(&sc[nsc], pol, err, sizeof err))
				nsc++;
		}
	}
	for (size_t i = 0; known && i < nsc; i++) {
		if (whatif_run(t, &lim, &sc[i], false, &pred[i], err, sizeof err) != 0) {
			diag_error("%s: %s", sc[i].name, err);
			rc = EXIT_USAGE;
			break;
		}
	}
	double safe_ramp = ramp > 0 ? ramp : whatif_recorded(t)->ramp_s;
	if (known && rc == EXIT_OK && !open_loop) {
		struct whatif_scenario s = proto;
		whatif_policy_parse(&s, "none", err, sizeof err);
		s.users = 0;
		if (whatif_run(t, &lim, &s, true, &safe, err, sizeof err) == 0)
			have_safe = true;
	}
	if (known && nsc)
		nrs = whatif_recorded_series(t, pred[0].series_width_s, rs, WHATIF_SERIES_MAX);
	if (rc == EXIT_OK) {
		struct whatif_doc d = {
			.inputs = (const char *const *)(argv + optind), .ninputs = (size_t)(argc - optind),
			.known = known, .why = why, .lim = known ? &lim : NULL, .rec = whatif_recorded(t),
			.sc = sc, .pred = pred, .nsc = nsc, .safe = have_safe ? &safe : NULL,
			.safe_ramp_s = safe_ramp, .rec_series = rs, .nrec_series = nrs,
		};
		FILE *f = outfile_open(wo.out);
		rc = f ? outfile_close(f, wo.out, output_whatif(f, wo.fmt, &d)) : EXIT_OUTPUT;
		if (rc == EXIT_OK && !known)
			rc = WHATIF_EXIT_UNKNOWN;
	}
	free(rs);
	free(pred);
	whatif_trace_free(t);
	analysis_free(a);
	return rc;
}
