/**
 * `mab cp` and `mab ls` against the real loopback registry, read back with skopeo (a tool mab did
 * not write). A multi-arch index with an attestation goes from the store to the registry, to
 * another repository of it (blobs mounted: a proxy in front of the registry sees the mounts and no
 * blob bytes), to another registry name (localhost:5000 and 127.0.0.1:5000 are two registries to a
 * client: blobs streamed), and back into a store; every digest stays the same. `mab ls` lists what
 * skopeo lists, in version order, across pages; missing images and refused access say so.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import type { Index } from '../../src/oci/types.js';
import { Store } from '../../src/store/layout.js';
import { storeImage, storeWithAttestation } from '../fixtures/known-image.js';
import { registryProxy, type Proxy } from '../fixtures/fault-proxy.js';
import { basicAuthRegistry, type TestRegistry } from '../fixtures/registries.js';
import { REGISTRY, ROOT, mab, sh } from './helpers.js';

const OTHER = REGISTRY.replace('127.0.0.1', 'localhost');
const hex = randomBytes(4).toString('hex');
const repo = (name: string) => `mabtest/verbs-${name}-${hex}`;

/** The raw manifest skopeo reads at ref (docker://… or oci:…), and its digest. */
async function raw(ref: string): Promise<{ digest: string; json: Index }> {
  const text = await sh('skopeo', ['inspect', '--raw', '--tls-verify=false', ref]);
  return { digest: `sha256:${createHash('sha256').update(text).digest('hex')}`, json: JSON.parse(text) as Index };
}

interface CopyJson {
  destination: string;
  digest: string;
  tag?: string;
  replaced?: string;
  manifests: { platform: string; digest: string; attestation: boolean; blobs: Record<string, number> }[];
  blobs: { copied: number; mounted: number; present: number };
  bytesCopied: number;
}

async function cp(args: string[]): Promise<CopyJson> {
  const r = await mab(['cp', ...args, '--json']);
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as CopyJson;
}

/** Every manifest the index at ref lists is at ref's repository with its own digest, per skopeo. */
async function expectChildren(repository: string, index: Index, want: string[]): Promise<void> {
  expect(index.manifests.map((m) => m.digest)).toEqual(want);
  for (const d of want) expect((await raw(`docker://${repository}@${d}`)).digest).toBe(d);
}

let dir: string;
let store: string;
let made: Awaited<ReturnType<typeof storeWithAttestation>>;
let children: string[];
/** Bytes of every distinct blob the index reaches. */
let blobBytes: number;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mab-verbs-'));
  store = path.join(dir, 'store');
  made = await storeWithAttestation(await Store.open(store), 'verbs:1.0.0');
  children = [...made.images.map((i) => i.manifest.digest), made.attestation.digest];
  const s = await Store.open(store);
  const distinct = new Map<string, number>();
  for (const d of children) {
    const m = JSON.parse((await s.readBlob(d)).toString()) as {
      config: { digest: string; size: number };
      layers: { digest: string; size: number }[];
    };
    for (const b of [m.config, ...m.layers]) distinct.set(b.digest, b.size);
  }
  blobBytes = [...distinct.values()].reduce((n, x) => n + x, 0);
});
afterAll(async () => {
  if (!process.env.MAB_KEEP_TMP) await rm(dir, { recursive: true, force: true });
});

