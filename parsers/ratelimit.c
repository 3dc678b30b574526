/* ratelimit.c - rate-limit response headers, see ratelimit.h.
 *
 * Follows RFC 9110 10.2.3 (Retry-After), 5.6.7 (HTTP-date: IMF-fixdate, obsolete RFC 850 and
 * asctime forms) and draft-ietf-httpapi-ratelimit-headers (all revisions seen in the wild:
 * separate RateLimit-Limit/-Remaining/-Reset fields, the dictionary "limit=, remaining=, reset="
 * and the newer structured item form '"policy";r=50;t=30' with RateLimit-Policy
 * '"policy";q=100;w=60' or '100;w=60').  Vendor forms: X-RateLimit-* (also X-Rate-Limit-* and
 * X-RateLimit-Used), inin-ratelimit-*, x-envoy-ratelimited.
 *
 * Every read is bounded by the (pointer, length) pairs given; nothing here needs a NUL.  A
 * recognised header with a bad value leaves its flag off: the analyzer only trusts set flags.
 */
#include "parsers/ratelimit.h"

#include <string.h>
#include <strings.h>

#include "common/util.h"

/* Largest magnitude accepted for counts and seconds; beyond it a value is junk. */
#define RL_MAX_COUNT ((int64_t)1000000000000000)  /* 1e15 */
#define RL_MAX_SECONDS 1e15
/* Reset classification thresholds (see ratelimit.h): above these a value is an epoch time. */
#define RL_EPOCH_MS_MIN 1e12
#define RL_EPOCH_S_MIN 1e9

static struct strref mkref(const char *p, size_t n)
{
	return (struct strref){ p, n };
}

/* Index of c in s, or s.n when absent; characters inside "double quotes" are not matched. */
static size_t find_unquoted(struct strref s, char c)
{
	bool q = false;
	for (size_t i = 0; i < s.n; i++) {
		if (q) {
			if (s.p[i] == '\\' && i + 1 < s.n)
				i++;
			else if (s.p[i] == '"')
				q = false;
		} else if (s.p[i] == '"') {
			q = true;
		} else if (s.p[i] == c) {
			return i;
		}
	}
	return s.n;
}

/* Split s at the first unquoted c: *head gets the part before, s the rest after c (empty when
 * c is absent).  Both trimmed. */
static struct strref split_next(struct strref *s, char c)
{
	size_t i = find_unquoted(*s, c);
	struct strref head = strref_trim(mkref(s->p, i));
	if (i < s->n)
		*s = mkref(s->p + i + 1, s->n - i - 1);
	else
		*s = mkref(s->p + s->n, 0);
	return head;
}

static bool parse_count(struct strref v, int64_t *out)
{
	v = strref_trim(v);
	if (parse_i64(v.p, v.n, 0, RL_MAX_COUNT, out))
		return true;
	/* "100.0": some gateways print counts as decimals. */
	double d;
	if (parse_double(v.p, v.n, 0, (double)RL_MAX_COUNT, &d) && d == (double)(int64_t)d) {
		*out = (int64_t)d;
		return true;
	}
	return false;
}

static bool parse_seconds(struct strref v, double *out)
{
	v = strref_trim(v);
	return parse_double(v.p, v.n, -RL_MAX_SECONDS, RL_MAX_SECONDS, out);
}

static double clamp0(double v)
{
	return v < 0 ? 0 : v;
}

/* The first number of a list value "100" / "100, 100;w=60" (RateLimit-Limit as the early
 * drafts and many gateways send it); a "w=" parameter on any member gives the window. */
static void limit_list(struct ratelimit *rl, struct strref v)
{
	bool first = true;
	while (v.n) {
		struct strref member = split_next(&v, ',');
		struct strref item = split_next(&member, ';');
		int64_t n;
		if (first && parse_count(item, &n)) {
			rl->limit = n;
			rl->flags |= RL_LIMIT;
		}
		first = false;
		while (member.n) {
			struct strref param = split_next(&member, ';');
			size_t eq = find_unquoted(param, '=');
			if (eq == param.n)
				continue;
			struct strref key = strref_trim(mkref(param.p, eq));
			struct strref val = mkref(param.p + eq + 1, param.n - eq - 1);
			double w;
			if (strref_ieq(key, "w") && !(rl->flags & RL_WINDOW) && parse_seconds(val, &w) &&
			    w >= 0) {
				rl->window_s = w;
				rl->flags |= RL_WINDOW;
			}
		}
	}
}

