/**
 * Image sizes, measured the way a board experiences them: compressed is what a pull downloads
 * (config + gzip layers), uncompressed is what the layers take once unpacked. Layers stream
 * through gunzip and are counted, never written to disk. (Images built without --push are measured
 * as they go into the local store: src/store/export.ts.)
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { RegistryClient } from '../registry/client.js';
import type { Manifest } from '../oci/types.js';

export interface ImageSize {
  compressed: number;
  uncompressed: number;
  layers: number;
  /** true when compressed is mab's own gzip of the layers (the store's), not a registry's figure. */
  estimated: boolean;
}

function counter(): { sink: Writable; bytes: () => number } {
  let n = 0;
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      n += chunk.length;
      cb();
    },
  });
  return { sink, bytes: () => n };
}

/** Sizes of an image in a registry, from its manifest (compressed) and its layers (uncompressed). */
export async function measureRemote(client: RegistryClient, repo: string, manifest: Manifest): Promise<ImageSize> {
  let uncompressed = 0;
  for (const layer of manifest.layers) {
    const c = counter();
    await pipeline(await client.blobStream(repo, layer.digest), createGunzip(), c.sink);
    uncompressed += c.bytes();
  }
  const compressed = manifest.config.size + manifest.layers.reduce((s, l) => s + l.size, 0);
  return { compressed, uncompressed, layers: manifest.layers.length, estimated: false };
}
