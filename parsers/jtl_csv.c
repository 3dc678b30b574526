/* jtl_csv.c - streaming CSV JTL reader (RFC 4180 quoting, JMeter's CSVSaveService columns).
 *
 * The reader keeps one buffer (JTL_CSV_BUF, grown up to JTL_MAX_RECORD only for a record that
 * does not fit) and returns records in place: unquoted fields point into the buffer, quoted
 * fields with doubled quotes are unescaped into a scratch area reset at each record.  The scan
 * for the next special byte (delimiter, quote, CR, LF) is done 16 bytes at a time with SSE2
 * where available.  Only the columns the analyzer uses are converted to numbers.
 */
#include "parsers/jtl_csv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/util.h"

#ifndef JTL_CSV_BUF /* fuzz builds use a small buffer to reach the refill/grow paths */
#define JTL_CSV_BUF (4u << 20)
#endif
#define JTL_CSV_PAD 64      /* readable bytes past the data for 64-byte loads */

enum col {
	C_NONE = -1,
	C_TS, C_ELAPSED, C_LABEL, C_CODE, C_MSG, C_THREAD, C_DTYPE, C_SUCCESS, C_FAILMSG,
	C_BYTES, C_SENT, C_GRP, C_ALL, C_URL, C_FILENAME, C_LATENCY, C_ENCODING, C_SCOUNT,
	C_ECOUNT, C_HOST, C_IDLE, C_CONNECT,
	C_COUNT
};

/* JMeter's column names, in the order CSVSaveService writes them. */
static const char *const col_names[C_COUNT] = {
	"timeStamp", "elapsed", "label", "responseCode", "responseMessage", "threadName",
	"dataType", "success", "failureMessage", "bytes", "sentBytes", "grpThreads", "allThreads",
	"URL", "Filename", "Latency", "Encoding", "SampleCount", "ErrorCount", "Hostname",
	"IdleTime", "Connect",
};

struct field {
	const char *p;
	size_t n;
};

struct jtl_csv {
	struct input *in;
	struct diag *d;
	struct jtl_options o;
	char err[512];
	char why[256];              /* reason the current record is bad */

	char *buf;
	size_t cap;     /* allocated */
	size_t pos;     /* start of unread data */
	size_t len;     /* end of valid data */
	bool eof;
	bool failed;

	uint64_t line;  /* line number of buf[pos] (1-based) */
	char delim;
	bool header_seen;
	bool have_header;
	int *map;       /* field index -> enum col */
	size_t nmap;
	struct strbuf header_first; /* first header field, to spot repeated headers */
	size_t header_fields;

	struct field *f;
	size_t nf, fcap;
	struct strbuf scratch;      /* unescaped quoted fields of the current record */
	size_t *scratch_fix;        /* indices of fields whose text lives in scratch */
	size_t nfix, fixcap;
	size_t *scratch_off;

	uint64_t headers_repeated;
	bool truncated_tail;
	uint64_t first_skip_line;   /* line of the first skipped record, 0 if none */
	char first_skip[512];       /* and why it was skipped */
	bool ts_tried;              /* timestamp pattern detection ran (once, at the first bad stamp) */
	const char *ts_detected;    /* the pattern it found, or NULL */
	char hint[300];             /* what to do when no record could be read, or "" */
	bool pending_first;         /* header-less: first record was used for detection */
};

/* --- buffer ----------------------------------------------------------------------------- */

/* Make room and read more.  Returns false on read error (c->failed set). */
static bool refill(struct jtl_csv *c)
{
	if (c->eof)
		return true;
	if (c->pos > 0) {
		memmove(c->buf, c->buf + c->pos, c->len - c->pos);
		c->len -= c->pos;
		c->pos = 0;
	}
	if (c->len == c->cap) {
		if (c->cap >= JTL_MAX_RECORD)
			return true; /* caller notices the buffer is full */
		size_t ncap = c->cap * 2 > JTL_MAX_RECORD ? JTL_MAX_RECORD : c->cap * 2;
		c->buf = xrealloc(c->buf, ncap + JTL_CSV_PAD);
		c->cap = ncap;
	}
	ptrdiff_t r = input_read(c->in, c->buf + c->len, c->cap - c->len);
	if (r < 0) {
		snprintf(c->err, sizeof c->err, "%s", input_error(c->in));
		c->failed = true;
		return false;
	}
	if (r == 0)
		c->eof = true;
	c->len += (size_t)r;
	return true;
}

/* --- scanning ----------------------------------------------------------------------------- */

static inline size_t find_special(const char *p, size_t n, char delim)
{
	size_t i = 0;
#if defined(__SSE2__)
	const __m128i vd = _mm_set1_epi8(delim), vq = _mm_set1_epi8('"');
	const __m128i vn = _mm_set1_epi8('\n'), vr = _mm_set1_epi8('\r');
	for (; i + 16 <= n; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, vd), _mm_cmpeq_epi8(x, vq)),
					 _mm_or_si128(_mm_cmpeq_epi8(x, vn), _mm_cmpeq_epi8(x, vr)));
		unsigned mask = (unsigned)_mm_movemask_epi8(m);
		if (mask)
			return i + (unsigned)__builtin_ctz(mask);
	}
