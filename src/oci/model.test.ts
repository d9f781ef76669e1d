/**
 * readTarget, the one walker of index → manifests → configs, over a real store (an OCI layout on
 * disk): what it reads of an index, of a single manifest, and what it refuses.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../store/layout.js';
import { jsonBytes } from './digest.js';
import { pickImage, readTarget } from './model.js';
import { MediaType, type Descriptor, type ImageConfig, type Index, type Manifest } from './types.js';

async function image(store: Store, config: Partial<ImageConfig>): Promise<Descriptor> {
  const c = await store.putBytes(
    jsonBytes({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [] }, ...config }),
    MediaType.OciConfig,
  );
  const m: Manifest = { schemaVersion: 2, mediaType: MediaType.OciManifest, config: c, layers: [] };
  return store.putBytes(jsonBytes(m), MediaType.OciManifest);
}

describe('readTarget', () => {
  it('reads each image of an index with its platform, drops attestations, and reads a single manifest the same way', async () => {
    const store = await Store.open(await mkdtemp(path.join(os.tmpdir(), 'mab-model-')));
    const amd64 = await image(store, {});
    const arm = await image(store, { architecture: 'arm', variant: 'v7' });
    const attestation = await image(store, { os: 'unknown', architecture: 'unknown' });
    const index: Index = {
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      annotations: { 'org.opencontainers.image.version': '1.0.0' },
      manifests: [
        { ...amd64, platform: { os: 'linux', architecture: 'amd64' } },
        { ...arm, platform: { os: 'linux', architecture: 'arm', variant: 'v7' }, annotations: { note: 'entry' } },
        {
          ...attestation,
          platform: { os: 'unknown', architecture: 'unknown' },
          annotations: {
            'vnd.docker.reference.type': 'attestation-manifest',
            'vnd.docker.reference.digest': amd64.digest,
          },
        },
      ],
    };
    const top = await store.putBytes(jsonBytes(index), MediaType.OciIndex);
    await store.tag(['demo:1.0.0'], top);

    const t = await readTarget(store.repository(), 'demo:1.0.0');
    expect(t.top.digest).toBe(top.digest);
    expect(t.index?.annotations).toEqual({ 'org.opencontainers.image.version': '1.0.0' });
    expect(t.images.map((i) => [i.platform, i.descriptor.digest, i.config.architecture])).toEqual([
      [{ os: 'linux', architecture: 'amd64' }, amd64.digest, 'amd64'],
      [{ os: 'linux', architecture: 'arm', variant: 'v7' }, arm.digest, 'arm'],
    ]);
    expect(t.images[1]!.descriptor.annotations).toEqual({ note: 'entry' });
    expect(pickImage(t, { os: 'linux', architecture: 'arm', variant: 'v7' }, 'demo').descriptor.digest).toBe(
      arm.digest,
    );
    expect(() => pickImage(t, { os: 'linux', architecture: 'arm64' }, 'demo:1.0.0')).toThrow(
      'demo:1.0.0 is an index of 2 images (linux/amd64, linux/arm/v7), none for linux/arm64',
    );
    expect(() => pickImage(t, undefined, 'demo:1.0.0')).toThrow(/is an index of 2 images/);

    // Asked for one platform, only its image is read; the error still lists every entry.
    const arm7 = await readTarget(store.repository(), 'demo:1.0.0', {
      os: 'linux',
      architecture: 'arm',
      variant: 'v7',
    });
    expect(arm7.images.map((i) => i.descriptor.digest)).toEqual([arm.digest]);
    const arm64 = await readTarget(store.repository(), 'demo:1.0.0', { os: 'linux', architecture: 'arm64' });
    expect(arm64.images).toEqual([]);
    expect(() => pickImage(arm64, { os: 'linux', architecture: 'arm64' }, 'demo:1.0.0')).toThrow(
      'demo:1.0.0 is an index of 2 images (linux/amd64, linux/arm/v7), none for linux/arm64',
    );

    // A manifest by digest: its platform from its config.
    const single = await readTarget(store.repository(), arm.digest);
    expect(single.index).toBeUndefined();
    expect(single.images.map((i) => i.platform)).toEqual([{ os: 'linux', architecture: 'arm', variant: 'v7' }]);
    expect(pickImage(single, { os: 'linux', architecture: 'arm64' }, 'x')).toBe(single.images[0]);
  });

  it('refuses what is not an image, and names a missing tag', async () => {
    const store = await Store.open(await mkdtemp(path.join(os.tmpdir(), 'mab-model-')));
    const config = await store.putBytes(jsonBytes({ os: 'linux', architecture: 'amd64' }), MediaType.OciConfig);
    await expect(readTarget(store.repository(), config.digest)).rejects.toThrow(
      /^the store .*@sha256:[a-f0-9]{64} is a blob of no media type, not an image manifest$/,
    );
    await expect(readTarget(store.repository(), 'nope:1')).rejects.toThrow(/has no tag "nope:1"/);
  });
});
