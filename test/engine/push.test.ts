/**
 * Pushing from the store with mab's own client, against the real loopback registry: a republish
 * sends no blob bytes; large blobs go in chunks; temporary registry faults (injected by a proxy in
 * front of the real registry) are retried and reported, and the result is the same image.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Digest } from '../../src/oci/digest.js';
import { RegistryClient } from '../../src/registry/client.js';
import { pushFromStore } from '../../src/pipeline/push.js';
import { Store } from '../../src/store/layout.js';
import { registryProxy } from '../fixtures/fault-proxy.js';
import { REGISTRY, mab, sh } from './helpers.js';

interface Report {
  platforms: { manifest: string }[];
  index: { digest: string };
  push: { blobBytesSent: number; blobsSkipped: number; blobsMounted: number; retries: number };
}

let store: string;
beforeAll(async () => {
  store = path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-push-')), 'store');
  // Every test pushes what this puts in the store (http-endpoint-c:1.0.0, amd64 + arm64).
  const r = await mab([
    'build',
    'http-endpoint-c',
    '--arch',
    'amd64,arm64',
    '--strategy',
    'minimal',
    '--store',
    store,
    '--quiet',
  ]);
  expect(r.exitCode, r.stderr).toBe(0);
});

const build = async (repo: string) => {
  const r = await mab([
    'build',
    'http-endpoint-c',
    '--arch',
    'amd64,arm64',
    '--strategy',
    'minimal',
    '--store',
    store,
    '--push',
    repo,
    '--json',
    '--quiet',
  ]);
  expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
  return JSON.parse(r.stdout) as Report;
};

describe('mab build --push, from the store', () => {
  it('sends every blob once; a republish of the same image sends zero blob bytes', async () => {
    const repo = `${REGISTRY}/mabtest/push-${randomBytes(4).toString('hex')}`;
    const first = await build(repo);
    expect(first.push.blobBytesSent).toBeGreaterThan(100_000);
    const again = await build(repo);
    // 4 image blobs (config + layer per platform) and 3 per attestation manifest (config, SBOM, provenance).
    expect(again.push).toEqual({
      blobBytesSent: 0,
      blobsSkipped: 10,
      blobsMounted: 0,
      retries: 0,
      retried: [],
      platformTags: {},
    });
    expect(again.index.digest).toBe(first.index.digest);
  });
});

describe('tags', () => {
  it('moves latest only when no higher release is in the repository; --tag templates replace the rule', async () => {
    const repo = `${REGISTRY}/mabtest/tags-${randomBytes(4).toString('hex')}`;
    const push = async (args: string[]) => {
      const r = await mab(['push', 'http-endpoint-c:1.0.0', repo, '--store', store, '--json', '--quiet', ...args]);
      expect(r.exitCode, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { tags: string[] }).tags;
    };
    expect(await push(['--tag', '2.0.0'])).toEqual(['2.0.0']);
    expect(await push([])).toEqual(['1.0.0', '1.0', '1']);
    const listed = JSON.parse(await sh('skopeo', ['list-tags', '--tls-verify=false', `docker://${repo}`])) as {
      Tags: string[];
    };
    expect(listed.Tags.sort()).toEqual(['1', '1.0', '1.0.0', '2.0.0']);
    const r = await mab([
      'build',
      'http-endpoint-c',
      '--arch',
      'amd64,arm64',
      '--strategy',
      'minimal',
      '--store',
      store,
      '--push',
      repo,
      '--tag',
      '{version}-{strategy}',
      '--tag',
      'edge',
      '--json',
      '--quiet',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { index: { tags: string[] } }).index.tags).toEqual(['1.0.0-minimal', 'edge']);
  });
});

describe('mab push: mounts and per-platform tags', () => {
  it('mounts blobs it pushed to one repository into another of the registry; {arch} tags name each platform manifest', async () => {
    const hex = randomBytes(4).toString('hex');
    const [a, b] = [`${REGISTRY}/mabtest/mount-a-${hex}`, `${REGISTRY}/mabtest/mount-b-${hex}`];
    const first = await mab(['push', 'http-endpoint-c:1.0.0', a, '--store', store, '--quiet']);
    expect(first.exitCode, first.stderr).toBe(0);
    const second = await mab([
      'push',
      'http-endpoint-c:1.0.0',
      b,
      '--store',
      store,
      '--json',
      '--tag',
      '{version}-{strategy}',
      '--tag',
      '{version}-{arch}',
    ]);
    expect(second.exitCode, second.stderr).toBe(0);
    const r = JSON.parse(second.stdout) as {
      tags: string[];
      blobBytesSent: number;
      blobsMounted: number;
      platformTags: Record<string, string[]>;
      children: { platform: string; digest: string }[];
    };
    expect(r).toMatchObject({
      tags: ['1.0.0-minimal'],
      blobBytesSent: 0,
      blobsMounted: 10,
      platformTags: { 'linux/amd64': ['1.0.0-amd64'], 'linux/arm64': ['1.0.0-arm64'] },
    });
    expect(second.stderr).toMatch(
      /\[linux\/arm64\] mabtest\/mount-b-\w+@sha256:\w+: 2 blobs \(0 uploaded, 2 mounted, 0 already there\)/,
    );
    // The arch tag is the platform's own manifest, which tools that know no index can pull.
    const arm64 = r.children.find((c) => c.platform === 'linux/arm64')!;
    const raw = await sh('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${b}:1.0.0-arm64`]);
    expect(sha256Digest(Buffer.from(raw))).toBe(arm64.digest);
    // An image with attestations beside it is written with OCI media types, as buildx writes it.
    expect(JSON.parse(raw).mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    const config = JSON.parse(
      await sh('skopeo', ['inspect', '--config', '--tls-verify=false', `docker://${b}:1.0.0-arm64`]),
    ) as { architecture: string };
    expect(config.architecture).toBe('arm64');
  });
});

/** The store's http-endpoint-c:1.0.0 pushed to a new repository: its name and the platform images there. */
async function pushedToNewRepo(
  prefix: string,
): Promise<{ src: string; children: { platform: string; digest: string }[] }> {
  const src = `mabtest/${prefix}-${randomBytes(4).toString('hex')}`;
  const pushed = await mab([
    'push',
    'http-endpoint-c:1.0.0',
    `${REGISTRY}/${src}`,
    '--store',
    store,
    '--json',
    '--quiet',
  ]);
  expect(pushed.exitCode, pushed.stderr).toBe(0);
  return {
    src,
    children: (JSON.parse(pushed.stdout) as { children: { platform: string; digest: string }[] }).children,
  };
}

