/* whatif_cmd.c - `jtlscope whatif RUN...`: the run's offered load replayed through the fitted
 * limiter under other client policies and loads (analyzer/whatif, docs/whatif.md).
 *
 * The inputs are read twice: once into the analysis (the throttle analysis fits the limiter),
 * once into the whatif trace (each request, classified by the finished throttle analysis). */
#include "cli/whatif_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/analysis.h"
#include "analyzer/region.h"
#include "analyzer/whatif/whatif.h"
#include "cli/options.h"
#include "cli/read_input.h"
#include "cli/report_cmd.h"
#include "common/diag.h"
#include "common/util.h"
#include "parsers/capture/capture.h"
#include "parsers/input.h"
#include "parsers/jtl.h"
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

static int write_out(const cJSON *tree, const char *fmt, const char *out)
{
	FILE *f = out ? fopen(out, "w") : stdout;
	if (!f) {
		diag_error("cannot write '%s': %s", out, strerror(errno));
		return EXIT_OUTPUT;
	}
	int w;
	if (strcmp(fmt, "json") == 0) {
		char *s = cJSON_Print(tree);
		w = s && fputs(s, f) >= 0 && fputc('\n', f) != EOF ? 0 : -1;
		cJSON_free(s);
	} else if (strcmp(fmt, "md") == 0) {
		w = whatif_write_md(f, tree);
	} else if (strcmp(fmt, "html") == 0) {
		w = whatif_write_html(f, tree);
	} else {
		w = whatif_write_text(f, tree);
	}
	int cl = f == stdout ? fflush(f) : fclose(f);
	if (w != 0 || cl != 0) {
		diag_error("cannot write '%s': %s", out ? out : "<stdout>", strerror(errno));
		return EXIT_OUTPUT;
	}
	return EXIT_OK;
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

int cmd_whatif(int argc, char **argv)
{
	struct common_opts co;
	common_opts_init(&co);
	const char *fmt = "text", *out = NULL;
	struct whatif_scenario sc[WHATIF_MAX_SCENARIOS];
	size_t nsc = 0;
	const char *policies[WHATIF_MAX_SCENARIOS];
	size_t npol = 0;
	uint32_t users = 0;
	double pace = 0, ramp = 0, duration = 0;
	bool open_loop = false;
	uint64_t loops = 0;
	double retry_after = 0;
	uint64_t seed = WHATIF_DEFAULT_SEED;
	enum { W_POLICY = OPT_COMMON_END, W_USERS, W_PACE, W_RAMP, W_DURATION, W_OPEN, W_SEED, W_LOOPS, W_RA };
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
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
	optind = 1;
	opterr = 0;
	int c;
	char err[600];
	while ((c = getopt_long(argc, argv, ":f:o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "md") && strcmp(optarg, "json") &&
			    strcmp(optarg, "html")) {
				diag_error("--format: want text, md, json or html, not '%s'", optarg);
				return EXIT_USAGE;
			}
			fmt = optarg;
			break;
		case 'o': out = optarg; break;
		case 'q': co.quiet = true; break;
		case 'h': whatif_usage(stdout); return EXIT_OK;
		case W_POLICY:
			if (npol >= WHATIF_MAX_SCENARIOS - 1) {
				diag_error("--policy: at most %d", WHATIF_MAX_SCENARIOS - 1);
				return EXIT_USAGE;
			}
			policies[npol++] = optarg;
			break;
		case W_USERS: {
			char *end;
			errno = 0;
			unsigned long v = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 1 || v > WHATIF_MAX_USERS) {
				diag_error("--users: want 1..%u, not '%s'", WHATIF_MAX_USERS, optarg);
				return EXIT_USAGE;
			}
			users = (uint32_t)v;
			break;
		}
		case W_PACE:
			if (!opt_seconds("--pace", optarg, &pace) || pace <= 0) {
				if (pace <= 0)
					diag_error("--pace: want a positive duration");
				return EXIT_USAGE;
			}
			break;
		case W_RAMP:
			if (!opt_seconds("--ramp", optarg, &ramp))
				return EXIT_USAGE;
			break;
		case W_DURATION:
			if (!opt_seconds("--duration", optarg, &duration) || duration <= 0)
				return EXIT_USAGE;
			break;
		case W_OPEN: open_loop = true; break;
		case W_RA:
			if (!opt_seconds("--retry-after", optarg, &retry_after) || retry_after <= 0) {
				if (retry_after <= 0)
					diag_error("--retry-after: want a positive duration");
				return EXIT_USAGE;
			}
			break;
		case W_LOOPS: {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 1 || v > WHATIF_MAX_SIM) {
				diag_error("--loops: want 1..%u, not '%s'", WHATIF_MAX_SIM, optarg);
				return EXIT_USAGE;
			}
			loops = v;
			break;
		}
		case W_SEED: {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg) {
				diag_error("--seed: want a number, not '%s'", optarg);
				return EXIT_USAGE;
			}
			seed = v;
			break;
		}
		case ':':
			diag_error("option '%s' needs a value", argv[optind - 1]);
			return EXIT_USAGE;
		default: {
			int r = common_opt(&co, c, optarg);
			if (r > 0)
				break;
			if (r == 0) {
				diag_error("unknown option '%s'", argv[optind - 1]);
				fputs("try 'jtlscope whatif --help' for the options\n", stderr);
			}
			return EXIT_USAGE;
		}
		}
	}
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
		cJSON *tree = whatif_json_tree(&d);
		rc = write_out(tree, fmt, out);
		cJSON_Delete(tree);
		if (rc == EXIT_OK && !known)
			rc = WHATIF_EXIT_UNKNOWN;
	}
	free(rs);
	free(pred);
	whatif_trace_free(t);
	analysis_free(a);
	return rc;
}
