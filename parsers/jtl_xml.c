/* jtl_xml.c - streaming XML JTL reader over expat, see jtl_xml.h.
 *
 * A pull iterator: the input is fed to expat in XML_CHUNK pieces; the end handler of every sample
 * to emit fills x->out and suspends the parser (XML_StopParser(p, XML_TRUE)); jtl_xml_next()
 * hands that record out and resumes (XML_ResumeParser) on the following call.
 *
 * Memory: one `struct level` per open sample being built (one unless sub_results), each with an
 * arena for its strings (reset when the next sample at that level starts, i.e. never before the
 * caller's next jtl_xml_next()), plus capped text buffers.  Spans are kept as offsets while the
 * arena may still grow and turned into pointers only when the record is handed out.
 *
 * Invariants:
 *  - x->kind[1..x->depth] is the kind of every open element; depth <= JTL_MAX_XML_DEPTH.
 *  - x->nsamp open elements have kind K_SAMPLE; the innermost one is built in x->lv[nsamp - 1].
 *  - At most one record is pending (x->have_out) between a suspension and the next call.
 *
 * Security: DOCTYPE (hence any entity declaration) stops the parse with a fatal error before any
 * entity can be declared; parameter entities are never parsed and no external entity handler
 * is installed, so nothing outside the input is ever read.
 *
 * Not well-formed input: JMeter's XStream writes binary response data as character references
 * to characters XML 1.0 forbids (&#x0; &#x1b; ...); strict parsers stop there and lose the rest
 * of the file.  In ASCII-compatible encodings those references are rewritten in place, before
 * expat sees them, into a blank of the same length (&#x1b; -> &#x20;), so positions in messages
 * stay exact; the count is reported (jtl_xml_repaired_refs).  A file that ends inside an
 * element (a crashed run) ends the iteration normally with jtl_xml_truncated() set.
 */
#include "parsers/jtl_xml.h"

#include <expat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"

#define XML_CHUNK (256u << 10)     /* bytes handed to expat per XML_ParseBuffer */
#define XML_TEXT_KEEP (64u << 10)  /* java.net.URL, failureMessage, responseFile kept */
#define XML_FLAG_KEEP 16u          /* <failure>/<error> text kept */
#define XML_REF_CARRY 16u          /* longest character reference examined for repair */
#define XML_MSG_VALUE 40u          /* bytes of a bad attribute value quoted in a warning */
#define XML_UNKNOWN_KEEP 4         /* distinct unknown element names named in the message */
#define XML_UNKNOWN_NAME 100       /* bytes of each kept */

enum kind {
	K_NONE = 0,
	K_ROOT,
	K_SAMPLE,      /* a sample being built */
	K_SKIP,        /* anything ignored, with its whole subtree */
	K_URL,
	K_RESP_HDR,
	K_REQ_HDR,
	K_RESP_DATA,
	K_RESP_FILE,
	K_ASSERT,
	K_A_FAILURE,
	K_A_ERROR,
	K_A_MSG,
};

enum field {
	F_LABEL,
	F_CODE,
	F_MESSAGE,
	F_THREAD,
	F_DATA_TYPE,
	F_ENCODING,
	F_HOSTNAME,
	F_FAILURE,
	F_URL,
	F_FILENAME,
	F_BODY,
	F_REQ_HOST,
	F_REQ_HEADERS,
	F_COUNT,
};

struct span {
	size_t off, len;
	bool set;
};

struct level {
	struct sample s;          /* numeric fields, has, rl, depth, line */
	struct strbuf arena;      /* string values of this sample */
	struct span f[F_COUNT];
	struct strbuf text;       /* the current text element */
	size_t text_cap;
	bool text_cut;
	struct strbuf amsg;       /* failureMessage of the current assertionResult */
	bool amsg_cut;
	bool a_failure, a_error, a_flags;
	bool bad;                 /* a bad attribute: the sample is skipped at its end */
	int64_t now_ms;           /* response time for Retry-After dates / epoch resets */
};

enum state {
	ST_FEED,        /* expat needs more input */
	ST_SUSPENDED,   /* expat stopped inside a buffer; resume first */
	ST_END,
	ST_FATAL,
};

struct jtl_xml {
	struct input *in;
	struct jtl_options opts;
	struct diag *d;
	struct diag own_diag;
	XML_Parser p;
	enum state st;
	bool final_fed;           /* the buffer expat works on is the last one */
	bool sniffed, repair;
	char carry[XML_REF_CARRY];
	size_t carry_len;
	uint64_t repaired;

