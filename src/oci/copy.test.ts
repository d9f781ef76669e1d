/**
 * copyTarget between two real stores (OCI layouts on disk): an index with two images that share a
 * layer, and an attestation, arrives as the same bytes; blobs are copied once and then found there;
 * a moved tag says what it named.
 */
import { readFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { storeWithAttestation } from '../../test/fixtures/known-image.js';
import { storeDestination } from '../store/destination.js';
import { Store } from '../store/layout.js';
import { copyTarget } from './copy.js';
import { readTarget } from './model.js';
import { MediaType } from './types.js';

const tmpStore = async () => Store.open(await mkdtemp(path.join(os.tmpdir(), 'mab-copy-')));

describe('copyTarget', () => {
  it('copies every manifest of an index (attestation too) and its blobs, byte for byte, then tags the index', async () => {
    const [a, b] = [await tmpStore(), await tmpStore()];
    const { images, attestation, index } = await storeWithAttestation(a, 'demo:1');
    const target = await readTarget(a.repository(), 'demo:1', undefined, { all: true });
    const log: string[] = [];
    const r = await copyTarget(a.repository(), target, storeDestination(b), { tag: 'copy:1', log: (m) => log.push(m) });

    expect(r.digest).toBe(index.digest);
    expect((await b.resolve('copy:1'))?.digest).toBe(index.digest);
    const raw = (d: string, s: Store) => readFile(s.blobPath(d));
    expect(await raw(index.digest, b)).toEqual(await raw(index.digest, a));
    expect(r.manifests.map((m) => [m.platform, m.digest, m.attestation])).toEqual([
      ['linux/amd64', images[0]!.manifest.digest, false],
      ['linux/arm64', images[1]!.manifest.digest, false],
      ['unknown/unknown', attestation.digest, true],
    ]);
    // The plain-tar layer is the same on both platforms: copied for the first, there for the second.
    expect(r.manifests.map((m) => m.blobs)).toEqual([
      { copied: 4, mounted: 0, present: 0 },
      { copied: 3, mounted: 0, present: 1 },
      { copied: 2, mounted: 0, present: 0 },
    ]);
    const sizes = images.flatMap((i) => [i.configSize, ...i.layers.map((l) => l.descriptor.size)]);
    expect(r.bytesCopied).toBe(
      sizes.reduce((n, s) => n + s, 0) -
        images[1]!.layers[2]!.descriptor.size +
        (await attestationBytes(b, attestation.digest)),
    );
    expect(log[2]).toMatch(
      /^\[unknown\/unknown, attestation\] sha256:\w{64}: 2 blobs \(2 copied, 0 mounted, 0 already there\)$/,
    );
    // What arrived reads back whole in the destination, by the same walker.
    const back = await readTarget(b.repository(), 'copy:1', undefined, { all: true });
    expect(back.images.map((i) => i.raw.digest)).toEqual(target.images.map((i) => i.raw.digest));

    // Again, onto a tag that names another image: nothing is copied, the tag moves and says from what.
    await b.tag(['copy:2'], { ...images[0]!.manifest });
    const again = await copyTarget(a.repository(), target, storeDestination(b), { tag: 'copy:2' });
    expect(again.blobs).toEqual({ copied: 0, mounted: 0, present: 10 });
    expect(again.replaced).toBe(images[0]!.manifest.digest);
    expect((await b.resolve('copy:2'))?.digest).toBe(index.digest);
  });

  it('copies a single image as its own top, and refuses a target read without every manifest', async () => {
    const [a, b] = [await tmpStore(), await tmpStore()];
    const { images } = await storeWithAttestation(a, 'demo:1');
    const one = await readTarget(a.repository(), images[1]!.manifest.digest);
    const r = await copyTarget(a.repository(), one, storeDestination(b), { tag: 'one:1' });
    expect(r).toMatchObject({ digest: images[1]!.manifest.digest, mediaType: MediaType.OciManifest, tag: 'one:1' });
    expect(r.manifests).toHaveLength(1);
    const partial = await readTarget(a.repository(), 'demo:1');
    await expect(copyTarget(a.repository(), partial, storeDestination(b))).rejects.toThrow(/without every manifest/);
  });
});

async function attestationBytes(s: Store, digest: string): Promise<number> {
  const m = JSON.parse((await s.readBlob(digest)).toString()) as {
    config: { size: number };
    layers: { size: number }[];
  };
  return m.config.size + m.layers.reduce((n, l) => n + l.size, 0);
}
