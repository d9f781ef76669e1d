// Shared by the benchmarks: where the project is, running mab, timing, and min/median/max.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');

/** Runs the built mab CLI; its progress goes to this process's stderr. */
export function mab(args) {
  execFileSync('node', [path.join(ROOT, 'bin', 'mab.js'), ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Seconds fn takes. */
export function timed(fn) {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Seconds the promise fn returns takes to settle. */
export async function timedAsync(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Runs per measurement: MAB_BENCH_RUNS, else the benchmark's default. */
export const runs = (n) => Number(process.env.MAB_BENCH_RUNS) || n;

export function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { runs: s.length, min: s[0], median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, max: s[s.length - 1] };
}

/** The engine fixture, compiled from the test suite's TypeScript for this plain-Node benchmark. */
export function engineFixtures() {
  const out = path.join(ROOT, '.mab', 'bench-fixtures');
  execFileSync(
    'npx',
    [
      'tsc',
      '--outDir',
      out,
      '--rootDir',
      'test/fixtures',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--skipLibCheck',
      '--noCheck',
      '--types',
      'node',
      'test/fixtures/engines.ts',
    ],
    { cwd: ROOT, stdio: 'inherit' },
  );
  return import(path.join(out, 'engines.js'));
}
