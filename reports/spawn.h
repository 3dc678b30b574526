/* spawn.h - running a helper program (gnuplot) without a shell.
 *
 * The program is found on PATH and started with posix_spawnp and an argv vector: no shell ever
 * parses anything.  It runs in a given directory, stdin from /dev/null, stdout and stderr into a
 * log file in that directory, and is killed when it runs longer than the timeout.
 */
#ifndef JTLSCOPE_REPORTS_SPAWN_H
#define JTLSCOPE_REPORTS_SPAWN_H

enum {
	SPAWN_NOT_FOUND = -1,   /* the program is not on PATH (or not executable) */
	SPAWN_FAILED = -2,      /* could not start it (errno set) */
	SPAWN_TIMEOUT = -3,     /* killed after timeout_ms */
	SPAWN_SIGNALED = -4,    /* died of a signal */
};

struct spawn_opts {
	const char *dir;        /* working directory of the child, or NULL */
	const char *log;        /* stdout+stderr file, relative to dir; NULL: /dev/null */
	int timeout_ms;         /* <= 0: wait forever */
};

/* Run argv (argv[0] looked up on PATH) and wait for it.  Returns its exit status (0..255) or
 * one of the negative SPAWN_* codes. */
int spawn_run(char *const argv[], const struct spawn_opts *o);

#endif
