/* charts_svg.c - the safety check of every SVG gnuplot writes (charts_svg_safe, charts.h).
 *
 * This file owns the rule that lets a chart be inlined into HTML as it is: the SVG must be
 * well-formed XML (parsed with expat) that starts with <?xml or <svg, holds no DOCTYPE or
 * processing instruction, no element that runs or loads anything (script, foreignObject,
 * image, a, style, animations, ...) or carries a namespace prefix, no event-handler attribute,
 * no foreign namespace and no reference (href, url()) outside the document.  The first reason
 * found is reported; nothing else in the module looks inside an SVG.
 */
#include "reports/charts.h"

#include <expat.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"

struct svg_check {
	XML_Parser p;
	const char *why;
};

static void svg_reject(struct svg_check *c, const char *why)
{
	if (!c->why)
		c->why = why;
	XML_StopParser(c->p, XML_FALSE);
}

static bool svg_bad_element(const char *name)
{
	static const char *const bad[] = {
		"script", "foreignObject", "iframe", "object", "embed", "image", "a", "style",
		"animate", "animateMotion", "animateTransform", "set", "handler", "listener",
		"feImage", "audio", "video", "link", "meta", "base",
	};
	if (strchr(name, ':'))
		return true;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		if (strcasecmp(name, bad[i]) == 0)
			return true;
	return false;
}

/* Why an attribute is unsafe, or NULL. */
static const char *svg_bad_attr(const char *name, const char *value)
{
	if (strncasecmp(name, "on", 2) == 0)
		return "event handler attribute";
	if (strcmp(name, "xmlns") == 0)
		return strcmp(value, "http://www.w3.org/2000/svg") ? "foreign namespace" : NULL;
	if (strcmp(name, "xmlns:xlink") == 0)
		return strcmp(value, "http://www.w3.org/1999/xlink") ? "foreign namespace" : NULL;
	if (strncmp(name, "xmlns", 5) == 0)
		return "foreign namespace";
	const char *colon = strchr(name, ':');
	const char *local = colon ? colon + 1 : name;
	if (strcasecmp(local, "href") == 0 && value[0] != '#')
		return "reference outside the document";
	for (const char *u = value; (u = strstr(u, "url(")) != NULL; u += 4)
		if (u[4] != '#')
			return "url() outside the document";
	if (strcasestr(value, "javascript:") || strcasestr(value, "@import") ||
	    strcasestr(value, "expression("))
		return "active content in an attribute";
	return NULL;
}

static void XMLCALL svg_start(void *ud, const XML_Char *name, const XML_Char **attr)
{
	struct svg_check *c = ud;
	if (svg_bad_element(name)) {
		svg_reject(c, "forbidden element");
		return;
	}
	for (size_t i = 0; attr[i]; i += 2) {
		const char *why = svg_bad_attr(attr[i], attr[i + 1]);
		if (why) {
			svg_reject(c, why);
			return;
		}
	}
}

static void XMLCALL svg_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
				const XML_Char *pubid, int has_internal)
{
	(void)name, (void)sysid, (void)pubid, (void)has_internal;
	svg_reject(ud, "DOCTYPE declaration");
}

static void XMLCALL svg_pi(void *ud, const XML_Char *target, const XML_Char *data)
{
	(void)target, (void)data;
	svg_reject(ud, "processing instruction");
}

bool charts_svg_safe(const char *svg, size_t n, char *why, size_t whylen)
{
	struct svg_check c = { XML_ParserCreate("UTF-8"), NULL };
	if (!c.p) {
		if (why)
			snprintf(why, whylen, "cannot create an XML parser");
		return false;
	}
	XML_SetUserData(c.p, &c);
	XML_SetStartElementHandler(c.p, svg_start);
	XML_SetStartDoctypeDeclHandler(c.p, svg_doctype);
	XML_SetProcessingInstructionHandler(c.p, svg_pi);
	size_t i = 0;
	while (i < n && (svg[i] == ' ' || svg[i] == '\n' || svg[i] == '\r' || svg[i] == '\t'))
		i++;
	bool ok = n - i >= 4 && (strncmp(svg + i, "<?xml", 5) == 0 || strncmp(svg + i, "<svg", 4) == 0);
	if (!ok)
		c.why = "does not start with <?xml or <svg";
	else if (n > CHARTS_MAX_SVG)
		c.why = "too large", ok = false;
	else if (XML_Parse(c.p, svg, (int)n, XML_TRUE) != XML_STATUS_OK || c.why) {
		ok = false;
		if (!c.why)
			c.why = XML_ErrorString(XML_GetErrorCode(c.p));
	}
	if (!ok && why)
		snprintf(why, whylen, "%s", c.why ? c.why : "invalid");
	XML_ParserFree(c.p);
	return ok;
}
