/* input.c - file/stdin byte stream with transparent gzip (RFC 1952), see input.h.
 *
 * Plain files are read straight into the caller's buffer.  gzip streams are inflated by a
 * producer thread into a small ring of fixed blocks (INPUT_BLOCKS x INPUT_BLOCK_SIZE), so memory
 * is constant whatever the file size and inflate overlaps with parsing.  ISA-L's igzip is the
 * fast inflater when built with HAVE_ISAL; zlib is the portable one.  Both check the CRC and
 * length in every member's trailer; input that ends inside a member is reported as truncated.
 */
#include "parsers/input.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include "common/util.h"

#ifndef INPUT_RAW_SIZE /* fuzz builds use a small size to reach the refill paths */
#define INPUT_RAW_SIZE (256u << 10)     /* compressed bytes read per read(2) */
#endif
#define INPUT_BLOCK_SIZE (1u << 20)     /* inflated bytes per ring block */
#define INPUT_BLOCKS 4

struct gzdec {
	bool isal;
#ifdef HAVE_ISAL
	struct inflate_state st;
#endif
	z_stream zs;
	bool zinit;
	bool in_member;        /* inside a member: end of input here = truncated */
	bool done;
};

struct block {
	unsigned char *data;
	size_t len;
};

struct input {
	char *path;
	int fd;
	bool own_fd;
	bool gzip;
	const unsigned char *mem;   /* input_open_mem */
	size_t mem_len, mem_pos;
	uint64_t raw_size;
	uint64_t raw_off;     /* written by the producer thread under lock when gzip */
	uint64_t out_off;
	char err[512];
	bool failed;
	bool eof;

	/* start of stream kept for peek/sniff */
	unsigned char peek[INPUT_PEEK_MAX];
	size_t peek_len, peek_pos;
	bool peeked;

	/* raw (compressed) read buffer */
	unsigned char *raw;
	size_t raw_len, raw_pos;
	bool raw_eof;

	struct gzdec gz;

	/* producer/consumer ring (gzip only) */
	bool threaded;
	pthread_t thr;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct block blk[INPUT_BLOCKS];
	unsigned head, tail, count;     /* full blocks: [tail, tail+count) */
	bool prod_done, prod_failed, stop;
	char prod_err[512];
	size_t cur_pos;                 /* consumer position in blk[tail] */
};

