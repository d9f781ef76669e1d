/**
 * One BuildKit invocation for several platforms against one per platform, side by side (what mab
 * does), on the containerd image store, the only store whose docker driver builds several
 * platforms at once. The same work both ways: sysbench's `multistage` Dockerfile made generic
 * (TARGETARCH in its cache ids and source path), one build context holding each platform's
 * sources, every step run (--no-cache), amd64 + arm64. Measured in one run; mab would adopt the
 * single invocation only if it were faster here (docs/engines.md).
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, runs, stats, timedAsync } from './lib.mjs';

const PLATFORMS = ['linux/amd64', 'linux/arm64'];

/** sysbench's generated contexts, merged into one whose Dockerfile serves every platform. */
function genericContext() {
  const store = path.join(mkdtempSync(path.join(os.tmpdir(), 'mab-bench-mp-')), 'store');
  const out = execFileSync(
    'node',
    [
      path.join(ROOT, 'bin', 'mab.js'),
      'build',
      'sysbench',
      '--arch',
      'amd64,arm64',
      '--strategy',
      'multistage',
      '--keep-context',
      '--store',
      store,
      '--json',
      '--quiet',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const { platforms } = JSON.parse(out);
  const ctx = mkdtempSync(path.join(os.tmpdir(), 'mab-bench-mp-ctx-'));
  for (const p of platforms) {
    const arch = p.platform.split('/')[1];
    mkdirSync(path.join(ctx, 'sources'), { recursive: true });
    cpSync(path.join(p.context, 'sources'), path.join(ctx, 'sources', arch), { recursive: true });
  }
  const amd64 = readFileSync(
    path.join(platforms.find((p) => p.platform === 'linux/amd64').context, 'Dockerfile'),
    'utf8',
  );
  const generic = amd64
    .replace(/^(FROM .*)$/gm, '$1\nARG TARGETARCH')
    .replace(/-amd64,/g, '-${TARGETARCH},')
    .replace('COPY sources/ /src/', 'COPY sources/${TARGETARCH}/ /src/');
  writeFileSync(path.join(ctx, 'Dockerfile'), generic);
  return ctx;
}

const buildx = (platforms, tag, ctx) =>
  new Promise((resolve, reject) => {
    const p = spawn(
      'docker',
      [
        'buildx',
        'build',
        '--no-cache',
        '--provenance=false',
        '--platform',
        platforms.join(','),
        '--load',
        '-t',
        tag,
        '--progress=quiet',
        ctx,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    p.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`buildx build --platform ${platforms} exited ${code}`)),
    );
  });

export async function run() {
  const store = execFileSync('docker', ['info', '--format', '{{json .DriverStatus}}'], { encoding: 'utf8' });
  if (!store.includes('io.containerd.snapshotter'))
    return {
      name: 'multi-platform invocation',
      skipped: "this host's engine has no containerd image store (MAB_ENGINE=26.1-containerd)",
    };
  const ctx = genericContext();
  const one = [];
  const each = [];
  const n = runs(3);
  for (let i = 0; i < n; i++) {
    const single = async () => one.push(await timedAsync(() => buildx(PLATFORMS, 'bench/mp:one', ctx)));
    const apart = async () =>
      each.push(
        await timedAsync(() => Promise.all(PLATFORMS.map((p) => buildx([p], `bench/mp:${p.split('/')[1]}`, ctx)))),
      );
    if (i % 2) {
      await apart();
      await single();
    } else {
      await single();
      await apart();
    }
  }
  return {
    name: 'multi-platform invocation (sysbench multistage, amd64 + arm64, cold)',
    one: stats(one),
    each: stats(each),
    ratio: stats(one).median / stats(each).median,
  };
}