#endif
	for (; i < n; i++) {
		char ch = p[i];
		if (ch == delim || ch == '"' || ch == '\n' || ch == '\r')
			return i;
	}
	return n;
}

static inline void add_field(struct jtl_csv *c, const char *p, size_t n)
{
	if (__builtin_expect(c->nf == c->fcap, 0)) {
		void *v = c->f;
		xgrow(&v, &c->fcap, c->nf + 1, sizeof *c->f);
		c->f = v;
	}
	c->f[c->nf].p = p;
	c->f[c->nf].n = n;
	c->nf++;
}

enum scan_result { SCAN_OK, SCAN_NEED_MORE, SCAN_BAD_QUOTE, SCAN_TOO_MANY };

/* Split one record starting at buf[pos] into fields, the general way (quotes, doubled quotes,
 * quoted line breaks).  On SCAN_OK *end is the offset just past the record terminator and
 * *lines the number of line breaks consumed. */
static enum scan_result scan_record_slow(struct jtl_csv *c, size_t *end, uint64_t *lines)
{
	const char *b = c->buf;
	size_t i = c->pos, n = c->len;
	const char d = c->delim;
	c->nf = 0;
	c->nfix = 0;
	strbuf_reset(&c->scratch);
	uint64_t nl = 0;
	for (;;) {
		if (c->nf >= JTL_MAX_COLUMNS)
			return SCAN_TOO_MANY;
		if (i < n && b[i] == '"') {
			/* quoted field */
			size_t start = ++i;
			bool escaped = false;
			for (;;) {
				const char *q = i < n ? memchr(b + i, '"', n - i) : NULL;
				if (!q)
					return c->eof ? SCAN_BAD_QUOTE : SCAN_NEED_MORE;
				size_t k = (size_t)(q - b);
				if (k + 1 >= n && !c->eof)
					return SCAN_NEED_MORE;
				if (k + 1 < n && b[k + 1] == '"') {
					escaped = true;
					i = k + 2;
					continue;
				}
				for (size_t t = start; t < k; t++)
					nl += b[t] == '\n';
				if (escaped) {
					size_t off = c->scratch.len;
					for (size_t t = start; t < k; t++) {
						strbuf_addch(&c->scratch, b[t]);
						if (b[t] == '"')
							t++;
					}
					if (c->nfix == c->fixcap) {
						size_t oldcap = c->fixcap;
						void *v = c->scratch_fix;
						xgrow(&v, &c->fixcap, c->nfix + 1, sizeof *c->scratch_fix);
						c->scratch_fix = v;
						v = c->scratch_off;
						xgrow(&v, &oldcap, c->nfix + 1, sizeof *c->scratch_off);
						c->scratch_off = v;
					}
					c->scratch_fix[c->nfix] = c->nf;
					c->scratch_off[c->nfix] = off;
					c->nfix++;
					add_field(c, NULL, c->scratch.len - off);
				} else {
					add_field(c, b + start, k - start);
				}
				i = k + 1;
				break;
			}
			/* after the closing quote: delimiter, end of line, or junk up to one of them */
			if (i < n && b[i] != d && b[i] != '\n' && b[i] != '\r') {
				size_t k = i + find_special(b + i, n - i, d);
				i = k; /* tolerate text after a closing quote (kept out of the field) */
			}
		} else {
			size_t k = i + find_special(b + i, n - i, d);
			if (k < n && b[k] == '"') {
				/* a quote inside an unquoted field: literal, as JMeter's reader does */
				size_t j = k;
				while (j < n && b[j] != d && b[j] != '\n' && b[j] != '\r')
					j++;
				k = j;
			}
			add_field(c, b + i, k - i);
			i = k;
		}
		if (i >= n) {
			if (!c->eof)
				return SCAN_NEED_MORE;
			*end = n; /* last record without a newline */
			*lines = nl;
			return SCAN_OK;
		}
		if (b[i] == d) {
			i++;
			if (i >= n && !c->eof)
				return SCAN_NEED_MORE;
			if (i >= n) { /* trailing delimiter at EOF: one more empty field */
				add_field(c, b + i, 0);
				*end = n;
				*lines = nl;
				return SCAN_OK;
			}
			continue;
		}
		/* CR, LF or CRLF ends the record */
		if (b[i] == '\r') {
			if (i + 1 >= n && !c->eof)
				return SCAN_NEED_MORE;
			i += (i + 1 < n && b[i + 1] == '\n') ? 2 : 1;
		} else {
			i++;
		}
		*end = i;
		*lines = nl + 1;
		return SCAN_OK;
	}
}

/* Bit i set where p[i] is the delimiter, a quote, CR or LF (64 bytes; the buffer has
 * JTL_CSV_PAD readable bytes past its end). */