describe('mab manifest push SPEC (images already in the registry)', () => {
  it('mounts images from another repository, checks each platform against its config, then tags the index', async () => {
    const { src, children } = await pushedToNewRepo('spec-src');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-spec-'));
    const target = `${REGISTRY}/mabtest/spec-${randomBytes(4).toString('hex')}`;
    const spec = (platforms: string[]) =>
      [
        `image: ${target}`,
        'tags: [1.0.0]',
        'manifests:',
        ...children.map((c, i) => `  - image: ${REGISTRY}/${src}@${c.digest}\n    platform: ${platforms[i]}`),
      ].join('\n') + '\n';

    // Listed under the wrong platforms: refused before the index is pushed.
    await writeFile(path.join(dir, 'wrong.yaml'), spec(['linux/arm64', 'linux/amd64']));
    const wrong = await mab(['manifest', 'push', path.join(dir, 'wrong.yaml')]);
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stderr).toMatch(/was listed as linux\/arm64 but its config says linux\/amd64/);
    expect(await new RegistryClient(REGISTRY).headManifest(target.slice(REGISTRY.length + 1), '1.0.0')).toBeUndefined();
    expect(
      await new RegistryClient(REGISTRY).headManifest(target.slice(REGISTRY.length + 1), children[0]!.digest),
    ).toBeUndefined();

    await writeFile(path.join(dir, 'ok.yaml'), spec(children.map((c) => c.platform)));
    const ok = await mab(['manifest', 'push', path.join(dir, 'ok.yaml')]);
    expect(ok.exitCode, ok.stderr).toBe(0);
    // Both images' blobs (config + layer each) came across by mount: no bytes crossed the network.
    expect(ok.stderr.match(/\(from mabtest\/spec-src-\w+: 2 blobs mounted, 0 copied, 0 there\)/g)).toHaveLength(2);
    const index = JSON.parse(
      await sh('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${target}:1.0.0`]),
    ) as { manifests: { digest: string; platform: { architecture: string } }[] };
    expect(index.manifests.map((m) => m.digest)).toEqual(children.map((c) => c.digest));
    const shown = await mab(['manifest', 'inspect', `${target}:1.0.0`]);
    expect(shown.stdout).toMatch(/^linux\/amd64 +sha256:[a-f0-9]{64} +\d+ +oci\.image\.manifest\.v1\+json$/m);
    expect(shown.stdout).toMatch(/^linux\/arm64 +sha256:/m);
  });
});

