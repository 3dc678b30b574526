/* summary_cmd.h - `jtlscope summarize` (inputs -> one mergeable summary file) and `jtlscope
 * merge` (summaries -> the reports of one analysis), plus the input loop compare shares.
 *
 * Exit codes as report (cli/report_cmd.h); merge and summarize also EXIT_GATE with --fail-on. */
#ifndef JTLSCOPE_CLI_SUMMARY_CMD_H
#define JTLSCOPE_CLI_SUMMARY_CMD_H

#include <stdbool.h>
#include <stdio.h>
#include "analyzer/analysis.h"
#include "parsers/jtl.h"

int cmd_summarize(int argc, char **argv);
int cmd_merge(int argc, char **argv);
void summarize_usage(FILE *f);
void merge_usage(FILE *f);

/* Read one JTL input into a (not finished).  Returns an EXIT_* code: EXIT_OK, EXIT_INPUT (the
 * input is recorded in a->inputs with its error), EXIT_STRICT. */
int sumcmd_read_input(struct analysis *a, const char *path, const struct jtl_options *jtl,
		      bool strict, bool quiet);

#endif
