/* outfile.h - the file a command writes its output to: opened (or stdout), then closed with the
 * writer's result, so every command says "cannot write 'PATH': reason" the same way.
 *
 *   FILE *f = outfile_open(path);             NULL path = stdout; NULL on failure (printed)
 *   rc = outfile_close(f, path, writer(f, ...));          EXIT_OK or EXIT_OUTPUT (printed)
 */
#ifndef JTLSCOPE_CLI_OUTFILE_H
#define JTLSCOPE_CLI_OUTFILE_H

#include <stdio.h>

FILE *outfile_open(const char *path);
/* Close f (flush it when stdout); w is the writer's result (0 or -1). */
int outfile_close(FILE *f, const char *path, int w);

#endif
