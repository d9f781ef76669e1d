/**
 * Issue 6's figures, each a ratio or a time measured in this one run on this machine:
 *  - sysbench, cold (buildx --no-cache): arm64 with the cross strategy ÷ amd64 native (goal ≤ 1.3×),
 *    and arm64 emulated (multistage under QEMU) ÷ amd64 for reference;
 *  - a rebuild of amd64 + arm64 with nothing changed, wall time of the whole command (goal ≤ 5 s);
 *  - a no-op republish of the 2-platform image: blob bytes sent (goal 0) and wall time (goal ≤ 1.5 s);
 *  - export to the store + push of a fresh image ÷ `docker push` of the same image (goal ≤ 1.2×);
 *    fresh for both: every layer new to the registry, the store and docker's push cache;
 *  - export of that image with a new top layer, into the store holding the layers under it ÷ into
 *    an empty store (no goal in the issue: it shows what the layer records save).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { exportPush } from './export-push.mjs';
import { ROOT, runs, stats, timed } from './lib.mjs';

const REGISTRY = '127.0.0.1:5000';
const STORE = process.env.MAB_BENCH_STORE || path.join(ROOT, '.mab', 'bench-store');

/** mab's JSON report of one build. */
function build(args) {
  const out = execFileSync(
    'node',
    [path.join(ROOT, 'bin', 'mab.js'), 'build', 'sysbench', '--store', STORE, '--json', '--quiet', ...args],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return JSON.parse(out);
}
const seconds = (args) => build(args).platforms[0].buildSeconds;

export async function run() {
  const n = runs(3);
  const cold = { amd64: [], arm64Cross: [], arm64Emulated: [] };
  for (let i = 0; i < n; i++) {
    cold.amd64.push(seconds(['--arch', 'amd64', '--strategy', 'multistage', '--no-cache']));
    cold.arm64Cross.push(seconds(['--arch', 'arm64', '--strategy', 'cross', '--no-cache']));
    cold.arm64Emulated.push(seconds(['--arch', 'arm64', '--strategy', 'multistage', '--no-cache']));
  }

  // Warm: the whole command, twice the same; the first run only makes sure everything is there.
  const both = ['--arch', 'amd64,arm64', '--strategy', 'cross', '--jobs', '2'];
  build(both);
  const warm = [];
  for (let i = 0; i < n; i++) warm.push(timed(() => build(both)));

  // Republish: the first push of a fresh repository, then no-op pushes of the same image.
  const repo = `bench/sysbench-${randomBytes(4).toString('hex')}`;
  const push = () =>
    JSON.parse(
      execFileSync(
        'node',
        [
          path.join(ROOT, 'bin', 'mab.js'),
          'push',
          'sysbench:1.0.20-cross',
          `${REGISTRY}/${repo}`,
          '--store',
          STORE,
          '--json',
          '--quiet',
        ],
        { encoding: 'utf8' },
      ),
    );
  push();
  const republish = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) republish.push(timed(() => (bytes += push().blobBytesSent)));

  // The noisiest pair on this machine (medians of 3 ranged over 0.3× between evenings), and a
  // cheap one: each run is a few seconds, so more of them.
  const { ours, docker, reexport } = await exportPush({ runs: runs(7), from: 'mab/sysbench:1.0.20-cross-amd64' });

  const c = { amd64: stats(cold.amd64), arm64Cross: stats(cold.arm64Cross), arm64Emulated: stats(cold.arm64Emulated) };
  return {
    name: 'multi-arch builds (sysbench)',
    cold: {
      seconds: c,
      crossRatio: c.arm64Cross.median / c.amd64.median,
      emulatedRatio: c.arm64Emulated.median / c.amd64.median,
      goal: 1.3,
    },
    warm: { seconds: stats(warm), goal: 5 },
    republish: { seconds: stats(republish), blobBytesSent: bytes, goal: 1.5 },
    exportPush: {
      mab: stats(ours),
      dockerPush: stats(docker),
      ratio: stats(ours).median / stats(docker).median,
      goal: 1.2,
    },
    reexport: {
      reused: stats(reexport.reused),
      empty: stats(reexport.empty),
      ratio: stats(reexport.reused).median / stats(reexport.empty).median,
    },
  };
}
