// Child process of report-analysis.mjs: one analysis of a store tag, then its own figures on
// stdout. A separate process so its peak memory (maxRSS) is the analysis's alone.
import { sizeReport } from '../dist/report/report.js';
import { storeSource } from '../dist/report/source.js';
import { Store } from '../dist/store/layout.js';

const [dir, tag] = process.argv.slice(2);
const start = process.hrtime.bigint();
const r = await sizeReport(await storeSource(await Store.open(dir), tag));
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const files = r.platforms.reduce((n, p) => n + p.layers.reduce((m, l) => m + l.files, 0), 0);
console.log(
  JSON.stringify({
    seconds,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    uncompressed: r.platforms[0].uncompressed,
    compressed: r.platforms[0].compressed,
    files,
  }),
);