	uint32_t depth;
	unsigned char kind[JTL_MAX_XML_DEPTH + 2];
	struct level *lv;
	size_t lv_cap;
	uint32_t nsamp;
	bool stopping;            /* fatal stop requested: ignore further callbacks */

	bool have_out;
	enum jtl_status out_st;
	struct sample out;

	char *err;
	bool truncated;
	uint64_t records, skipped;
	uint64_t first_skip_line;          /* line of the first skipped sample, 0 if none */
	char first_skip[200];

	/* children of <testResults> that are not samples (other writers, plugins' own elements) */
	uint64_t unknown;
	struct { char name[XML_UNKNOWN_NAME]; uint64_t n; } unk[XML_UNKNOWN_KEEP];
	size_t nunk;
};

/* ---- errors ---- */

static void set_fatal(struct jtl_xml *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_fatal(struct jtl_xml *x, const char *fmt, ...)
{
	if (x->err)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *msg = xmalloc(n > 0 ? (size_t)n + 1 : 1);
	va_start(ap, fmt);
	vsnprintf(msg, n > 0 ? (size_t)n + 1 : 1, fmt, ap);
	va_end(ap);
	x->err = xasprintf("%s:%lu:%lu: error: %s", input_path(x->in),
			   (unsigned long)XML_GetCurrentLineNumber(x->p),
			   (unsigned long)XML_GetCurrentColumnNumber(x->p) + 1, msg);
	free(msg);
}

/* A fatal error from inside a callback: stop expat for good. */
static void stop_fatal(struct jtl_xml *x)
{
	x->stopping = true;
	XML_StopParser(x->p, XML_FALSE);
}

/* Quote at most XML_MSG_VALUE bytes of v for a message, control characters as '?'. */
static void quote_value(char *dst, size_t cap, const char *v, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 4 < cap && i < XML_MSG_VALUE; i++)
		dst[k++] = (unsigned char)v[i] < 0x20 || v[i] == 0x7f ? '?' : v[i];
	if (n > XML_MSG_VALUE && k + 4 < cap) {
		memcpy(dst + k, "...", 3);
		k += 3;
	}
	dst[k] = '\0';
}

/* ---- text helpers ---- */

/* Length of buf[0..n) without a trailing incomplete UTF-8 sequence (after a byte cap). */
static size_t utf8_whole(const char *buf, size_t n)
{
	size_t i = n, back = 0;
	while (i > 0 && back < 4 && ((unsigned char)buf[i - 1] & 0xC0) == 0x80) {
		i--;
		back++;
	}
	if (i == 0)
		return n;
	unsigned char lead = (unsigned char)buf[i - 1];
	size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	return need > back + 1 ? i - 1 : n;
}

static void append_capped(struct strbuf *sb, size_t cap, bool *cut, const char *s, size_t n)
{
	if (sb->len >= cap) {
		if (n)
			*cut = true;
		return;
	}
	size_t room = cap - sb->len;
	if (n > room) {
		n = room;
		*cut = true;
	}
	strbuf_add(sb, s, n);
}

static struct level *cur_level(struct jtl_xml *x)
{
	return x->nsamp ? &x->lv[x->nsamp - 1] : NULL;
}

static void span_set(struct level *lv, enum field f, const char *p, size_t n)
{
	lv->f[f] = (struct span){ lv->arena.len, n, true };
	strbuf_add(&lv->arena, p, n);
}

/* ---- attributes ---- */

enum attr {
	A_NONE,
	A_T, A_IT, A_LT, A_CT, A_TS, A_S, A_LB, A_RC, A_RM, A_TN, A_DT, A_DE, A_BY, A_SBY, A_NG,
	A_NA, A_HN, A_SC, A_EC,
};

static enum attr attr_id(const char *n)
{
	switch (n[0]) {
	case 't':
		if (!n[1])
			return A_T;
		if (!n[2])
			return n[1] == 's' ? A_TS : n[1] == 'n' ? A_TN : A_NONE;
		return A_NONE;
	case 's':
		if (!n[1])
			return A_S;
		if (n[1] == 'c' && !n[2])
			return A_SC;
		if (n[1] == 'b' && n[2] == 'y' && !n[3])
			return A_SBY;
		return A_NONE;
	case '\0':
		return A_NONE;
	default:
		break;
	}
	if (!n[1] || n[2])
		return A_NONE;
	switch (n[0] << 8 | n[1]) {
	case 'i' << 8 | 't': return A_IT;
	case 'l' << 8 | 't': return A_LT;
	case 'c' << 8 | 't': return A_CT;
	case 'l' << 8 | 'b': return A_LB;
	case 'r' << 8 | 'c': return A_RC;
	case 'r' << 8 | 'm': return A_RM;
	case 'd' << 8 | 't': return A_DT;
	case 'd' << 8 | 'e': return A_DE;
	case 'b' << 8 | 'y': return A_BY;
	case 'n' << 8 | 'g': return A_NG;
	case 'n' << 8 | 'a': return A_NA;
	case 'h' << 8 | 'n': return A_HN;
	case 'e' << 8 | 'c': return A_EC;
	default: return A_NONE;
	}
}

