/* whatif_cmd.h - `jtlscope whatif RUN...`: the run replayed through the fitted limiter under
 * other client policies and loads (issue 16; docs/whatif.md). */
#ifndef JTLSCOPE_CLI_WHATIF_CMD_H
#define JTLSCOPE_CLI_WHATIF_CMD_H

#include <stdio.h>

int cmd_whatif(int argc, char **argv);
void whatif_usage(FILE *f);

#endif
