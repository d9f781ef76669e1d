import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MediaType, type Descriptor } from '../oci/types.js';
import { gc, verify } from './check.js';
import { REF_NAME, Store } from './layout.js';

const tmp = () => mkdtemp(path.join(os.tmpdir(), 'mab-store-'));
const digestOf = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

/** A one-layer image (the layer need not be a real tar for the store) and an index over it. */
async function image(store: Store, arch: string) {
  const layer = await store.putBytes(Buffer.from(`layer for ${arch}`), MediaType.OciLayerGzip);
  const config = await store.putBytes(
    json({ architecture: arch, os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
    MediaType.OciConfig,
  );
  const manifest = await store.putBytes(
    json({ schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers: [layer] }),
    MediaType.OciManifest,
  );
  return { layer, config, manifest: { ...manifest, platform: { os: 'linux', architecture: arch } } as Descriptor };
}

describe('the OCI layout store', () => {
  it('creates a layout and reopens it; refuses a directory with another layout version', async () => {
    const dir = await tmp();
    await Store.open(dir);
    expect(JSON.parse(await readFile(path.join(dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    expect(JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8'))).toEqual({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [],
    });
    await Store.open(dir);
    const other = await tmp();
    await writeFile(path.join(other, 'oci-layout'), '{"imageLayoutVersion":"2.0.0"}');
    await expect(Store.open(other)).rejects.toThrow(/is not an OCI image layout 1\.0\.0/);
  });

  it('names blobs by digest, never rewrites one, and stores nothing when the expected digest differs', async () => {
    const store = await Store.open(await tmp());
    const d = await store.putBytes(Buffer.from('hello'), MediaType.OciConfig);
    expect(d).toEqual({ mediaType: MediaType.OciConfig, digest: digestOf('hello'), size: 5 });
    const inode = (await stat(store.blobPath(d.digest))).ino;
    await store.putStream([Buffer.from('hel'), Buffer.from('lo')], MediaType.OciConfig);
    expect((await stat(store.blobPath(d.digest))).ino).toBe(inode);
    await expect(store.putStream([Buffer.from('other')], MediaType.OciConfig, digestOf('expected'))).rejects.toThrow(
      /has digest sha256:[a-f0-9]{64}, expected sha256:/,
    );
    expect(await readdir(path.join(store.dir, 'blobs', 'sha256'))).toEqual([d.digest.slice(7)]);
  });

  it('tags, retags and untags; refuses to tag what is not stored', async () => {
    const store = await Store.open(await tmp());
    const a = await image(store, 'amd64');
    const b = await image(store, 'arm64');
    await store.tag(['1.0', 'latest'], a.manifest);
    await store.tag(['latest'], b.manifest);
    expect((await store.resolve('1.0'))?.digest).toBe(a.manifest.digest);
    expect((await store.resolve('latest'))?.digest).toBe(b.manifest.digest);
    expect((await store.index()).manifests.map((m) => m.annotations?.[REF_NAME]).sort()).toEqual(['1.0', 'latest']);
    expect(await store.untag('1.0')).toBe(true);
    expect(await store.resolve('1.0')).toBeUndefined();
    await expect(
      store.tag(['x'], { mediaType: MediaType.OciManifest, digest: digestOf('nothing'), size: 7 }),
    ).rejects.toThrow(/is not in the store/);
    await expect(store.tag(['bad tag'], a.manifest)).rejects.toThrow(/"bad tag" is not a valid tag/);
  });

  it('loses no tag when many are written at once from two handles (the lock)', async () => {
    const dir = await tmp();
    const [s1, s2] = [await Store.open(dir), await Store.open(dir)];
    const { manifest } = await image(s1, 'amd64');
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? s1 : s2).tag([`t${i}`], manifest)));
    expect((await s1.index()).manifests).toHaveLength(40);
    expect((await readdir(dir)).filter((f) => f.includes('lock') || f.includes('.tmp-'))).toEqual([]);
  });

  it('takes over a lock left by a process that died', async () => {
    const store = await Store.open(await tmp());
    const { manifest } = await image(store, 'amd64');
    await writeFile(path.join(store.dir, 'index.json.lock'), '999999999');
    await store.tag(['after-crash'], manifest);
    expect((await store.resolve('after-crash'))?.digest).toBe(manifest.digest);
  });
});

describe('verify and gc', () => {
  it('finds nothing wrong in a sound store, then a damaged blob and a missing one, by tag', async () => {
    const store = await Store.open(await tmp());
    const amd = await image(store, 'amd64');
    const arm = await image(store, 'arm64');
    const index = await store.putBytes(
      json({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [amd.manifest, arm.manifest] }),
      MediaType.OciIndex,
    );
    await store.tag(['1.0'], index);
    expect((await verify(store)).problems).toEqual([]);

    await writeFile(store.blobPath(amd.layer.digest), 'layer for amd6X');
    await rm(store.blobPath(arm.config.digest));
    const { problems } = await verify(store);
    expect(problems.map((p) => [p.tag, p.digest, p.problem])).toEqual([
      ['1.0', arm.config.digest, 'missing'],
      ['-', amd.layer.digest, 'corrupt'],
    ]);
  });

  it('removes blobs no tag reaches once they are older than the grace period, and dead temp files', async () => {
    const store = await Store.open(await tmp());
    const kept = await image(store, 'amd64');
    const dropped = await image(store, 'arm64');
    await store.tag(['1.0'], kept.manifest);
    await writeFile(path.join(store.dir, 'blobs', 'sha256', '.tmp-999999999-abc'), 'half a layer');
    // All blobs are young (a build may be about to tag them); the dead process's temp file goes.
    expect(await gc(store)).toEqual({ removed: [], bytes: 0, temps: 1 });
    const r = await gc(store, 3600_000, Date.now() + 7200_000);
    expect(r.removed.sort()).toEqual([dropped.layer.digest, dropped.config.digest, dropped.manifest.digest].sort());
    expect((await verify(store)).problems).toEqual([]);
    expect((await store.files()).blobs.map((b) => b.digest).sort()).toEqual(
      [kept.layer.digest, kept.config.digest, kept.manifest.digest].sort(),
    );
  });
});
