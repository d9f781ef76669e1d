import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LEVEL, parallelGzip } from './gzip.js';

const MiB = 1024 * 1024;

async function gzip(data: Buffer, chunk: number, jobs?: number): Promise<Buffer> {
  async function* source() {
    for (let i = 0; i < data.length; i += chunk) yield data.subarray(i, i + chunk);
  }
  const out: Buffer[] = [];
  for await (const b of parallelGzip(source(), LEVEL, jobs)) out.push(b);
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
  it.each([0, 1, MiB - 1, MiB, MiB + 1, 2 * MiB, 3.5 * MiB])(
    'round-trips %i bytes through gunzip, whatever the input chunks',
    async (n) => {
      const data = Buffer.concat([textLike(Math.floor(n / 2)), randomBytes(n - Math.floor(n / 2))]);
      const a = await gzip(data, 64 * 1024);
      expect(gunzipSync(a).equals(data)).toBe(true);
      // Pieces are cut at fixed offsets: other chunks and another number of jobs give the same bytes.
      expect((await gzip(data, 333_333, 1)).equals(a)).toBe(true);
      expect((await gzip(data, 3 * MiB + 7)).equals(a)).toBe(true); // several pieces in one chunk
    },
  );

  it('is read by gzip(1) as one member, and compresses as well as one deflate stream', async () => {
    const data = textLike(5 * MiB + 12345);
    const ours = await gzip(data, 256 * 1024);
    expect(execFileSync('gzip', ['-dc'], { input: ours, maxBuffer: 64 * MiB }).equals(data)).toBe(true);
    execFileSync('gzip', ['-t'], { input: ours }); // CRC and size checked: throws if either is wrong
    const single = gzipSync(data, { level: LEVEL });
    expect(ours.length / single.length).toBeLessThan(1.01);
  });
});

describe('parallelGzip output', () => {
  // The blob of a layer must not change between mab versions without saying so: a store keeps
  // the blobs it has (an export reuses a layer's recorded blob), but an empty store (a CI runner)
  // would make new digests and upload every layer again once. This digest is level 5's, made
  // when the level moved from 6 (2026-12-01, 0.1.0); the earlier output-buffer change kept the
  // bytes. Node's bundled zlib could change them too; then the note belongs in the release.
  it('gives the same bytes as earlier versions of mab', async () => {
    const out = await gzip(textLike(3 * MiB + 4321), 100_000);
    expect(createHash('sha256').update(out).digest('hex')).toBe(
      '0bbb1a0a734f158e3eb230185c50914473b0a536941a6f66b2c907c3d910e2d1',
    );
  });
});
