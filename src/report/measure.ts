/**
 * Image sizes, measured the way a board experiences them: compressed is what a pull downloads
 * (config + gzip layers), uncompressed is what the layers take once unpacked. Layers stream
 * through gunzip or gzip and are counted, never written to disk.
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { execa } from 'execa';
import tar from 'tar-stream';
import type { RegistryClient } from '../registry/client.js';
import type { Manifest } from '../oci/types.js';
import { DOCKER } from '../build/docker.js';

export interface ImageSize {
  compressed: number;
  uncompressed: number;
  layers: number;
  /** true when compressed is mab's own gzip of the local layers, not a registry's figure. */
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

/**
 * Sizes of an image in the local engine, from `docker save`: each layer tar is counted as is
 * (uncompressed) and through gzip level 6 (what a push would send).
 */
export async function measureLocal(image: string, env?: NodeJS.ProcessEnv): Promise<ImageSize> {
  const save = execa(DOCKER, ['save', image], { buffer: false, env, stdin: 'ignore', encoding: 'buffer' });
  const extract = tar.extract();
  let uncompressed = 0;
  let compressed = 0;
  let layers = 0;
  let config = 0;
  extract.on('entry', (header, stream, next) => {
    // Engine 20.10 writes <id>/layer.tar; newer engines write blobs/sha256/<digest> (OCI layout).
    const isLayer = header.name.endsWith('/layer.tar');
    if (!isLayer) {
      if (/^[a-f0-9]{64}\.json$/.test(header.name)) config = header.size ?? 0;
      stream.resume();
      stream.on('end', next);
      return;
    }
    layers++;
    uncompressed += header.size ?? 0;
    const c = counter();
    pipeline(stream, createGzip({ level: 6 }), c.sink).then(() => {
      compressed += c.bytes();
      next();
    }, next);
  });
  await Promise.all([pipeline(save.stdout, extract), save]);
  return { compressed: compressed + config, uncompressed, layers, estimated: true };
}
