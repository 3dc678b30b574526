/* timeline.h - `jtlscope timeline CAPTURE`: per-connection timelines of a packet capture.
 *
 *   jtlscope timeline CAPTURE [--format text|json|csv] [--connection FILTER]
 *
 * Each connection is printed as a block when it ends (so memory follows the open connections,
 * not the capture length), its events in time order with the time relative to the first packet
 * (ms) and in absolute UTC.  FILTER keeps connections whose name ("c3 10.0.0.1:5555>...:80")
 * contains it, or whose number it is ("3" or "c3").  Returns the process exit code: 0 ok,
 * 2 usage, 3 input error.
 */
#ifndef JTLSCOPE_CLI_TIMELINE_H
#define JTLSCOPE_CLI_TIMELINE_H

#include <stdio.h>

int cmd_timeline(int argc, char **argv);
void timeline_usage(FILE *f);

#endif
