/* batch.h - `jtlscope batch DIR|FILE... -o OUT`: analyse an archive of runs in parallel worker
 * processes and index them.
 *
 * Runs are found by content (JTL CSV/XML, gzip or not), never by name; a capture (pcap/pcapng,
 * gzip or not) is paired with the JTL of the same stem in its folder, or with the folder's only
 * JTL (parsers/archive/discover.h).  Each run is analysed by `report` in a worker process
 * (reports/archive_pool.h: posix_spawn of /proc/self/exe through reports/spawn.h, no shell; at
 * most -j at once) into OUT/runs/<safe-name>/; its report.json feeds one index row
 * (reports/archive_index.h).  A failed or corrupt run gets a row with its exit code and first
 * error line and never stops the batch.  Unchanged runs (size, mtime, content hash;
 * OUT/.jtlscope-cache.json, reports/archive_cache.h) are not analysed again.  Index:
 * OUT/index.{md,html,csv,json}, written by reports/index.h from each run's struct run_metrics.
 * See docs/archives.md.
 */
#ifndef JTLSCOPE_CLI_BATCH_H
#define JTLSCOPE_CLI_BATCH_H

#include <stdio.h>

int cmd_batch(int argc, char **argv);
void batch_usage(FILE *f);

#endif