static inline uint64_t special_mask64(const char *p, char delim)
{
#if defined(__SSE2__)
	const __m128i vd = _mm_set1_epi8(delim), vq = _mm_set1_epi8('"');
	const __m128i vn = _mm_set1_epi8('\n'), vr = _mm_set1_epi8('\r');
	uint64_t m = 0;
	for (int k = 0; k < 4; k++) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
		__m128i e = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, vd), _mm_cmpeq_epi8(x, vq)),
					 _mm_or_si128(_mm_cmpeq_epi8(x, vn), _mm_cmpeq_epi8(x, vr)));
		m |= (uint64_t)(unsigned)_mm_movemask_epi8(e) << (16 * k);
	}
	return m;
#else
	uint64_t m = 0;
	for (int k = 0; k < 64; k++) {
		char ch = p[k];
		if (ch == delim || ch == '"' || ch == '\n' || ch == '\r')
			m |= 1ULL << k;
	}
	return m;
#endif
}

/* The common case, split with one 64-byte mask at a time: unquoted fields, and quoted fields
 * that hold neither doubled quotes nor line breaks.  Anything else (and anything unusual at the
 * buffer's end) goes to scan_record_slow, which starts the record again. */
static enum scan_result scan_record(struct jtl_csv *c, size_t *end, uint64_t *lines)
{
	const char *b = c->buf;
	const size_t n = c->len;
	const char d = c->delim;
	size_t i = c->pos, fstart = i;
	c->nf = 0;
	c->nfix = 0;
	while (i < n) {
		uint64_t m = special_mask64(b + i, d);
		if (n - i < 64)
			m &= (1ULL << (n - i)) - 1;
		size_t next = i + 64;
		while (m) {
			size_t k = i + (size_t)__builtin_ctzll(m);
			m &= m - 1;
			char ch = b[k];
			if (ch == d) {
				if (c->nf >= JTL_MAX_COLUMNS - 1)
					return scan_record_slow(c, end, lines);
				add_field(c, b + fstart, k - fstart);
				fstart = k + 1;
				continue;
			}
			if (ch == '"') {
				/* "simple quoted field" followed by a delimiter */
				const char *q = k == fstart && k + 1 < n ? memchr(b + k + 1, '"', n - k - 1) : NULL;
				size_t qk = q ? (size_t)(q - b) : 0;
				if (!q || qk + 1 >= n || b[qk + 1] != d || memchr(b + k + 1, '\n', qk - k - 1) ||
				    memchr(b + k + 1, '\r', qk - k - 1) || c->nf >= JTL_MAX_COLUMNS - 1)
					return scan_record_slow(c, end, lines);
				add_field(c, b + k + 1, qk - k - 1);
				fstart = qk + 2;
				next = fstart; /* rescan after the delimiter */
				break;
			}
			if (ch == '\r' && k + 1 >= n)
				return scan_record_slow(c, end, lines);
			add_field(c, b + fstart, k - fstart);
			*end = k + 1 + (ch == '\r' && b[k + 1] == '\n');
			*lines = 1;
			return SCAN_OK;
		}
		i = next;
	}
	return scan_record_slow(c, end, lines);
}

/* Point scratch-held fields at their final text (the scratch buffer may have moved). */
static void fix_fields(struct jtl_csv *c)
{
	for (size_t k = 0; k < c->nfix; k++)
		c->f[c->scratch_fix[k]].p = c->scratch.buf + c->scratch_off[k];
}

/* Skip a record too large to buffer: consume up to its end, honouring quotes. */
static bool skip_huge(struct jtl_csv *c, uint64_t *lines)
{
	bool inq = false;
	uint64_t nl = 0;
	for (;;) {
		for (size_t i = c->pos; i < c->len; i++) {
			char ch = c->buf[i];
			if (ch == '"')
				inq = !inq;
			else if (ch == '\n') {
				nl++;
				if (!inq) {
					c->pos = i + 1;
					*lines = nl;
					return true;
				}
			}
		}
		c->pos = c->len;
		if (c->eof) {
			*lines = nl;
			return true;
		}
		if (!refill(c))
			return false;
	}
}

/* --- header and column mapping ---------------------------------------------------------- */

static int col_by_name(const char *p, size_t n)
{
	for (int k = 0; k < C_COUNT; k++)
		if (strlen(col_names[k]) == n && strncasecmp(col_names[k], p, n) == 0)
			return k;
	return C_NONE;
}

bool jtl_csv_is_column(const char *p, size_t n) { return col_by_name(p, n) != C_NONE; }

static void set_map(struct jtl_csv *c, size_t n)
{
	free(c->map);
	c->map = xcalloc(n ? n : 1, sizeof *c->map);
	c->nmap = n;
	for (size_t i = 0; i < n; i++)
		c->map[i] = C_NONE;
}

static bool map_from_names(struct jtl_csv *c, const struct field *f, size_t n)
{
	size_t known = 0;
	set_map(c, n);
	for (size_t i = 0; i < n; i++) {
		struct strref s = strref_trim((struct strref){ f[i].p, f[i].n });
		int k = col_by_name(s.p, s.n);
		for (size_t j = 0; k != C_NONE && j < i; j++)
			if (c->map[j] == k)
				k = C_NONE; /* duplicate name: first wins */
		c->map[i] = k;
		known += k != C_NONE;
	}
	return known > 0;
}

