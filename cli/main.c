/* main.c - jtlscope entry point: dispatch to subcommands.  Only this layer exits. */
#include <stdio.h>
#include <string.h>

#include "cli/batch.h"
#include "cli/compare.h"
#include "cli/report_cmd.h"
#include "cli/summary_cmd.h"
#include "cli/timeline.h"
#include "cli/whatif_cmd.h"
#include "common/exit_codes.h"

#ifndef JTLSCOPE_VERSION
#define JTLSCOPE_VERSION "0.0.0"
#endif

static void usage(FILE *f)
{
	fputs("usage: jtlscope <command> [options] ...\n"
	      "\n"
	      "commands:\n"
	      "  report INPUT...      analyse JMeter results (CSV/XML JTL, .gz) and/or captures\n"
	      "                       (pcap/pcapng) and write reports\n"
	      "  timeline CAPTURE     per-connection timelines of a capture\n"
	      "  batch DIR|FILE... -o OUT   analyse an archive of runs in parallel, index them\n"
	      "  compare BASE CAND    per-label deltas, onset shift, limit change of two runs\n"
	      "  summarize INPUT...   write a mergeable summary of JMeter results\n"
	      "  merge SUMMARY...     combine summaries into one analysis and write its reports\n"
	      "  whatif RUN...        replay the run through the fitted limiter under other client\n"
	      "                       policies and loads (exit 1: limiter unknown)\n"
	      "  help [COMMAND]       this text, or a command's options (= jtlscope COMMAND --help)\n"
	      "\n"
	      "  jtlscope -V, --version   print the version\n"
	      "\n"
	      "Exit codes: 0 ok, 2 usage, 3 input error, 4 --strict and a malformed record,\n"
	      "5 output error, 6 a --fail-on criterion was met.  See jtlscope(1).\n", f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0 || strcmp(cmd, "version") == 0) {
		printf("jtlscope %s\n", JTLSCOPE_VERSION);
		return EXIT_OK;
	}
	if (strcmp(cmd, "help") == 0 && argc > 2 && strcmp(argv[2], "help") != 0) {
		/* jtlscope help CMD = jtlscope CMD --help */
		static char help_opt[] = "--help";
		char *hv[] = { argv[0], argv[2], help_opt, NULL };
		return main(3, hv);
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(cmd, "report") == 0)
		return cmd_report(argc - 1, argv + 1);
	if (strcmp(cmd, "timeline") == 0)
		return cmd_timeline(argc - 1, argv + 1);
	if (strcmp(cmd, "batch") == 0)
		return cmd_batch(argc - 1, argv + 1);
	if (strcmp(cmd, "compare") == 0)
		return cmd_compare(argc - 1, argv + 1);
	if (strcmp(cmd, "summarize") == 0)
		return cmd_summarize(argc - 1, argv + 1);
	if (strcmp(cmd, "merge") == 0)
		return cmd_merge(argc - 1, argv + 1);
	if (strcmp(cmd, "whatif") == 0)
		return cmd_whatif(argc - 1, argv + 1);
	fprintf(stderr, "jtlscope: error: unknown command '%s'\n", cmd);
	usage(stderr);
	return EXIT_USAGE;
}
