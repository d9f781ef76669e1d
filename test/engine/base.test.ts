/**
 * The Debian base images that scripts/setup-host.sh creates with `mab base`, checked with skopeo
 * and the engine: correct platforms, runnable under each platform, slim really slim, and a second
 * run sends nothing.
 */
import { describe, expect, it } from 'vitest';
import { MediaType, type ImageConfig, type Index } from '../../src/oci/types.js';
import { REGISTRY, mab, sh, skopeoJson } from './helpers.js';

const UNAME: Record<string, string> = { 'linux/amd64': 'x86_64', 'linux/arm64': 'aarch64', 'linux/arm/v7': 'armv7l' };

describe.each(['bookworm', 'bookworm-slim'])('debian:%s in the local registry', (tag) => {
  const ref = `${REGISTRY}/library/debian:${tag}`;

  it('is a manifest list of amd64, arm64 and arm/v7 whose entries match their configs', async () => {
    const index = await skopeoJson<Index>(['--raw'], ref);
    expect(index.mediaType).toBe(MediaType.DockerManifestList);
    const platforms = index.manifests.map((m) =>
      [m.platform!.os, m.platform!.architecture, m.platform!.variant].filter(Boolean).join('/'),
    );
    expect(platforms).toEqual(['linux/amd64', 'linux/arm64', 'linux/arm/v7']);
    for (const m of index.manifests) {
      const config = await skopeoJson<ImageConfig>(['--config', '--raw'], `${REGISTRY}/library/debian@${m.digest}`);
      expect([config.os, config.architecture, config.variant]).toEqual([
        m.platform!.os,
        m.platform!.architecture,
        m.platform!.variant,
      ]);
    }
  });

  it.each(Object.keys(UNAME))('runs as %s through the Docker Hub mirror name', async (platform) => {
    // `debian:TAG` with no registry: the engine resolves it through its registry mirror.
    await sh('docker', ['pull', '--platform', platform, `debian:${tag}`]);
    const out = await sh('docker', [
      'run',
      '--rm',
      '--platform',
      platform,
      `debian:${tag}`,
      'sh',
      '-c',
      'uname -m; ls /usr/share/doc/bash; test -L /bin && echo merged-usr',
    ]);
    const lines = out.trim().split('\n');
    expect(lines[0]).toBe(UNAME[platform]);
    expect(lines).toContain('copyright');
    expect(lines).toContain('merged-usr');
    // slim drops everything in /usr/share/doc but copyright files, like Docker's -slim images.
    if (tag.endsWith('-slim'))
      expect(lines.filter((l) => !['copyright', 'merged-usr', UNAME[platform]].includes(l))).toEqual([]);
    else expect(lines.length).toBeGreaterThan(3);
  });
});

describe('mab base, run again', () => {
  it('finds every layer already present and uploads nothing', async () => {
    const r = await mab([
      'base',
      'debian:bookworm-slim',
      '--arch',
      'amd64,arm64,arm/v7',
      '--security',
      'auto',
      '--push',
      REGISTRY,
      '--json',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { images: { platforms: { uploaded: boolean }[] }[] };
    expect(out.images[0]!.platforms.map((p) => p.uploaded)).toEqual([false, false, false]);
    expect(r.stderr).not.toMatch(/mmdebstrap/);
  });
});
