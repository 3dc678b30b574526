/* input.h - a byte stream from a file or stdin, gzip inflated transparently.
 *
 * gzip is detected by its magic bytes (1f 8b), never by the file name, and inflated as a stream
 * (concatenated members included).  A gzip stream that ends before its trailer is an error,
 * never a silent short read.  With ISA-L available (HAVE_ISAL) inflation uses igzip, otherwise
 * zlib; gzip inflation runs on a second thread so parsing and inflating overlap.
 *
 * Ownership: input_open returns a handle the caller closes with input_close.  Errors are written
 * into the handle (input_error) or, for input_open, into the caller's buffer.
 */
#ifndef JTLSCOPE_PARSERS_INPUT_H
#define JTLSCOPE_PARSERS_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define INPUT_PEEK_MAX 4096   /* bytes of decompressed data input_peek can show */

enum input_format {
	INPUT_FMT_UNKNOWN = 0,
	INPUT_FMT_EMPTY,
	INPUT_FMT_CSV,
	INPUT_FMT_XML,
	INPUT_FMT_PCAP,
	INPUT_FMT_PCAPNG,
	INPUT_FMT_JSON,        /* a jtlscope summary (merge) */
};

struct input;

/* path "-" reads stdin.  On failure returns NULL and writes a message into err. */
struct input *input_open(const char *path, char *err, size_t errlen);
/* Wrap an in-memory buffer (borrowed; used by tests and fuzz targets). */
struct input *input_open_mem(const void *data, size_t len, const char *name);

/* Read up to cap bytes.  Returns the count, 0 at the end, -1 on error (see input_error). */
ptrdiff_t input_read(struct input *in, void *buf, size_t cap);

/* Show up to INPUT_PEEK_MAX bytes of the start of the (decompressed) stream without consuming
 * them; valid until the first input_read. */
size_t input_peek(struct input *in, const unsigned char **p);

/* Sniff the format from the first bytes. */
enum input_format input_sniff(struct input *in);
const char *input_format_name(enum input_format f);

bool input_is_gzip(const struct input *in);
const char *input_path(const struct input *in);
const char *input_error(const struct input *in);
/* Bytes consumed from the underlying file so far, and its size (0 if unknown): progress. */
uint64_t input_raw_offset(const struct input *in);
uint64_t input_raw_size(const struct input *in);
/* Decompressed bytes delivered so far. */
uint64_t input_offset(const struct input *in);

/* A stdio view of the (decompressed) stream for libraries that want a FILE* (libpcap).  The
 * FILE must be fclose()d before input_close; it does not own the input. */
FILE *input_fopen(struct input *in);

void input_close(struct input *in);

#endif
