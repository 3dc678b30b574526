/* summary_state.c - the throttle state inside a summary ("throttle_state", summary_json.h).
 *
 * This file owns the envelope of the throttle analysis' binary state (analyzer/throttle/
 * state.h): deflated with zlib, base64-encoded, with its version and raw length, as
 * {"version", "encoding": "zlib+base64", "bytes", "data"}; and back, checking each of them
 * (version, encoding, a length within THROTTLE_STATE_MAX_BYTES, the alphabet and padding, an
 * exact inflated length) before throttle_state_decode reads the bytes.
 */
#include "reports/summary_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "analyzer/throttle/state.h"
#include "common/util.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64_encode(const unsigned char *p, size_t n)
{
	char *o = xmalloc(n / 3 * 4 + 8), *q = o;
	size_t i = 0;
	for (; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*q++ = b64[v >> 18];
		*q++ = b64[(v >> 12) & 63];
		*q++ = b64[(v >> 6) & 63];
		*q++ = b64[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
		*q++ = b64[v >> 18];
		*q++ = b64[(v >> 12) & 63];
		*q++ = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		*q++ = '=';
	}
	*q = '\0';
	return o;
}

/* Decoded bytes (caller frees) or NULL on a character outside the alphabet or bad padding. */
static unsigned char *b64_decode(const char *s, size_t n, size_t *out)
{
	if (n % 4)
		return NULL;
	unsigned char *o = xmalloc(n / 4 * 3 + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i += 4) {
		uint32_t v = 0;
		int pad = 0;
		for (size_t j = 0; j < 4; j++) {
			char c = s[i + j];
			const char *at = c ? strchr(b64, c) : NULL;
			if (c == '=' && i + 4 == n && j >= 2 && (j == 3 || s[i + 3] == '=')) {
				pad++;
				v <<= 6;
				continue;
			}
			if (!at || pad) {
				free(o);
				return NULL;
			}
			v = v << 6 | (uint32_t)(at - b64);
		}
		o[k++] = (unsigned char)(v >> 16);
		if (pad < 2)
			o[k++] = (unsigned char)(v >> 8);
		if (pad < 1)
			o[k++] = (unsigned char)v;
	}
	*out = k;
	return o;
}

cJSON *summary_throttle_state_json(const struct throttle *t)
{
	struct strbuf raw = STRBUF_INIT;
	throttle_state_encode(t, &raw);
	uLongf zn = compressBound((uLong)raw.len);
	unsigned char *z = xmalloc(zn);
	if (compress2(z, &zn, (const Bytef *)raw.buf, (uLong)raw.len, Z_BEST_SPEED) != Z_OK) {
		free(z);
		strbuf_release(&raw);
		return NULL;
	}
	char *text = b64_encode(z, zn);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "version", THROTTLE_STATE_VERSION);
	cJSON_AddStringToObject(o, "encoding", "zlib+base64");
	cJSON_AddNumberToObject(o, "bytes", (double)raw.len);
	cJSON_AddStringToObject(o, "data", text);
	free(text);
	free(z);
	strbuf_release(&raw);
	return o;
}

struct throttle *summary_throttle_state_load(const cJSON *o, char *err, size_t errlen)
{
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(o, "version");
	const cJSON *enc = cJSON_GetObjectItemCaseSensitive(o, "encoding");
	const cJSON *bytes = cJSON_GetObjectItemCaseSensitive(o, "bytes");
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(o, "data");
	if (!cJSON_IsNumber(ver) || ver->valuedouble != THROTTLE_STATE_VERSION) {
		snprintf(err, errlen, "throttle_state: version %g, this jtlscope reads version %d",
			 cJSON_IsNumber(ver) ? ver->valuedouble : -1.0, THROTTLE_STATE_VERSION);
		return NULL;
	}
	if (!cJSON_IsString(enc) || strcmp(enc->valuestring, "zlib+base64") != 0 || !cJSON_IsString(data) ||
	    !cJSON_IsNumber(bytes) || bytes->valuedouble < 4 || bytes->valuedouble > THROTTLE_STATE_MAX_BYTES) {
		snprintf(err, errlen, "throttle_state: want encoding \"zlib+base64\", data and bytes (<= %u)",
			 THROTTLE_STATE_MAX_BYTES);
		return NULL;
	}
	size_t zn;
	unsigned char *z = b64_decode(data->valuestring, strlen(data->valuestring), &zn);
	if (!z) {
		snprintf(err, errlen, "throttle_state.data: not base64");
		return NULL;
	}
	uLongf n = (uLongf)bytes->valuedouble;
	unsigned char *raw = xmalloc(n ? n : 1);
	uLongf got = n;
	int zr = uncompress(raw, &got, z, (uLong)zn);
	free(z);
	if (zr != Z_OK || got != n) {
		free(raw);
		snprintf(err, errlen, "throttle_state.data: does not inflate to %lu bytes", (unsigned long)n);
		return NULL;
	}
	struct throttle *t = throttle_state_decode(raw, got, err, errlen);
	free(raw);
	return t;
}