/* Formatted stamps JMeter users set with jmeter.save.saveservice.timestamp_format, beyond the
 * ISO-like forms jtl_parse_timestamp reads by itself.  Day-first and month-first forms are both
 * here: the values decide, and when they fit both, nobody guesses. */
static const char *const ts_candidates[] = {
	"dd.MM.yyyy HH:mm:ss", "dd.MM.yyyy HH:mm:ss.SSS", "dd.MM.yyyy HH:mm:ss,SSS", "dd.MM.yyyy HH:mm",
	"dd.MM.yy HH:mm:ss",
	"dd/MM/yyyy HH:mm:ss", "MM/dd/yyyy HH:mm:ss", "dd/MM/yyyy HH:mm:ss.SSS", "MM/dd/yyyy HH:mm:ss.SSS",
	"dd/MM/yyyy HH:mm", "MM/dd/yyyy HH:mm", "MM/dd/yyyy hh:mm:ss a", "dd-MM-yyyy HH:mm:ss",
	"dd-MM-yyyy HH:mm:ss.SSS", "yyyy-MM-dd HH:mm", "yyyy/MM/dd HH:mm", "yyyyMMddHHmmss",
	"yyyyMMdd HHmmss", "yyyy-MM-dd'T'HH:mm:ss.SSSZ",
};
/* Type of a value for header-less column inference. */
enum vtype { V_EMPTY, V_INT, V_BOOL, V_DTYPE, V_TEXT, V_STAMP, V_URL };

static enum vtype value_type(const char *p, size_t n)
{
	if (n == 0)
		return V_EMPTY;
	if ((n == 4 && memcmp(p, "true", 4) == 0) || (n == 5 && memcmp(p, "false", 5) == 0))
		return V_BOOL;
	if ((n == 4 && memcmp(p, "text", 4) == 0) || (n == 3 && memcmp(p, "bin", 3) == 0))
		return V_DTYPE;
	int64_t v;
	if (parse_i64(p, n, INT64_MIN, INT64_MAX, &v))
		return (n >= 12 && v > 100000000000LL) ? V_STAMP : V_INT;
	int64_t ms;
	if (jtl_parse_timestamp(p, n, NULL, 0, &ms))
		return V_STAMP;
	/* a locale pattern (dd.MM.yyyy HH:mm:ss...): a stamp; the reader finds which at the record */
	for (size_t i = 0; i < ARRAY_LEN(ts_candidates); i++)
		if (jtl_parse_timestamp(p, n, ts_candidates[i], 0, &ms))
			return V_STAMP;
	if (memmem(p, n, "://", 3))
		return V_URL;
	return V_TEXT;
}

/* Score of placing a value of type t in column k (-1000 = impossible). */
static int fit_score(int k, enum vtype t)
{
	switch (k) {
	case C_TS:
		return t == V_STAMP ? 8 : -1000;
	case C_ELAPSED: case C_BYTES: case C_SENT: case C_GRP: case C_ALL: case C_LATENCY:
	case C_SCOUNT: case C_ECOUNT: case C_IDLE: case C_CONNECT:
		return t == V_INT ? 3 : (t == V_EMPTY ? 0 : -1000);
	case C_SUCCESS:
		return t == V_BOOL ? 8 : -1000;
	case C_DTYPE:
		return t == V_DTYPE ? 6 : (t == V_EMPTY ? 1 : -1000);
	case C_CODE:
		return t == V_INT ? 2 : (t == V_TEXT || t == V_EMPTY ? 1 : -1000);
	case C_URL:
		return t == V_URL ? 4 : (t == V_BOOL || t == V_DTYPE || t == V_STAMP ? -1000 : 1);
	default:
		return t == V_BOOL || t == V_DTYPE || t == V_STAMP ? -1000 : 1;
	}
}

/* How likely a column is saved at all (JMeter defaults): skipping a usual one costs. */
static int skip_cost(int k)
{
	switch (k) {
	case C_TS: case C_ELAPSED: case C_LABEL: case C_CODE: case C_MSG: case C_THREAD:
	case C_SUCCESS: case C_BYTES: case C_LATENCY: case C_GRP: case C_ALL:
		return 2;
	default:
		return 0;
	}
}

/* Header-less file: align the first record's values with JMeter's column order (types must fit,
 * order is kept, columns may be absent; trailing extra values are variables). */
