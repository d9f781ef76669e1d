import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { candidates, fetchFile, parseMirror } from './fetch.js';

const body = Buffer.from('tiny source tarball stand-in\n');
const sha = createHash('sha256').update(body).digest('hex');
let dir: string;
let server: Server;
let port: number;
const requests: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mab-fetch-'));
  await writeFile(path.join(dir, 'demo-1.0.tar.gz'), body);
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === '/mirror/demo-1.0.tar.gz') res.end(body);
    else if (req.url === '/evil/demo-1.0.tar.gz') res.end('something else');
    else ((res.statusCode = 404), res.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

const src = { file: 'demo.tar.gz', url: 'https://upstream.invalid/releases/demo-1.0.tar.gz', sha256: sha };

describe('mirrors', () => {
  it('parses PREFIX=REPLACEMENT and tries mirrors before the URL', () => {
    const m = parseMirror('https://upstream.invalid/releases/=/srv/m/');
    expect(candidates(src.url, [m])).toEqual(['/srv/m/demo-1.0.tar.gz', src.url]);
    expect(() => parseMirror('nothing')).toThrow(/not PREFIX=REPLACEMENT/);
  });
});

describe('fetchFile', () => {
  it('fetches from a local-directory mirror, verifies, caches, and reuses the cache', async () => {
    const cache = await mkdtemp(path.join(os.tmpdir(), 'mab-cache-'));
    const got = await fetchFile(src, cache, [parseMirror(`https://upstream.invalid/releases/=${dir}/`)], () => {});
    expect(got).toBe(path.join(cache, 'sources', 'sha256', sha));
    // No mirror now, upstream unreachable: the cache must answer.
    expect(await fetchFile(src, cache, [], () => {})).toBe(got);
  });

  it('fetches from an HTTP mirror on loopback', async () => {
    const cache = await mkdtemp(path.join(os.tmpdir(), 'mab-cache-'));
    await fetchFile(
      src,
      cache,
      [parseMirror(`https://upstream.invalid/releases/=http://127.0.0.1:${port}/mirror/`)],
      () => {},
    );
    expect(requests).toContain('/mirror/demo-1.0.tar.gz');
  });

  it('refuses a file whose checksum differs and stores nothing', async () => {
    const cache = await mkdtemp(path.join(os.tmpdir(), 'mab-cache-'));
    await expect(
      fetchFile(
        src,
        cache,
        [parseMirror(`https://upstream.invalid/releases/=http://127.0.0.1:${port}/evil/`)],
        () => {},
      ),
    ).rejects.toThrow(/has sha256 [a-f0-9]{64}, the recipe pins/);
    expect(await readdir(path.join(cache, 'sources', 'sha256')).catch(() => [])).toEqual([]);
  });

  it('lists every place tried when none answers, and suggests --mirror', async () => {
    const cache = await mkdtemp(path.join(os.tmpdir(), 'mab-cache-'));
    const err = await fetchFile(
      src,
      cache,
      [parseMirror(`https://upstream.invalid/releases/=http://127.0.0.1:${port}/missing/`)],
      () => {},
    ).catch((e: unknown) => e);
    expect((err as { format(): string }).format()).toMatch(
      /cannot fetch demo\.tar\.gz; tried:\n.*127\.0\.0\.1.*HTTP 404\n.*upstream\.invalid[\s\S]*--mirror/,
    );
  });
});

describe('md5 pins (for upstreams that publish nothing stronger)', () => {
  const md5 = createHash('md5').update(body).digest('hex');
  it('verifies the md5, caches under it, and says the sha256 to pin instead', async () => {
    const cache = await mkdtemp(path.join(os.tmpdir(), 'mab-cache-'));
    const logs: string[] = [];
    const got = await fetchFile(
      { file: 'demo.tar.gz', url: src.url, md5 },
      cache,
      [parseMirror(`https://upstream.invalid/releases/=${dir}/`)],
      (m) => logs.push(m),
    );
    expect(got).toBe(path.join(cache, 'sources', 'md5', md5));
    expect(logs.join('\n')).toContain(
      `demo.tar.gz is pinned by md5 only, which does not stop a crafted file; its sha256 is ${sha}`,
    );
  });

  it('refuses a file whose md5 differs', async () => {
    const cache = await mkdtemp(path.join(os.tmpdir(), 'mab-cache-'));
    const err = fetchFile(
      { file: 'demo.tar.gz', url: src.url, md5: '0'.repeat(32) },
      cache,
      [parseMirror(`https://upstream.invalid/releases/=${dir}/`)],
      () => {},
    );
    await expect(err).rejects.toThrow(`has md5 ${md5}, the recipe pins ${'0'.repeat(32)}`);
    expect(await readdir(path.join(cache, 'sources', 'md5')).catch(() => [])).toEqual([]);
  });
});
