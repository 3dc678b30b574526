/* report_cmd.h - `jtlscope report`: read inputs into one analysis and write the reports; and
 * the output options report and merge share (REPORT_OUT_LONGOPTS: -o DIR, -f LIST, --charts,
 * --stamp, -q, --fail-on, --junit), with the writing of the formats they ask for through the
 * output registry (reports/output.h). */
#ifndef JTLSCOPE_CLI_REPORT_CMD_H
#define JTLSCOPE_CLI_REPORT_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/gate.h"
#include "cli/options.h"
#include "common/exit_codes.h"
#include "reports/charts.h"
#include "reports/report.h"

int cmd_report(int argc, char **argv);
void report_usage(FILE *f);

enum report_out_opt_id { OPT_STAMP = OPT_GATE_END, OPT_CHARTS };
#define REPORT_OUT_LONGOPTS                                                          \
	BASIC_LONGOPTS,                                                              \
	{ "stamp", no_argument, NULL, OPT_STAMP },                                   \
	{ "charts", required_argument, NULL, OPT_CHARTS },                           \
	GATE_LONGOPTS

struct report_out {
	const char *outdir;         /* -o DIR, or NULL: the one format to stdout */
	unsigned formats;           /* OUTPUT_REPORT bits (reports/output.h); 0 until given */
	enum chart_format charts;
	bool stamp, quiet;
	struct gate_opts gate;      /* the command frees gate.gate */
};
void report_out_init(struct report_out *o);
/* 1 handled, 0 not one of REPORT_OUT_LONGOPTS, -1 bad value (message printed). */
int report_out_opt(struct report_out *o, int id, const char *arg);
/* report_out_opt, else common_opt: an opt_cmd handler's result (0, or -1 on a bad value). */
int report_out_common_opt(struct report_out *o, struct common_opts *c, int id, const char *arg);
/* Once the options are read: text by default; EXIT_USAGE (message printed) when several
 * formats or csv come without -o, or --junit without --fail-on. */
int report_out_check(struct report_out *o);
/* Create -o DIR if needed: EXIT_OK, or EXIT_OUTPUT (message printed). */
int report_out_mkdir(const struct report_out *o);
/* The charts, then every requested format into o->outdir (or the one to stdout); m->charts
 * is set for the writers and cleared again.  EXIT_OK or EXIT_OUTPUT (message printed). */
int report_out_write(const struct report_out *o, const struct analysis *a, struct report_meta *m);
/* The wall-clock time for --stamp ("2026-01-02 03:04:05.678 UTC") into buf (>= 64 bytes). */
const char *report_stamp(char *buf, size_t len);

#endif