static void map_by_inference(struct jtl_csv *c, const struct field *f, size_t n)
{
	enum { NEG = -1000000 };
	size_t N = n, K = C_COUNT;
	/* dp[i][k]: best score placing values [0,i) using columns [0,k) */
	int *dp = xcalloc((N + 1) * (K + 1), sizeof *dp);
	unsigned char *how = xcalloc((N + 1) * (K + 1), 1); /* 1 = value i-1 in col k-1, 2 = skip col, 3 = value as extra */
#define DP(i, k) dp[(i) * (K + 1) + (k)]
#define HOW(i, k) how[(i) * (K + 1) + (k)]
	enum vtype *types = xcalloc(N ? N : 1, sizeof *types);
	for (size_t i = 0; i < N; i++)
		types[i] = value_type(f[i].p, f[i].n);
	for (size_t i = 0; i <= N; i++)
		for (size_t k = 0; k <= K; k++)
			DP(i, k) = NEG;
	DP(0, 0) = 0;
	for (size_t i = 0; i <= N; i++) {
		for (size_t k = 0; k <= K; k++) {
			if (DP(i, k) == NEG)
				continue;
			if (k < K && DP(i, k) - skip_cost((int)k) > DP(i, k + 1)) {
				DP(i, k + 1) = DP(i, k) - skip_cost((int)k);
				HOW(i, k + 1) = 2;
			}
			if (i < N && k < K) {
				int s = fit_score((int)k, types[i]);
				if (s > -1000 && DP(i, k) + s > DP(i + 1, k + 1)) {
					DP(i + 1, k + 1) = DP(i, k) + s;
					HOW(i + 1, k + 1) = 1;
				}
			}
			if (i < N && k == K && DP(i, k) > DP(i + 1, k)) {
				DP(i + 1, k) = DP(i, k); /* extra variable column */
				HOW(i + 1, k) = 3;
			}
		}
	}
	set_map(c, n);
	size_t i = N, k = K;
	if (DP(N, K) != NEG) {
		while (i > 0 || k > 0) {
			unsigned char h = HOW(i, k);
			if (h == 1) {
				c->map[i - 1] = (int)k - 1;
				i--;
				k--;
			} else if (h == 2) {
				k--;
			} else if (h == 3) {
				i--;
			} else {
				break;
			}
		}
	}
#undef DP
#undef HOW
	free(types);
	free(dp);
	free(how);
}

static bool map_from_option(struct jtl_csv *c, const char *spec)
{
	size_t n = 1;
	for (const char *p = spec; *p; p++)
		n += *p == ',';
	set_map(c, n);
	const char *p = spec;
	for (size_t i = 0; i < n; i++) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		int k = col_by_name(p, len);
		if (k == C_NONE && len) {
			snprintf(c->err, sizeof c->err, "--columns: unknown column '%.*s'", (int)len, p);
			return false;
		}
		c->map[i] = k;
		p = e ? e + 1 : p + len;
	}
	return true;
}

char jtl_csv_detect_delim(const char *p, size_t n)
{
	static const char cands[] = { ',', '\t', ';', '|' };
	size_t best = 0;
	char bd = ',';
	for (size_t k = 0; k < sizeof cands; k++) {
		size_t cnt = 0;
		bool inq = false;
		for (size_t i = 0; i < n && p[i] != '\n'; i++) {
			if (p[i] == '"')
				inq = !inq;
			else if (!inq && p[i] == cands[k])
				cnt++;
		}
		if (cnt > best) {
			best = cnt;
			bd = cands[k];
		}
	}
	return bd;
}

static bool is_header_record(const struct field *f, size_t n)
{
	size_t known = 0;
	for (size_t i = 0; i < n; i++) {
		struct strref s = strref_trim((struct strref){ f[i].p, f[i].n });
		known += col_by_name(s.p, s.n) != C_NONE;
	}
	return known >= 2 || (n == 1 && known == 1);
}

/* A header-less JTL's first record holds numbers (timeStamp, elapsed, bytes...) or JMeter's
 * true/false; a first line of words only is a header naming no JMeter column, or prose. */
static bool jmeter_values(const struct field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		enum vtype t = value_type(f[i].p, f[i].n);
		if (t == V_INT || t == V_BOOL || t == V_STAMP)
			return true;
	}
	return false;
}

static void not_jmeter(struct jtl_csv *c, uint64_t line)
{
	size_t spaces = 0, chars = 0;
	for (size_t i = 0; i < c->nf; i++) {
		chars += c->f[i].n;
		for (size_t k = 0; k < c->f[i].n; k++)
			spaces += c->f[i].p[k] == ' ';
	}
	/* prose: one field, or words rather than names (a space every few characters) */
	bool prose = c->nf == 1 || spaces * 12 >= chars;
	char ex[200];
	size_t n = 0;
	const char *p = c->f[0].p;
	/* the first line as written (fields are contiguous in the buffer unless unescaped) */
	if (c->nfix == 0 && c->nf)
		n = (size_t)(c->f[c->nf - 1].p + c->f[c->nf - 1].n - p);
	else if (c->nf)
		n = c->f[0].n;
	diag_excerpt(ex, sizeof ex, p, n, 60);
	(void)line;
	snprintf(c->err, sizeof c->err, "'%s': this is %s, not a JMeter JTL (first line '%s' is "
		 "neither a JMeter CSV header nor a sample%s)", input_path(c->in),
		 prose ? "a plain text" : "a CSV file without JMeter columns", ex,
		 prose ? "" : "; a header-less JTL with other columns needs --columns");
	c->failed = true;
}

/* --- open ------------------------------------------------------------------------------- */