static void set_remaining(struct ratelimit *rl, struct strref v)
{
	/* A list ("50, 50;w=60") is possible too: the first number is the one that matters. */
	struct strref item = split_next(&v, ',');
	item = split_next(&item, ';');
	int64_t n;
	if (parse_count(item, &n)) {
		rl->remaining = n;
		rl->flags |= RL_REMAINING;
	}
}

/* Reset as delay seconds, epoch seconds or epoch milliseconds (classified by magnitude), or
 * as an HTTP-date.  Epoch forms need now_ms. */
static void set_reset(struct ratelimit *rl, struct strref v, int64_t now_ms)
{
	v = strref_trim(v);
	double d;
	int64_t epoch_s;
	if (parse_seconds(v, &d)) {
		if (d > RL_EPOCH_MS_MIN) {
			if (now_ms == 0)
				return;
			rl->reset_s = clamp0((d - (double)now_ms) / 1000.0);
			rl->flags |= RL_RESET | RL_RESET_EPOCH;
		} else if (d > RL_EPOCH_S_MIN) {
			if (now_ms == 0)
				return;
			rl->reset_s = clamp0(d - (double)now_ms / 1000.0);
			rl->flags |= RL_RESET | RL_RESET_EPOCH;
		} else {
			rl->reset_s = clamp0(d);
			rl->flags |= RL_RESET;
		}
	} else if (http_date_parse(v.p, v.n, &epoch_s) && now_ms != 0) {
		rl->reset_s = clamp0((double)epoch_s - (double)now_ms / 1000.0);
		rl->flags |= RL_RESET | RL_RESET_EPOCH;
	}
}

static void set_retry_after(struct ratelimit *rl, struct strref v, int64_t now_ms)
{
	v = strref_trim(v);
	double d;
	int64_t epoch_s;
	if (parse_seconds(v, &d)) {
		rl->retry_after_s = clamp0(d);
		rl->flags |= RL_RETRY_AFTER;
	} else if (http_date_parse(v.p, v.n, &epoch_s) && now_ms != 0) {
		rl->retry_after_s = clamp0((double)epoch_s - (double)now_ms / 1000.0);
		rl->flags |= RL_RETRY_AFTER;
	}
}

static void set_limit(struct ratelimit *rl, int64_t n)
{
	rl->limit = n;
	rl->flags |= RL_LIMIT;
}

/* One key=value of the RateLimit / RateLimit-Policy structured forms. */
static void structured_param(struct ratelimit *rl, struct strref key, struct strref val,
			     int64_t now_ms)
{
	int64_t n;
	double d;
	if (strref_ieq(key, "limit") || strref_ieq(key, "q")) {
		if (parse_count(val, &n))
			set_limit(rl, n);
	} else if (strref_ieq(key, "remaining") || strref_ieq(key, "r")) {
		set_remaining(rl, val);
	} else if (strref_ieq(key, "reset") || strref_ieq(key, "t")) {
		set_reset(rl, val, now_ms);
	} else if (strref_ieq(key, "w") || strref_ieq(key, "window")) {
		if (parse_seconds(val, &d) && d >= 0) {
			rl->window_s = d;
			rl->flags |= RL_WINDOW;
		}
	}
}

/* RateLimit / RateLimit-Policy values:
 *   limit=100, remaining=50, reset=30        (dictionary: every member applies)
 *   "default";r=50;t=30, "other";r=5;t=1    (list of policies: the first one applies)
 *   100;w=60                                  (policy: bare quota item with parameters)
 */
static void structured(struct ratelimit *rl, struct strref v, int64_t now_ms, bool policy)
{
	bool first_item = true;
	while (v.n) {
		struct strref member = split_next(&v, ',');
		struct strref item = split_next(&member, ';');
		size_t eq = find_unquoted(item, '=');
		if (eq < item.n && item.n && item.p[0] != '"') {
			/* dictionary member; its own parameters (if any) are ignored */
			struct strref key = strref_trim(mkref(item.p, eq));
			structured_param(rl, key, mkref(item.p + eq + 1, item.n - eq - 1), now_ms);
			continue;
		}
		if (!first_item)
			continue;
		first_item = false;
		int64_t n;
		if (policy && parse_count(item, &n))
			set_limit(rl, n);
		while (member.n) {
			struct strref param = split_next(&member, ';');
			size_t peq = find_unquoted(param, '=');
			if (peq == param.n)
				continue;
			struct strref key = strref_trim(mkref(param.p, peq));
			structured_param(rl, key, mkref(param.p + peq + 1, param.n - peq - 1), now_ms);
		}
	}
}

