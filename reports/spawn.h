/* spawn.h - running a helper program (gnuplot, batch's report workers) without a shell.
 *
 * The program is found on PATH and started with posix_spawnp and an argv vector: no shell ever
 * parses anything.  It runs in a given directory, stdin from /dev/null, stdout and stderr into a
 * log file in that directory, and is killed when it runs longer than the timeout.
 */
#ifndef JTLSCOPE_REPORTS_SPAWN_H
#define JTLSCOPE_REPORTS_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

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
	const char *exe;        /* run this file (no PATH search) instead of argv[0]; NULL: PATH */
	int log_fd;             /* with use_log_fd: stdout+stderr into this descriptor, not log */
	bool use_log_fd;
};

/* Run argv (argv[0] looked up on PATH) and wait for it.  Returns its exit status (0..255) or
 * one of the negative SPAWN_* codes. */
int spawn_run(char *const argv[], const struct spawn_opts *o);

/* Start argv without waiting (timeout_ms unused): the child's pid, or a negative SPAWN_* code
 * (errno set).  The caller reaps it (waitpid) and reads the status with spawn_exit_code.
 * Batch's worker pool (reports/archive_pool.c) and gnuplot share this one spawner. */
pid_t spawn_start(char *const argv[], const struct spawn_opts *o);
/* A waitpid status as a number: the exit status 0..255, or 128 + N when killed by signal N. */
int spawn_exit_code(int status);

#endif