static void bad_attr(struct jtl_xml *x, struct level *lv, const char *elem, const char *name,
		     const char *v, size_t n, const char *why)
{
	if (lv->bad)
		return;  /* one warning per record */
	lv->bad = true;
	char q[XML_MSG_VALUE + 8];
	quote_value(q, sizeof q, v, n);
	if (!x->first_skip_line) {
		x->first_skip_line = XML_GetCurrentLineNumber(x->p);
		snprintf(x->first_skip, sizeof x->first_skip, "%s attribute '%.32s' of <%.32s> ('%s')", why, name, elem, q);
	}
	diag_warn(x->d, XML_GetCurrentLineNumber(x->p), XML_GetCurrentColumnNumber(x->p) + 1,
		  "%s attribute '%s' of <%s> ('%s'): sample skipped", why, name, elem, q);
}

static void sample_attr(struct jtl_xml *x, struct level *lv, const char *elem, const char *name,
			const char *v)
{
	enum attr a = attr_id(name);
	if (a == A_NONE)
		return;  /* unknown and custom sample variables (ulp__lag__time=...) are ignored */
	size_t n = strlen(v);
	if (n > JTL_MAX_FIELD) {
		bad_attr(x, lv, elem, name, v, n, "oversized");
		return;
	}
	struct sample *s = &lv->s;
	int64_t *num = NULL;
	unsigned bit = 0;
	switch (a) {
	case A_T: num = &s->elapsed_ms; bit = SH_ELAPSED; break;
	case A_IT: num = &s->idle_ms; bit = SH_IDLE; break;
	case A_LT: num = &s->latency_ms; bit = SH_LATENCY; break;
	case A_CT: num = &s->connect_ms; bit = SH_CONNECT; break;
	case A_TS: num = &s->ts_ms; bit = SH_TS; break;
	case A_BY: num = &s->bytes; bit = SH_BYTES; break;
	case A_SBY: num = &s->sent_bytes; bit = SH_SENT_BYTES; break;
	case A_NG: num = &s->grp_threads; bit = SH_GRP_THREADS; break;
	case A_NA: num = &s->all_threads; bit = SH_ALL_THREADS; break;
	case A_SC: num = &s->sample_count; bit = SH_SAMPLE_COUNT; break;
	case A_EC: num = &s->error_count; bit = SH_ERROR_COUNT; break;
	case A_S:
		if (n == 4 && strncasecmp(v, "true", 4) == 0)
			s->success = true;
		else if (n == 5 && strncasecmp(v, "false", 5) == 0)
			s->success = false;
		else if (n)
			bad_attr(x, lv, elem, name, v, n, "bad value in");
		if (n)
			s->has |= SH_SUCCESS;
		return;
	case A_LB: span_set(lv, F_LABEL, v, n); return;
	case A_RC: span_set(lv, F_CODE, v, n); return;
	case A_RM: span_set(lv, F_MESSAGE, v, n); return;
	case A_TN: span_set(lv, F_THREAD, v, n); return;
	case A_DT: span_set(lv, F_DATA_TYPE, v, n); return;
	case A_DE: span_set(lv, F_ENCODING, v, n); return;
	case A_HN: span_set(lv, F_HOSTNAME, v, n); return;
	case A_NONE: return;
	}
	/* An empty numeric attribute is treated as absent: JMeter never writes one, other
	 * writers do ("by=\"\""), and it carries no value to be wrong about. */
	if (n == 0)
		return;
	if (!parse_i64(v, n, 0, INT64_MAX, num)) {
		bad_attr(x, lv, elem, name, v, n, "bad number in");
		return;
	}
	s->has |= bit;
}

/* ---- elements ---- */

static bool is_sample(const char *name)
{
	return strcmp(name, "httpSample") == 0 || strcmp(name, "sample") == 0;
}

static bool level_is_transaction(const struct level *pl)
{
	static const char tx[] = "Number of samples in transaction";
	if (!pl)
		return false;
	const struct span *m = &pl->f[F_MESSAGE];
	return m->set && pl->arena.buf && m->len >= sizeof tx - 1 &&
	       memcmp(pl->arena.buf + m->off, tx, sizeof tx - 1) == 0;
}

