/**
 * The other paths through `mab build` on the real engine: a compiled-from-source recipe fed by a
 * mirror, building locally without --push; an OCI index; and a smoke failure that must publish
 * nothing.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MediaType, type Index } from '../../src/oci/types.js';
import { REGISTRY, ROOT, mab, sh, skopeoJson } from './helpers.js';

const FIXTURES = path.join(ROOT, 'test/fixtures');
const MIRROR = `https://downloads.example.org/primes/=${FIXTURES}/sources/`;

describe('a recipe compiled from source, without --push', () => {
  it('says where it tried when the upstream is unreachable, and how to give a mirror', async () => {
    const r = await mab([
      'build',
      'primes',
      '--recipes',
      `${FIXTURES}/recipes`,
      '--arch',
      'amd64',
      '--cache',
      path.join(ROOT, '.mab/empty-cache'),
    ]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(
      /\[E_FETCH\]: cannot fetch primes-1\.0\.tar\.gz; tried:\n  https:\/\/downloads\.example\.org\/primes\/primes-1\.0\.tar\.gz: /,
    );
    expect(r.stderr).toMatch(/fix: give a mirror or local copy with --mirror PREFIX=REPLACEMENT/);
  });

  it('fetches through the mirror, compiles per platform under QEMU, smoke-tests, reports locally', async () => {
    // Leave armhf bases in the local image store: engine 20.10's BuildKit would take them for the
    // arm64 build unless mab makes it pull per platform.
    for (const tag of ['bookworm', 'bookworm-slim'])
      await sh('docker', ['pull', '--platform', 'linux/arm/v7', `debian:${tag}`]);
    const r = await mab([
      'build',
      'primes',
      '--recipes',
      `${FIXTURES}/recipes`,
      '--arch',
      'arm64,amd64',
      '--mirror',
      MIRROR,
      '--rerun-smoke',
      '--json',
    ]);
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
    const report = JSON.parse(r.stdout) as {
      platforms: { platform: string; size: { estimated: boolean; compressed: number; uncompressed: number } }[];
      index?: unknown;
    };
    expect(report.index).toBeUndefined();
    expect(report.platforms.map((p) => p.platform)).toEqual(['linux/arm64', 'linux/amd64']);
    for (const p of report.platforms) {
      expect(p.size.estimated).toBe(true);
      expect(p.size.compressed).toBeGreaterThan(0);
      expect(p.size.compressed).toBeLessThan(p.size.uncompressed);
    }
    // The images are in the engine under their per-arch names, with the right architecture.
    expect(
      (
        await sh('docker', ['image', 'inspect', '--format', '{{.Architecture}}', 'mab/primes:1.0.0-multistage-arm64'])
      ).trim(),
    ).toBe('arm64');
    const dpkgArch = await sh('docker', [
      'run',
      '--rm',
      '--platform',
      'linux/arm64',
      '--entrypoint',
      'dpkg',
      'mab/primes:1.0.0-multistage-arm64',
      '--print-architecture',
    ]);
    expect(dpkgArch.trim()).toBe('arm64');
    const out = await sh('docker', [
      'run',
      '--rm',
      '--platform',
      'linux/arm64',
      'mab/primes:1.0.0-multistage-arm64',
      '100',
    ]);
    expect(out.trim()).toBe('primes below 100: 25');
    // The compiler stayed in the build stage.
    const gcc = await sh('docker', [
      'run',
      '--rm',
      '--platform',
      'linux/arm64',
      '--entrypoint',
      'sh',
      'mab/primes:1.0.0-multistage-arm64',
      '-c',
      'command -v gcc || echo none',
    ]);
    expect(gcc.trim()).toBe('none');
  });

  it('without --push, the human report says how to publish', async () => {
    const r = await mab([
      'build',
      'primes',
      '--recipes',
      `${FIXTURES}/recipes`,
      '--arch',
      'amd64',
      '--mirror',
      MIRROR,
      '--quiet',
    ]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^linux\/amd64 +(unchanged|[\d.]+ s) +pass \(1(, earlier)?\)/m);
    expect(r.stdout).toMatch(/Publish with: mab build primes --arch linux\/amd64 --push REGISTRY\/REPOSITORY/);
    expect(r.stderr).toBe('');
  });
});

describe('--index-format oci', () => {
  it('publishes an OCI image index that docker pulls per platform', async () => {
    const repo = `${REGISTRY}/mabtest/sysbench-oci`;
    const r = await mab([
      'build',
      'sysbench',
      '--arch',
      'arm64,amd64',
      '--push',
      repo,
      '--index-format',
      'oci',
      '--quiet',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/OCI image index/);
    const index = await skopeoJson<Index>(['--raw'], `${repo}:1.0.20`);
    expect(index.mediaType).toBe(MediaType.OciIndex);
    // Both images, then the attestation manifest (SBOM and provenance) of each.
    expect(index.manifests.map((m) => m.platform?.architecture)).toEqual(['arm64', 'amd64', 'unknown', 'unknown']);
    // The checkout's revision and commit time, as labels of each image (read by skopeo) and
    // annotations of the index, the same on both.
    const [revision, committed] = (await sh('git', ['-C', ROOT, 'log', '-1', '--format=%H %cI'])).trim().split(' ');
    const from = {
      'org.opencontainers.image.revision': revision,
      'org.opencontainers.image.created': new Date(committed!).toISOString().replace('.000Z', 'Z'),
    };
    expect(index.annotations).toMatchObject({ ...from, 'org.opencontainers.image.title': 'sysbench' });
    const config = JSON.parse(
      await sh('skopeo', [
        'inspect',
        '--tls-verify=false',
        '--override-arch',
        'arm64',
        '--config',
        `docker://${repo}:1.0.20`,
      ]),
    ) as { config: { Labels: Record<string, string> } };
    expect(config.config.Labels).toMatchObject({ ...from, 'org.opencontainers.image.version': '1.0.20' });
    await sh('docker', ['pull', '--platform', 'linux/arm64', `${repo}:1.0.20`]);
    expect(
      (
        await sh('docker', [
          'run',
          '--rm',
          '--platform',
          'linux/arm64',
          '--entrypoint',
          'uname',
          `${repo}:1.0.20`,
          '-m',
        ])
      ).trim(),
    ).toBe('aarch64');
  });
});

describe('a failing smoke check', () => {
  it('fails the platform with the output, and pushes nothing', async () => {
    const repo = `${REGISTRY}/mabtest/broken-smoke`;
    const r = await mab(['build', 'broken-smoke', '--recipes', `${FIXTURES}/recipes`, '--push', repo]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(
      /\[E_SMOKE\]: linux\/amd64: 1 of 1 smoke checks failed\nsmoke check "greeting" \(.*broken-smoke\.yaml:11:5\) expected \/\^goodbye\$\/; output:\nhello/,
    );
    const tags = await fetch(`http://${REGISTRY}/v2/mabtest/broken-smoke/tags/list`);
    expect(tags.status).toBe(404);
  });
});
