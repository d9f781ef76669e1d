/**
 * Reading an image's layers as tar streams, without unpacking them: the one place that knows
 * which layer media types mab reads, gunzips them, and names entries as paths of the image's
 * filesystem. The size report (report/layers.ts), readImageFiles and digestImageFiles below go
 * through it.
 *
 * Whiteouts follow the OCI image spec's layer changesets (image-spec layer.md, "Whiteouts"):
 * `.wh.NAME` deletes NAME from the layers below, `.wh..wh..opq` everything under its directory.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { MabError } from '../errors.js';
import type { Descriptor } from './types.js';

const GZIP = new Set([
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
]);
const PLAIN = new Set(['application/vnd.oci.image.layer.v1.tar', 'application/vnd.docker.image.rootfs.diff.tar']);

/** An entry's path in the image: no leading ./ or /, no trailing /. */
export const entryPath = (name: string) => name.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
export const parentOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
export const joinPath = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);

/**
 * Refuses, before anything is read, a layer mab cannot read (zstd, or not a tar). `name` names it
 * in the message, e.g. "layer 2 (sha256:…)".
 */
export function checkLayerType(layer: Descriptor, name: string): void {
  if (!GZIP.has(layer.mediaType) && !PLAIN.has(layer.mediaType))
    throw new MabError(
      'E_LAYER_TYPE',
      `${name} is ${layer.mediaType}, which mab cannot read`,
      'mab reads gzip and uncompressed tar layers',
    );
}

/** Streams one layer's tar through `extract`; `onTarBytes` hears of the tar's bytes as they pass. */
export async function readLayerTar(
  layer: Descriptor,
  open: (layer: Descriptor) => Promise<Readable>,
  extract: tar.Extract,
  onTarBytes?: (n: number) => void,
): Promise<void> {
  const source = await open(layer);
  // Large chunks: tar-stream's cost is per chunk, and zlib's default 16 KiB makes many.
  const gunzip = GZIP.has(layer.mediaType) ? createGunzip({ chunkSize: 256 * 1024 }) : undefined;
  // Counted as they pass: a second 'data' listener, not another stream.
  if (onTarBytes) (gunzip ?? source).on('data', (chunk: Buffer) => onTarBytes(chunk.length));
  await (gunzip ? pipeline(source, gunzip, extract) : pipeline(source, extract));
}

/** The files of the image's final filesystem that `wanted` accepts, with their bytes. */
export async function readImageFiles(
  layers: Descriptor[],
  open: (layer: Descriptor) => Promise<Readable>,
  wanted: (path: string) => boolean,
): Promise<Map<string, Buffer>> {
  return finalFiles(layers, open, (p) => (wanted(p) ? bytesOf : undefined));
}

export interface FileDigests {
  md5: string;
  sha1: string;
  sha256: string;
}

/**
 * The MD5, SHA-1 and SHA-256 of each file of `paths` the image's final filesystem holds as a
 * regular file, hashed as it streams by (nothing is kept).
 */
export async function digestImageFiles(
  layers: Descriptor[],
  open: (layer: Descriptor) => Promise<Readable>,
  paths: ReadonlySet<string>,
): Promise<Map<string, FileDigests>> {
  return finalFiles(layers, open, (p) => (paths.has(p) ? digestsOf : undefined));
}

async function bytesOf(body: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function digestsOf(body: AsyncIterable<unknown>): Promise<FileDigests> {
  const hashes = { md5: createHash('md5'), sha1: createHash('sha1'), sha256: createHash('sha256') };
  for await (const c of body) for (const h of Object.values(hashes)) h.update(c as Buffer);
  return { md5: hashes.md5.digest('hex'), sha1: hashes.sha1.digest('hex'), sha256: hashes.sha256.digest('hex') };
}

/**
 * Walks the layers in order, as the final filesystem is made of them: for each regular file that
 * `take` gives a reader for, that reader's value (it reads the entry's body to its end), dropped
 * again when a later layer deletes or replaces the path.
 */
async function finalFiles<T>(
  layers: Descriptor[],
  open: (layer: Descriptor) => Promise<Readable>,
  take: (path: string) => ((body: AsyncIterable<unknown>) => Promise<T>) | undefined,
): Promise<Map<string, T>> {
  const files = new Map<string, T>();
  const removeUnder = (dir: string) => {
    for (const p of files.keys()) if (p.startsWith(`${dir}/`)) files.delete(p);
  };
  for (const [i, layer] of layers.entries()) {
    checkLayerType(layer, `layer ${i + 1} (${layer.digest})`);
    const extract = tar.extract();
    extract.on('entry', (header, stream, next) => {
      const p = entryPath(header.name);
      const base = p.slice(p.lastIndexOf('/') + 1);
      const reader = header.type === 'file' || header.type === 'contiguous-file' ? take(p) : undefined;
      if (base === '.wh..wh..opq') removeUnder(parentOf(p));
      else if (base.startsWith('.wh.')) {
        const target = joinPath(parentOf(p), base.slice(4));
        files.delete(target);
        removeUnder(target);
      } else if (reader) {
        reader(stream).then((v) => (files.set(p, v), next()), next);
        return;
      } else files.delete(p);
      stream.on('end', next);
      stream.resume();
    });
    await readLayerTar(layer, open, extract);
  }
  return files;
}
