// ref_parsejtl.js FILE - the reference for `make bench`: parse-jtl's parse() (the npm package
// people use for a JMeter Aggregate Report in Node) on a CSV JTL; prints the labels and
// samples it counted, so that a failed parse cannot pass for a fast one.
'use strict';
const path = require('path');
const { parse } = require('parse-jtl');
/* parse-jtl joins the path to the working directory: hand it a relative one */
const r = parse(path.relative(process.cwd(), path.resolve(process.argv[2])));
const labels = Object.keys(r.all).length;
console.log(`labels ${labels} rows ${r.total_requests.samples + r.total_transactions.samples}`);
