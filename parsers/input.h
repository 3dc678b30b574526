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
/* Wrap an in-memory buffer (borrowed; used by tests and fuzz targets); closed with input_close
 * like a file's handle. */
struct input *input_open_mem(const void *data, size_t len, const char *name);

/* Read up to cap bytes.  Returns the count, 0 at the end, -1 on error (see input_error). */
ptrdiff_t input_read(struct input *in, void *buf, size_t cap);

/* Show up to INPUT_PEEK_MAX bytes of the start of the (decompressed) stream without consuming
 * them; valid until the first input_read. */
size_t input_peek(struct input *in, const unsigned char **p);

/* Sniff the format from the first bytes. */
enum input_format input_sniff(struct input *in);
const char *input_format_name(enum input_format f);

/* What a stream that input_sniff calls CSV, XML or JSON really holds, judged from its first
 * lines: a JMeter result file, or the output of another tool named so that the message can say
 * so ("this is a k6 CSV, not a JMeter JTL").  INPUT_CONTENT_JTL also stands for "nothing
 * against it": the readers have the last word.  The patterns are in input.c, with where each
 * format is documented. */
enum input_content {
	INPUT_CONTENT_JTL = 0,
	INPUT_CONTENT_K6_CSV,          /* k6 --out csv: metric_name,timestamp,metric_value,... */
	INPUT_CONTENT_K6_JSON,         /* k6 --out json: {"type":"Point","metric":...} lines */
	INPUT_CONTENT_GATLING_LOG,     /* Gatling simulation.log: RUN/USER/REQUEST tab records */
	INPUT_CONTENT_LOCUST_CSV,      /* Locust --csv: Type,Name,Request Count,... */
	INPUT_CONTENT_JMETER_TABLE,    /* a listener's table saved as CSV: Label,# Samples,Average,... */
	INPUT_CONTENT_JMETER_LOG,      /* jmeter.log: "2024-01-15 10:23:45,123 INFO o.a.j..." */
	INPUT_CONTENT_LOG,             /* another log4j/logback-style log */
	INPUT_CONTENT_JMETER_PLAN,     /* a .jmx test plan (<jmeterTestPlan>) */
	INPUT_CONTENT_HTML,            /* an HTML page (JMeter's dashboard index.html...) */
	INPUT_CONTENT_MARKDOWN,        /* README.md and friends */
	INPUT_CONTENT_TEXT,            /* prose, not delimited values */
	INPUT_CONTENT_OTHER_CSV,       /* a CSV whose header names no JMeter column */
};
/* Judge the start of the stream (input_peek; nothing consumed).  fmt is input_sniff's answer;
 * delim the CSV delimiter when known (0 = guess). */
enum input_content input_identify(struct input *in, enum input_format fmt, char delim);
/* "a k6 CSV", "a Gatling simulation.log", ... for "this is X, not a JMeter JTL". */
const char *input_content_name(enum input_content c);

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
