/**
 * The local store on the real engine: builds without --push land in an OCI layout that skopeo
 * reads and copies to a registry, that docker then pulls per platform; `mab store verify` finds
 * damage; two builds writing one store at once both land.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { attestationEntries } from '../../src/oci/attestation.js';
import { imageEntries } from '../../src/oci/index.js';
import { MediaType, type Index, type Manifest } from '../../src/oci/types.js';
import { ELF_MACHINE, REGISTRY, elfMachine, mab, sh } from './helpers.js';

interface Report {
  platforms: { platform: string; manifest: string; size: { compressed: number } }[];
  store: { dir: string; digest: string; tags: string[] };
}

const build = async (recipe: string, store: string) => {
  const r = await mab([
    'build',
    recipe,
    '--arch',
    'amd64,arm64',
    '--strategy',
    'minimal',
    '--store',
    store,
    '--json',
    '--quiet',
  ]);
  expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
  return JSON.parse(r.stdout) as Report;
};
const skopeo = (args: string[]) => sh('skopeo', args);

/** The arm64 image of the store's index, as skopeo copies it out to a dir: layout. */
async function armManifest(store: string): Promise<{ digest: string; manifest: Manifest }> {
  const out = path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-skopeo-')), 'arm64');
  await skopeo(['copy', '--override-arch', 'arm64', `oci:${store}:http-endpoint-c:1.0.0`, `dir:${out}`]);
  const bytes = await readFile(path.join(out, 'manifest.json'));
  return {
    digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    manifest: JSON.parse(bytes.toString()) as Manifest,
  };
}

describe('mab build without --push → the local OCI store', () => {
  let dir: string;
  let report: Report;
  beforeAll(async () => {
    dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-store-')), 'store');
    report = await build('http-endpoint-c', dir);
  });

  it('tags an OCI index whose children are the reported manifests (skopeo reads oci:DIR:TAG)', async () => {
    expect(report.store.tags).toEqual([
      'http-endpoint-c:1.0.0-minimal',
      'http-endpoint-c:1.0.0',
      'http-endpoint-c:latest',
    ]);
    const index = JSON.parse(await skopeo(['inspect', '--raw', `oci:${dir}:http-endpoint-c:1.0.0`])) as Index;
    expect(index.mediaType).toBe(MediaType.OciIndex);
    expect(imageEntries(index).map((m) => [m.platform!.architecture, m.digest])).toEqual(
      report.platforms.map((p) => [p.platform.split('/')[1], p.manifest]),
    );
    // Then each image's attestation manifest (SBOM and provenance), naming that image.
    expect(attestationEntries(index).map((a) => a.subject)).toEqual(report.platforms.map((p) => p.manifest));
    // skopeo picks the arm64 image out of the index; its manifest is the reported one, and the
    // report's compressed size is exactly config + layers as stored.
    const arm = await armManifest(dir);
    expect(arm.digest).toBe(report.platforms.find((p) => p.platform === 'linux/arm64')!.manifest);
    expect(arm.manifest.config.size + arm.manifest.layers.reduce((n, l) => n + l.size, 0)).toBe(
      report.platforms.find((p) => p.platform === 'linux/arm64')!.size.compressed,
    );
  });

  it('copies to a registry with skopeo --all, and docker pulls each platform from there', async () => {
    const ref = `${REGISTRY}/mabtest/from-store:1.0.0`;
    await skopeo(['copy', '--all', '--dest-tls-verify=false', `oci:${dir}:http-endpoint-c:1.0.0`, `docker://${ref}`]);
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      // Removed first, so each pull is a pull of the index.
      await sh('docker', ['rmi', '-f', ref]);
      await sh('docker', ['pull', '--quiet', '--platform', platform, ref]);
      // The program a container of that platform holds is built for it. (`docker image inspect`
      // cannot say: with the containerd store it shows the host's platform whenever that
      // platform's content is there too, as it is after a build.)
      expect(await elfMachine(ref, platform, '/usr/local/bin/http-endpoint')).toBe(ELF_MACHINE[platform]);
    }
  });

  it('umoci lists its tags; and a layout skopeo writes from the registry is one mab verifies and lists', async () => {
    expect((await sh('umoci', ['ls', '--layout', dir])).split('\n').sort()).toEqual([...report.store.tags].sort());
    const ref = `${REGISTRY}/mabtest/from-store:1.0.0`;
    await skopeo(['copy', '--all', '--dest-tls-verify=false', `oci:${dir}:http-endpoint-c:1.0.0`, `docker://${ref}`]);
    const back = path.join(path.dirname(dir), 'from-skopeo');
    await skopeo(['copy', '--all', '--src-tls-verify=false', `docker://${ref}`, `oci:${back}:roundtrip`]);
    expect((await mab(['store', 'verify', '--store', back])).exitCode).toBe(0);
    const ls = JSON.parse((await mab(['store', 'ls', '--store', back, '--json'])).stdout) as {
      tags: { tag: string; platforms: string[] }[];
    };
    expect(ls.tags).toEqual([
      expect.objectContaining({ tag: 'roundtrip', platforms: ['linux/amd64', 'linux/arm64'], attestations: 2 }),
    ]);
  });

  it('verify: sound, then a damaged layer is found and named', async () => {
    const ok = await mab(['store', 'verify', '--store', dir, '--json']);
    expect(ok.exitCode).toBe(0);
    expect((JSON.parse(ok.stdout) as { problems: unknown[] }).problems).toEqual([]);

    const copy = path.join(path.dirname(dir), 'damaged');
    await sh('cp', ['-a', dir, copy]);
    const layer = (await armManifest(copy)).manifest.layers[0]!.digest;
    await writeFile(path.join(copy, 'blobs', 'sha256', layer.slice(7)), 'not the layer');
    const bad = await mab(['store', 'verify', '--store', copy]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stdout).toMatch(
      new RegExp(`http-endpoint-c:1\\.0\\.0-minimal +${layer.slice(0, 19)} +size|- +${layer.slice(0, 19)} +corrupt`),
    );
  });

  it('two builds into one store at the same time both land, and it stays sound', async () => {
    const shared = path.join(path.dirname(dir), 'shared');
    const [c, go] = await Promise.all([build('http-endpoint-c', shared), build('http-endpoint-go', shared)]);
    const ls = JSON.parse((await mab(['store', 'ls', '--store', shared, '--json'])).stdout) as {
      tags: { tag: string; digest: string }[];
    };
    const tags = Object.fromEntries(ls.tags.map((t) => [t.tag, t.digest]));
    expect(tags['http-endpoint-c:1.0.0']).toBe(c.store.digest);
    expect(tags['http-endpoint-go:1.0.0']).toBe(go.store.digest);
    expect(ls.tags).toHaveLength(6);
    expect((await mab(['store', 'verify', '--store', shared])).exitCode).toBe(0);
  });
});
