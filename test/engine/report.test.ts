/**
 * mab report on real builds: the figures checked against tools mab did not write (skopeo for the
 * layer blobs, gzip -dc | wc -c for the unpacked bytes), the base found through the engine's
 * registry mirror, and the same report from the store and from the registry after a push.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
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
    const r = await mab(['build', 'http-endpoint-c', '--arch', 'amd64,arm64', '--strategy', strategy, '--store', store, '--quiet']);
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
      const m = JSON.parse(await sh('skopeo', ['inspect', '--raw', '--override-arch', arch, `oci:${store}:http-endpoint-c:1.0.0-multistage`])) as { manifests?: { digest: string; platform: { architecture: string } }[] };
      const digest = m.manifests!.find((d) => d.platform.architecture === arch)!.digest;
      const manifest = JSON.parse(await sh('cat', [path.join(store, 'blobs/sha256', digest.slice(7))])) as { config: { size: number }; layers: { digest: string; size: number }[] };
      expect(p.layers.map((l) => [l.digest, l.compressed])).toEqual(manifest.layers.map((l) => [l.digest, l.size]));
      expect(p.compressed).toBe(manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0));
      for (const l of p.layers) {
        const bytes = Number(await sh('sh', ['-c', `gzip -dc ${path.join(store, 'blobs/sha256', l.digest.slice(7))} | wc -c`]));
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
    const figures = (x: SizeReport) => x.platforms.map((p) => [p.platform, p.compressed, p.uncompressed, p.finalBytes, p.wasted, p.largest, p.layers.map((l) => [l.digest, l.uncompressed, l.files, l.createdBy])]);
    expect(figures(remote)).toEqual(figures(local));
  });
});
