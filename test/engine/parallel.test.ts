/**
 * Platforms built side by side (--jobs): they overlap in time, each line of output carries the
 * prefix of the platform it came from, and the report keeps the order the platforms were given in.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, imageStore, mab, runSteps, sh, untimed } from './helpers.js';

let store: string;

describe('mab build --jobs 2', () => {
  it('builds both platforms at once without mixing their output', async () => {
    store = path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-jobs-')), 'store');
    const r = await mab([
      'build',
      'http-endpoint-c',
      '--arch',
      'arm64,amd64',
      '--jobs',
      '2',
      '--verbose',
      '--store',
      store,
      '--json',
    ]);
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
    const lines = r.stderr.split('\n').map(untimed);
    expect(lines).toContain('building 2 platforms at a time');
    // Both started before either finished.
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const firstDone = Math.min(at(/^\[linux\/arm64\] built in/), at(/^\[linux\/amd64\] built in/));
    expect(at(/^\[linux\/arm64\] building http-endpoint-c/)).toBeLessThan(firstDone);
    expect(at(/^\[linux\/amd64\] building http-endpoint-c/)).toBeLessThan(firstDone);
    // A line from one platform's build never carries the other's prefix: arm64 is compiled with
    // the aarch64 cross compiler, amd64 with the native gcc.
    const compiler = lines.filter((l) => / RUN .*-static -s -o \/usr\/local\/bin\/http-endpoint/.test(l));
    expect(compiler.length).toBeGreaterThanOrEqual(2);
    for (const l of compiler)
      expect(l.startsWith(l.includes('aarch64-linux-gnu-gcc') ? '[linux/arm64] ' : '[linux/amd64] ')).toBe(true);
    expect(lines.filter((l) => l.startsWith('[linux/') && !/^\[linux\/(arm64|amd64)\] /.test(l))).toEqual([]);
    expect((JSON.parse(r.stdout) as { platforms: { platform: string }[] }).platforms.map((p) => p.platform)).toEqual([
      'linux/arm64',
      'linux/amd64',
    ]);
  });
});

describe('a rebuild with nothing changed', () => {
  interface Report {
    store: { digest: string };
    platforms: { platform: string; image: string; manifest: string; unchanged?: boolean; smokeReused?: boolean }[];
  }
  const build = async (extra: string[] = []) => {
    const r = await mab(['build', 'http-endpoint-c', '--arch', 'arm64,amd64', '--store', store, '--json', ...extra]);
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
    return { stderr: r.stderr, lines: r.stderr.split('\n').map(untimed), report: JSON.parse(r.stdout) as Report };
  };

  it('is not sent to the engine: same plan, same base digests, the image still there', async () => {
    const first = await build(['--verbose']);
    expect(
      first.stderr.match(
        /\] unchanged: same plan and base images \(debian:bookworm@\w{12}, debian:bookworm-slim@\w{12}\) as the build of [\d-]+T[\d:.]+Z, whose image \w{12} the engine still has; not built again/g,
      ),
    ).toHaveLength(2);
    // Not a single BuildKit line: no build ran.
    expect(first.lines.filter((l) => /^\[linux\/\w+\] #\d+ /.test(l))).toEqual([]);
    expect(first.stderr.match(/\] already in the store .* not exported again/g)).toHaveLength(2);
    // Same image, same plan: the smoke results of the earlier build stand, and say so.
    expect(
      first.stderr.match(/; smoke checks passed on this same image \(\w+\) at [\d-]+T[\d:.]+Z, not run again/g),
    ).toHaveLength(2);
    expect(first.report.platforms.map((p) => [p.unchanged, p.smokeReused])).toEqual([
      [true, true],
      [true, true],
    ]);
  });

  it('without the image in the engine, builds it with BuildKit answering every RUN step from its cache', async () => {
    const before = await build();
    await sh('docker', ['rmi', before.report.platforms[1]!.image]);
    const after = await build(['--verbose']);
    expect(after.stderr).toMatch(/\[linux\/arm64\] unchanged: /);
    expect(after.stderr).toMatch(/\[linux\/amd64\] built in [\d.]+ s/);
    // BuildKit ran no RUN step: each one it lists is answered from its cache.
    const runs = runSteps(after.stderr, 'linux/amd64');
    expect(runs.length).toBeGreaterThanOrEqual(1);
    for (const r of runs) expect(r.ran, `step ${r.step} ${r.text}`).toBe(false);
    expect(after.report.store.digest).toBe(before.report.store.digest);
  });

  it('exports again, with a build, a platform one of whose blobs the store lost', async () => {
    const first = await build();
    // Remove the arm64 image's layer: that platform must be exported again, the other not.
    const manifest = JSON.parse(
      await readFile(path.join(store, 'blobs/sha256', first.report.platforms[0]!.manifest.slice(7)), 'utf8'),
    ) as { layers: { digest: string }[] };
    await rm(path.join(store, 'blobs/sha256', manifest.layers.at(-1)!.digest.slice(7)));
    const second = await build(['--rerun-smoke']);
    expect(second.stderr).toMatch(/\[linux\/arm64\] built in [\d.]+ s; smoke testing/);
    expect(second.stderr).toMatch(/\[linux\/arm64\] exporting to the store/);
    if ((await imageStore()) === 'containerd') {
      // The engine's own gzip blobs are stored as they are but for a layer above the base whose
      // file times were clamped, which mab compresses (docs/supply-chain.md): none is compressed twice.
      const count = (what: string) =>
        Number(new RegExp(`\\[linux\\/arm64\\] (\\d+) of \\d+ layers ${what}`).exec(second.stderr)?.[1] ?? 0);
      expect(count('stored as the engine compressed them') + count('had their file times clamped')).toBe(
        manifest.layers.length,
      );
      expect(count('stored as the engine compressed them')).toBeGreaterThanOrEqual(1); // the base's
    } else {
      // What the first export compressed is hashed, not gzipped again: every layer when the lost
      // blob was the top layer's clamped copy (the engine's compression of it is still stored),
      // all but that one when its file times needed no clamping.
      const reused = /\[linux\/arm64\] (\d+) of (\d+) layers were compressed by an earlier export/.exec(second.stderr);
      expect(Number(reused?.[2])).toBe(manifest.layers.length);
      expect(Number(reused?.[1])).toBeGreaterThanOrEqual(manifest.layers.length - 1);
    }
    expect(second.stderr).toMatch(/\[linux\/amd64\] already in the store/);
    expect(second.report.store.digest).toBe(first.report.store.digest);
    expect((await mab(['store', 'verify', '--store', store])).exitCode).toBe(0);
  });
});

describe('on a terminal', () => {
  it('shows a live line per platform, rewritten in place, above the report', async () => {
    // script(1) gives mab a pseudo-terminal, as an interactive user has.
    const log = path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-tty-')), 'typescript');
    const cmd = `COLUMNS=100 node ${path.join(ROOT, 'bin/mab.js')} build http-endpoint-c --arch arm64,amd64 --store ${store}`;
    await sh('script', ['-qec', cmd, log]);
    const out = await readFile(log, 'utf8');
    // The live block is moved up over (ESC [nF) and cleared (ESC [J) to be drawn again.
    expect(out).toMatch(/\x1b\[\d+F\x1b\[J[^\n]*linux\/arm64/);
    // Nothing changed since the builds above: the report's BUILD column says so.
    expect(out).toMatch(/^linux\/amd64 +unchanged +pass/m);
  });
});