/* Name matching with an optional "x-" prefix: "ratelimit-limit" matches "RateLimit-Limit" and
 * "X-RateLimit-Limit". */
static bool name_is(struct strref name, const char *lit, bool allow_x)
{
	if (strref_ieq(name, lit))
		return true;
	return allow_x && name.n > 2 && (name.p[0] == 'x' || name.p[0] == 'X') && name.p[1] == '-' &&
	       strref_ieq(mkref(name.p + 2, name.n - 2), lit);
}

bool ratelimit_header(struct ratelimit *rl, const char *name, size_t nlen, const char *value,
		      size_t vlen, int64_t now_ms)
{
	struct strref n = strref_trim(mkref(name, nlen));
	struct strref v = strref_trim(mkref(value, vlen));
	if (!n.p || n.n < 9)  /* shortest: "ratelimit" */
		return false;
	if (!v.p)
		v = mkref("", 0);

	if (strref_ieq(n, "retry-after")) {
		set_retry_after(rl, v, now_ms);
	} else if (name_is(n, "ratelimit-limit", true) || name_is(n, "rate-limit-limit", true)) {
		limit_list(rl, v);
	} else if (name_is(n, "ratelimit-remaining", true) ||
		   name_is(n, "rate-limit-remaining", true)) {
		set_remaining(rl, v);
	} else if (name_is(n, "ratelimit-reset", true) || name_is(n, "rate-limit-reset", true)) {
		set_reset(rl, v, now_ms);
	} else if (name_is(n, "ratelimit-used", true)) {
		int64_t c;
		if (parse_count(v, &c)) {
			rl->count = c;
			rl->flags |= RL_COUNT;
		}
	} else if (strref_ieq(n, "ratelimit")) {
		structured(rl, v, now_ms, false);
	} else if (strref_ieq(n, "ratelimit-policy") || strref_ieq(n, "x-ratelimit-policy")) {
		structured(rl, v, now_ms, true);
	} else if (strref_ieq(n, "inin-ratelimit-count")) {
		int64_t c;
		if (parse_count(v, &c)) {
			rl->count = c;
			rl->flags |= RL_COUNT;
		}
	} else if (strref_ieq(n, "inin-ratelimit-allowed")) {
		int64_t c;
		if (parse_count(v, &c))
			set_limit(rl, c);
	} else if (strref_ieq(n, "inin-ratelimit-reset")) {
		set_reset(rl, v, now_ms);
	} else if (strref_ieq(n, "x-envoy-ratelimited")) {
		rl->flags |= RL_ENVOY;
	} else {
		return false;
	}
	return true;
}

void ratelimit_headers_block(struct ratelimit *rl, const char *block, size_t len, int64_t now_ms)
{
	if (!block)
		return;
	const char *p = block, *end = block + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		struct strref line = mkref(p, (size_t)(eol - p));
		p = nl ? nl + 1 : end;
		/* obs-fold continuation lines and the status line are not headers */
		if (!line.n || line.p[0] == ' ' || line.p[0] == '\t')
			continue;
		if (line.n >= 5 && strncasecmp(line.p, "HTTP/", 5) == 0)
			continue;
		const char *colon = memchr(line.p, ':', line.n);
		if (!colon)
			continue;
		size_t nlen = (size_t)(colon - line.p);
		ratelimit_header(rl, line.p, nlen, colon + 1, line.n - nlen - 1, now_ms);
	}
}

/* ---- HTTP-date (RFC 9110 5.6.7) ---- */

struct cur {
	const char *p;
	size_t n, i;
};

static bool cur_ch(struct cur *c, char ch)
{
	if (c->i < c->n && c->p[c->i] == ch) {
		c->i++;
		return true;
	}
	return false;
}

/* Exactly min..max digits into *v. */
static bool cur_num(struct cur *c, size_t min, size_t max, int64_t *v)
{
	size_t s = c->i;
	while (c->i < c->n && c->i - s < max && c->p[c->i] >= '0' && c->p[c->i] <= '9')
		c->i++;
	size_t k = c->i - s;
	return k >= min && parse_i64(c->p + s, k, 0, 9999, v);
}

