/**
 * `npm run bench`: every benchmark in bench/, one after the other on this machine, each printing
 * ratios measured in the same run. Results also go to .mab/bench/NAME.json (with the machine
 * described) for docs/performance.md. `npm run bench -- report-analysis` runs just that one.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './lib.mjs';

// Every temporary file of the run (stores, fixtures, what the mab processes write) goes under one
// directory, removed at the end, as the test suite does (test/fixtures/scratch.ts).
const scratch = mkdtempSync(path.join(os.tmpdir(), 'mab-bench-run-'));
process.env.TMPDIR = scratch;
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

const ALL = [
  'startup',
  'report-analysis',
  'recipe-parse',
  'preflight',
  'cross-minimal',
  'builds',
  'engines',
  'multi-platform',
  'ci-cache',
];
const only = process.argv.slice(2);
const machine = {
  cpus: os.cpus().length,
  model: os.cpus()[0]?.model,
  memoryBytes: os.totalmem(),
  kernel: os.release(),
  node: process.version,
};
const fmt = (s) => `${s.min.toFixed(2)} / ${s.median.toFixed(2)} / ${s.max.toFixed(2)} s`;
const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;

for (const name of only.length ? only : ALL) {
  const { run } = await import(`./${name}.mjs`);
  const r = await run();
  mkdirSync(path.join(ROOT, '.mab', 'bench'), { recursive: true });
  writeFileSync(
    path.join(ROOT, '.mab', 'bench', `${name}.json`),
    JSON.stringify({ date: new Date().toISOString(), machine, ...r }, null, 2) + '\n',
  );
  console.log(`\n== ${r.name} (${machine.cpus} cores, ${machine.model})`);
  if (name === 'report-analysis') {
    console.log(
      `image ${r.image.tag}: ${mb(r.image.compressed)} compressed, ${mb(r.image.uncompressed)} unpacked, ${r.image.files} files in ${r.image.layers} layers`,
    );
    console.log(`gzip -dc over the layers   min / median / max  ${fmt(r.seconds.gzipDc)}`);
    console.log(
      `mab report's analysis      min / median / max  ${fmt(r.seconds.analysis)}  (${r.throughputMBps.toFixed(0)} MB/s unpacked)`,
    );
    console.log(
      `ratio analysis ÷ gzip -dc (medians): ${r.ratio.value.toFixed(2)}×  (goal ≤ ${r.ratio.goal}×: ${r.ratio.met ? 'met' : 'NOT met'})`,
    );
    console.log(
      `peak memory: ${mb(r.memory.big.maxRssBytes)} for ${mb(r.memory.big.uncompressed)} unpacked, ${mb(r.memory.small.maxRssBytes)} for ${mb(r.memory.small.uncompressed)}`,
    );
    console.log(`  image ${r.memory.imageRatio.toFixed(1)}× larger → memory ${r.memory.rssRatio.toFixed(2)}× larger`);
  }
  if (name === 'builds') {
    const met = (ok) => (ok ? 'met' : 'NOT met');
    console.log(`cold amd64 native (multistage)   min / median / max  ${fmt(r.cold.seconds.amd64)}`);
    console.log(`cold arm64 cross                 min / median / max  ${fmt(r.cold.seconds.arm64Cross)}`);
    console.log(`cold arm64 emulated (multistage) min / median / max  ${fmt(r.cold.seconds.arm64Emulated)}`);
    console.log(
      `ratio arm64 cross ÷ amd64: ${r.cold.crossRatio.toFixed(2)}× (goal ≤ ${r.cold.goal}×: ${met(r.cold.crossRatio <= r.cold.goal)}); emulated ÷ amd64: ${r.cold.emulatedRatio.toFixed(2)}×`,
    );
    console.log(
      `warm rebuild, amd64 + arm64      min / median / max  ${fmt(r.warm.seconds)}  (goal ≤ ${r.warm.goal} s: ${met(r.warm.seconds.median <= r.warm.goal)})`,
    );
    console.log(
      `no-op republish, 2 platforms     min / median / max  ${fmt(r.republish.seconds)}  ${r.republish.blobBytesSent} blob bytes sent (goal 0 and ≤ ${r.republish.goal} s: ${met(r.republish.blobBytesSent === 0 && r.republish.seconds.median <= r.republish.goal)})`,
    );
    console.log(`export + push (mab)              min / median / max  ${fmt(r.exportPush.mab)}`);
    console.log(`docker push                      min / median / max  ${fmt(r.exportPush.dockerPush)}`);
    console.log(
      `ratio mab export + push ÷ docker push: ${r.exportPush.ratio.toFixed(2)}× (goal ≤ ${r.exportPush.goal}×: ${met(r.exportPush.ratio <= r.exportPush.goal)})`,
    );
    console.log(`re-export, layers below reused   min / median / max  ${fmt(r.reexport.reused)}`);
    console.log(`re-export into an empty store    min / median / max  ${fmt(r.reexport.empty)}`);
    console.log(`ratio re-export reused ÷ empty store: ${r.reexport.ratio.toFixed(2)}×`);
  }
  if (name === 'recipe-parse') {
    for (const [shape, x] of Object.entries(r.shapes)) {
      console.log(`${shape}: ${x.keys} keys, ${x.bytes} bytes`);
      console.log(`  yaml parse alone               min / median / max  ${fmt(x.yaml)}`);
      console.log(
        `  mab parseRecipe                min / median / max  ${fmt(x.mab)}  (goal ≤ ${x.goal} s: ${x.mab.median <= x.goal ? 'met' : 'NOT met'})`,
      );
      console.log(`  ratio mab ÷ yaml parse: ${x.ratio.toFixed(2)}×`);
    }
  }
  if (name === 'startup') {
    const met = (ok) => (ok ? 'met' : 'NOT met');
    console.log(`node -e 0                        min / median / max  ${fmt(r.seconds.bare)}`);
    console.log(
      `mab --version                    min / median / max  ${fmt(r.seconds.version)}  (${r.versionRatio.toFixed(2)}×, goal ≤ ${r.startupGoal}×: ${met(r.versionRatio <= r.startupGoal)})`,
    );
    console.log(
      `mab --help                       min / median / max  ${fmt(r.seconds.help)}  (${r.helpRatio.toFixed(2)}×, goal ≤ ${r.startupGoal}×: ${met(r.helpRatio <= r.startupGoal)})`,
    );
    console.log(`warm rebuild, sysbench amd64 + arm64 (mab build)       min / median / max  ${fmt(r.seconds.rebuild)}`);
    console.log(`docker buildx build, same contexts, fully cached       min / median / max  ${fmt(r.seconds.buildx)}`);
    console.log(
      `ratio mab warm rebuild ÷ buildx cached: ${r.rebuildRatio.toFixed(2)}× (goal ≤ ${r.rebuildGoal}×: ${met(r.rebuildRatio <= r.rebuildGoal)})`,
    );
  }
  if (name === 'cross-minimal') {
    const met = (ok) => (ok ? 'met' : 'NOT met');
    for (const [recipe, x] of Object.entries(r.recipes)) {
      console.log(
        `${recipe}: amd64 minimal ${fmt(x.amd64)}; arm64 minimal-cross ${fmt(x.cross)}; arm64 minimal under QEMU ${x.emulated.median.toFixed(1)} s`,
      );
      console.log(
        `  ratio arm64 minimal-cross ÷ amd64 minimal: ${x.ratio.toFixed(2)}× (goal ≤ ${x.goal}×: ${met(x.ratio <= x.goal)}); QEMU ÷ cross: ${(x.emulated.median / x.cross.median).toFixed(1)}×`,
      );
    }
  }
  if (name === 'ci-cache') {
    const met = (ok) => (ok ? 'met' : 'NOT met');
    for (const [recipe, x] of Object.entries(r.recipes)) {
      console.log(
        `${recipe}: warm local ${fmt(x.warmLocal)}; fresh runner with --cache-from ${fmt(x.freshWithCache)}; fresh runner, no cache ${x.freshWithoutCache.toFixed(1)} s`,
      );
      console.log(
        `  ratio fresh with cache ÷ warm local: ${x.ratio.toFixed(2)}× (goal ≤ ${x.goal}×: ${met(x.ratio <= x.goal)})`,
      );
    }
  }
  if (name === 'preflight') {
    const met = (ok) => (ok ? 'met' : 'NOT met');
    console.log(
      `fails at the recipe line, cold cache  min / median / max  ${fmt(r.cold)}  (goal < ${r.goal} s: ${met(r.cold.max < r.goal)})`,
    );
    console.log(`fails at the recipe line, warm cache  min / median / max  ${fmt(r.warm)}`);
    console.log(`--no-preflight: apt fails in the arm64 build  min / median / max  ${fmt(r.apt)}`);
    console.log(`ratio apt in the build ÷ preflight (warm, medians): ${r.ratio.toFixed(1)}×`);
  }
  if (name === 'multi-platform') {
    if (r.skipped) console.log(`skipped: ${r.skipped}`);
    else {
      console.log(`one buildx invocation, both      min / median / max  ${fmt(r.one)}`);
      console.log(`one per platform, side by side   min / median / max  ${fmt(r.each)}`);
      console.log(`ratio one invocation ÷ per platform: ${r.ratio.toFixed(2)}× (adopted only if < 1)`);
    }
  }
  if (name === 'engines') {
    const met = (ok) => (ok ? 'met' : 'NOT met');
    for (const [kind, e] of Object.entries(r.engines)) {
      console.log(`engine ${kind}${e.host ? " (this host's)" : ' (own network namespace)'}`);
      console.log(
        `  warm rebuild, amd64 + arm64    min / median / max  ${fmt(e.warm.seconds)}  (goal ≤ ${e.warm.goal} s: ${met(e.warm.seconds.median <= e.warm.goal)})`,
      );
      console.log(`  export + push (mab)            min / median / max  ${fmt(e.exportPush.mab)}`);
      console.log(`  docker push                    min / median / max  ${fmt(e.exportPush.dockerPush)}`);
      console.log(
        `  ratio mab export + push ÷ docker push: ${e.exportPush.ratio.toFixed(2)}× (goal ≤ ${e.exportPush.goal}×: ${met(e.exportPush.ratio <= e.exportPush.goal)})`,
      );
    }
  }
}
