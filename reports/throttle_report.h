/* throttle_report.h - rendering of the throttle analysis (verdict, tables) in text and JSON. */
#ifndef JTLSCOPE_REPORTS_THROTTLE_REPORT_H
#define JTLSCOPE_REPORTS_THROTTLE_REPORT_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include "analyzer/throttle.h"

void throttle_report_text(FILE *f, const struct throttle *t);
void throttle_report_json(cJSON *root, const struct throttle *t);

#endif
