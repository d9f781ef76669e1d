/**
 * mab report on real builds: the figures checked against tools mab did not write (skopeo for the
 * layer blobs, gzip -dc | wc -c for the unpacked bytes), the base found through the engine's
 * registry mirror, and the same report from the store and from the registry after a push.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Comparison } from '../../src/report/compare.js';
import type { SizeReport } from '../../src/report/report.js';
import { REGISTRY, mab, sh } from './helpers.js';

let store: string;
const report = async (args: string[]) => {
  const r = await mab(['report', ...args, '--store', store, '--json']);
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as SizeReport;
};

beforeAll(async () => {
  store = path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-report-')), 'store');
  for (const strategy of ['minimal', 'multistage']) {
    const r = await mab([
      'build',
      'http-endpoint-c',
      '--arch',
      'amd64,arm64',
      '--strategy',
      strategy,
      '--store',
      store,
      '--quiet',
    ]);
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
  }
});

describe('mab report on what mab built', () => {
  it('a recipe name reports its latest build, with build time, smoke results and the base layer from the mirror', async () => {
    const r = await report(['http-endpoint-c']);
    expect([r.recipe, r.strategy, r.source]).toEqual(['http-endpoint-c', 'multistage', 'store']);
    for (const p of r.platforms) {
      expect(p.build!.buildSeconds).toBeGreaterThan(0);
      expect(p.build!.smoke.length).toBeGreaterThan(0);
      expect(p.build!.smoke.every((s) => s.passed)).toBe(true);
      // bookworm-slim is one layer (scripts/make-base-images.sh), found through the engine's mirror.
      expect(p.base).toEqual({ name: 'debian:bookworm-slim', layers: 1, compressed: p.layers[0]!.compressed });
      expect(p.layers.map((l) => l.fromBase)).toEqual([true, ...p.layers.slice(1).map(() => false)]);
    }
    const minimal = await report(['http-endpoint-c:1.0.0-minimal']);
    expect(minimal.platforms.map((p) => p.base)).toEqual([undefined, undefined]);
  });

  it('agrees with skopeo on every blob and with gzip -dc on every unpacked size', async () => {
    const r = await report(['http-endpoint-c:1.0.0-multistage']);
    for (const p of r.platforms) {
      const arch = p.platform.split('/')[1]!;
      const m = JSON.parse(
        await sh('skopeo', [
          'inspect',
          '--raw',
          '--override-arch',
          arch,
          `oci:${store}:http-endpoint-c:1.0.0-multistage`,
        ]),
      ) as { manifests?: { digest: string; platform: { architecture: string } }[] };
      const digest = m.manifests!.find((d) => d.platform.architecture === arch)!.digest;
      const manifest = JSON.parse(await sh('cat', [path.join(store, 'blobs/sha256', digest.slice(7))])) as {
        config: { size: number };
        layers: { digest: string; size: number }[];
      };
      expect(p.layers.map((l) => [l.digest, l.compressed])).toEqual(manifest.layers.map((l) => [l.digest, l.size]));
      expect(p.compressed).toBe(manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0));
      for (const l of p.layers) {
        const bytes = Number(
          await sh('sh', ['-c', `gzip -dc ${path.join(store, 'blobs/sha256', l.digest.slice(7))} | wc -c`]),
        );
        expect(l.uncompressed).toBe(bytes);
      }
    }
  });

  it('reads the same figures back from the registry after a push', async () => {
    const repo = `${REGISTRY}/mabtest/report-${randomBytes(4).toString('hex')}`;
    const pushed = await mab(['push', 'http-endpoint-c:1.0.0-multistage', repo, '--store', store, '--quiet']);
    expect(pushed.exitCode, pushed.stderr).toBe(0);
    const [local, remote] = [await report(['http-endpoint-c:1.0.0-multistage']), await report([`${repo}:1.0.0`])];
    expect(remote.source).toBe('registry');
    const figures = (x: SizeReport) =>
      x.platforms.map((p) => [
        p.platform,
        p.compressed,
        p.uncompressed,
        p.finalBytes,
        p.wasted,
        p.largest,
        p.layers.map((l) => [l.digest, l.uncompressed, l.files, l.createdBy]),
      ]);
    expect(figures(remote)).toEqual(figures(local));
  });
});

describe('mab compare', () => {
  it('reuses what the store holds or the build finds unchanged, gives ratios against single, and writes its page', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-compare-'));
    const html = path.join(dir, 'compare.html');
    const args = [
      'compare',
      'http-endpoint-c',
      '--arch',
      'amd64,arm64',
      '--strategy',
      'single,minimal',
      '--store',
      store,
      '--json',
    ];
    const first = await mab([...args, '--html', html]);
    expect(first.exitCode, first.stderr.slice(-3000)).toBe(0);
    const c = JSON.parse(first.stdout) as Comparison;
    // minimal was built by beforeAll with the same plan: reused; single was not in this store.
    expect(c.cells.map((x) => [x.strategy, x.platform, x.reused])).toEqual([
      ['single', 'linux/amd64', false],
      ['single', 'linux/arm64', false],
      ['minimal', 'linux/amd64', true],
      ['minimal', 'linux/arm64', true],
    ]);
    expect(first.stderr).toMatch(/minimal: http-endpoint-c:1\.0\.0-minimal in the store is up to date; reusing it/);
    for (const x of c.cells.filter((y) => y.strategy === 'minimal')) {
      const single = c.cells.find((y) => y.strategy === 'single' && y.platform === x.platform)!;
      expect(x.vsBaseline!.compressed).toBeCloseTo(single.compressed / x.compressed, 9);
      expect(x.compressed).toBe(c.reports.minimal!.platforms.find((p) => p.platform === x.platform)!.compressed);
    }
    const again = await mab(args);
    expect((JSON.parse(again.stdout) as Comparison).cells.every((x) => x.reused)).toBe(true);
    // The store's minimal holds two platforms, so for amd64 alone compare builds, and the build finds
    // amd64 unchanged (same plan and bases, image still in the engine): not built, so marked reused.
    const one = await mab([...args.slice(0, 2), '--arch', 'amd64', '--strategy', 'minimal', ...args.slice(6)]);
    expect(one.exitCode, one.stderr.slice(-3000)).toBe(0);
    expect(one.stderr).toMatch(/\[linux\/amd64\] unchanged: same plan and base images/);
    expect((JSON.parse(one.stdout) as Comparison).cells.map((x) => [x.platform, x.reused])).toEqual([
      ['linux/amd64', true],
    ]);

    // The page (test/engine/report-html.test.ts opens such pages in Chromium): a bar per cell and
    // per layer, with the sizes mab measured, and the reused cells marked.
    const page = await readFile(html, 'utf8');
    const bars = [...page.matchAll(/<rect class="(s\d|base)" [^>]*data-bytes="(\d+)"/g)].map((m) => [
      m[1],
      Number(m[2]),
    ]);
    expect(
      bars
        .slice(0, 4)
        .map(([, bytes]) => bytes)
        .sort(),
    ).toEqual(c.cells.map((x) => x.compressed).sort());
    expect(bars).toHaveLength(8 + c.cells.reduce((n, x) => n + x.layers, 0));
    // single's first layer on each platform is debian:bookworm's.
    expect(bars.filter(([fill]) => fill === 'base')).toHaveLength(2);
    const rows = [...page.matchAll(/<tr data-reused="(\w+)">(.*?)<\/tr>/g)];
    expect(rows.map((m) => [m[1], m[2]!.includes('<span class="mark"')])).toEqual([
      ['false', false],
      ['false', false],
      ['true', true],
      ['true', true],
    ]);
  });
});
