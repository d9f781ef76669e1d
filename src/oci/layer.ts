/**
 * Turning an uncompressed layer tar into a gzip blob, computing in one pass the DiffID (digest of
 * the tar, which goes into the config's rootfs.diff_ids) and the digest and size of the compressed
 * blob (which go into the manifest). See image-spec config.md "Layer DiffID".
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { atomicWrite } from '../util/io.js';

export interface LayerBlob {
  /** The gzip file on disk. */
  path: string;
  digest: string;
  size: number;
  diffId: string;
  uncompressedSize: number;
}

function hashing(): { stream: Transform; result: () => { digest: string; size: number } } {
  const h = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  return { stream, result: () => ({ digest: 'sha256:' + h.digest('hex'), size }) };
}

/** Compresses `tarPath` into `outPath` (atomically); reuses a previous result recorded beside it. */
export async function gzipLayer(tarPath: string, outPath: string): Promise<LayerBlob> {
  const meta = `${outPath}.json`;
  const st = await stat(tarPath);
  // The recorded result is valid only for the exact tar it was made from.
  const source = `${tarPath}@${st.mtimeMs}:${st.size}`;
  const previous = await readFile(meta, 'utf8')
    .then((t) => JSON.parse(t) as LayerBlob & { source: string })
    .catch(() => undefined);
  if (previous && previous.source === source) return { ...previous, path: outPath };
  const blob = await atomicWrite(outPath, async (tmp) => {
    const raw = hashing();
    const gz = hashing();
    // Level 6, not the exports' 5 (oci/gzip.ts): base layers are made once per host and kept, so
    // the CPU is spent once for blobs 0.1-0.4 % smaller. zlib's gzip headers carry no timestamp,
    // so the same tar always gives the same blob digest.
    await pipeline(createReadStream(tarPath), raw.stream, createGzip({ level: 6 }), gz.stream, createWriteStream(tmp));
    const r = raw.result();
    const g = gz.result();
    return { path: outPath, digest: g.digest, size: g.size, diffId: r.digest, uncompressedSize: r.size };
  });
  await writeFile(meta, JSON.stringify({ ...blob, source }));
  return blob;
}