static size_t cur_alpha(struct cur *c)
{
	size_t s = c->i;
	while (c->i < c->n && ((c->p[c->i] >= 'a' && c->p[c->i] <= 'z') ||
			       (c->p[c->i] >= 'A' && c->p[c->i] <= 'Z')))
		c->i++;
	return c->i - s;
}

static const char *const day_short[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
static const char *const day_long[] = { "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
					"Saturday", "Sunday" };
static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static bool in_table(struct strref w, const char *const *tab, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (strref_ieq(w, tab[k]))
			return true;
	return false;
}

static bool cur_month(struct cur *c, int64_t *mon)
{
	size_t s = c->i;
	if (cur_alpha(c) != 3)
		return false;
	for (size_t k = 0; k < ARRAY_LEN(months); k++) {
		if (strref_ieq(mkref(c->p + s, 3), months[k])) {
			*mon = (int64_t)k + 1;
			return true;
		}
	}
	return false;
}

/* "08:49:37" */
static bool cur_time(struct cur *c, int64_t *h, int64_t *m, int64_t *s)
{
	return cur_num(c, 2, 2, h) && cur_ch(c, ':') && cur_num(c, 2, 2, m) && cur_ch(c, ':') &&
	       cur_num(c, 2, 2, s) && *h <= 23 && *m <= 59 && *s <= 60;
}

static bool cur_gmt(struct cur *c)
{
	size_t s = c->i;
	if (cur_alpha(c) != 3)
		return false;
	struct strref z = mkref(c->p + s, 3);
	return strref_ieq(z, "GMT") || strref_ieq(z, "UTC");
}

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

bool http_date_parse(const char *p, size_t n, int64_t *epoch_s)
{
	struct strref t = strref_trim(mkref(p, n));
	if (!t.p || t.n < 20 || t.n > 64)
		return false;
	struct cur c = { t.p, t.n, 0 };
	int64_t y, mon, d, h, mi, s;

	size_t dl = cur_alpha(&c);
	struct strref day = mkref(t.p, dl);
	if (cur_ch(&c, ',')) {
		if (!cur_ch(&c, ' '))
			return false;
		if (dl == 3) {
			/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
			if (!in_table(day, day_short, 7) || !cur_num(&c, 1, 2, &d) || !cur_ch(&c, ' ') ||
			    !cur_month(&c, &mon) || !cur_ch(&c, ' ') || !cur_num(&c, 4, 4, &y))
				return false;
		} else {
			/* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
			if (!in_table(day, day_long, 7) || !cur_num(&c, 2, 2, &d) || !cur_ch(&c, '-') ||
			    !cur_month(&c, &mon) || !cur_ch(&c, '-') || !cur_num(&c, 2, 2, &y))
				return false;
			/* RFC 9110: a two-digit year more than 50 years in the future is in the
			 * past century; without a clock, pivot at 70 as most servers do. */
			y += y < 70 ? 2000 : 1900;
		}
		if (!cur_ch(&c, ' ') || !cur_time(&c, &h, &mi, &s) || !cur_ch(&c, ' ') || !cur_gmt(&c))
			return false;
	} else {
		/* asctime: Sun Nov  6 08:49:37 1994 */
		if (dl != 3 || !in_table(day, day_short, 7) || !cur_ch(&c, ' ') || !cur_month(&c, &mon) ||
		    !cur_ch(&c, ' '))
			return false;
		cur_ch(&c, ' ');
		if (!cur_num(&c, 1, 2, &d) || !cur_ch(&c, ' ') || !cur_time(&c, &h, &mi, &s) ||
		    !cur_ch(&c, ' ') || !cur_num(&c, 4, 4, &y))
			return false;
	}
	if (c.i != c.n)
		return false;
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int64_t dim = mdays[mon - 1] + (mon == 2 && leap(y));
	if (d < 1 || d > dim)
		return false;
	*epoch_s = days_from_civil(y, mon, d) * 86400 + h * 3600 + mi * 60 + s;
	return true;
}

/* ---- in-band hints (JSON message bodies) ---- */

#define JSON_MAX_DEPTH 64u

/* End of the string whose opening quote is at p[i] (index of the closing quote), or n. */
static size_t json_string_end(const char *p, size_t n, size_t i)
{
	for (size_t k = i + 1; k < n; k++) {
		if (p[k] == '\\')
			k++;
		else if (p[k] == '"')
			return k;
	}
	return n;
}

static size_t json_ws(const char *p, size_t n, size_t i)
{
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	return i;
}

bool json_member(const char *p, size_t len, const char *key, unsigned maxdepth,
		 struct json_value *out)
{
	size_t klen = strlen(key);
	uint64_t is_obj = 0;      /* bit d-1: container at depth d is an object */
	unsigned depth = 0;
	bool expect_key = false;
	if (!p)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = p[i];
		if (c == '"') {
			size_t e = json_string_end(p, len, i);
			if (e >= len)
				return false;
			if (expect_key && depth) {
				size_t colon = json_ws(p, len, e + 1);
				if (colon >= len || p[colon] != ':')
					return false;
				expect_key = false;
				size_t v = json_ws(p, len, colon + 1);
				if (v >= len)
					return false;
				if (depth <= maxdepth && e - i - 1 == klen && memcmp(p + i + 1, key, klen) == 0 &&
				    p[v] != '{' && p[v] != '[') {
					if (p[v] == '"') {
						size_t ve = json_string_end(p, len, v);
						if (ve >= len)
							return false;
						out->v = mkref(p + v + 1, ve - v - 1);
						out->string = true;
						return true;
					}
					size_t ve = v;
					while (ve < len && p[ve] != ',' && p[ve] != '}' && p[ve] != ']' &&
					       p[ve] != ' ' && p[ve] != '\t' && p[ve] != '\r' && p[ve] != '\n')
						ve++;
					out->v = mkref(p + v, ve - v);
					out->string = false;
					return ve > v;
				}
				i = colon;
			} else {
				i = e;
			}
		} else if (c == '{' || c == '[') {
			if (depth >= JSON_MAX_DEPTH)
				return false;
			if (c == '{')
				is_obj |= 1ull << depth;
			else
				is_obj &= ~(1ull << depth);
			depth++;
			expect_key = c == '{';
		} else if (c == '}' || c == ']') {
			if (depth)
				depth--;
			expect_key = false;
		} else if (c == ',') {
			expect_key = depth && (is_obj >> (depth - 1) & 1u);
		}
	}
	return false;
}

