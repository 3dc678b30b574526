/* read_input.h - read one input (JTL CSV/XML or a capture, plain or gzip) into an analysis.
 * Shared by report, summarize and compare, so every command reads inputs the same way. */
#ifndef JTLSCOPE_CLI_READ_INPUT_H
#define JTLSCOPE_CLI_READ_INPUT_H

#include <stdbool.h>
#include "analyzer/analysis.h"
#include "analyzer/join.h"
#include "parsers/capture/capture.h"
#include "parsers/jtl.h"

struct read_opts {
	struct jtl_options jtl;
	bool strict;         /* stop (EXIT_STRICT) at the first malformed record */
	bool quiet;          /* no warnings or progress on stderr (still counted) */
	bool captures;       /* accept pcap/pcapng: their HTTP and WebSocket exchanges become samples */
	const char *no_capture_why; /* message when captures is false */
	bool capture_totals_only;   /* captures: count what they hold, add no samples */
	struct join *join;          /* JTL samples are also matched against this capture */
	bool join_headers_only;     /* ...only for its rate-limit headers (no segments) */
	const struct capture_keylog *keylog; /* --tls-keylog: decrypt TLS in captures (or NULL) */
};

/* The capture a JTL is joined with: opened before, closed after the JTL is read. */
struct join_source {
	const char *path;
	enum input_format fmt;
	struct input *in;
	struct capture *cap;
	struct diag d;
	struct join join;
};

/* Sniff a path's format without reading it ('-' is INPUT_FMT_UNKNOWN: it cannot be read twice). */
enum input_format read_sniff(const char *path);
/* Open path as the capture to join with; false (message printed) if it cannot be read. */
bool join_source_open(struct join_source *js, const char *path, bool quiet,
		      const struct capture_keylog *keylog);
/* One line on stderr about a loaded key log (bad lines counted, a truncated last line). */
void keylog_note(const struct capture_keylog *k, const char *path, bool quiet);
/* Read the rest of the capture, add its totals and input line to a; returns an exit code. */
int join_source_close(struct join_source *js, struct analysis *a);
/* Close a join used only to enrich one of several JTLs with the capture's rate-limit headers:
 * nothing is added to the analysis (the capture is read once more on its own). */
void join_source_discard(struct join_source *js);

/* Reads path ('-' = stdin) into a, records its diagnostics with analysis_add_input and returns
 * an exit code: EXIT_OK, EXIT_INPUT or EXIT_STRICT (common/exit_codes.h). */
int read_input(struct analysis *a, const char *path, const struct read_opts *o);

#endif
