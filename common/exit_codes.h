/* exit_codes.h - the process exit codes of every command (documented in docs/jtlscope.1 and the
 * README).  Only cli/ returns them from main; library functions that report an outcome in these
 * terms (read_input) return them to cli/, never exit. */
#ifndef JTLSCOPE_COMMON_EXIT_CODES_H
#define JTLSCOPE_COMMON_EXIT_CODES_H

enum {
	EXIT_OK = 0,
	EXIT_USAGE = 2,      /* bad command line */
	EXIT_INPUT = 3,      /* an input could not be read: missing, unknown format, corrupt */
	EXIT_STRICT = 4,     /* --strict and a record was malformed */
	EXIT_OUTPUT = 5,     /* a report could not be written */
	EXIT_GATE = 6,       /* a --fail-on criterion was met */
};

#endif