static void start_sample(struct jtl_xml *x, const char *name, const char **atts)
{
	uint32_t li = x->nsamp;
	if (li >= x->lv_cap) {
		size_t old = x->lv_cap;
		void *p = x->lv;
		xgrow(&p, &x->lv_cap, (size_t)li + 1, sizeof *x->lv);
		x->lv = p;
		memset(x->lv + old, 0, (x->lv_cap - old) * sizeof *x->lv);
	}
	struct level *lv = &x->lv[li];
	sample_clear(&lv->s);
	strbuf_reset(&lv->arena);
	memset(lv->f, 0, sizeof lv->f);
	lv->bad = false;
	lv->s.depth = li;
	lv->s.line = XML_GetCurrentLineNumber(x->p);
	for (size_t i = 0; atts[i] && atts[i + 1]; i += 2)
		sample_attr(x, lv, name, atts[i], atts[i + 1]);
	struct sample *s = &lv->s;
	if (li > 0) {
		/* a Transaction Controller's parent sample (generate-parent mode): its children are
		 * the real requests, analysed as if they were top-level */
		s->in_transaction = level_is_transaction(&x->lv[li - 1]);
	}
	lv->now_ms = 0;
	if ((s->has & SH_TS) && s->ts_ms > 0) {
		int64_t d = (s->has & SH_LATENCY) ? s->latency_ms :
			    (s->has & SH_ELAPSED) ? s->elapsed_ms : 0;
		lv->now_ms = d <= INT64_MAX - s->ts_ms ? s->ts_ms + d : s->ts_ms;
	}
	x->nsamp++;
}

static void begin_text(struct level *lv, size_t cap)
{
	strbuf_reset(&lv->text);
	lv->text_cap = cap;
	lv->text_cut = false;
}

/* Kind of a child element of a sample being built. */
static enum kind sample_child(struct jtl_xml *x, const char *name, struct level *lv)
{
	switch (name[0]) {
	case 'j':
		if (strcmp(name, "java.net.URL") == 0) {
			begin_text(lv, XML_TEXT_KEEP);
			return K_URL;
		}
		break;
	case 'r':
		if (strcmp(name, "responseHeader") == 0) {
			begin_text(lv, JTL_MAX_HEADERS_TEXT);
			return K_RESP_HDR;
		}
		if (strcmp(name, "requestHeader") == 0) {
			begin_text(lv, JTL_MAX_HEADERS_TEXT);
			return K_REQ_HDR;
		}
		if (strcmp(name, "responseData") == 0 && x->opts.keep_bodies) {
			begin_text(lv, JTL_MAX_BODY_KEEP);
			return K_RESP_DATA;
		}
		if (strcmp(name, "responseFile") == 0) {
			begin_text(lv, XML_TEXT_KEEP);
			return K_RESP_FILE;
		}
		break;
	case 'a':
		if (strcmp(name, "assertionResult") == 0) {
			strbuf_reset(&lv->amsg);
			lv->amsg_cut = false;
			lv->a_failure = lv->a_error = lv->a_flags = false;
			return K_ASSERT;
		}
		break;
	default:
		break;
	}
	return K_SKIP;
}

