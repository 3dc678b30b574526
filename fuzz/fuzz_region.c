/* fuzz_region.c - the --region-map parser and matcher (analyzer/region.c): the input is a map
 * file loaded from memory; its rules then run against fixed keys and against the input's own
 * lines, and the key helpers (URL host, thread group, cloud token, built-in hosts) take the
 * input as a key. */
#include <string.h>

#include "analyzer/region.h"
#include "fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {
		"api.mypurecloud.com", "api.euw2.pure.cloud", "execute-api.ap-southeast-1.amazonaws.com",
		"europe-west4-a.example", "Users 1-12", "", "(none)", "GET /api/v2/users",
	};
	char *p = xmalloc(size ? size : 1);
	memcpy(p, data, size);
	struct region_map *m = region_map_new();
	char err[512] = "";
	bool ok = region_map_load_mem(m, "fuzz.map", p, size, err, sizeof err);
	if (!ok)
		FUZZ_ASSERT(err[0] != '\0');
	FUZZ_ASSERT(region_map_rules(m) <= REGION_MAX_RULES);
	struct strbuf out = STRBUF_INIT;
	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		strbuf_reset(&out);
		if (region_map_lookup(m, keys[i], strlen(keys[i]), i < 4, &out))
			fuzz_touch(out.buf, out.len);
	}
	/* the input's first lines as keys (bounded: patterns cost time) */
	size_t start = 0;
	for (size_t i = 0, lines = 0; i <= size && lines < 8; i++) {
		if (i < size && p[i] != '\n')
			continue;
		strbuf_reset(&out);
		if (region_map_lookup(m, p + start, i - start, lines & 1, &out))
			fuzz_touch(out.buf, out.len);
		start = i + 1;
		lines++;
	}
	struct strref host;
	if (region_url_host(p, size, &host)) {
		FUZZ_ASSERT(host.p >= p && host.p + host.n <= p + size);
		fuzz_touch_ref(host);
	}
	struct strref tg = region_thread_group((struct strref){ p, size });
	FUZZ_ASSERT(tg.n <= size);
	fuzz_touch_ref(tg);
	char tok[64];
	if (region_cloud_token(p, size, tok, sizeof tok))
		FUZZ_ASSERT(memchr(tok, 0, sizeof tok) != NULL);
	const char *b = region_builtin_host(p, size);
	if (b)
		fuzz_touch(b, strlen(b));

	struct sample s;
	sample_clear(&s);
	s.url = (struct strref){ p, size };
	s.label = (struct strref){ p, size };
	s.thread = (struct strref){ p, size };
	s.hostname = (struct strref){ p, size };
	for (int by = REGION_BY_URL_HOST; by <= REGION_BY_LABEL; by++) {
		region_key((enum region_by)by, &s, &out);
		FUZZ_ASSERT(out.len <= REGION_MAX_KEY);
		fuzz_touch(out.buf, out.len);
	}
	strbuf_release(&out);
	region_map_free(m);
	free(p);
	return 0;
}