describe('mab cp', () => {
  let requests: string[];
  let proxy: Proxy;
  beforeAll(async () => {
    requests = [];
    // Forwards everything; notes each request with the status the registry answered.
    proxy = await registryProxy(
      REGISTRY,
      () => false,
      (req, code) => (requests.push(`${req.method} ${req.url} → ${code}`), code),
    );
  });
  afterAll(() => proxy?.close());

  it('copies an index with its attestation from the store, within a registry by mount, and to another registry, every digest unchanged', async () => {
    // Store → registry: the index as the store holds it (an OCI index, not converted).
    const first = await cp(['verbs:1.0.0', `${REGISTRY}/${repo('a')}`, '--store', store]);
    expect(first).toMatchObject({
      digest: made.index.digest,
      tag: '1.0.0',
      destination: `${REGISTRY}/${repo('a')}:1.0.0`,
    });
    const a = await raw(`docker://${REGISTRY}/${repo('a')}:1.0.0`);
    expect(a.digest).toBe(made.index.digest);
    await expectChildren(`${REGISTRY}/${repo('a')}`, a.json, children);
    expect(first.manifests.map((m) => [m.platform, m.attestation])).toEqual([
      ['linux/amd64', false],
      ['linux/arm64', false],
      ['unknown/unknown', true],
    ]);

    // Within one registry (both through the proxy, so one registry name): every blob mounted.
    const within = await cp([`${proxy.address}/${repo('a')}:1.0.0`, `${proxy.address}/${repo('b')}:copy`]);
    expect(within.digest).toBe(made.index.digest);
    expect(within.blobs.copied).toBe(0);
    expect(within.bytesCopied).toBe(0);
    const mounts = requests.filter((r) => /^POST \/v2\/.+\/blobs\/uploads\/\?mount=sha256%3A\w+&from=/.test(r));
    expect(mounts.length).toBe(within.blobs.mounted);
    expect(mounts.every((r) => r.endsWith('→ 201'))).toBe(true);
    // No blob byte crossed: no upload session was written to.
    expect(requests.filter((r) => /^(PATCH|PUT) \/v2\/.+\/blobs\/uploads\//.test(r))).toEqual([]);
    const b = await raw(`docker://${REGISTRY}/${repo('b')}:copy`);
    expect(b.digest).toBe(made.index.digest);
    await expectChildren(`${REGISTRY}/${repo('b')}`, b.json, children);

    // To another registry name: every blob streamed across, once.
    const across = await cp([`${REGISTRY}/${repo('b')}:copy`, `${OTHER}/${repo('c')}`]);
    expect(across).toMatchObject({ digest: made.index.digest, tag: 'copy', destination: `${OTHER}/${repo('c')}:copy` });
    expect(across.blobs.mounted).toBe(0);
    expect(across.bytesCopied).toBe(blobBytes);
    const c = await raw(`docker://${OTHER}/${repo('c')}:copy`);
    expect(c.digest).toBe(made.index.digest);
    await expectChildren(`${OTHER}/${repo('c')}`, c.json, children);

    // Registry → store: skopeo reads the same index out of the layout.
    const back = path.join(dir, 'back');
    const pulled = await cp([`${OTHER}/${repo('c')}:copy`, 'pulled:1', '--store', back]);
    expect(pulled.bytesCopied).toBe(blobBytes);
    expect((await raw(`oci:${back}:pulled:1`)).digest).toBe(made.index.digest);
    const verify = await mab(['store', 'verify', '--store', back]);
    expect(verify.exitCode, verify.stdout + verify.stderr).toBe(0);
  });

  it('moves a tag that names another image (as crane does) and says what it named; by digest, puts no tag', async () => {
    const amd64 = made.images[0]!.manifest.digest;
    await cp([`${REGISTRY}/${repo('a')}@${amd64}`, `${REGISTRY}/${repo('d')}:moving`]);
    const moved = await cp([`${REGISTRY}/${repo('a')}:1.0.0`, `${REGISTRY}/${repo('d')}:moving`]);
    expect(moved.replaced).toBe(amd64);
    expect((await raw(`docker://${REGISTRY}/${repo('d')}:moving`)).digest).toBe(made.index.digest);

    const pinned = await cp([`${REGISTRY}/${repo('a')}@${made.index.digest}`, `${REGISTRY}/${repo('e')}`]);
    expect(pinned.tag).toBeUndefined();
    expect((await raw(`docker://${REGISTRY}/${repo('e')}@${made.index.digest}`)).digest).toBe(made.index.digest);
    // Nothing tagged: not even the latest a reference without a tag would mean.
    await expect(raw(`docker://${REGISTRY}/${repo('e')}:latest`)).rejects.toThrow(/manifest unknown/);
  });

  it('names a missing source tag and the fix, and writes nothing', async () => {
    const r = await mab(['cp', `${REGISTRY}/${repo('a')}:no-such-tag`, `${REGISTRY}/${repo('f')}:x`]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(
      `mab: error [E_NOT_FOUND]: ${REGISTRY}/${repo('a')}:no-such-tag: no such tag or digest in the repository (MANIFEST_UNKNOWN)\n` +
        `  fix: mab ls ${REGISTRY}/${repo('a')} lists its tags`,
    );
    await expect(
      sh('skopeo', ['list-tags', '--tls-verify=false', `docker://${REGISTRY}/${repo('f')}`]),
    ).rejects.toThrow(/404/);
    const gone = await mab(['ls', `${REGISTRY}/${repo('f')}`]);
    expect(gone.stderr).toMatch(/\[E_NOT_FOUND\]: .+: the registry has no repository mabtest\/verbs-f-\w+/);
  });
});

describe('a large blob', () => {
  it('streams from registry to registry without holding it: 256 MiB copied in well under 256 MiB of memory', async () => {
    const big = path.join(dir, 'big');
    const s = await Store.open(big);
    // The same bytes every run, so the registry keeps one copy across runs.
    const mib = Buffer.alloc(1 << 20, 7);
    const layer = await s.putStream(
      (function* () {
        for (let i = 0; i < 256; i++) yield mib;
      })(),
      'application/vnd.oci.image.layer.v1.tar',
    );
    const { configDesc: config, manifest } = await storeImage(
      s,
      { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] } },
      [layer],
    );
    await s.tag(['big:1'], manifest);
    await cp(['big:1', `${REGISTRY}/${repo('big')}`, '--store', big, '--quiet']);

    // The peak resident memory of the mab process, told by the process itself as it exits.
    const preload = path.join(dir, 'max-rss.cjs');
    await writeFile(
      preload,
      'process.on("exit", () => require("fs").writeSync(2, `max-rss ${process.resourceUsage().maxRSS}\\n`));\n',
    );
    const r = await execa(
      'node',
      [
        '--require',
        preload,
        path.join(ROOT, 'bin/mab.js'),
        'cp',
        `${REGISTRY}/${repo('big')}:1`,
        `${OTHER}/${repo('big-other')}`,
        '--json',
      ],
      { reject: false, stdin: 'ignore' },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as CopyJson).bytesCopied).toBe(layer.size + config.size);
    const maxRssMiB = Number(/max-rss (\d+)/.exec(r.stderr)![1]) / 1024;
    expect(maxRssMiB).toBeLessThan(200);
    expect((await raw(`docker://${OTHER}/${repo('big-other')}:1`)).digest).toBe(manifest.digest);
  });
});

