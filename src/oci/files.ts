/**
 * Files of an image's final filesystem, read from its layers without unpacking them: each layer
 * in order, later ones replacing earlier files, whiteouts (`.wh.NAME`) and opaque directories
 * (`.wh..wh..opq`) deleting them, as the OCI image spec's layer changesets say
 * (image-spec layer.md, "Whiteouts"). Only the files `wanted` accepts are kept in memory.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { MabError } from '../errors.js';
import type { Descriptor } from './types.js';

const clean = (name: string) => name.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
const parentOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');

export async function readImageFiles(
  layers: Descriptor[],
  open: (layer: Descriptor) => Promise<Readable>,
  wanted: (path: string) => boolean,
): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const removeUnder = (dir: string) => {
    for (const p of files.keys()) if (p.startsWith(`${dir}/`)) files.delete(p);
  };
  for (const layer of layers) {
    if (!/tar(\+gzip|\.gzip)?$/.test(layer.mediaType))
      throw new MabError(
        'E_LAYER_TYPE',
        `layer ${layer.digest} is ${layer.mediaType}, which mab cannot read`,
        'mab reads gzip and uncompressed tar layers',
      );
    const extract = tar.extract();
    extract.on('entry', (header, stream, next) => {
      const p = clean(header.name);
      const base = p.slice(p.lastIndexOf('/') + 1);
      const done = () => next();
      if (base === '.wh..wh..opq') removeUnder(parentOf(p));
      else if (base.startsWith('.wh.')) {
        const target = `${parentOf(p) ? `${parentOf(p)}/` : ''}${base.slice(4)}`;
        files.delete(target);
        removeUnder(target);
      } else if ((header.type === 'file' || header.type === 'contiguous-file') && wanted(p)) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: unknown) => void chunks.push(c as Buffer));
        stream.on('end', () => (files.set(p, Buffer.concat(chunks)), done()));
        return;
      } else files.delete(p);
      stream.on('end', done);
      stream.resume();
    });
    const source = await open(layer);
    await (layer.mediaType.endsWith('gzip') ? pipeline(source, createGunzip(), extract) : pipeline(source, extract));
  }
  return files;
}
