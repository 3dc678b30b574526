/* json_file.c - see json_file.h. */
#include "reports/json_file.h"

#include <stdio.h>

#include "common/util.h"
#include "parsers/input.h"

cJSON *json_file_load(const char *path, char *err, size_t errlen)
{
	char e[600];
	struct input *in = input_open(path, e, sizeof e);
	if (!in) {
		snprintf(err, errlen, "%s", e);
		return NULL;
	}
	struct strbuf sb = STRBUF_INIT;
	char buf[1 << 16];
	ptrdiff_t r;
	while ((r = input_read(in, buf, sizeof buf)) > 0) {
		if (sb.len + (size_t)r > JSON_FILE_MAX) {
			snprintf(err, errlen, "'%s': larger than %u MB", path, JSON_FILE_MAX >> 20);
			strbuf_release(&sb);
			input_close(in);
			return NULL;
		}
		strbuf_add(&sb, buf, (size_t)r);
	}
	if (r < 0) {
		snprintf(err, errlen, "'%s': %s", path, input_error(in));
		strbuf_release(&sb);
		input_close(in);
		return NULL;
	}
	input_close(in);
	cJSON *root = cJSON_ParseWithLength(sb.buf ? sb.buf : "", sb.len);
	if (!root) {
		const char *at = cJSON_GetErrorPtr();
		size_t off = at && sb.buf && at >= sb.buf && at <= sb.buf + sb.len ? (size_t)(at - sb.buf) : 0;
		snprintf(err, errlen, "'%s': not valid JSON (near byte %zu)", path, off);
	}
	strbuf_release(&sb);
	return root;
}