static void count_unknown(struct jtl_xml *x, const char *name)
{
	x->unknown++;
	for (size_t i = 0; i < x->nunk; i++)
		if (strcmp(x->unk[i].name, name) == 0) {
			x->unk[i].n++;
			return;
		}
	if (x->nunk < XML_UNKNOWN_KEEP) {
		/* printable ASCII (element names are UTF-8; this is for a message), cut with "..." */
		char *d = x->unk[x->nunk].name;
		size_t k = 0, n = strlen(name);
		for (size_t i = 0; i < n && k + 4 < XML_UNKNOWN_NAME; i++)
			d[k++] = (unsigned char)name[i] < 0x20 || (unsigned char)name[i] >= 0x7f ? '?' : name[i];
		if (k < n && k + 4 <= XML_UNKNOWN_NAME) {
			memcpy(d + k, "...", 3);
			k += 3;
		}
		d[k] = '\0';
		x->unk[x->nunk++].n = 1;
	}
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct jtl_xml *x = ud;
	if (x->stopping)
		return;
	if (x->depth >= JTL_MAX_XML_DEPTH) {
		set_fatal(x, "nesting deeper than %u", (unsigned)JTL_MAX_XML_DEPTH);
		stop_fatal(x);
		return;
	}
	enum kind parent = x->depth ? (enum kind)x->kind[x->depth] : K_NONE;
	enum kind k = K_SKIP;
	struct level *lv = cur_level(x);
	switch (parent) {
	case K_NONE:
		if (strcmp(name, "testResults") != 0) {
			char q[XML_MSG_VALUE + 8];
			quote_value(q, sizeof q, name, strlen(name));
			set_fatal(x, "not a JMeter XML result file (root element '%s')", q);
			stop_fatal(x);
			return;
		}
		k = K_ROOT;
		break;
	case K_ROOT:
		if (is_sample(name)) {
			start_sample(x, name, atts);
			k = K_SAMPLE;
		} else {
			count_unknown(x, name);
		}
		break;
	case K_SAMPLE:
		if (is_sample(name)) {
			/* a sub-result: its own record only when asked for, except the children of a
			 * Transaction Controller's parent sample, which are the real requests: they
			 * always go to the throttle analysis (the parent stands for them in the
			 * statistics unless sub-results are asked for) */
			if (x->opts.sub_results || (x->opts.tx_children && level_is_transaction(lv))) {
				start_sample(x, name, atts);
				struct level *cl = cur_level(x);
				if (!x->opts.sub_results && cl)
					cl->s.throttle_only = true;
				k = K_SAMPLE;
			}
		} else {
			k = sample_child(x, name, lv);
		}
		break;
	case K_ASSERT:
		if (strcmp(name, "failureMessage") == 0) {
			k = K_A_MSG;
		} else if (strcmp(name, "failure") == 0) {
			begin_text(lv, XML_FLAG_KEEP);
			k = K_A_FAILURE;
		} else if (strcmp(name, "error") == 0) {
			begin_text(lv, XML_FLAG_KEEP);
			k = K_A_ERROR;
		}
		break;
	default:
		break;
	}
	x->kind[++x->depth] = (unsigned char)k;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct jtl_xml *x = ud;
	if (x->stopping || len <= 0 || x->depth == 0)
		return;
	enum kind k = (enum kind)x->kind[x->depth];
	struct level *lv;
	switch (k) {
	case K_URL:
	case K_RESP_HDR:
	case K_REQ_HDR:
	case K_RESP_DATA:
	case K_RESP_FILE:
	case K_A_FAILURE:
	case K_A_ERROR:
		lv = cur_level(x);
		append_capped(&lv->text, lv->text_cap, &lv->text_cut, s, (size_t)len);
		break;
	case K_A_MSG:
		lv = cur_level(x);
		append_capped(&lv->amsg, XML_TEXT_KEEP, &lv->amsg_cut, s, (size_t)len);
		break;
	default:
		break;
	}
}

/* The text of the current element, cut back to whole characters (and, for header blocks, to
 * whole lines) when a cap truncated it. */
static struct strref text_of(struct level *lv, bool lines)
{
	struct strref t = { strbuf_cstr(&lv->text), lv->text.len };
	if (lv->text_cut) {
		if (lines) {
			const char *nl = t.n ? memrchr(t.p, '\n', t.n) : NULL;
			t.n = nl ? (size_t)(nl - t.p) + 1 : 0;
		}
		t.n = utf8_whole(t.p, t.n);
	}
	return t;
}

static void request_host(struct level *lv, struct strref t)
{
	const char *p = t.p, *end = t.p + t.n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *colon = memchr(p, ':', (size_t)(eol - p));
		if (colon && strref_ieq(strref_trim((struct strref){ p, (size_t)(colon - p) }), "host")) {
			struct strref v = strref_trim((struct strref){ colon + 1, (size_t)(eol - colon - 1) });
			span_set(lv, F_REQ_HOST, v.p, v.n);
			return;
		}
		p = nl ? nl + 1 : end;
	}
}

static bool text_true(struct strref t)
{
	t = strref_trim(t);
	while (t.n && (t.p[t.n - 1] == '\n'))
		t = strref_trim((struct strref){ t.p, t.n - 1 });
	while (t.n && (t.p[0] == '\n' || t.p[0] == '\r'))
		t = strref_trim((struct strref){ t.p + 1, t.n - 1 });
	return strref_ieq(t, "true");
}

