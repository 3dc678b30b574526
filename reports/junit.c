/* junit.c - the gate's result lines and JUnit XML (junit.h). */
#include "reports/junit.h"

#include <errno.h>
#include <string.h>

#include "common/util.h"
#include "reports/escape.h"

void junit_print_lines(FILE *out, const struct gate *g, size_t suite)
{
	static const char *vt[] = { "pass", "FAIL", "n/a ", "ERROR" };
	const char *name = gate_suite_name(g, suite);
	for (size_t k = 0; k < gate_count(g); k++) {
		const char *note;
		enum gate_verdict v = gate_result(g, suite, k, &note, NULL);
		const char *expr = gate_expr(g, k);
		struct strbuf sb = STRBUF_INIT;
		esc_text_sb(&sb, expr, strlen(expr));
		strbuf_addstr(&sb, ": ");
		esc_text_sb(&sb, note, strlen(note));
		fprintf(out, "gate: %s %s%s%s\n", vt[v], name ? name : "", name ? ": " : "", strbuf_cstr(&sb));
		strbuf_release(&sb);
	}
}

/* XML 1.0 text or attribute value: the project's one markup escaper (esc_html: & < > " ' as
 * references, control characters and invalid UTF-8 as U+FFFD). */
static void xml(FILE *f, const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	esc_html(&sb, s, strlen(s));
	fputs(strbuf_cstr(&sb), f);
	strbuf_release(&sb);
}

int junit_write(const struct gate *g, const char *path, char *err, size_t errlen)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
		return -1;
	}
	size_t n = gate_count(g), ns = gate_nsuites(g);
	size_t tests = 0, fails = 0, skips = 0, errs = 0;
	for (size_t i = 0; i < ns; i++)
		for (size_t k = 0; k < n; k++) {
			enum gate_verdict v = gate_result(g, i, k, NULL, NULL);
			tests++;
			fails += v == GATE_MET;
			skips += v == GATE_NA;
			errs += v == GATE_NO_LABEL;
		}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fprintf(f, "<testsuites name=\"jtlscope gate\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\"", tests,
		fails, skips);
	if (errs)
		fprintf(f, " errors=\"%zu\"", errs);
	fputs(">\n", f);
	for (size_t i = 0; i < ns; i++) {
		size_t sf = 0, ss = 0, se = 0;
		for (size_t k = 0; k < n; k++) {
			enum gate_verdict v = gate_result(g, i, k, NULL, NULL);
			sf += v == GATE_MET;
			ss += v == GATE_NA;
			se += v == GATE_NO_LABEL;
		}
		const char *name = gate_suite_name(g, i);
		fputs("  <testsuite name=\"", f);
		xml(f, name ? name : "jtlscope");
		fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\" errors=\"%zu\">\n", n, sf, ss, se);
		for (size_t k = 0; k < n; k++) {
			const char *note;
			double actual;
			enum gate_verdict v = gate_result(g, i, k, &note, &actual);
			fputs("    <testcase classname=\"jtlscope.fail-on\" name=\"", f);
			xml(f, gate_expr(g, k));
			fputs("\"", f);
			if (v == GATE_PASS) {
				fputs(">\n      <system-out>", f);
				xml(f, note);
				fputs("</system-out>\n    </testcase>\n", f);
				continue;
			}
			fputs(">\n", f);
			if (v == GATE_MET) {
				char val[64];
				gate_format_value(g, k, actual, val, sizeof val);
				fputs("      <failure type=\"gate\" message=\"", f);
				xml(f, note);
				fputs("\">criterion ", f);
				xml(f, gate_expr(g, k));
				fputs(" met: actual ", f);
				xml(f, val);
				fputs("</failure>\n", f);
			} else if (v == GATE_NO_LABEL) {
				fputs("      <error type=\"usage\" message=\"", f);
				xml(f, note);
				fputs("\">criterion ", f);
				xml(f, gate_expr(g, k));
				fputs(" names what the run does not have</error>\n", f);
			} else {
				fputs("      <skipped message=\"", f);
				xml(f, note);
				fputs("\"/>\n", f);
			}
			fputs("    </testcase>\n", f);
		}
		fputs("  </testsuite>\n", f);
	}
	fputs("</testsuites>\n", f);
	int bad = ferror(f);
	if (f == stdout)
		bad |= fflush(f) != 0;
	else
		bad |= fclose(f) != 0;
	if (bad) {
		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}