static void set_err(struct input *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(struct input *in, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(in->err, sizeof in->err, fmt, ap);
	va_end(ap);
	in->failed = true;
}

/* Read raw bytes (file, stdin or memory). Returns count, 0 at end, -1 on error. */
static ptrdiff_t raw_read(struct input *in, unsigned char *buf, size_t cap, char *err, size_t errlen)
{
	if (in->mem) {
		size_t n = in->mem_len - in->mem_pos;
		if (n > cap)
			n = cap;
		memcpy(buf, in->mem + in->mem_pos, n);
		in->mem_pos += n;
		return (ptrdiff_t)n;
	}
	for (;;) {
		ssize_t r = read(in->fd, buf, cap);
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		snprintf(err, errlen, "cannot read '%s': %s", in->path, strerror(errno));
		return -1;
	}
}

static bool raw_fill(struct input *in, char *err, size_t errlen)
{
	if (in->raw_pos < in->raw_len || in->raw_eof)
		return true;
	ptrdiff_t r = raw_read(in, in->raw, INPUT_RAW_SIZE, err, errlen);
	if (r < 0)
		return false;
	in->raw_pos = 0;
	in->raw_len = (size_t)r;
	if (r == 0)
		in->raw_eof = true;
	__atomic_add_fetch(&in->raw_off, (uint64_t)r, __ATOMIC_RELAXED);
	return true;
}

/* --- gzip decoding (one call produces up to cap bytes) --------------------------------- */

static bool gz_start_member(struct input *in, char *err, size_t errlen)
{
	struct gzdec *g = &in->gz;
#ifdef HAVE_ISAL
	if (g->isal) {
		isal_inflate_init(&g->st);
		g->st.crc_flag = ISAL_GZIP;
		g->in_member = true;
		return true;
	}
#endif
	int rc = g->zinit ? inflateReset2(&g->zs, 16 + MAX_WBITS) : inflateInit2(&g->zs, 16 + MAX_WBITS);
	if (rc != Z_OK) {
		snprintf(err, errlen, "'%s': cannot initialise zlib", in->path);
		return false;
	}
	g->zinit = true;
	g->in_member = true;
	return true;
}

/* After a member ends: another member follows (1f 8b), or the end.  Trailing bytes that are not
 * gzip are ignored as gzip(1) does, when they are zero padding; anything else is an error. */
static int gz_after_member(struct input *in, char *err, size_t errlen)
{
	for (;;) {
		if (!raw_fill(in, err, errlen))
			return -1;
		if (in->raw_pos >= in->raw_len)
			return 0; /* clean end */
		unsigned char c = in->raw[in->raw_pos];
		if (c == 0x1f)
			return gz_start_member(in, err, errlen) ? 1 : -1;
		if (c == 0) {
			in->raw_pos++;
			continue;
		}
		snprintf(err, errlen, "'%s': trailing garbage after gzip data", in->path);
		return -1;
	}
}

/* Returns bytes produced (> 0), 0 at the clean end, -1 on error. */
static ptrdiff_t gz_decode(struct input *in, unsigned char *out, size_t cap, char *err, size_t errlen)
{
	struct gzdec *g = &in->gz;
	size_t produced = 0;
	while (produced < cap && !g->done) {
		if (!g->in_member) {
			int r = gz_after_member(in, err, errlen);
			if (r < 0)
				return -1;
			if (r == 0) {
				g->done = true;
				break;
			}
		}
		if (!raw_fill(in, err, errlen))
			return -1;
		size_t avail = in->raw_len - in->raw_pos;
		if (avail == 0 && in->raw_eof) {
			snprintf(err, errlen, "'%s': truncated gzip stream (input ends inside a member)", in->path);
			return -1;
		}
#ifdef HAVE_ISAL
		if (g->isal) {
			g->st.next_in = in->raw + in->raw_pos;
			g->st.avail_in = (uint32_t)avail;
			g->st.next_out = out + produced;
			size_t room = cap - produced;
			g->st.avail_out = (uint32_t)(room > UINT32_MAX ? UINT32_MAX : room);
			uint32_t before_out = g->st.avail_out;
			int rc = isal_inflate(&g->st);
			in->raw_pos += avail - g->st.avail_in;
			produced += before_out - g->st.avail_out;
			if (rc < 0) {
				snprintf(err, errlen, "'%s': corrupt gzip data (%s)", in->path,
					 rc == ISAL_INCORRECT_CHECKSUM ? "checksum mismatch" : "invalid deflate stream");
				return -1;
			}
			if (g->st.block_state == ISAL_BLOCK_FINISH)
				g->in_member = false;
			continue;
		}
#endif
		g->zs.next_in = in->raw + in->raw_pos;
		g->zs.avail_in = (uInt)avail;
		g->zs.next_out = out + produced;
		size_t room = cap - produced;
		g->zs.avail_out = (uInt)(room > UINT32_MAX ? UINT32_MAX : room);
		uInt before_out = g->zs.avail_out;
		int rc = inflate(&g->zs, Z_NO_FLUSH);
		in->raw_pos += avail - g->zs.avail_in;
		produced += before_out - g->zs.avail_out;
		if (rc == Z_STREAM_END) {
			g->in_member = false;
		} else if (rc != Z_OK && rc != Z_BUF_ERROR) {
			snprintf(err, errlen, "'%s': corrupt gzip data (%s)", in->path,
				 g->zs.msg ? g->zs.msg : "inflate failed");
			return -1;
		}
	}
	return (ptrdiff_t)produced;
}

/* --- producer thread ---------------------------------------------------------------------- */

static void *producer(void *arg)
{
	struct input *in = arg;
	char err[512] = "";
	for (;;) {
		pthread_mutex_lock(&in->mu);
		while (in->count == INPUT_BLOCKS && !in->stop)
			pthread_cond_wait(&in->cv, &in->mu);
		bool stop = in->stop;
		unsigned slot = in->head;
		pthread_mutex_unlock(&in->mu);
		if (stop)
			return NULL;
		ptrdiff_t n = gz_decode(in, in->blk[slot].data, INPUT_BLOCK_SIZE, err, sizeof err);
		pthread_mutex_lock(&in->mu);
		if (n > 0) {
			in->blk[slot].len = (size_t)n;
			in->head = (in->head + 1) % INPUT_BLOCKS;
			in->count++;
		}
		if (n <= 0 || in->gz.done) {
			in->prod_done = true;
			if (n < 0) {
				in->prod_failed = true;
				memcpy(in->prod_err, err, sizeof err);
			}
		}
		bool done = in->prod_done;
		pthread_cond_broadcast(&in->cv);
		pthread_mutex_unlock(&in->mu);
		if (done)
			return NULL;
	}
}

/* Consumer side of the ring. */
static ptrdiff_t ring_read(struct input *in, unsigned char *buf, size_t cap)
{
	size_t got = 0;
	while (got < cap) {
		pthread_mutex_lock(&in->mu);
		while (in->count == 0 && !in->prod_done)
			pthread_cond_wait(&in->cv, &in->mu);
		if (in->count == 0) {
			bool failed = in->prod_failed;
			if (failed && got == 0)
				set_err(in, "%s", in->prod_err);
			pthread_mutex_unlock(&in->mu);
			if (failed && got == 0)
				return -1;
			break;
		}
		struct block *b = &in->blk[in->tail];
		pthread_mutex_unlock(&in->mu);
		size_t n = b->len - in->cur_pos;
		if (n > cap - got)
			n = cap - got;
		memcpy(buf + got, b->data + in->cur_pos, n);
		got += n;
		in->cur_pos += n;
		if (in->cur_pos == b->len) {
			pthread_mutex_lock(&in->mu);
			in->tail = (in->tail + 1) % INPUT_BLOCKS;
			in->count--;
			in->cur_pos = 0;
			pthread_cond_broadcast(&in->cv);
			pthread_mutex_unlock(&in->mu);
		}
	}
	return (ptrdiff_t)got;
}

/* Raw (undecoded) or decoded read below the peek buffer. */
static ptrdiff_t stream_read(struct input *in, unsigned char *buf, size_t cap)
{
	if (in->failed)
		return -1;
	if (in->eof)
		return 0;
	ptrdiff_t r;
	if (in->threaded) {
		r = ring_read(in, buf, cap);
	} else if (in->gzip) {
		r = gz_decode(in, buf, cap, in->err, sizeof in->err);
		if (r < 0)
			in->failed = true;
	} else {
		/* the first raw bytes may sit in in->raw from detection */
		if (in->raw_pos < in->raw_len) {
			size_t n = in->raw_len - in->raw_pos;
			if (n > cap)
				n = cap;
			memcpy(buf, in->raw + in->raw_pos, n);
			in->raw_pos += n;
			return (ptrdiff_t)n;
		}
		r = raw_read(in, buf, cap, in->err, sizeof in->err);
		if (r < 0)
			in->failed = true;
		else
			__atomic_add_fetch(&in->raw_off, (uint64_t)r, __ATOMIC_RELAXED);
	}
	if (r == 0)
		in->eof = true;
	return r;
}

static void fill_peek(struct input *in)
{
	if (in->peeked)
		return;
	in->peeked = true;
	while (in->peek_len < INPUT_PEEK_MAX) {
		ptrdiff_t r = stream_read(in, in->peek + in->peek_len, INPUT_PEEK_MAX - in->peek_len);
		if (r <= 0)
			break;
		in->peek_len += (size_t)r;
	}
}

static struct input *input_new(const char *name)
{
	struct input *in = xcalloc(1, sizeof *in);
	in->path = xstrdup(name);
	in->fd = -1;
	in->raw = xmalloc(INPUT_RAW_SIZE);
	return in;
}

/* Decide gzip from the first raw bytes; start the inflater (threaded for real files). */
static bool setup(struct input *in, char *err, size_t errlen)
{
	/* get at least 2 raw bytes */
	while (in->raw_len < 2 && !in->raw_eof) {
		ptrdiff_t r = raw_read(in, in->raw + in->raw_len, INPUT_RAW_SIZE - in->raw_len, err, errlen);
		if (r < 0)
			return false;
		if (r == 0)
			in->raw_eof = true;
		in->raw_len += (size_t)r;
		in->raw_off += (uint64_t)r;
	}
	if (in->raw_len >= 2 && in->raw[0] == 0x1f && in->raw[1] == 0x8b) {
		in->gzip = true;
#ifdef HAVE_ISAL
		in->gz.isal = getenv("JTLSCOPE_NO_ISAL") == NULL;
#endif
		if (!gz_start_member(in, err, errlen))
			return false;
		if (!in->mem) {
			pthread_mutex_init(&in->mu, NULL);
			pthread_cond_init(&in->cv, NULL);
			for (unsigned i = 0; i < INPUT_BLOCKS; i++)
				in->blk[i].data = xmalloc(INPUT_BLOCK_SIZE);
			if (pthread_create(&in->thr, NULL, producer, in) == 0) {
				in->threaded = true;
			} else {
				for (unsigned i = 0; i < INPUT_BLOCKS; i++) {
					free(in->blk[i].data);
					in->blk[i].data = NULL;
				}
				pthread_cond_destroy(&in->cv);
				pthread_mutex_destroy(&in->mu);
			}
		}
	}
	return true;
}

struct input *input_open(const char *path, char *err, size_t errlen)
{
	struct input *in = input_new(strcmp(path, "-") == 0 ? "<stdin>" : path);
	if (strcmp(path, "-") == 0) {
		in->fd = STDIN_FILENO;
	} else {
		in->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (in->fd < 0) {
			snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
			input_close(in);
			return NULL;
		}
		in->own_fd = true;
		struct stat st;
		if (fstat(in->fd, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				snprintf(err, errlen, "cannot read '%s': Is a directory", path);
				input_close(in);
				return NULL;
			}
			if (S_ISREG(st.st_mode))
				in->raw_size = (uint64_t)st.st_size;
		}
#ifdef POSIX_FADV_SEQUENTIAL
		posix_fadvise(in->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	}
	if (!setup(in, err, errlen)) {
		input_close(in);
		return NULL;
	}
	return in;
}

struct input *input_open_mem(const void *data, size_t len, const char *name)
{
	struct input *in = input_new(name ? name : "<memory>");
	in->mem = data ? data : (const unsigned char *)"";
	in->mem_len = data ? len : 0;
	in->raw_size = len;
	char err[256];
	if (!setup(in, err, sizeof err))
		set_err(in, "%s", err);
	return in;
}

ptrdiff_t input_read(struct input *in, void *buf, size_t cap)
{
	if (cap == 0)
		return 0;
	if (in->peek_pos < in->peek_len) {
		size_t n = in->peek_len - in->peek_pos;
		if (n > cap)
			n = cap;
		memcpy(buf, in->peek + in->peek_pos, n);
		in->peek_pos += n;
		in->out_off += n;
		return (ptrdiff_t)n;
	}
	in->peeked = true; /* no peeking once reading started past it */
	ptrdiff_t r = stream_read(in, buf, cap);
	if (r > 0)
		in->out_off += (uint64_t)r;
	return r;
}

size_t input_peek(struct input *in, const unsigned char **p)
{
	fill_peek(in);
	*p = in->peek + in->peek_pos;
	return in->peek_len - in->peek_pos;
}

static bool looks_xml(const unsigned char *p, size_t n)
{
	size_t i = 0;
	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		i = 3;
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	return i < n && p[i] == '<';
}

enum input_format input_sniff(struct input *in)
{
	const unsigned char *p;
	size_t n = input_peek(in, &p);
	if (in->failed && n == 0)
		return INPUT_FMT_UNKNOWN;
	if (n == 0)
		return INPUT_FMT_EMPTY;
	if (n >= 4) {
		uint32_t m = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		if (m == 0xa1b2c3d4 || m == 0xd4c3b2a1 || m == 0xa1b23c4d || m == 0x4d3cb2a1)
			return INPUT_FMT_PCAP;
		if (m == 0x0a0d0d0a)
			return INPUT_FMT_PCAPNG;
	}
	if (looks_xml(p, n))
		return INPUT_FMT_XML;
	size_t i = 0;
	while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t'))
		i++;
	if (i < n && p[i] == '{')
		return INPUT_FMT_JSON;
	/* CSV: text without NUL bytes in the first line(s) */
	size_t nul = 0, ctl = 0;
	for (size_t j = 0; j < n; j++) {
		if (p[j] == 0)
			nul++;
		else if (p[j] < 0x20 && p[j] != '\n' && p[j] != '\r' && p[j] != '\t')
			ctl++;
	}
	if (nul == 0 && ctl * 20 <= n)
		return INPUT_FMT_CSV;
	return INPUT_FMT_UNKNOWN;
}

const char *input_format_name(enum input_format f)
{
	switch (f) {
	case INPUT_FMT_EMPTY: return "empty";
	case INPUT_FMT_CSV: return "csv";
	case INPUT_FMT_XML: return "xml";
	case INPUT_FMT_PCAP: return "pcap";
	case INPUT_FMT_PCAPNG: return "pcapng";
	case INPUT_FMT_JSON: return "json";
	case INPUT_FMT_UNKNOWN: break;
	}
	return "unknown";
}

bool input_is_gzip(const struct input *in) { return in->gzip; }
const char *input_path(const struct input *in) { return in->path; }
const char *input_error(const struct input *in) { return in->err[0] ? in->err : "unknown error"; }
uint64_t input_raw_offset(const struct input *in) { return __atomic_load_n(&in->raw_off, __ATOMIC_RELAXED); }
uint64_t input_raw_size(const struct input *in) { return in->raw_size; }
uint64_t input_offset(const struct input *in) { return in->out_off; }

static ssize_t cookie_read(void *c, char *buf, size_t size)
{
	ptrdiff_t r = input_read(c, buf, size);
	if (r < 0) {
		errno = EIO;
		return -1;
	}
	return r;
}

FILE *input_fopen(struct input *in)
{
	cookie_io_functions_t io = { .read = cookie_read, .write = NULL, .seek = NULL, .close = NULL };
	return fopencookie(in, "r", io);
}

void input_close(struct input *in)
{
	if (!in)
		return;
	if (in->threaded) {
		pthread_mutex_lock(&in->mu);
		in->stop = true;
		pthread_cond_broadcast(&in->cv);
		pthread_mutex_unlock(&in->mu);
		pthread_join(in->thr, NULL);
		pthread_cond_destroy(&in->cv);
		pthread_mutex_destroy(&in->mu);
	}
	for (unsigned i = 0; i < INPUT_BLOCKS; i++)
		free(in->blk[i].data);
	if (in->gz.zinit)
		inflateEnd(&in->gz.zs);
	if (in->own_fd)
		close(in->fd);
	free(in->raw);
	free(in->path);
	free(in);
}

/* --- content: JMeter, or another tool's output ----------------------------------------------
 *
 * Only positive marks of another format are looked for here (a JMeter file has none of them);
 * whether a CSV is JMeter's is the CSV reader's call (its header names, its value types).
 * The marks, from each tool's documentation:
 *  - k6 `--out csv`: header metric_name,timestamp,metric_value,check,error,... (k6 docs,
 *    "CSV" output); `--out json`: one object a line, {"type":"Point","data":{...},"metric":...}.
 *  - Gatling simulation.log (2.x-3.9, text): tab-separated records whose first field is RUN,
 *    USER, REQUEST, GROUP, ERROR or ASSERTION.
 *  - Locust `--csv`: *_stats.csv "Type,Name,Request Count,Failure Count,...", *_stats_history.csv
 *    "Timestamp,User Count,Type,Name,Requests/s,...", *_failures.csv "Method,Name,Error,
 *    Occurrences", *_exceptions.csv "Count,Message,Traceback,Nodes".
 *  - JMeter listener tables (Aggregate/Summary Report "Save Table Data"): "Label,# Samples,...".
 *  - jmeter.log: "2024-01-15 10:23:45,123 INFO o.a.j.u.JMeterUtils: ..." (log4j2, JMeter >= 3.2)
 *    or "2017/01/15 10:23:45 INFO  - jmeter.util.JMeterUtils: ..." (JMeter <= 3.1).
 *  - .jmx plans (<jmeterTestPlan>), HTML pages, Markdown (# headings, ``` fences).
 */

#define IDENT_LINES 32     /* lines of the peek buffer examined */

struct line {
	const unsigned char *p;
	size_t n;
};

/* Complete lines of the peek (the last one too when the whole stream is in the peek). */
static size_t peek_lines(struct input *in, struct line *ln, size_t max)
{
	const unsigned char *p;
	size_t n = input_peek(in, &p), k = 0, i = 0;
	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		i = 3;
	bool whole = in->eof || n < INPUT_PEEK_MAX;
	while (i < n && k < max) {
		const unsigned char *nl = memchr(p + i, '\n', n - i);
		if (!nl && !whole)
			break;
		size_t e = nl ? (size_t)(nl - p) : n;
		size_t len = e - i;
		if (len && p[i + len - 1] == '\r')
			len--;
		ln[k++] = (struct line){ p + i, len };
		i = e + 1;
	}
	return k;
}

static bool has(const struct line *l, const char *s)
{
	return memmem(l->p, l->n, s, strlen(s)) != NULL;
}

static bool starts(const struct line *l, const char *s)
{
	size_t n = strlen(s);
	return l->n >= n && memcmp(l->p, s, n) == 0;
}

/* Is the field named f present in a header line (delimiter d; names may be quoted)? */
static bool header_has(const struct line *l, char d, const char *f)
{
	size_t fl = strlen(f), i = 0;
	while (i <= l->n) {
		size_t j = i;
		while (j < l->n && l->p[j] != (unsigned char)d)
			j++;
		size_t a = i, b = j;
		if (b - a >= 2 && l->p[a] == '"' && l->p[b - 1] == '"') {
			a++;
			b--;
		}
		while (a < b && l->p[a] == ' ')
			a++;
		while (b > a && l->p[b - 1] == ' ')
			b--;
		if (b - a == fl && memcmp(l->p + a, f, fl) == 0)
			return true;
		i = j + 1;
	}
	return false;
}

static bool is_digits(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return n > 0;
}

/* "yyyy-MM-dd HH:mm:ss[,SSS] LEVEL " or "yyyy/MM/dd HH:mm:ss LEVEL " at the start of a line. */
static bool log_line(const struct line *l)
{
	const unsigned char *p = l->p;
	if (l->n < 25 || !is_digits(p, 4) || (p[4] != '-' && p[4] != '/') || !is_digits(p + 5, 2) ||
	    p[7] != p[4] || !is_digits(p + 8, 2) || p[10] != ' ' || !is_digits(p + 11, 2) ||
	    p[13] != ':' || !is_digits(p + 14, 2) || p[16] != ':' || !is_digits(p + 17, 2))
		return false;
	size_t i = 19;
	if (i < l->n && (p[i] == ',' || p[i] == '.')) {
		i++;
		while (i < l->n && p[i] >= '0' && p[i] <= '9')
			i++;
	}
	if (i >= l->n || p[i] != ' ')
		return false;
	while (i < l->n && p[i] == ' ')
		i++;
	static const char *levels[] = { "TRACE ", "DEBUG ", "INFO ", "WARN ", "ERROR ", "FATAL " };
	for (size_t k = 0; k < sizeof levels / sizeof *levels; k++) {
		size_t n = strlen(levels[k]);
		if (l->n - i >= n && memcmp(p + i, levels[k], n) == 0)
			return true;
	}
	return false;
}

static bool gatling_line(const struct line *l)
{
	static const char *recs[] = { "RUN\t", "USER\t", "REQUEST\t", "GROUP\t", "ERROR\t", "ASSERTION\t" };
	for (size_t k = 0; k < sizeof recs / sizeof *recs; k++)
		if (starts(l, recs[k]))
			return true;
	return false;
}

static char guess_delim(const struct line *l)
{
	static const char cands[] = { ',', '\t', ';', '|' };
	size_t best = 0;
	char bd = ',';
	for (size_t k = 0; k < sizeof cands; k++) {
		size_t c = 0;
		for (size_t i = 0; i < l->n; i++)
			c += l->p[i] == (unsigned char)cands[k];
		if (c > best) {
			best = c;
			bd = cands[k];
		}
	}
	return bd;
}

static enum input_content identify_text(const struct line *ln, size_t nl, char d)
{
	size_t first = 0;
	while (first < nl && ln[first].n == 0)
		first++;
	if (first == nl)
		return INPUT_CONTENT_JTL;
	const struct line *h = &ln[first];
	if (!d)
		d = guess_delim(h);
	if (header_has(h, d, "metric_name") && header_has(h, d, "metric_value"))
		return INPUT_CONTENT_K6_CSV;
	if (header_has(h, d, "Request Count") || (header_has(h, d, "User Count") && header_has(h, d, "Requests/s")) ||
	    (header_has(h, d, "Error") && header_has(h, d, "Occurrences")) || header_has(h, d, "Traceback"))
		return INPUT_CONTENT_LOCUST_CSV;
	if (header_has(h, d, "# Samples") || (header_has(h, d, "Label") && header_has(h, d, "90% Line")))
		return INPUT_CONTENT_JMETER_TABLE;
	size_t gat = 0, logs = 0, nonblank = 0;
	bool jmeter = false;
	for (size_t i = first; i < nl; i++) {
		if (!ln[i].n)
			continue;
		nonblank++;
		gat += gatling_line(&ln[i]);
		if (log_line(&ln[i])) {
			logs++;
			jmeter |= has(&ln[i], " o.a.j.") || has(&ln[i], "org.apache.jmeter") || has(&ln[i], "jmeter.");
		}
	}
	if (gatling_line(h) && gat * 2 >= nonblank)
		return INPUT_CONTENT_GATLING_LOG;
	if (log_line(h) && logs * 2 >= nonblank)
		return jmeter ? INPUT_CONTENT_JMETER_LOG : INPUT_CONTENT_LOG;
	/* Markdown: an ATX heading or a code fence at the start of the first line */
	if ((h->n >= 2 && h->p[0] == '#' && (h->p[1] == ' ' || h->p[1] == '#')) || starts(h, "```"))
		return INPUT_CONTENT_MARKDOWN;
	/* ... or a setext heading (a line of '=' or '-' under the first one) */
	if (first + 1 < nl && ln[first + 1].n >= 3) {
		const struct line *u = &ln[first + 1];
		bool all = true;
		for (size_t i = 0; i < u->n && all; i++)
			all = u->p[i] == u->p[0];
		if (all && (u->p[0] == '=' || u->p[0] == '-') && !memchr(h->p, d, h->n))
			return INPUT_CONTENT_MARKDOWN;
	}
	return INPUT_CONTENT_JTL;
}

static enum input_content identify_markup(const struct line *ln, size_t nl)
{
	for (size_t i = 0; i < nl && i < 4; i++) {
		const struct line *l = &ln[i];
		/* case-insensitive for HTML */
		for (size_t k = 0; k + 5 <= l->n; k++) {
			if (l->p[k] != '<')
				continue;
			if (k + 14 <= l->n && strncasecmp((const char *)l->p + k, "<!DOCTYPE html", 14) == 0)
				return INPUT_CONTENT_HTML;
			if (strncasecmp((const char *)l->p + k, "<html", 5) == 0)
				return INPUT_CONTENT_HTML;
			if (k + 15 <= l->n && memcmp(l->p + k, "<jmeterTestPlan", 15) == 0)
				return INPUT_CONTENT_JMETER_PLAN;
			if (k + 12 <= l->n && memcmp(l->p + k, "<testResults", 12) == 0)
				return INPUT_CONTENT_JTL;
		}
	}
	return INPUT_CONTENT_JTL;
}

enum input_content input_identify(struct input *in, enum input_format fmt, char delim)
{
	struct line ln[IDENT_LINES];
	size_t nl = peek_lines(in, ln, IDENT_LINES);
	switch (fmt) {
	case INPUT_FMT_CSV:
		return identify_text(ln, nl, delim);
	case INPUT_FMT_XML:
		return identify_markup(ln, nl);
	case INPUT_FMT_JSON:
		for (size_t i = 0; i < nl && i < 4; i++)
			if ((has(&ln[i], "\"type\":\"Point\"") || has(&ln[i], "\"type\":\"Metric\"")) &&
			    has(&ln[i], "\"metric\":"))
				return INPUT_CONTENT_K6_JSON;
		return INPUT_CONTENT_JTL;
	default:
		return INPUT_CONTENT_JTL;
	}
}

const char *input_content_name(enum input_content c)
{
	switch (c) {
	case INPUT_CONTENT_JTL: return "a JMeter JTL";
	case INPUT_CONTENT_K6_CSV: return "a k6 CSV";
	case INPUT_CONTENT_K6_JSON: return "a k6 JSON output";
	case INPUT_CONTENT_GATLING_LOG: return "a Gatling simulation.log";
	case INPUT_CONTENT_LOCUST_CSV: return "a Locust CSV";
	case INPUT_CONTENT_JMETER_TABLE: return "a JMeter listener table (Aggregate/Summary Report saved as CSV)";
	case INPUT_CONTENT_JMETER_LOG: return "a JMeter log (jmeter.log)";
	case INPUT_CONTENT_LOG: return "a log file";
	case INPUT_CONTENT_JMETER_PLAN: return "a JMeter test plan (.jmx)";
	case INPUT_CONTENT_HTML: return "an HTML page";
	case INPUT_CONTENT_MARKDOWN: return "a Markdown text";
	case INPUT_CONTENT_TEXT: return "a plain text";
	case INPUT_CONTENT_OTHER_CSV: return "a CSV file without JMeter columns";
	}
	return "an unknown format";
}
