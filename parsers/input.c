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