/**
 * An index as buildx pushes one with provenance: the images, each followed by its attestation
 * manifest (platform unknown/unknown, an in-toto layer, annotations pointing at the image).
 */
async function withAttestations(
  client: RegistryClient,
  repo: string,
  tag: string,
  images: { digest: string; platform: string }[],
): Promise<void> {
  const entries = [];
  for (const img of images) {
    const statement = Buffer.from(
      JSON.stringify({
        _type: 'https://in-toto.io/Statement/v0.1',
        predicateType: 'https://slsa.dev/provenance/v0.2',
        subject: [{ digest: { sha256: img.digest.slice(7) } }],
      }),
    );
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'unknown',
        os: 'unknown',
        config: {},
        rootfs: { type: 'layers', diff_ids: [sha256Digest(statement)] },
      }),
    );
    for (const b of [statement, config]) await client.pushBlob(repo, sha256Digest(b), b.length, b);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: sha256Digest(config),
          size: config.length,
        },
        layers: [
          {
            mediaType: 'application/vnd.in-toto+json',
            digest: sha256Digest(statement),
            size: statement.length,
            annotations: { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' },
          },
        ],
      }),
    );
    const digest = await client.putManifest(
      repo,
      sha256Digest(manifest),
      'application/vnd.oci.image.manifest.v1+json',
      manifest,
    );
    const [os, architecture] = img.platform.split('/');
    const head = await client.headManifest(repo, img.digest);
    entries.push({ mediaType: head!.mediaType, digest: img.digest, size: head!.size, platform: { os, architecture } });
    entries.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest,
      size: manifest.length,
      platform: { os: 'unknown', architecture: 'unknown' },
      annotations: { 'vnd.docker.reference.digest': img.digest, 'vnd.docker.reference.type': 'attestation-manifest' },
    });
  }
  const index = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: entries }),
  );
  await client.putManifest(repo, tag, 'application/vnd.oci.image.index.v1+json', index);
}

