/**
 * `npm run bench`: every benchmark in bench/, one after the other on this machine, each printing
 * ratios measured in the same run. Results also go to .mab/bench/NAME.json (with the machine
 * described) for docs/performance.md. `npm run bench -- report-analysis` runs just that one.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './lib.mjs';

const ALL = ['report-analysis'];
const only = process.argv.slice(2);
const machine = { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryBytes: os.totalmem(), kernel: os.release(), node: process.version };
const fmt = (s) => `${s.min.toFixed(2)} / ${s.median.toFixed(2)} / ${s.max.toFixed(2)} s`;
const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;

for (const name of only.length ? only : ALL) {
  const { run } = await import(`./${name}.mjs`);
  const r = await run();
  mkdirSync(path.join(ROOT, '.mab', 'bench'), { recursive: true });
  writeFileSync(path.join(ROOT, '.mab', 'bench', `${name}.json`), JSON.stringify({ date: new Date().toISOString(), machine, ...r }, null, 2) + '\n');
  console.log(`\n== ${r.name} (${machine.cpus} cores, ${machine.model})`);
  if (name === 'report-analysis') {
    console.log(`image ${r.image.tag}: ${mb(r.image.compressed)} compressed, ${mb(r.image.uncompressed)} unpacked, ${r.image.files} files in ${r.image.layers} layers`);
    console.log(`gzip -dc over the layers   min / median / max  ${fmt(r.seconds.gzipDc)}`);
    console.log(`mab report's analysis      min / median / max  ${fmt(r.seconds.analysis)}  (${r.throughputMBps.toFixed(0)} MB/s unpacked)`);
    console.log(`ratio analysis ÷ gzip -dc (medians): ${r.ratio.value.toFixed(2)}×  (goal ≤ ${r.ratio.goal}×: ${r.ratio.met ? 'met' : 'NOT met'})`);
    console.log(`peak memory: ${mb(r.memory.big.maxRssBytes)} for ${mb(r.memory.big.uncompressed)} unpacked, ${mb(r.memory.small.maxRssBytes)} for ${mb(r.memory.small.uncompressed)}`);
    console.log(`  image ${r.memory.imageRatio.toFixed(1)}× larger → memory ${r.memory.rssRatio.toFixed(2)}× larger`);
  }
}
