/**
 * The registry client's byte checks against the real loopback registry behind a proxy: a blob
 * served wrong is caught, and uploads follow ECR's chunk rules.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Digest } from '../../src/oci/digest.js';
import { RegistryClient } from '../../src/registry/client.js';
import { forward, registryProxy } from '../fixtures/fault-proxy.js';
import { REGISTRY } from './helpers.js';

describe('a registry that serves wrong bytes', () => {
  it('is caught by the digest check whether the blob is read whole or streamed', async () => {
    const repo = `mabtest/corrupt-${randomBytes(4).toString('hex')}`;
    const blob = randomBytes(200_000);
    const digest = sha256Digest(blob);
    await new RegistryClient(REGISTRY).pushBlob(repo, digest, blob.length, blob);
    // The proxy flips one byte of every blob it serves.
    const proxy = await registryProxy(REGISTRY, (req, res) => {
      if (req.method !== 'GET' || !/\/blobs\/sha256:/.test(req.url ?? '')) return false;
      forward(REGISTRY, req, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => {
          const body = Buffer.concat(chunks);
          body[1000] = body[1000]! ^ 0xff;
          res.writeHead(r.statusCode ?? 502, r.headers);
          res.end(body);
        });
      });
      return true;
    });
    try {
      const client = new RegistryClient(proxy.address);
      await expect(client.getBlob(repo, digest)).rejects.toThrow(/does not match its digest/);
      const stream = await client.blobStream(repo, digest);
      await expect(
        (async () => {
          for await (const _ of stream) void _;
        })(),
      ).rejects.toThrow(new RegExp(`blob ${digest} from ${proxy.address}/${repo} has digest sha256:`));
    } finally {
      proxy.close();
    }
  });
});

/** Uploads behave as ECR's do: PATCH is answered 201 (not 202), and a chunk below 5 MiB may only
 * be the last one (ECR's LayerPartTooSmallException). */
async function ecrLikeProxy() {
  const patches: number[] = [];
  const small = new Set<string>();
  const proxy = await registryProxy(
    REGISTRY,
    (req, res) => {
      if (req.method !== 'PATCH') return false;
      const upload = /\/blobs\/uploads\/([^/?]+)/.exec(req.url ?? '')?.[1] ?? '';
      const length = Number(req.headers['content-length']);
      patches.push(length);
      if (!small.has(upload)) {
        if (length < 5 * 1024 * 1024) small.add(upload);
        return false;
      }
      req.resume();
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          errors: [{ code: 'LAYER_PART_TOO_SMALL', message: 'Layer part size must be at least 5242880 bytes' }],
        }),
      );
      return true;
    },
    (req, code) => (req.method === 'PATCH' && code === 202 ? 201 : code),
  );
  return { ...proxy, patches };
}

describe("chunked uploads against ECR's rules", () => {
  let proxy: Awaited<ReturnType<typeof ecrLikeProxy>>;
  beforeAll(async () => {
    proxy = await ecrLikeProxy();
  });
  afterAll(() => proxy?.close());

  it('sends a 12 MiB blob in 5 MiB parts (PATCH answered 201) that the registry accepts; 1 MiB parts are refused', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-ecr-chunks-'));
    const data = randomBytes(12 * 1024 * 1024);
    const file = path.join(dir, 'blob');
    await writeFile(file, data);
    const digest = sha256Digest(data);
    const repo = `mabtest/ecr-chunks-${randomBytes(4).toString('hex')}`;
    const progress: number[] = [];
    expect(
      await new RegistryClient(proxy.address, { chunkSize: 5 * 1024 * 1024 }).pushBlob(
        repo,
        digest,
        data.length,
        { path: file },
        { onProgress: (n) => progress.push(n) },
      ),
    ).toBe('uploaded');
    expect(proxy.patches).toEqual([5 * 1024 * 1024, 5 * 1024 * 1024, 2 * 1024 * 1024]);
    // Byte progress rises through every chunk to the blob's size.
    expect(progress.length).toBeGreaterThan(3);
    expect(progress.every((n, i) => i === 0 || n > progress[i - 1]!)).toBe(true);
    expect(progress.at(-1)).toBe(data.length);
    expect((await new RegistryClient(REGISTRY).getBlob(repo, digest)).equals(data)).toBe(true);

    const tooSmall = new RegistryClient(proxy.address, { chunkSize: 1024 * 1024 });
    await expect(tooSmall.pushBlob(`${repo}-small`, digest, data.length, { path: file })).rejects.toThrow(
      /PATCH .* → 400 \[LAYER_PART_TOO_SMALL\]/,
    );
  });
});
