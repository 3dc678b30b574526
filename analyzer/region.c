/* region.c - see region.h. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "analyzer/region.h"

#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Genesys Cloud region domains (from the vendor SDKs' PureCloudRegionHosts tables).  Every host
 * of a region is a sub-domain of its domain: api., login., apps., streaming., webmessaging. ... */
static const struct {
	const char *domain;
	const char *region;
} builtin_domains[] = {
	{ "mypurecloud.com", "us-east-1" },
	{ "use2.us-gov-pure.cloud", "us-east-2" },
	{ "usw2.pure.cloud", "us-west-2" },
	{ "cac1.pure.cloud", "ca-central-1" },
	{ "sae1.pure.cloud", "sa-east-1" },
	{ "mxc1.pure.cloud", "mx-central-1" },
	{ "mypurecloud.ie", "eu-west-1" },
	{ "euw2.pure.cloud", "eu-west-2" },
	{ "mypurecloud.de", "eu-central-1" },
	{ "euc2.pure.cloud", "eu-central-2" },
	{ "edee1.eusc-pure.cloud", "eusc-de-east-1" },
	{ "mec1.pure.cloud", "me-central-1" },
	{ "aps1.pure.cloud", "ap-south-1" },
	{ "apse1.pure.cloud", "ap-southeast-1" },
	{ "mypurecloud.com.au", "ap-southeast-2" },
	{ "mypurecloud.jp", "ap-northeast-1" },
	{ "apne2.pure.cloud", "ap-northeast-2" },
	{ "apne3.pure.cloud", "ap-northeast-3" },
};

struct region_rule {
	pcre2_code *re;
	char *region;
};

struct region_map {
	struct region_rule *rules;
	size_t nrules, cap;
	pcre2_match_context *mctx;
	pcre2_match_data *md;
};

static const char *const by_names[] = { "url-host", "hostname", "thread-group", "label" };

const char *region_by_name(enum region_by by)
{
	return (size_t)by < ARRAY_LEN(by_names) ? by_names[by] : "?";
}

bool region_by_parse(const char *s, enum region_by *out)
{
	for (size_t i = 0; i < ARRAY_LEN(by_names); i++) {
		if (strcmp(s, by_names[i]) == 0) {
			*out = (enum region_by)i;
			return true;
		}
	}
	return false;
}

struct region_map *region_map_new(void)
{
	struct region_map *m = xcalloc(1, sizeof *m);
	m->mctx = pcre2_match_context_create(NULL);
	m->md = pcre2_match_data_create(1, NULL);
	if (!m->mctx || !m->md) {
		fprintf(stderr, "jtlscope: out of memory (pcre2)\n");
		abort();
	}
	pcre2_set_match_limit(m->mctx, REGION_MATCH_LIMIT);
	pcre2_set_depth_limit(m->mctx, REGION_DEPTH_LIMIT);
	return m;
}

void region_map_free(struct region_map *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nrules; i++) {
		pcre2_code_free(m->rules[i].re);
		free(m->rules[i].region);
	}
	free(m->rules);
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mctx);
	free(m);
}

size_t region_map_rules(const struct region_map *m)
{
	return m->nrules;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* One map line (without its newline).  Returns false with err filled on error. */
static bool parse_line(struct region_map *m, const char *name, uint64_t lineno, const char *p,
		       size_t n, char *err, size_t errlen)
{
	size_t b = 0, e = n;
	while (b < e && is_blank(p[b]))
		b++;
	while (e > b && is_blank(p[e - 1]))
		e--;
	if (b == e || p[b] == '#')
		return true;
	size_t r = e;
	while (r > b && !is_blank(p[r - 1]))
		r--;
	if (r == b) {
		snprintf(err, errlen, "%s:%llu: error: expected 'PATTERN REGION', found one word",
			 name, (unsigned long long)lineno);
		return false;
	}
	size_t pe = r;
	while (pe > b && is_blank(p[pe - 1]))
		pe--;
	size_t rlen = e - r;
	if (rlen > REGION_MAX_NAME) {
		snprintf(err, errlen, "%s:%llu: error: region name longer than %d bytes", name,
			 (unsigned long long)lineno, REGION_MAX_NAME);
		return false;
	}
	for (size_t i = r; i < e; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x20 || c == 0x7f) {
			snprintf(err, errlen, "%s:%llu:%zu: error: control character in region name",
				 name, (unsigned long long)lineno, i + 1);
			return false;
		}
	}
	if (m->nrules >= REGION_MAX_RULES) {
		snprintf(err, errlen, "%s:%llu: error: more than %d rules", name,
			 (unsigned long long)lineno, REGION_MAX_RULES);
		return false;
	}
	int ec = 0;
	PCRE2_SIZE eo = 0;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)(p + b), pe - b, PCRE2_CASELESS, &ec, &eo, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];
		if (pcre2_get_error_message(ec, msg, sizeof msg) < 0)
			strcpy((char *)msg, "unknown error");
		snprintf(err, errlen, "%s:%llu:%zu: error: bad pattern: %s", name,
			 (unsigned long long)lineno, b + (size_t)eo + 1, (const char *)msg);
		return false;
	}
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* interpreter when JIT is unavailable */
	xgrow((void **)&m->rules, &m->cap, m->nrules + 1, sizeof *m->rules);
	m->rules[m->nrules].re = re;
	m->rules[m->nrules].region = xstrndup(p + r, rlen);
	m->nrules++;
	return true;
}

