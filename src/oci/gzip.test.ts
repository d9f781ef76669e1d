import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parallelGzip } from './gzip.js';

const MiB = 1024 * 1024;

async function gzip(data: Buffer, chunk: number, jobs?: number): Promise<Buffer> {
  async function* source() {
    for (let i = 0; i < data.length; i += chunk) yield data.subarray(i, i + chunk);
  }
  const out: Buffer[] = [];
  for await (const b of parallelGzip(source(), 6, jobs)) out.push(b);
  return Buffer.concat(out);
}

/** Text-like bytes that compress about as a layer does, with matches across piece boundaries. */
function textLike(n: number): Buffer {
  const words = ['usr', 'lib', 'x86_64-linux-gnu', 'share', 'doc', 'copyright', 'libc.so.6', '\n', ' ', 'GLIBC_2.34'];
  const parts: string[] = [];
  let len = 0;
  for (let i = 0; len < n; i++) {
    const w = words[(i * 7 + (i >> 3)) % words.length]!;
    parts.push(w);
    len += w.length;
  }
  return Buffer.from(parts.join('')).subarray(0, n);
}

describe('parallelGzip', () => {
  it.each([0, 1, MiB - 1, MiB, MiB + 1, 2 * MiB, 3.5 * MiB])('round-trips %i bytes through gunzip, whatever the input chunks', async (n) => {
    const data = Buffer.concat([textLike(Math.floor(n / 2)), randomBytes(n - Math.floor(n / 2))]);
    const a = await gzip(data, 64 * 1024);
    expect(gunzipSync(a).equals(data)).toBe(true);
    // Pieces are cut at fixed offsets: other chunks and another number of jobs give the same bytes.
    expect((await gzip(data, 333_333, 1)).equals(a)).toBe(true);
    expect((await gzip(data, 3 * MiB + 7)).equals(a)).toBe(true); // several pieces in one chunk
  });

  it('is read by gzip(1) as one member, and compresses as well as one deflate stream', async () => {
    const data = textLike(5 * MiB + 12345);
    const ours = await gzip(data, 256 * 1024);
    expect(execFileSync('gzip', ['-dc'], { input: ours, maxBuffer: 64 * MiB }).equals(data)).toBe(true);
    execFileSync('gzip', ['-t'], { input: ours }); // CRC and size checked: throws if either is wrong
    const single = gzipSync(data, { level: 6 });
    expect(ours.length / single.length).toBeLessThan(1.01);
  });
});

describe('parallelGzip output', () => {
  // The blob of a layer must not change between mab versions: a republish after an upgrade would
  // upload every layer again under new digests. This digest was made before the output buffer
  // grew to a whole piece (2026-12-01), so that change is shown to keep the bytes. It would also
  // change with Node's bundled zlib; then the note belongs in the release, not in this file.
  it('gives the same bytes as earlier versions of mab', async () => {
    const out = await gzip(textLike(3 * MiB + 4321), 100_000);
    expect(createHash('sha256').update(out).digest('hex')).toBe('94193d74c48da32c0582c0980c0fe1a256eabc5108a6a70763c27a46cffc71be');
  });
});