struct jtl_csv *jtl_csv_open(struct input *in, const struct jtl_options *o, struct diag *d,
			     char *err, size_t errlen)
{
	struct jtl_csv *c = xcalloc(1, sizeof *c);
	c->in = in;
	c->d = d;
	if (o)
		c->o = *o;
	c->cap = JTL_CSV_BUF;
	c->buf = xcalloc(1, c->cap + JTL_CSV_PAD);
	c->line = 1;
	strbuf_init(&c->scratch);
	strbuf_init(&c->header_first);
	if (!refill(c)) {
		snprintf(err, errlen, "%s", c->err);
		jtl_csv_close(c);
		return NULL;
	}
	/* UTF-8 BOM */
	if (c->len >= 3 && (unsigned char)c->buf[0] == 0xef && (unsigned char)c->buf[1] == 0xbb &&
	    (unsigned char)c->buf[2] == 0xbf)
		c->pos = 3;
	c->delim = c->o.delimiter ? c->o.delimiter : jtl_csv_detect_delim(c->buf + c->pos, c->len - c->pos);
	if (c->o.columns && !map_from_option(c, c->o.columns)) {
		snprintf(err, errlen, "%s", c->err);
		jtl_csv_close(c);
		return NULL;
	}
	return c;
}

/* --- records ---------------------------------------------------------------------------- */

static inline bool num(const struct field *f, int64_t *out, int64_t min, int64_t max)
{
	const char *p = f->p;
	size_t n = f->n;
	/* fast path: plain non-negative decimal of up to 18 digits */
	if (n > 0 && n <= 18 && p[0] != '-' && p[0] != '+') {
		int64_t v = 0;
		for (size_t i = 0; i < n; i++) {
			unsigned dgt = (unsigned)(unsigned char)p[i] - '0';
			if (dgt > 9)
				return false;
			v = v * 10 + dgt;
		}
		if (v < min || v > max)
			return false;
		*out = v;
		return true;
	}
	return parse_i64(p, n, min, max, out);
}

/* Warn about a skipped record ("REASON" + tail) and keep the first reason for the "no sample"
 * message. */
static void skip_note(struct jtl_csv *c, uint64_t line, const char *reason, const char *tail)
{
	if (!c->first_skip_line) {
		c->first_skip_line = line;
		snprintf(c->first_skip, sizeof c->first_skip, "%s", reason);
	}
	diag_warn(c->d, line, 0, "%s%s", reason, tail);
}

#define TS_SAMPLE_LINES 5000   /* lines after the first bad stamp the candidates are tried on */

/* Field k of one line (naive split: a line with a quote before field k is not used). */
static bool line_field(const char *p, size_t n, char d, size_t k, const char **fp, size_t *fn)
{
	size_t i = 0;
	for (size_t f = 0; f < k; f++) {
		while (i < n && p[i] != d) {
			if (p[i] == '"')
				return false;
			i++;
		}
		if (i >= n)
			return false;
		i++;
	}
	size_t e = i;
	while (e < n && p[e] != d)
		e++;
	if (memchr(p + i, '"', e - i))
		return false;
	*fp = p + i;
	*fn = e - i;
	return true;
}

/* The first timestamp no known form reads (field k of the record at c->pos): find the pattern
 * that reads it and every stamp in the next TS_SAMPLE_LINES buffered lines.  One pattern: it is
 * used from here on (and said so once).  None or several: c->hint says what to do. */
static void detect_ts(struct jtl_csv *c, const struct field *f, size_t k, uint64_t line)
{
	c->ts_tried = true;
	bool alive[sizeof ts_candidates / sizeof *ts_candidates];
	size_t nalive = 0;
	int64_t ms;
	for (size_t i = 0; i < ARRAY_LEN(ts_candidates); i++) {
		alive[i] = jtl_parse_timestamp(f->p, f->n, ts_candidates[i], c->o.tz_offset_min, &ms);
		nalive += alive[i];
	}
	/* the lines after this record, as far as the buffer holds them */
	const char *b = c->buf + c->pos, *end = c->buf + c->len;
	const char *nl = memchr(b, '\n', (size_t)(end - b));
	for (size_t ln = 0; nl && ln < TS_SAMPLE_LINES && nalive; ln++) {
		const char *p = nl + 1;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		size_t n = (size_t)(nl - p);
		if (n && p[n - 1] == '\r')
			n--;
		const char *fp;
		size_t fn;
		if (!n || !line_field(p, n, c->delim, k, &fp, &fn) || !fn || fp[0] < '0' || fp[0] > '9' ||
		    jtl_parse_timestamp(fp, fn, NULL, c->o.tz_offset_min, &ms))
			continue;  /* not a stamp (a repeated header...), or one the built-in forms read */
		for (size_t i = 0; i < ARRAY_LEN(ts_candidates); i++)
			if (alive[i] && !jtl_parse_timestamp(fp, fn, ts_candidates[i], c->o.tz_offset_min, &ms)) {
				alive[i] = false;
				nalive--;
			}
	}
	char ex[120];
	diag_excerpt(ex, sizeof ex, f->p, f->n, 40);
	if (nalive == 1) {
		for (size_t i = 0; i < ARRAY_LEN(ts_candidates); i++)
			if (alive[i])
				c->ts_detected = ts_candidates[i];
		diag_warn(c->d, line, 0, "timeStamp '%s' read with the pattern '%s' (detected from the values; "
			  "--timestamp-format sets another)", ex, c->ts_detected);
		return;
	}
	if (nalive > 1) {
		struct strbuf sb = STRBUF_INIT;
		for (size_t i = 0; i < ARRAY_LEN(ts_candidates); i++)
			if (alive[i])
				strbuf_addf(&sb, "%s'%s'", sb.len ? " or " : "", ts_candidates[i]);
		snprintf(c->hint, sizeof c->hint, "the timestamps fit %s: say which with --timestamp-format",
			 strbuf_cstr(&sb));
		strbuf_release(&sb);
		return;
	}
	snprintf(c->hint, sizeof c->hint, "the timestamps are neither epoch milliseconds nor a known date "
		 "form: give their pattern with --timestamp-format (SimpleDateFormat, e.g. 'dd.MM.yyyy HH:mm:ss')");
}