bool region_map_load_mem(struct region_map *m, const char *name, const char *text, size_t len,
			 char *err, size_t errlen)
{
	uint64_t lineno = 0;
	size_t i = 0;
	while (i < len) {
		lineno++;
		const char *nl = memchr(text + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - text) : len;
		if (e - i > REGION_MAX_LINE) {
			snprintf(err, errlen, "%s:%llu: error: line longer than %d bytes", name,
				 (unsigned long long)lineno, REGION_MAX_LINE);
			return false;
		}
		if (memchr(text + i, '\0', e - i)) {
			snprintf(err, errlen, "%s:%llu: error: NUL byte in line", name,
				 (unsigned long long)lineno);
			return false;
		}
		if (!parse_line(m, name, lineno, text + i, e - i, err, errlen))
			return false;
		i = e + 1;
	}
	return true;
}

bool region_map_load(struct region_map *m, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return false;
	}
	/* Bounded: the rule and line limits bound a valid file. */
	const size_t maxbytes = (size_t)(REGION_MAX_RULES + 1024) * (REGION_MAX_LINE + 1);
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	size_t got;
	bool ok = true;
	while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
		if (sb.len + got > maxbytes) {
			snprintf(err, errlen, "%s: error: region map larger than %zu bytes", path,
				 maxbytes);
			ok = false;
			break;
		}
		strbuf_add(&sb, buf, got);
	}
	if (ok && ferror(f)) {
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		ok = false;
	}
	fclose(f);
	if (ok)
		ok = region_map_load_mem(m, path, sb.buf ? sb.buf : "", sb.len, err, errlen);
	strbuf_release(&sb);
	return ok;
}

static bool ieq_n(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
			return false;
	}
	return true;
}

const char *region_builtin_host(const char *host, size_t n)
{
	while (n && host[n - 1] == '.') /* fully qualified "api.mypurecloud.com." */
		n--;
	for (size_t i = 0; i < ARRAY_LEN(builtin_domains); i++) {
		size_t dl = strlen(builtin_domains[i].domain);
		if (n < dl || !ieq_n(host + n - dl, builtin_domains[i].domain, dl))
			continue;
		if (n == dl || host[n - dl - 1] == '.')
			return builtin_domains[i].region;
	}
	return NULL;
}

static bool is_alnum(char c)
{
	return isalnum((unsigned char)c) != 0;
}

/* Match a literal (caseless) at s[i]; returns its length or 0. */
static size_t lit(const char *s, size_t n, size_t i, const char *w)
{
	size_t l = strlen(w);
	return (i + l <= n && ieq_n(s + i, w, l)) ? l : 0;
}

static size_t one_of(const char *s, size_t n, size_t i, const char *const *ws, size_t nw)
{
	for (size_t k = 0; k < nw; k++) {
		size_t l = lit(s, n, i, ws[k]);
		if (l)
			return l;
	}
	return 0;
}

static const char *const directions[] = {
	"northeast", "northwest", "southeast", "southwest", "north", "south", "east", "west",
	"central",
};

/* AWS: PREFIX[-gov|-iso|-isob]-DIRECTION-N; GCP: PREFIX-DIRECTIONN.  Returns length or 0. */
static size_t cloud_token_at(const char *s, size_t n, size_t i)
{
	static const char *const aws[] = { "us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx",
					   "cn" };
	static const char *const gcp[] = { "northamerica", "southamerica", "australia", "europe",
					   "africa", "asia", "us", "me" };
	static const char *const part[] = { "-isob", "-iso", "-gov" };
	for (int kind = 0; kind < 2; kind++) {
		size_t j = i;
		size_t l = kind == 0 ? one_of(s, n, j, aws, ARRAY_LEN(aws))
				     : one_of(s, n, j, gcp, ARRAY_LEN(gcp));
		if (!l)
			continue;
		j += l;
		if (kind == 0)
			j += one_of(s, n, j, part, ARRAY_LEN(part));
		if (j >= n || s[j] != '-')
			continue;
		j++;
		l = one_of(s, n, j, directions, ARRAY_LEN(directions));
		if (!l)
			continue;
		j += l;
		if (kind == 0) {
			if (j >= n || s[j] != '-')
				continue;
			j++;
		}
		size_t d = 0;
		while (j + d < n && d < 3 && isdigit((unsigned char)s[j + d]))
			d++;
		if (d == 0 || d > 2)
			continue;
		j += d;
		if (j < n && is_alnum(s[j]))
			continue;
		return j - i;
	}
	return 0;
}

