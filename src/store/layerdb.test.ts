import { gzipSync } from 'node:zlib';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { playBack } from './layerdb.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mab-layerdb-'));
  await mkdir(path.join(dir, 'diff', 'etc'), { recursive: true });
});

/** A tar as tar-stream writes it, and a tar-split record of it: headers and padding as raw
 * segments, each file's content as a file entry to read back from `diff`. */
async function layer(files: { name: string; content: string }[], recordName?: (name: string) => string) {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  const record: object[] = [];
  for (const f of files) {
    pack.entry({ name: f.name, mtime: new Date(0) }, f.content);
    await writeFile(path.join(dir, 'diff', f.name), f.content);
  }
  pack.finalize();
  await done;
  const bytes = Buffer.concat(chunks);
  // Walk the tar to cut it as tar-split does: 512-byte header, content, padding to 512.
  let at = 0;
  for (const f of files) {
    record.push({ type: 2, payload: bytes.subarray(at, at + 512).toString('base64') });
    at += 512;
    const size = Buffer.byteLength(f.content);
    record.push({ type: 1, name: recordName ? recordName(f.name) : f.name, size });
    at += size;
    const pad = (512 - (size % 512)) % 512;
    if (pad) record.push({ type: 2, payload: bytes.subarray(at, at + pad).toString('base64') });
    at += pad;
  }
  record.push({ type: 2, payload: bytes.subarray(at).toString('base64') });
  const file = path.join(dir, 'tar-split.json.gz');
  await writeFile(file, gzipSync(record.map((r) => JSON.stringify(r)).join('\n') + '\n'));
  return { bytes, file };
}

const collect = async (it: AsyncIterable<Buffer>) => {
  const out: Buffer[] = [];
  for await (const c of it) out.push(c);
  return Buffer.concat(out);
};

describe('playBack (a layer tar from its files and tar-split record)', () => {
  it('gives the original tar byte for byte', async () => {
    const { bytes, file } = await layer([{ name: 'etc/a', content: 'alpha\n' }, { name: 'etc/big', content: 'x'.repeat(200_000) }, { name: 'etc/empty', content: '' }]);
    expect((await collect(playBack(file, path.join(dir, 'diff')))).equals(bytes)).toBe(true);
  });

  it('refuses a name that leaves the layer directory', async () => {
    const { file } = await layer([{ name: 'etc/a', content: 'alpha\n' }], () => '../diff/etc/a');
    await expect(collect(playBack(file, path.join(dir, 'diff')))).rejects.toThrow(/leaves the layer/);
  });

  it('refuses a file whose size on disk is not the recorded one', async () => {
    const { file } = await layer([{ name: 'etc/a', content: 'alpha\n' }]);
    await writeFile(path.join(dir, 'diff', 'etc', 'a'), 'alpha, longer now\n');
    await expect(collect(playBack(file, path.join(dir, 'diff')))).rejects.toThrow(/changed size/);
  });
});
