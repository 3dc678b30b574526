/* ratelimit.h - rate-limit response headers, parsed from any source (XML JTL response headers,
 * captured HTTP responses).
 *
 * Recognised: Retry-After (delta-seconds or HTTP-date, RFC 9110 10.2.3), RateLimit and
 * RateLimit-Policy (IETF draft-ietf-httpapi-ratelimit-headers, both the structured
 * "limit=, remaining=, reset=" form and the older separate fields), RateLimit-Limit/-Remaining/
 * -Reset, X-RateLimit-Limit/-Remaining/-Reset, inin-ratelimit-count/-allowed/-reset,
 * x-envoy-ratelimited.
 */
#ifndef JTLSCOPE_PARSERS_RATELIMIT_H
#define JTLSCOPE_PARSERS_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include "common/util.h"

enum rl_flag {
	RL_RETRY_AFTER = 1u << 0,   /* retry_after_s valid */
	RL_LIMIT = 1u << 1,         /* limit valid */
	RL_REMAINING = 1u << 2,     /* remaining valid */
	RL_RESET = 1u << 3,         /* reset_s valid (seconds until reset, after classification) */
	RL_WINDOW = 1u << 4,        /* window_s valid (from a policy "w=") */
	RL_ENVOY = 1u << 5,         /* x-envoy-ratelimited present */
	RL_COUNT = 1u << 6,         /* inin-ratelimit-count valid (requests used) */
	RL_RESET_EPOCH = 1u << 7,   /* the reset value was an absolute epoch time */
	RL_INBAND = 1u << 8,        /* the retry hint came from a message body (WebSocket / JSON) */
};

struct ratelimit {
	unsigned flags;
	double retry_after_s;  /* seconds; HTTP-date converted against the response time */
	int64_t limit;
	int64_t remaining;
	int64_t count;
	double reset_s;        /* seconds until the window resets, relative to the response time */
	double window_s;
};

/* Feed one header (name and value as byte ranges, not NUL-terminated). now_ms is the time of the
 * response (epoch ms) used to turn HTTP-dates and epoch resets into delays; 0 if unknown.
 * Returns true if the header was a rate-limit header (recognised, even if its value was bad). */
bool ratelimit_header(struct ratelimit *rl, const char *name, size_t nlen,
		      const char *value, size_t vlen, int64_t now_ms);

/* Parse a block of "Name: value" lines separated by \n or \r\n (as JMeter stores them). */
void ratelimit_headers_block(struct ratelimit *rl, const char *block, size_t len, int64_t now_ms);

/* In-band retry hints in a message body (WebSocket answers, JSON error bodies): a JSON member
 * "retryAfter" / "retry_after" / "retry-after" (seconds, at any depth: Genesys Web Messaging
 * nests it in "body", Slack and Discord put it at the top) or "retryAfterMs" / "retry_after_ms"
 * (milliseconds), or the text "Retry the request in [N] seconds" (Genesys Cloud Platform API,
 * code too.many.requests.retry.after) sets RL_RETRY_AFTER | RL_INBAND.  True when a hint was
 * found. */
bool ratelimit_inband(struct ratelimit *rl, const char *body, size_t len);

/* A JSON member's value: the first member named key (exact) at a nesting depth <= maxdepth
 * (1 = top level of the outermost object).  Strings come without quotes (escapes left as
 * they are); numbers, true/false/null as written.  Objects and arrays are not returned (false).
 * Bounded by len; malformed JSON ends the scan (false). */
struct json_value {
	struct strref v;
	bool string;
};
bool json_member(const char *p, size_t len, const char *key, unsigned maxdepth,
		 struct json_value *out);

/* Parse an HTTP-date (IMF-fixdate, RFC 850, asctime) into epoch seconds. */
bool http_date_parse(const char *p, size_t n, int64_t *epoch_s);

#endif