static void emit(struct jtl_xml *x, struct level *lv)
{
	if (lv->bad) {
		x->skipped++;
		x->out_st = JTL_SKIPPED;
		sample_clear(&x->out);
		x->out.line = lv->s.line;
		x->out.depth = lv->s.depth;
	} else {
		x->records++;
		x->out_st = JTL_RECORD;
		x->out = lv->s;
		struct strref *dst[F_COUNT] = {
			[F_LABEL] = &x->out.label, [F_CODE] = &x->out.code,
			[F_MESSAGE] = &x->out.message, [F_THREAD] = &x->out.thread,
			[F_DATA_TYPE] = &x->out.data_type, [F_ENCODING] = &x->out.encoding,
			[F_HOSTNAME] = &x->out.hostname, [F_FAILURE] = &x->out.failure,
			[F_URL] = &x->out.url, [F_FILENAME] = &x->out.filename,
			[F_BODY] = &x->out.body, [F_REQ_HOST] = &x->out.req_host,
			[F_REQ_HEADERS] = &x->out.req_headers,
		};
		for (size_t i = 0; i < F_COUNT; i++) {
			if (lv->f[i].set)
				*dst[i] = (struct strref){ lv->arena.buf + lv->f[i].off, lv->f[i].len };
		}
	}
	x->have_out = true;
	XML_StopParser(x->p, XML_TRUE);
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct jtl_xml *x = ud;
	(void)name;
	if (x->stopping || x->depth == 0)
		return;
	enum kind k = (enum kind)x->kind[x->depth--];
	struct level *lv = cur_level(x);
	struct strref t;
	switch (k) {
	case K_SAMPLE:
		x->nsamp--;
		emit(x, lv);
		break;
	case K_URL:
		t = text_of(lv, false);
		span_set(lv, F_URL, t.p, t.n);
		break;
	case K_RESP_FILE:
		t = text_of(lv, false);
		span_set(lv, F_FILENAME, t.p, t.n);
		break;
	case K_RESP_DATA:
		t = text_of(lv, false);
		span_set(lv, F_BODY, t.p, t.n);
		break;
	case K_RESP_HDR:
		t = text_of(lv, true);
		ratelimit_headers_block(&lv->s.rl, t.p, t.n, lv->now_ms);
		break;
	case K_REQ_HDR:
		t = text_of(lv, true);
		if (!lv->f[F_REQ_HEADERS].set)
			span_set(lv, F_REQ_HEADERS, t.p, t.n);
		if (!lv->f[F_REQ_HOST].set)
			request_host(lv, t);
		break;
	case K_A_FAILURE:
		lv->a_flags = true;
		lv->a_failure = text_true(text_of(lv, false));
		break;
	case K_A_ERROR:
		lv->a_flags = true;
		lv->a_error = text_true(text_of(lv, false));
		break;
	case K_ASSERT: {
		/* The first failing assertion's message.  Without <failure>/<error> (old files) a
		 * non-empty message is taken as a failure. */
		bool failing = lv->a_flags ? (lv->a_failure || lv->a_error) : lv->amsg.len > 0;
		if (failing && !lv->f[F_FAILURE].set && lv->amsg.len) {
			size_t n = lv->amsg_cut ? utf8_whole(lv->amsg.buf, lv->amsg.len) : lv->amsg.len;
			span_set(lv, F_FAILURE, lv->amsg.buf, n);
		}
		break;
	}
	default:
		break;
	}
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
			       const XML_Char *pubid, int has_internal_subset)
{
	struct jtl_xml *x = ud;
	(void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
	if (x->stopping)
		return;
	set_fatal(x, "DTD/entity declarations are not allowed");
	stop_fatal(x);
}

static void XMLCALL on_entity(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
			      int vlen, const XML_Char *base, const XML_Char *sysid,
			      const XML_Char *pubid, const XML_Char *notation)
{
	(void)name, (void)is_param, (void)value, (void)vlen, (void)base, (void)sysid, (void)pubid,
		(void)notation;
	struct jtl_xml *x = ud;
	if (x->stopping)
		return;
	set_fatal(x, "DTD/entity declarations are not allowed");
	stop_fatal(x);
}

/* windows-1252, which expat does not know: 0x80..0x9F differ from ISO-8859-1 (the five
 * undefined positions map to the C1 controls, as WHATWG does). */
static const unsigned short cp1252_hi[32] = {
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

static int XMLCALL on_unknown_encoding(void *ud, const XML_Char *name, XML_Encoding *info)
{
	(void)ud;
	if (strcasecmp(name, "windows-1252") != 0 && strcasecmp(name, "cp1252") != 0)
		return XML_STATUS_ERROR;
	for (int i = 0; i < 256; i++)
		info->map[i] = i >= 0x80 && i < 0xA0 ? cp1252_hi[i - 0x80] : i;
	info->data = NULL;
	info->convert = NULL;
	info->release = NULL;
	return XML_STATUS_OK;
}

/* ---- feeding ---- */

static bool xml_char_ok(uint32_t v)
{
	return v == 0x9 || v == 0xA || v == 0xD || (v >= 0x20 && v <= 0xD7FF) ||
	       (v >= 0xE000 && v <= 0xFFFD) || (v >= 0x10000 && v <= 0x10FFFF);
}

/* Rewrite character references to characters XML 1.0 forbids into a blank of the same length
 * (see the top of the file).  A reference cut by the end of a non-final chunk is moved to
 * x->carry and the new length returned. */
static size_t repair_refs(struct jtl_xml *x, char *buf, size_t n, bool final)
{
	size_t i = 0;
	while (i < n) {
		char *a = memchr(buf + i, '&', n - i);
		if (!a)
			break;
		size_t k = (size_t)(a - buf), j = k + 1;
		if (j < n && buf[j] != '#') {
			i = j;
			continue;
		}
		j++;
		bool hex = j < n && buf[j] == 'x';
		if (hex)
			j++;
		size_t ds = j;
		uint32_t v = 0;
		while (j < n && j - k < XML_REF_CARRY) {
			int dv = hex ? util_hex_digit(buf[j]) : (buf[j] >= '0' && buf[j] <= '9' ? buf[j] - '0' : -1);
			if (dv < 0)
				break;
			if (v <= 0x10FFFF)
				v = v * (hex ? 16u : 10u) + (uint32_t)dv;
			j++;
		}
		if (j >= n) {
			if (!final && n - k < XML_REF_CARRY) {
				memcpy(x->carry, buf + k, n - k);
				x->carry_len = n - k;
				return k;
			}
			break;
		}
		if (buf[j] != ';' || j == ds) {
			i = j;  /* not a character reference: expat will judge it */
			continue;
		}
		if (!xml_char_ok(v)) {
			size_t L = j - ds;
			memset(buf + ds, '0', L);
			if (L == 1) {
				buf[ds] = '9';  /* &#x9; tab */
			} else {
				buf[j - 2] = hex ? '2' : '3';  /* &#x20; / &#32; space */
				buf[j - 1] = hex ? '0' : '2';
			}
			x->repaired++;
		}
		i = j + 1;
	}
	return n;
}

/* Feed the next chunk.  Returns expat's status; XML_STATUS_ERROR with x->err set when the
 * input itself failed. */
static enum XML_Status feed(struct jtl_xml *x)
{
	char *buf = XML_GetBuffer(x->p, (int)(XML_CHUNK + XML_REF_CARRY));
	if (!buf) {
		set_fatal(x, "%s", XML_ErrorString(XML_GetErrorCode(x->p)));
		return XML_STATUS_ERROR;
	}
	size_t have = x->carry_len;
	memcpy(buf, x->carry, have);
	x->carry_len = 0;
	ptrdiff_t r = input_read(x->in, buf + have, XML_CHUNK);
	if (r < 0) {
		if (!x->err)
			x->err = xstrdup(input_error(x->in));
		return XML_STATUS_ERROR;
	}
	size_t n = have + (size_t)r;
	bool final = r == 0;
	if (!x->sniffed && n >= 2) {
		/* UTF-16 (with or without BOM) is the only expat input that is not ASCII-compatible */
		const unsigned char *u = (const unsigned char *)buf;
		x->repair = !((u[0] == 0xFE && u[1] == 0xFF) || (u[0] == 0xFF && u[1] == 0xFE) ||
			      (u[0] == 0 && u[1] == '<') || (u[0] == '<' && u[1] == 0));
		x->sniffed = true;
	}
	if (x->repair)
		n = repair_refs(x, buf, n, final);
	x->final_fed = final;
	return XML_ParseBuffer(x->p, (int)n, final);
}

static void finish_warnings(struct jtl_xml *x)
{
	if (x->unknown) {
		char desc[300];
		jtl_xml_unknown(x, desc, sizeof desc);
		diag_warn(x->d, 0, 0, "%llu elements under <testResults> are not JMeter samples and were not "
			  "read: %s", (unsigned long long)x->unknown, desc);
	}
	if (x->repaired)
		diag_warn(x->d, 0, 0,
			  "%llu character references to characters not allowed in XML 1.0 (binary "
			  "response data?) read as blanks", (unsigned long long)x->repaired);
}

static void on_parse_error(struct jtl_xml *x)
{
	if (x->err) {
		x->st = ST_FATAL;
		finish_warnings(x);
		return;
	}
	enum XML_Error code = XML_GetErrorCode(x->p);
	unsigned long line = (unsigned long)XML_GetCurrentLineNumber(x->p);
	unsigned long col = (unsigned long)XML_GetCurrentColumnNumber(x->p) + 1;
	if (x->final_fed && (code == XML_ERROR_NO_ELEMENTS || code == XML_ERROR_UNCLOSED_TOKEN ||
			     code == XML_ERROR_PARTIAL_CHAR ||
			     code == XML_ERROR_UNCLOSED_CDATA_SECTION)) {
		/* a crashed run: the file stops inside an element */
		x->truncated = true;
		x->st = ST_END;
		diag_warn(x->d, line, col, "input ends inside an element (truncated file?): %s",
			  XML_ErrorString(code));
		finish_warnings(x);
		return;
	}
	x->err = xasprintf("%s:%lu:%lu: error: %s", input_path(x->in), line, col,
			   XML_ErrorString(code));
	x->st = ST_FATAL;
	finish_warnings(x);
}

/* ---- public ---- */

static const XML_Memory_Handling_Suite xml_mem = { xmalloc, xrealloc, free };

struct jtl_xml *jtl_xml_open(struct input *in, const struct jtl_options *o, struct diag *d)
{
	struct jtl_xml *x = xcalloc(1, sizeof *x);
	x->in = in;
	if (o)
		x->opts = *o;
	if (!d) {
		diag_init(&x->own_diag, input_path(in));
		x->own_diag.quiet = 1;
		d = &x->own_diag;
	}
	x->d = d;
	/* NULL encoding: the document's declaration (or BOM) decides; no namespace processing. */
	x->p = XML_ParserCreate_MM(NULL, &xml_mem, NULL);
	if (!x->p)
		xmalloc(SIZE_MAX);  /* out of memory: abort in the one place */
	XML_SetUserData(x->p, x);
	XML_SetElementHandler(x->p, on_start, on_end);
	XML_SetCharacterDataHandler(x->p, on_text);
	XML_SetStartDoctypeDeclHandler(x->p, on_doctype);
	XML_SetEntityDeclHandler(x->p, on_entity);
	XML_SetUnknownEncodingHandler(x->p, on_unknown_encoding, NULL);
	XML_SetParamEntityParsing(x->p, XML_PARAM_ENTITY_PARSING_NEVER);
	return x;
}

enum jtl_status jtl_xml_next(struct jtl_xml *x, struct sample *s)
{
	for (;;) {
		if (x->st == ST_END)
			return JTL_END;
		if (x->st == ST_FATAL)
			return JTL_FATAL;
		x->have_out = false;
		enum XML_Status r = x->st == ST_SUSPENDED ? XML_ResumeParser(x->p) : feed(x);
		switch (r) {
		case XML_STATUS_SUSPENDED:
			x->st = ST_SUSPENDED;
			if (x->have_out) {
				*s = x->out;
				return x->out_st;
			}
			break;
		case XML_STATUS_ERROR:
			on_parse_error(x);
			break;
		case XML_STATUS_OK:
		default:
			x->st = ST_FEED;
			if (x->final_fed) {
				x->st = ST_END;
				finish_warnings(x);
			}
			break;
		}
	}
}

const char *jtl_xml_error(const struct jtl_xml *x)
{
	return x->err ? x->err : "";
}

bool jtl_xml_truncated(const struct jtl_xml *x)
{
	return x->truncated;
}

uint64_t jtl_xml_skipped(const struct jtl_xml *x)
{
	return x->skipped;
}

uint64_t jtl_xml_unknown(const struct jtl_xml *x, char *desc, size_t len)
{
	size_t o = 0;
	if (len)
		desc[0] = '\0';
	for (size_t i = 0; i < x->nunk && o < len; i++) {
		int w = snprintf(desc + o, len - o, "%s<%s> x%llu", i ? ", " : "", x->unk[i].name,
				 (unsigned long long)x->unk[i].n);
		if (w < 0)
			break;
		o += (size_t)w;
	}
	uint64_t named = 0;
	for (size_t i = 0; i < x->nunk; i++)
		named += x->unk[i].n;
	if (named < x->unknown && o < len)
		snprintf(desc + o, len - o, ", %llu others", (unsigned long long)(x->unknown - named));
	return x->unknown;
}

const char *jtl_xml_first_skip(const struct jtl_xml *x, uint64_t *line)
{
	*line = x->first_skip_line;
	return x->first_skip_line ? x->first_skip : NULL;
}

uint64_t jtl_xml_repaired_refs(const struct jtl_xml *x)
{
	return x->repaired;
}

void jtl_xml_close(struct jtl_xml *x)
{
	if (!x)
		return;
	if (x->p)
		XML_ParserFree(x->p);
	for (size_t i = 0; i < x->lv_cap; i++) {
		strbuf_release(&x->lv[i].arena);
		strbuf_release(&x->lv[i].text);
		strbuf_release(&x->lv[i].amsg);
	}
	free(x->lv);
	free(x->err);
	free(x);
}