/* "Retry the request in [N] seconds" (Genesys Cloud Platform API, code
 * too.many.requests.retry.after), brackets optional, caseless. */
static bool retry_text(const char *p, size_t n, double *secs)
{
	static const char lit[] = "retry the request in ";
	size_t ln = sizeof lit - 1;
	for (size_t i = 0; i + ln < n; i++) {
		if (strncasecmp(p + i, lit, ln) != 0)
			continue;
		size_t k = i + ln;
		bool br = k < n && p[k] == '[';
		if (br)
			k++;
		size_t d = k;
		while (d < n && d - k < 12 && ((p[d] >= '0' && p[d] <= '9') || p[d] == '.'))
			d++;
		double v;
		if (d == k || !parse_double(p + k, d - k, 0, RL_MAX_SECONDS, &v))
			continue;
		if (br && (d >= n || p[d] != ']'))
			continue;
		d += br;
		while (d < n && p[d] == ' ')
			d++;
		if (n - d >= 6 && strncasecmp(p + d, "second", 6) == 0) {
			*secs = v;
			return true;
		}
	}
	return false;
}

bool ratelimit_inband(struct ratelimit *rl, const char *body, size_t len)
{
	static const struct {
		const char *key;
		double scale;
	} keys[] = {
		{ "retryAfter", 1 }, { "retry_after", 1 }, { "retry-after", 1 }, { "RetryAfter", 1 },
		{ "retryAfterMs", 1e-3 }, { "retry_after_ms", 1e-3 },
	};
	double t;
	if (!body || !len)
		return false;
	if (retry_text(body, len, &t)) {
		rl->retry_after_s = t;
		rl->flags |= RL_RETRY_AFTER | RL_INBAND;
		return true;
	}
	if (!memchr(body, '{', len))
		return false;
	for (size_t k = 0; k < ARRAY_LEN(keys); k++) {
		struct json_value v;
		double s;
		if (json_member(body, len, keys[k].key, JSON_MAX_DEPTH, &v) &&
		    parse_seconds(v.v, &s) && s >= 0) {
			rl->retry_after_s = s * keys[k].scale;
			rl->flags |= RL_RETRY_AFTER | RL_INBAND;
			return true;
		}
	}
	return false;
}
