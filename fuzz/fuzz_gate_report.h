/* fuzz_gate_report.h - a small real report tree for fuzz_gate.c: `jtlscope report -f json` of
 * four samples (labels "Login" and "GET http://h:8080/x", two 429s).  Regenerate with a current
 * build when the report schema changes (see docs/fuzzing.md). */
#ifndef JTLSCOPE_FUZZ_GATE_REPORT_H
#define JTLSCOPE_FUZZ_GATE_REPORT_H

static const char fuzz_gate_report[] =
	"{\"schema\":\"jtlscope-report/1\",\"generator\":\"0.1.0\",\"samples\":{\"total\":4,\"errors\":2,\"skipped"
	"\":0,\"throttled\":2,\"first_ts_ms\":1700000000000,\"last_ts_ms\":1700000002000,\"end_ms\":17000000"
	"02040,\"threads\":2,\"max_all_threads\":-1,\"no_timestamp\":0,\"labels_folded\":0},\"total\":{\"count"
	"\":4,\"errors\":2,\"error_pct\":50,\"throttled\":2,\"min_ms\":3,\"mean_ms\":23.8,\"p50_ms\":12,\"p90_ms\""
	":40,\"p95_ms\":40,\"p99_ms\":40,\"max_ms\":40,\"throughput_per_s\":1.961,\"success_only\":{\"count\":2"
	",\"mean_ms\":26,\"p50_ms\":12,\"p95_ms\":40,\"p99_ms\":40},\"bytes\":710,\"sent_bytes\":0,\"latency_mea"
	"n_ms\":0,\"connect_mean_ms\":0},\"codes\":{\"200\":2,\"429\":2},\"labels\":[{\"label\":\"GET http://h:80"
	"80/x\",\"count\":2,\"errors\":1,\"error_pct\":50,\"throttled\":1,\"min_ms\":40,\"mean_ms\":40,\"p50_ms\":"
	"40,\"p90_ms\":40,\"p95_ms\":40,\"p99_ms\":40,\"max_ms\":40,\"throughput_per_s\":1.923,\"success_only\""
	":{\"count\":1,\"mean_ms\":40,\"p50_ms\":40,\"p95_ms\":40,\"p99_ms\":40},\"bytes\":600,\"sent_bytes\":0,\""
	"latency_mean_ms\":0,\"connect_mean_ms\":0},{\"label\":\"Login\",\"count\":2,\"errors\":1,\"error_pct\":"
	"50,\"throttled\":1,\"min_ms\":3,\"mean_ms\":7.5,\"p50_ms\":3,\"p90_ms\":12,\"p95_ms\":12,\"p99_ms\":12,\""
	"max_ms\":12,\"throughput_per_s\":3.976,\"success_only\":{\"count\":1,\"mean_ms\":12,\"p50_ms\":12,\"p9"
	"5_ms\":12,\"p99_ms\":12},\"bytes\":110,\"sent_bytes\":0,\"latency_mean_ms\":0,\"connect_mean_ms\":0}]"
	",\"thread_groups\":[{\"name\":\"TG\",\"count\":4}],\"series\":[{\"ts_ms\":1700000000000,\"count\":2,\"thr"
	"ottled\":1,\"errors\":1,\"by_class\":{\"2xx\":1,\"4xx\":1},\"threads\":2,\"active_threads\":2,\"p50_ms\":"
	"3,\"p95_ms\":12,\"p99_ms\":12,\"ok_p50_ms\":12,\"ok_p95_ms\":12},{\"ts_ms\":1700000001000,\"count\":1,"
	"\"throttled\":0,\"errors\":0,\"by_class\":{\"2xx\":1},\"threads\":1,\"active_threads\":1,\"p50_ms\":40,\""
	"p95_ms\":40,\"p99_ms\":40,\"ok_p50_ms\":40,\"ok_p95_ms\":40},{\"ts_ms\":1700000002000,\"count\":1,\"th"
	"rottled\":1,\"errors\":1,\"by_class\":{\"4xx\":1},\"threads\":1,\"active_threads\":1,\"p50_ms\":40,\"p95"
	"_ms\":40,\"p99_ms\":40,\"ok_p50_ms\":0,\"ok_p95_ms\":0}],\"bucket_ms\":1000,\"inputs\":[{\"path\":\"/tmp"
	"/g.csv\",\"format\":\"csv\",\"gzip\":false,\"records\":4,\"skipped\":0,\"headers_repeated\":0,\"bytes\":4"
	"35,\"truncated\":false,\"error\":null}],\"throttle\":{\"detected\":false,\"region_by\":\"url-host\",\"s"
	"amples\":4,\"throttled\":2,\"isolated\":2,\"onset\":null,\"limit\":null,\"scope\":\"unknown\",\"retry_af"
	"ter\":{\"seen\":0,\"values_s\":[],\"value_counts\":[],\"values_other\":0,\"honoured\":0,\"violated\":0,"
	"\"no_retry\":0,\"at_deadline\":0,\"median_early_s\":null,\"median_wait_s\":null},\"regions\":[{\"regi"
	"on\":\"eu-west-1\",\"samples\":2,\"throttled\":1,\"isolated\":1,\"detected\":false,\"offered_per_s\":1."
	"92,\"accepted_per_s\":0.96,\"connect_p50_ms\":null,\"onset\":null,\"limit\":null,\"scope\":\"unknown\""
	",\"scope_detail\":null,\"retry_after\":{\"seen\":0,\"values_s\":[],\"value_counts\":[],\"values_other"
	"\":0,\"honoured\":0,\"violated\":0,\"no_retry\":0,\"at_deadline\":0,\"median_early_s\":null,\"median_w"
	"ait_s\":null}},{\"region\":\"us-east-1\",\"samples\":2,\"throttled\":1,\"isolated\":1,\"detected\":fals"
	"e,\"offered_per_s\":3.98,\"accepted_per_s\":1.99,\"connect_p50_ms\":null,\"onset\":null,\"limit\":nu"
	"ll,\"scope\":\"unknown\",\"scope_detail\":null,\"retry_after\":{\"seen\":0,\"values_s\":[],\"value_coun"
	"ts\":[],\"values_other\":0,\"honoured\":0,\"violated\":0,\"no_retry\":0,\"at_deadline\":0,\"median_ear"
	"ly_s\":null,\"median_wait_s\":null}}],\"verdict\":\"No sustained throttling: 2 throttled answers"
	" (50.0 % of requests, the first at 22:13:20, +0 s) stayed below the level that counts as s"
	"ustained (at least 5 throttled answers making 5 % of the requests in 2 s, and recurring): "
	"they are treated as isolated events, not an onset.\",\"advice\":\"No sustained limit was hit, "
	"but a background of throttled answers remains: short bursts exceed a limit. Smoothing the "
	"request rate (fewer simultaneous starts, a throughput timer) would avoid them.\",\"skipped\":"
	"{\"no_timestamp\":0,\"out_of_range\":0,\"sub_results\":0,\"transactions\":0},\"pattern_errors\":0,\"p"
	"lain_503\":0,\"keys_over_limit\":0}}";

#endif
