/**
 * mab's key path on each Docker engine its users build on (docs/engines.md), each writing its own
 * `docker save` format: 20.10 (its own format, overlay2), 26.1 with overlay2 (an OCI layout of
 * uncompressed layers) and 26.1 with the containerd image store (the engine's own gzip blobs, and
 * the manifest digest as image ID). The engine the suite runs on is used as it is; the others run
 * in their own network namespaces (test/fixtures/engines.ts).
 *
 * On each: `mab build sysbench --arch arm64,amd64 --push` (build, smoke, store, push, index), each
 * platform pulled and run by that engine; a rebuild with nothing changed that does not go to the
 * engine; the export read again by the engine's format into the same store (nothing compressed
 * twice) and into an empty one (the same manifest); and `http-endpoint-c --strategy minimal`
 * with its HTTP check and a `shell:` check (the helper shell copied into a container of an image
 * with no shell, by that engine's `docker cp`).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageEntries } from '../../src/oci/index.js';
import type { Index } from '../../src/oci/types.js';
import { exportImage } from '../../src/pipeline/export.js';
import { Store } from '../../src/store/layout.js';
import { baseLookup } from '../../src/report/base.js';
import { sourceDateEpoch } from '../fixtures/reproduce.js';
import { ENGINE_KINDS, engineKind, namespacedEngine, type EngineKind } from '../fixtures/engines.js';
import { BUILD_STEP, REGISTRY, mab, recipeCopy, skopeoJson } from './helpers.js';

const UNAME: Record<string, string> = { 'linux/amd64': 'x86_64', 'linux/arm64': 'aarch64' };
const hostKind = await engineKind({});

interface Report {
  platforms: { platform: string; image: string; unchanged?: boolean; smoke: { name: string; passed: boolean }[] }[];
  push?: { blobBytesSent: number };
}

describe.each(ENGINE_KINDS)('on engine %s', (kind: EngineKind) => {
  let env: Record<string, string> = {};
  let stop: (() => Promise<void>) | undefined;
  let storeDir: string;
  const repo = `${REGISTRY}/mabtest/engines-${kind.replace('.', '-')}-${randomBytes(3).toString('hex')}`;
  const docker = (args: string[]) =>
    execa('docker', args, { env: { ...process.env, ...env }, stdin: 'ignore', all: true, reject: false });
  const build = (recipe: string, args: string[]) =>
    mab(['build', recipe, '--arch', 'arm64,amd64', '--store', storeDir, '--json', ...args], env);

  beforeAll(async () => {
    if (kind !== hostKind) ({ env, stop } = await namespacedEngine(kind));
    storeDir = path.join(await mkdtemp(path.join(os.tmpdir(), `mab-engines-${kind}-`)), 'store');
    // The test runs where it says it does.
    expect(await engineKind(env)).toBe(kind);
  });
  afterAll(async () => {
    await stop?.();
  });

  it('builds sysbench for arm64 and amd64 and pushes it with its index; the engine pulls and runs each platform', async () => {
    const r = await build('sysbench', ['--push', repo]);
    expect(r.exitCode, r.stderr.slice(-4000)).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.platforms.map((p) => [p.platform, p.smoke.length > 0 && p.smoke.every((s) => s.passed)])).toEqual([
      ['linux/arm64', true],
      ['linux/amd64', true],
    ]);
    const index = await skopeoJson<Index>(['--raw'], `${repo}:1.0.20`);
    expect(
      imageEntries(index)
        .map((m) => `${m.platform!.os}/${m.platform!.architecture}`)
        .sort(),
    ).toEqual(['linux/amd64', 'linux/arm64']);
    for (const platform of ['linux/arm64', 'linux/amd64']) {
      const run = await docker([
        'run',
        '--rm',
        '--pull',
        'always',
        '--platform',
        platform,
        '--entrypoint',
        'uname',
        `${repo}:1.0.20`,
        '-m',
      ]);
      expect(run.all?.trim().split('\n').at(-1), run.all).toBe(UNAME[platform]);
    }
  });

  it('does not go to the engine for a rebuild with nothing changed, and sends no blob', async () => {
    const r = await build('sysbench', ['--push', repo]);
    expect(r.exitCode, r.stderr.slice(-4000)).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.platforms.map((p) => p.unchanged)).toEqual([true, true]);
    expect(r.stderr).not.toMatch(BUILD_STEP);
    expect(report.push?.blobBytesSent).toBe(0);
  });

  it('reads its save format: again into the same store, no layer compressed twice; into an empty store, the same manifest', async () => {
    const store = await Store.open(storeDir);
    const index = JSON.parse(
      (await store.readBlob((await store.resolve('sysbench:1.0.20-cross'))!.digest)).toString(),
    ) as Index;
    const image = 'mab/sysbench:1.0.20-cross-amd64';
    const stored = index.manifests.find((m) => m.platform?.architecture === 'amd64')!.digest;
    // As the build stored it: the layer above the base with its file times clamped.
    const base = await baseLookup(process.env)('debian:bookworm-slim', { os: 'linux', architecture: 'amd64' });
    const clamp = { epoch: await sourceDateEpoch(), base: base! };
    const again = await exportImage(store, image, { ...process.env, ...env }, undefined, { clamp });
    expect(again.manifest.digest).toBe(stored);
    // The engine's own blobs are copied, but for those above the base that had times to clamp
    // (mab compresses them once); an engine that holds layers uncompressed has them all hashed,
    // not gzipped again.
    if (kind === '26.1-containerd') expect((again.copied ?? 0) + (again.clamped ?? 0)).toBe(again.layers);
    else expect(again.reused).toBe(again.layers);
    const fresh = await exportImage(
      await Store.open(path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-engines-empty-')), 'store')),
      image,
      { ...process.env, ...env },
      undefined,
      { clamp },
    );
    expect(fresh.manifest.digest).toBe(stored);
    expect(fresh.reused).toBe(0);
  });

  it('builds http-endpoint-c as a minimal image; its HTTP and shell: smoke checks pass on each platform', async () => {
    const recipes = await recipeCopy(
      'http-endpoint-c',
      (own) => `${own}  - name: only the binary
    shell: 'find / -xdev -type f ! -path "/.mab-smoke/*" ! -path "/etc/*" ! -path "/proc/*" ! -path "/sys/*" ! -path /.dockerenv | wc -l'
    expect: '^1$'
`,
    );
    const r = await build('http-endpoint-c', ['--strategy', 'minimal', '--recipes', recipes, '--rerun-smoke']);
    expect(r.exitCode, r.stderr.slice(-4000)).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.platforms.map((p) => [p.platform, p.smoke.map((s) => [s.name, s.passed])])).toEqual([
      [
        'linux/arm64',
        [
          ['GET /', true],
          ['only the binary', true],
        ],
      ],
      [
        'linux/amd64',
        [
          ['GET /', true],
          ['only the binary', true],
        ],
      ],
    ]);
    // The helper is gone again: a container of the image, read by this engine, holds the binary alone.
    const id = (await docker(['create', '--platform', 'linux/arm64', report.platforms[0]!.image])).stdout.trim();
    const files = await execa('sh', ['-c', `docker export ${id} | tar -t`], {
      env: { ...process.env, ...env },
      stdin: 'ignore',
    });
    await docker(['rm', id]);
    expect(files.stdout.split('\n').filter((f) => /mab-smoke|busybox/.test(f))).toEqual([]);
  });
});