describe('mab manifest push from indexes with attestations', () => {
  it('unwraps a single-image index, picks the listed platform from a multi-image one, and drops every attestation', async () => {
    const { src, children } = await pushedToNewRepo('att-src');
    const client = new RegistryClient(REGISTRY);
    await withAttestations(
      client,
      src,
      'amd64-only',
      children.filter((c) => c.platform === 'linux/amd64'),
    );
    await withAttestations(client, src, 'both', children);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mab-att-'));
    const target = `mabtest/att-${randomBytes(4).toString('hex')}`;
    const spec = (arm64: string) =>
      `image: ${REGISTRY}/${target}\ntags: [1.0.0]\nmanifests:\n  - image: ${REGISTRY}/${src}:amd64-only\n    platform: linux/amd64\n  - image: ${REGISTRY}/${src}:${arm64}\n    platform: linux/arm64\n`;

    // An index with one image is not one for arm64: named, with what it does have.
    await writeFile(path.join(dir, 'bad.yaml'), spec('amd64-only'));
    const bad = await mab(['manifest', 'push', path.join(dir, 'bad.yaml')]);
    expect(bad.stderr).toMatch(/listed as linux\/arm64 but its config says linux\/amd64/);

    await writeFile(path.join(dir, 'ok.yaml'), spec('both'));
    const ok = await mab(['manifest', 'push', path.join(dir, 'ok.yaml'), '--json']);
    expect(ok.exitCode, ok.stderr).toBe(0);
    const index = JSON.parse(
      await sh('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${REGISTRY}/${target}:1.0.0`]),
    ) as { manifests: { digest: string; platform: { os: string; architecture: string } }[] };
    expect(index.manifests.map((m) => [m.digest, `${m.platform.os}/${m.platform.architecture}`])).toEqual(
      children.map((c) => [c.digest, c.platform]),
    );
  });
});

/** Answers the first request of each listed kind with a fault, forwards the rest. */
async function faultyProxy(faults: { method: string; path: RegExp; status: number; retryAfter?: string }[]) {
  const pending = [...faults];
  const injected: string[] = [];
  const proxy = await registryProxy(REGISTRY, (req, res) => {
    const i = pending.findIndex((f) => f.method === req.method && f.path.test(req.url ?? ''));
    if (i < 0) return false;
    const f = pending.splice(i, 1)[0]!;
    injected.push(`${req.method} ${f.status}`);
    req.resume();
    res.writeHead(f.status, f.retryAfter ? { 'Retry-After': f.retryAfter } : {});
    res.end();
    return true;
  });
  return { ...proxy, injected };
}

describe('the client under faults, and in chunks', () => {
  let proxy: Awaited<ReturnType<typeof faultyProxy>>;
  beforeAll(async () => {
    proxy = await faultyProxy([
      { method: 'PUT', path: /\/blobs\/uploads\//, status: 503 },
      { method: 'PATCH', path: /\/blobs\/uploads\//, status: 502 },
      { method: 'PUT', path: /\/manifests\/sha256:/, status: 429, retryAfter: '1' },
      { method: 'HEAD', path: /\/manifests\//, status: 500 },
    ]);
  });
  afterAll(() => proxy?.close());

  it('retries 5xx and 429 (after Retry-After), restarts a failed chunked upload, and pushes the same image', async () => {
    const s = await Store.open(store);
    const retries: string[] = [];
    // 64 KiB chunks: the layers (~300 KB) go up in several PATCHes.
    const client = new RegistryClient(proxy.address, {
      chunkSize: 64 * 1024,
      backoffMs: 50,
      onRetry: (m) => retries.push(m),
    });
    const repo = `mabtest/faulty-${randomBytes(4).toString('hex')}`;
    const pushed = await pushFromStore(s, 'http-endpoint-c:1.0.0', client, repo, { tags: ['1.0.0'], format: 'docker' });
    expect(proxy.injected.sort()).toEqual(['HEAD 500', 'PATCH 502', 'PUT 429', 'PUT 503']);
    expect(pushed.retries).toBe(4);
    expect(retries.join('\n')).toMatch(/→ 429; try 2 in 1\.0 s/);
    // The same index a push that saw no fault makes, read back with skopeo; docker pulls it.
    const clean = await pushFromStore(s, 'http-endpoint-c:1.0.0', new RegistryClient(REGISTRY), `${repo}-clean`, {
      tags: ['1.0.0'],
      format: 'docker',
    });
    expect(pushed.digest).toBe(clean.digest);
    const raw = await sh('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${REGISTRY}/${repo}:1.0.0`]);
    expect(JSON.parse(raw).manifests.map((m: { digest: string }) => m.digest)).toEqual(
      pushed.children.map((c) => c.digest),
    );
    await sh('docker', ['pull', '--quiet', '--platform', 'linux/arm64', `${REGISTRY}/${repo}:1.0.0`]);
  });
});
