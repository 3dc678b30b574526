/* spawn.c - see spawn.h. */
#include "reports/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define SPAWN_POLL_MS 5

static int wait_child(pid_t pid, int timeout_ms)
{
	int status, waited = 0;
	for (;;) {
		pid_t r = waitpid(pid, &status, timeout_ms > 0 ? WNOHANG : 0);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return SPAWN_FAILED;
		if (r == 0) {
			if (waited >= timeout_ms) {
				kill(pid, SIGKILL);
				while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
					;
				return SPAWN_TIMEOUT;
			}
			struct timespec ts = { 0, SPAWN_POLL_MS * 1000000L };
			nanosleep(&ts, NULL);
			waited += SPAWN_POLL_MS;
		}
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return SPAWN_SIGNALED;
}

pid_t spawn_start(char *const argv[], const struct spawn_opts *o)
{
	posix_spawn_file_actions_t fa;
	if (posix_spawn_file_actions_init(&fa) != 0)
		return SPAWN_FAILED;
	int err = 0;
	/* order matters: chdir first, so a relative log path lands in dir */
	if (o->dir)
		err = err ? err : posix_spawn_file_actions_addchdir_np(&fa, o->dir);
	err = err ? err : posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (o->use_log_fd)
		err = err ? err : posix_spawn_file_actions_adddup2(&fa, o->log_fd, 1);
	else
		err = err ? err : posix_spawn_file_actions_addopen(&fa, 1, o->log ? o->log : "/dev/null",
								  O_WRONLY | O_CREAT | O_TRUNC, 0600);
	err = err ? err : posix_spawn_file_actions_adddup2(&fa, 1, 2);
	pid_t pid;
	if (!err)
		err = o->exe ? posix_spawn(&pid, o->exe, &fa, NULL, argv, environ)
			     : posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err) {
		errno = err;
		return err == ENOENT || err == EACCES ? SPAWN_NOT_FOUND : SPAWN_FAILED;
	}
	return pid;
}

int spawn_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

int spawn_run(char *const argv[], const struct spawn_opts *o)
{
	pid_t pid = spawn_start(argv, o);
	if (pid < 0)
		return (int)pid;
	return wait_child(pid, o->timeout_ms);
}
