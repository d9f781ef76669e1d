/**
 * The engines of test/fixtures/engines.ts, all three at once beside the host's own: each starts in
 * its own namespace, is the version and storage it claims, builds an image whose RUN step installs
 * from Debian's archive (through the fixture's proxy) and runs it, and serves a port it publishes
 * on the machine its DOCKER_HOST names, where mab's HTTP smoke checks connect.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineKind, namespacedEngine, type EngineKind, type NamespacedEngine } from '../fixtures/engines.js';
import { allowedTarget, startHttpProxy } from '../fixtures/http-proxy.js';
import { REGISTRY } from './helpers.js';

const KINDS: { kind: EngineKind; version: RegExp; driver: string }[] = [
  { kind: '20.10', version: /^20\.10\./, driver: 'overlay2' },
  { kind: '26.1-overlay2', version: /^26\.1\./, driver: 'overlay2' },
  { kind: '26.1-containerd', version: /^26\.1\./, driver: 'overlayfs' },
];

const engines = new Map<EngineKind, NamespacedEngine>();
const startSeconds = new Map<EngineKind, number>();
let context: string;

/** docker against one engine; throws with its output when it fails. */
async function docker(kind: EngineKind, args: string[]) {
  const r = await execa('docker', args, {
    env: { ...process.env, ...engines.get(kind)!.env },
    reject: false,
    all: true,
    stdin: 'ignore',
  });
  if (r.exitCode !== 0)
    throw new Error(`docker ${args.join(' ')} on engine ${kind} failed (${r.exitCode}):\n${r.all?.slice(-3000)}`);
  return r.stdout.trim();
}

/** GET url; or, with `target`, ask the proxy at url for target (an absolute URI). */
function get(url: string, target?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { timeout: 5000, ...(target ? { path: target } : {}) }, (res) => {
      let body = '';
      res
        .setEncoding('utf8')
        .on('data', (d: string) => (body += d))
        .on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .on('timeout', function (this: { destroy(e: Error): void }) {
        this.destroy(new Error('timed out'));
      })
      .end();
  });
}

beforeAll(async () => {
  context = await mkdtemp(path.join(os.tmpdir(), 'mab-engines-ctx-'));
  await writeFile(
    path.join(context, 'Dockerfile'),
    [
      'FROM debian:bookworm-slim',
      // No cache for this step: each run goes through the proxy to Debian's archive again.
      `RUN echo ${randomBytes(4).toString('hex')} >/dev/null && apt-get update && apt-get install -y --no-install-recommends hello busybox && hello`,
      'RUN mkdir /srv/www && echo "served by $(hello)" > /srv/www/index.html',
    ].join('\n'),
  );
  await Promise.all(
    KINDS.map(async ({ kind }) => {
      const started = Date.now();
      engines.set(kind, await namespacedEngine(kind));
      startSeconds.set(kind, (Date.now() - started) / 1000);
    }),
  );
  console.log(`engines started in ${KINDS.map(({ kind }) => `${kind}: ${startSeconds.get(kind)} s`).join(', ')}`);
});

afterAll(async () => {
  await Promise.all([...engines.values()].map((e) => e.stop()));
});

describe('the archive proxy', () => {
  it('allows Debian archive hosts on ports 80 and 443 only', () => {
    expect(allowedTarget('http://deb.debian.org/debian/dists/bookworm/InRelease', false)).toEqual({
      host: 'deb.debian.org',
      port: 80,
      path: '/debian/dists/bookworm/InRelease',
    });
    expect(allowedTarget('security.debian.org:443', true)?.port).toBe(443);
    expect(allowedTarget('http://deb.debian.org:8080/', false)).toBeUndefined();
    expect(allowedTarget('http://example.com/', false)).toBeUndefined();
    expect(allowedTarget('https://deb.debian.org/', false)).toBeUndefined();
    expect(allowedTarget('deb.debian.org', true)).toBeUndefined();
    expect(allowedTarget('registry-1.docker.io:443', true)).toBeUndefined();
  });

  it('refuses any other host with 403', async () => {
    const proxy = await startHttpProxy('127.0.0.1');
    try {
      expect((await get(proxy.url, 'http://example.com/')).status).toBe(403);
      expect((await get(proxy.url, 'http://deb.debian.org:8080/')).status).toBe(403);
      expect(proxy.refused).toEqual(['GET http://example.com/', 'GET http://deb.debian.org:8080/']);
    } finally {
      await proxy.close();
    }
  });
});

describe.each(KINDS)('engine $kind', ({ kind, version, driver }) => {
  it('is the version and storage it claims', async () => {
    const e = engines.get(kind)!;
    expect(e.version).toMatch(version);
    expect(await engineKind(e.env)).toBe(kind);
    expect(await docker(kind, ['version', '--format', '{{.Server.Version}}'])).toBe(e.version);
    expect(await docker(kind, ['info', '--format', '{{.Driver}}'])).toBe(driver);
    const status = await docker(kind, ['info', '--format', '{{json .DriverStatus}}']);
    if (kind === '26.1-containerd') expect(status).toContain('io.containerd.snapshotter.v1');
    else expect(status).not.toContain('io.containerd.snapshotter.v1');
  });

  it('pulls from the host registry, builds through the archive proxy, and runs what it built', async () => {
    await docker(kind, ['pull', `${REGISTRY}/library/debian:bookworm-slim`]);
    const image = `mabtest/engines-hello:${kind}`;
    await docker(kind, ['buildx', 'build', '--load', '--platform', 'linux/amd64', '-t', image, context]);
    expect(await docker(kind, ['run', '--rm', '--network', 'none', image, 'hello'])).toBe('Hello, world!');
    // As mab's HTTP smoke checks do on a tcp:// DOCKER_HOST: published there, fetched there.
    const id = await docker(kind, [
      'run',
      '-d',
      '-p',
      '8080',
      image,
      'busybox',
      'httpd',
      '-f',
      '-p',
      '8080',
      '-h',
      '/srv/www',
    ]);
    try {
      const port = (await docker(kind, ['port', id, '8080/tcp'])).split('\n')[0]!.split(':').pop();
      const host = new URL(engines.get(kind)!.env.DOCKER_HOST!).hostname;
      let res: { status: number; body: string } | undefined;
      for (let i = 0; i < 20 && !res; i++)
        res = await get(`http://${host}:${port}/`).catch(() => new Promise<undefined>((r) => setTimeout(r, 250)));
      expect(res).toEqual({ status: 200, body: 'served by Hello, world!\n' });
    } finally {
      await docker(kind, ['rm', '-f', id]);
      // The data-root outlives the run; BuildKit's cache (pruned to a bound) keeps the layers warm.
      await docker(kind, ['rmi', image]);
    }
  });
});