describe('mab ls', () => {
  const tags = ['latest', '1.10.0', '1', '1.0.20', 'edge', '1.9.2', '1.0', '1.0.20-rc.1'];
  const order = ['1', '1.0', '1.0.20-rc.1', '1.0.20', '1.9.2', '1.10.0', 'edge', 'latest'];
  let listed: string;
  beforeAll(async () => {
    listed = `${REGISTRY}/${repo('tags')}`;
    for (const t of tags) await cp(['verbs:1.0.0', `${listed}:${t}`, '--store', store, '--quiet']);
  });

  it('lists what skopeo lists, versions first in order, with digests on request', async () => {
    const r = await mab(['ls', listed]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe(order.join('\n'));
    const skopeo = JSON.parse(await sh('skopeo', ['list-tags', '--tls-verify=false', `docker://${listed}`])) as {
      Tags: string[];
    };
    expect([...skopeo.Tags].sort()).toEqual([...order].sort());

    const json = await mab(['ls', listed, '--json', '--digests']);
    const parsed = JSON.parse(json.stdout) as {
      registry: string;
      repository: string;
      tags: string[];
      manifests: { tag: string; digest: string; mediaType: string }[];
    };
    expect(parsed).toMatchObject({ registry: REGISTRY, repository: repo('tags'), tags: order });
    for (const m of parsed.manifests) {
      expect(m.digest).toBe((await raw(`docker://${listed}:${m.tag}`)).digest);
      expect(m.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    }
  });

  it("follows the registry's pages (Link: rel=next) to the last one", async () => {
    // A proxy that answers the tag list two tags a page, as registries with pagination do.
    const pages: string[] = [];
    const paging = await registryProxy(REGISTRY, (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (!url.pathname.endsWith('/tags/list')) return false;
      pages.push(url.search);
      void fetch(`http://${REGISTRY}${url.pathname}`)
        .then((r) => r.json() as Promise<{ name: string; tags: string[] }>)
        .then(({ name, tags: all }) => {
          const sorted = [...all].sort();
          const last = url.searchParams.get('last');
          const from = last ? sorted.indexOf(last) + 1 : 0;
          const page = sorted.slice(from, from + 2);
          const more = from + 2 < sorted.length;
          res.writeHead(200, {
            'Content-Type': 'application/json',
            ...(more ? { Link: `<${url.pathname}?n=2&last=${encodeURIComponent(page.at(-1)!)}>; rel="next"` } : {}),
          });
          res.end(JSON.stringify({ name, tags: page }));
        });
      return true;
    });
    try {
      const r = await mab(['ls', `${paging.address}/${repo('tags')}`]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toBe(order.join('\n'));
      expect(pages).toHaveLength(4);
    } finally {
      paging.close();
    }
  });

  it('refuses access without credentials, naming the repository and the fix, and never a password', async () => {
    let reg: TestRegistry | undefined;
    try {
      reg = await basicAuthRegistry({ ann: 'a secret password' });
      const empty = await mkdtemp(path.join(dir, 'docker-config-'));
      const r = await mab(['ls', `${reg.address}/mab/private`], { DOCKER_CONFIG: empty });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(
          `^mab: error \\[E_AUTH_DENIED\\]: ${reg.address}/mab/private: the registry refused to let mab pull \\(.+\\)\\n  fix: docker login ${reg.address} as a user that may pull mab/private`,
        ),
      );
      expect(r.stderr).not.toMatch(/secret/);
    } finally {
      await reg?.stop();
    }
  });
});