static const char *bad_value(struct jtl_csv *c, const char *col, const struct field *f)
{
	char ex[200];
	snprintf(c->why, sizeof c->why, "bad %s '%s'", col, diag_excerpt(ex, sizeof ex, f->p, f->n, 40));
	return c->why;
}

/* Fill s from the current fields.  Returns NULL, or the reason the record is bad. */
static const char *to_sample(struct jtl_csv *c, struct sample *s)
{
	sample_clear(s);
	if (c->nf != c->nmap) {
		snprintf(c->why, sizeof c->why, "expected %zu fields, found %zu", c->nmap, c->nf);
		return c->why;
	}
	for (size_t i = 0; i < c->nf; i++) {
		const struct field *f = &c->f[i];
		struct strref v = { f->p, f->n };
		int64_t x;
		switch (c->map[i]) {
		case C_TS:
			if (num(f, &s->ts_ms, 0, INT64_MAX / 2) ||
			    jtl_parse_timestamp(f->p, f->n, c->o.ts_format ? c->o.ts_format : c->ts_detected,
						c->o.tz_offset_min, &s->ts_ms)) {
				s->has |= SH_TS;
				break;
			}
			if (!c->o.ts_format && !c->ts_tried && f->n) {
				detect_ts(c, f, i, c->line);
				if (c->ts_detected &&
				    jtl_parse_timestamp(f->p, f->n, c->ts_detected, c->o.tz_offset_min, &s->ts_ms)) {
					s->has |= SH_TS;
					break;
				}
			}
			return bad_value(c, "timeStamp", f);
		case C_ELAPSED:
			if (!num(f, &s->elapsed_ms, INT64_MIN / 4, INT64_MAX / 4))
				return bad_value(c, "elapsed", f);
			s->has |= SH_ELAPSED;
			break;
		case C_LABEL: s->label = v; break;
		case C_CODE: s->code = v; break;
		case C_MSG: s->message = v; break;
		case C_THREAD: s->thread = v; break;
		case C_DTYPE: s->data_type = v; break;
		case C_SUCCESS:
			if (f->n == 4 && memcmp(f->p, "true", 4) == 0)
				s->success = true;
			else if (f->n == 5 && memcmp(f->p, "false", 5) == 0)
				s->success = false;
			else if (strref_ieq(v, "true"))
				s->success = true;
			else if (strref_ieq(v, "false"))
				s->success = false;
			else
				return bad_value(c, "success", f);
			s->has |= SH_SUCCESS;
			break;
		case C_FAILMSG: s->failure = v; break;
#define NUMCOL(col, fld, bit)                                                   \
		case col:                                                       \
			if (f->n && num(f, &x, INT64_MIN / 4, INT64_MAX / 4)) { \
				s->fld = x;                                     \
				s->has |= bit;                                  \
			}                                                       \
			break;
		NUMCOL(C_BYTES, bytes, SH_BYTES)
		NUMCOL(C_SENT, sent_bytes, SH_SENT_BYTES)
		NUMCOL(C_GRP, grp_threads, SH_GRP_THREADS)
		NUMCOL(C_ALL, all_threads, SH_ALL_THREADS)
		NUMCOL(C_LATENCY, latency_ms, SH_LATENCY)
		NUMCOL(C_SCOUNT, sample_count, SH_SAMPLE_COUNT)
		NUMCOL(C_ECOUNT, error_count, SH_ERROR_COUNT)
		NUMCOL(C_IDLE, idle_ms, SH_IDLE)
		NUMCOL(C_CONNECT, connect_ms, SH_CONNECT)
#undef NUMCOL
		case C_URL: s->url = v; break;
		case C_FILENAME: s->filename = v; break;
		case C_ENCODING: s->encoding = v; break;
		case C_HOST: s->hostname = v; break;
		default: break;
		}
	}
	return NULL;
}

