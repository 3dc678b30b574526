// ref_duckdb.mjs FILE [THREADS] - the reference for `make bench`: what a user would do with DuckDB
// instead of jtlscope to get JMeter's Aggregate Report out of a CSV JTL (per label: count,
// mean, median, p90/p95/p99, min, max, error %, throughput) on THREADS threads (default 1).
// Prints the number of labels and rows it read, so a failed parse cannot pass for a fast one.
import { DuckDBInstance } from '@duckdb/node-api';

const file = process.argv[2];
const threads = Number(process.argv[3] || 1);
const db = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const con = await db.connect();
const esc = file.replaceAll("'", "''");
const r = await con.runAndReadAll(`
  SELECT label, count(*) AS n, avg(elapsed) AS mean, quantile_cont(elapsed, 0.5) AS med,
         quantile_cont(elapsed, 0.9) AS p90, quantile_cont(elapsed, 0.95) AS p95,
         quantile_cont(elapsed, 0.99) AS p99, min(elapsed) AS mn, max(elapsed) AS mx,
         100.0 * avg(CASE WHEN success THEN 0 ELSE 1 END) AS err_pct,
         count(*) * 1000.0 / nullif(max(timeStamp + elapsed) - min(timeStamp), 0) AS tput
  FROM read_csv('${esc}', header = true, auto_detect = true)
  GROUP BY label ORDER BY label`);
const rows = r.getRows();
let n = 0n;
for (const row of rows) n += BigInt(row[1]);
console.log(`labels ${rows.length} rows ${n}`);