bool region_cloud_token(const char *s, size_t n, char *buf, size_t bufsz)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && is_alnum(s[i - 1]))
			continue;
		size_t l = cloud_token_at(s, n, i);
		if (l && l < bufsz) {
			for (size_t k = 0; k < l; k++)
				buf[k] = (char)tolower((unsigned char)s[i + k]);
			buf[l] = '\0';
			return true;
		}
	}
	return false;
}

bool region_map_lookup(struct region_map *m, const char *key, size_t n, bool is_host,
		       struct strbuf *out)
{
	for (size_t i = 0; i < m->nrules; i++) {
		int rc = pcre2_match(m->rules[i].re, (PCRE2_SPTR)key, n, 0, 0, m->md, m->mctx);
		if (rc >= 0) {
			strbuf_reset(out);
			strbuf_addstr(out, m->rules[i].region);
			return true;
		}
	}
	if (is_host) {
		const char *r = region_builtin_host(key, n);
		if (r) {
			strbuf_reset(out);
			strbuf_addstr(out, r);
			return true;
		}
	}
	char tok[32];
	if (region_cloud_token(key, n, tok, sizeof tok)) {
		strbuf_reset(out);
		strbuf_addstr(out, tok);
		return true;
	}
	return false;
}

bool region_url_host(const char *url, size_t n, struct strref *host)
{
	size_t i = 0;
	while (i < n && (isalnum((unsigned char)url[i]) || url[i] == '+' || url[i] == '-' ||
			 url[i] == '.'))
		i++;
	if (i == 0 || i + 3 > n || memcmp(url + i, "://", 3) != 0)
		return false;
	size_t a = i + 3, e = a;
	while (e < n && url[e] != '/' && url[e] != '?' && url[e] != '#')
		e++;
	for (size_t k = e; k > a; k--) { /* userinfo ends at the last '@' */
		if (url[k - 1] == '@') {
			a = k;
			break;
		}
	}
	if (a < e && url[a] == '[') {
		const char *rb = memchr(url + a, ']', e - a);
		if (!rb)
			return false;
		host->p = url + a + 1;
		host->n = (size_t)(rb - (url + a + 1));
		return host->n > 0;
	}
	size_t h = e;
	for (size_t k = a; k < e; k++) {
		if (url[k] == ':') {
			h = k;
			break;
		}
	}
	host->p = url + a;
	host->n = h - a;
	return host->n > 0;
}

struct strref region_thread_group(struct strref t)
{
	/* JMeter names threads "<group> <g>-<t>". */
	size_t e = t.n, k = e;
	while (k > 0 && isdigit((unsigned char)t.p[k - 1]))
		k--;
	if (k == e || k == 0 || t.p[k - 1] != '-')
		return t;
	size_t d = k - 1;
	k = d;
	while (k > 0 && isdigit((unsigned char)t.p[k - 1]))
		k--;
	if (k == d || k == 0 || t.p[k - 1] != ' ')
		return t;
	struct strref g = { t.p, k - 1 };
	return g.n ? g : t;
}

static void add_key(struct strbuf *out, const char *p, size_t n, bool lower)
{
	if (n > REGION_MAX_KEY)
		n = REGION_MAX_KEY;
	size_t at = out->len;
	strbuf_add(out, p, n);
	if (lower) {
		for (size_t i = at; i < out->len; i++) {
			char c = out->buf[i];
			if (c >= 'A' && c <= 'Z')
				out->buf[i] = (char)(c - 'A' + 'a');
		}
	}
}

void region_key(enum region_by by, const struct sample *s, struct strbuf *out)
{
	strbuf_reset(out);
	struct strref h = STRREF_NULL;
	switch (by) {
	case REGION_BY_URL_HOST:
		if (s->url.p && region_url_host(s->url.p, s->url.n, &h)) {
			add_key(out, h.p, h.n, true);
			return;
		}
		if (s->req_host.p && s->req_host.n) {
			struct strref rh = strref_trim(s->req_host);
			size_t n = rh.n;
			if (n && rh.p[0] == '[') {
				const char *rb = memchr(rh.p, ']', n);
				if (rb) {
					add_key(out, rh.p + 1, (size_t)(rb - rh.p) - 1, true);
					return;
				}
			}
			const char *c = memchr(rh.p, ':', n);
			if (c && !memchr(c + 1, ':', n - (size_t)(c - rh.p) - 1))
				n = (size_t)(c - rh.p);
			add_key(out, rh.p, n, true);
		}
		return;
	case REGION_BY_HOSTNAME:
		if (s->hostname.p)
			add_key(out, s->hostname.p, s->hostname.n, false);
		return;
	case REGION_BY_THREAD_GROUP:
		if (s->thread.p) {
			struct strref g = region_thread_group(s->thread);
			add_key(out, g.p, g.n, false);
		}
		return;
	case REGION_BY_LABEL:
		if (s->label.p)
			add_key(out, s->label.p, s->label.n, false);
		return;
	}
}