static bool same_as_header(struct jtl_csv *c)
{
	if (!c->have_header || c->nf != c->header_fields || c->nf == 0)
		return false;
	return c->f[0].n == c->header_first.len &&
	       memcmp(c->f[0].p, c->header_first.buf, c->f[0].n) == 0 && is_header_record(c->f, c->nf);
}

enum jtl_status jtl_csv_next(struct jtl_csv *c, struct sample *s)
{
	for (;;) {
		if (c->failed)
			return JTL_FATAL;
		/* blank lines between records are ignored */
		while (c->pos < c->len && (c->buf[c->pos] == '\n' || c->buf[c->pos] == '\r')) {
			if (c->buf[c->pos] == '\n')
				c->line++;
			else if (c->pos + 1 < c->len && c->buf[c->pos + 1] != '\n')
				c->line++;
			c->pos++;
		}
		if (c->pos >= c->len) {
			if (c->eof)
				return JTL_END;
			if (!refill(c))
				return JTL_FATAL;
			continue;
		}
		size_t end;
		uint64_t lines;
		enum scan_result r = scan_record(c, &end, &lines);
		if (r == SCAN_NEED_MORE) {
			size_t before = c->len - c->pos;
			if (c->pos == 0 && c->len == c->cap && c->cap >= JTL_MAX_RECORD) {
				uint64_t rec_line = c->line;
				if (!skip_huge(c, &lines))
					return JTL_FATAL;
				c->line += lines;
				char r2[64];
				snprintf(r2, sizeof r2, "record longer than %u bytes", JTL_MAX_RECORD);
				skip_note(c, rec_line, r2, " skipped");
				return JTL_SKIPPED;
			}
			if (!refill(c))
				return JTL_FATAL;
			if (c->len - c->pos == before && !c->eof && c->cap >= JTL_MAX_RECORD && c->pos == 0)
				continue; /* handled above next round */
			continue;
		}
		uint64_t rec_line = c->line;
		if (r == SCAN_BAD_QUOTE) {
			/* unterminated quote at end of input: the rest of the file is one broken record */
			for (size_t i = c->pos; i < c->len; i++)
				c->line += c->buf[i] == '\n';
			c->pos = c->len;
			c->truncated_tail = true;
			skip_note(c, rec_line, "unterminated quoted field at end of input", "; record skipped");
			return JTL_SKIPPED;
		}
		if (r == SCAN_TOO_MANY) {
			if (!skip_huge(c, &lines))
				return JTL_FATAL;
			c->line += lines;
			char r2[64];
			snprintf(r2, sizeof r2, "more than %u fields", JTL_MAX_COLUMNS);
			skip_note(c, rec_line, r2, "; record skipped");
			return JTL_SKIPPED;
		}
		bool at_eof_unterminated = c->eof && end == c->len &&
			c->buf[end - 1] != '\n' && c->buf[end - 1] != '\r';
		fix_fields(c);

		if (!c->header_seen) {
			c->header_seen = true;
			if (is_header_record(c->f, c->nf)) {
				if (!c->o.columns)
					map_from_names(c, c->f, c->nf);
				c->have_header = true;
				c->header_fields = c->nf;
				strbuf_add(&c->header_first, c->f[0].p, c->f[0].n);
				c->pos = end;
				c->line += lines;
				continue;
			}
			if (!c->o.columns) {
				if (!jmeter_values(c->f, c->nf)) {
					not_jmeter(c, rec_line);
					return JTL_FATAL;
				}
				map_by_inference(c, c->f, c->nf);
			}
		} else if (same_as_header(c)) {
			c->headers_repeated++;
			c->pos = end;
			c->line += lines;
			continue;
		}
		const char *why = to_sample(c, s);
		c->pos = end;
		c->line += lines;
		s->line = rec_line;
		if (why) {
			if (at_eof_unterminated) {
				c->truncated_tail = true;
				{
				char r2[sizeof c->why + 32];
				snprintf(r2, sizeof r2, "truncated last record (%s)", why);
				skip_note(c, rec_line, r2, "; skipped");
			}
			} else {
				skip_note(c, rec_line, why, "; record skipped");
			}
			return JTL_SKIPPED;
		}
		return JTL_RECORD;
	}
}

const char *jtl_csv_error(const struct jtl_csv *c) { return c->err; }

const char *jtl_csv_first_skip(const struct jtl_csv *c, uint64_t *line)
{
	*line = c->first_skip_line;
	return c->first_skip_line ? c->first_skip : NULL;
}

const char *jtl_csv_hint(const struct jtl_csv *c) { return c->hint[0] ? c->hint : NULL; }
uint64_t jtl_csv_headers_repeated(const struct jtl_csv *c) { return c->headers_repeated; }
bool jtl_csv_truncated_tail(const struct jtl_csv *c) { return c->truncated_tail; }

void jtl_csv_close(struct jtl_csv *c)
{
	if (!c)
		return;
	free(c->buf);
	free(c->map);
	free(c->f);
	free(c->scratch_fix);
	free(c->scratch_off);
	strbuf_release(&c->scratch);
	strbuf_release(&c->header_first);
	free(c);
}
