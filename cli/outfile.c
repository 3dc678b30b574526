/* outfile.c - see outfile.h. */
#include "cli/outfile.h"

#include <errno.h>
#include <string.h>

#include "common/diag.h"
#include "common/exit_codes.h"

FILE *outfile_open(const char *path)
{
	if (!path)
		return stdout;
	FILE *f = fopen(path, "w");
	if (!f)
		diag_error("cannot write '%s': %s", path, strerror(errno));
	return f;
}

int outfile_close(FILE *f, const char *path, int w)
{
	int cl = f == stdout ? fflush(f) : fclose(f);
	if (w != 0 || cl != 0) {
		diag_error("cannot write '%s': %s", path ? path : "<stdout>", strerror(errno));
		return EXIT_OUTPUT;
	}
	return EXIT_OK;
}
