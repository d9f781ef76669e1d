/**
 * Pushes through a proxy that injects faults (test/fixtures/fault-proxy.ts) into about a third of
 * the requests between mab and the real loopback registry: 5xx, 429 with Retry-After, connections
 * reset mid-body, stalls, truncated uploads and answers lost after the registry acted. After every
 * push, failed or not, every tag in the repository must reference only manifests and blobs the
 * registry has; once a push completes, the repository must hold exactly the bytes of a push that
 * saw no fault. The seed is printed; MAB_FAULT_SEED replays a run.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INDEX_TYPES, type Index, type Manifest } from '../../src/oci/types.js';
import { RegistryClient } from '../../src/registry/client.js';
import { pushFromStore } from '../../src/pipeline/push.js';
import { Store } from '../../src/store/layout.js';
import { FAULT_KINDS, faultProxy, type FaultProxy } from '../fixtures/fault-proxy.js';
import { REGISTRY, ROOT, mab, sh } from './helpers.js';

const seed = Number(process.env.MAB_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const direct = new RegistryClient(REGISTRY);
const TAGS = ['1.0.0', 'latest'];

let store: string;
let proxy: FaultProxy;
beforeAll(async () => {
  console.log(`fault test seed ${seed} (MAB_FAULT_SEED=${seed} replays it)`);
  store = path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-faults-')), 'store');
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
  proxy = await faultProxy(REGISTRY, { seed, rate: 0.3 });
});
afterAll(() => proxy?.close());

/** What every tag of repo references that the registry does not have (read without the proxy). */
async function dangling(repo: string): Promise<string[]> {
  const missing: string[] = [];
  const manifest = async (ref: string) => {
    const m = await direct.getManifest(repo, ref).catch(() => undefined);
    if (!m) return missing.push(`${repo}:${ref} → manifest`);
    const json = JSON.parse(m.bytes.toString()) as Index & Manifest;
    if (INDEX_TYPES.includes(m.mediaType)) {
      for (const child of json.manifests) await manifest(child.digest);
      return;
    }
    for (const b of [json.config, ...json.layers])
      if (!(await direct.hasBlob(repo, b.digest))) missing.push(`${repo}@${ref} → blob ${b.digest}`);
  };
  for (const tag of await direct.listTags(repo)) await manifest(tag);
  return missing;
}

/** Every byte a tag reaches: its manifest bytes by tag and digest, and each blob read back and hashed. */
async function content(repo: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const walk = async (ref: string, key: string) => {
    const m = await direct.getManifest(repo, ref);
    out[key] = sha(m.bytes);
    const json = JSON.parse(m.bytes.toString()) as Index & Manifest;
    if (INDEX_TYPES.includes(m.mediaType)) for (const c of json.manifests) await walk(c.digest, c.digest);
    else for (const b of [json.config, ...json.layers]) out[b.digest] = sha(await direct.getBlob(repo, b.digest));
  };
  for (const tag of (await direct.listTags(repo)).sort()) await walk(tag, `tag ${tag}`);
  return out;
}

describe('pushes through a registry connection that fails a third of the time', () => {
  it('never leave a tag on something missing, and end byte-identical to a push that saw no fault', async () => {
    const s = await Store.open(store);
    const clean: Record<string, Record<string, string>> = {};
    for (const format of ['docker', 'oci'] as const) {
      const repo = `mabtest/clean-${format}-${randomBytes(4).toString('hex')}`;
      await pushFromStore(s, 'http-endpoint-c:1.0.0', direct, repo, { tags: TAGS, format });
      clean[format] = await content(repo);
    }
    const figures = { rounds: 0, pushes: 0, failedPushes: 0, retries: 0, dangling: 0, mismatched: 0 };
    const retries: string[] = [];
    const faults = () => Object.values(proxy.injected).reduce((a, b) => a + b, 0);
    for (let round = 0; round < 60 && (faults() < 120 || round < 16); round++) {
      figures.rounds++;
      const format = round % 2 ? 'oci' : 'docker';
      // Most rounds upload every blob; every fourth mounts them from the last round's repository.
      if (round % 4) await rm(path.join(store, 'mab', 'pushed'), { recursive: true, force: true });
      // Half the rounds upload in 64 KiB chunks, so PATCHes are cut and resumed too.
      const client = new RegistryClient(proxy.address, {
        backoffMs: 10,
        timeoutMs: 500,
        chunkSize: round % 3 ? 64 * 1024 : undefined,
        onRetry: (m) => retries.push(m),
      });
      const repo = `mabtest/faults-${randomBytes(4).toString('hex')}`;
      for (let attempt = 1; ; attempt++) {
        figures.pushes++;
        const ok = await pushFromStore(s, 'http-endpoint-c:1.0.0', client, repo, { tags: TAGS, format }).then(
          () => true,
          () => false,
        );
        const lost = await dangling(repo);
        figures.dangling += lost.length;
        expect(lost, `seed ${seed}, round ${round}, push ${attempt}`).toEqual([]);
        if (ok) break;
        figures.failedPushes++;
        expect(attempt, `seed ${seed}: round ${round} still failing after ${attempt} pushes`).toBeLessThan(8);
      }
      figures.retries += client.stats.retries;
      const got = await content(repo);
      if (JSON.stringify(got) !== JSON.stringify(clean[format])) figures.mismatched++;
      expect(got, `seed ${seed}, round ${round}`).toEqual(clean[format]);
    }
    const injected = { ...proxy.injected };
    const summary = { seed, requests: proxy.requests, faults: faults(), injected, ...figures };
    console.log(`fault test: ${JSON.stringify(summary)}`);
    await mkdir(path.join(ROOT, '.mab', 'test-artifacts'), { recursive: true });
    await writeFile(path.join(ROOT, '.mab', 'test-artifacts', 'faults.json'), JSON.stringify(summary, null, 2) + '\n');
    expect(faults()).toBeGreaterThanOrEqual(120);
    for (const kind of FAULT_KINDS) expect(injected[kind], kind).toBeGreaterThan(0);
    expect(figures.retries).toBeGreaterThan(0);
    expect(retries.some((m) => /resuming at byte \d+/.test(m))).toBe(true);
  });
});

describe('mab push through the faulty connection', () => {
  // Every fault but truncation: a truncated manifest is refused (400, MANIFEST_INVALID) and fails
  // the push by design, which the test above covers; this one needs a push that finishes.
  let retryable: FaultProxy;
  beforeAll(async () => {
    retryable = await faultProxy(REGISTRY, {
      seed: seed + 1,
      rate: 0.3,
      kinds: FAULT_KINDS.filter((k) => k !== 'truncate'),
    });
  });
  afterAll(() => retryable?.close());

  it('says what it retried, and what it pushed docker pulls', async () => {
    const repo = `${retryable.address}/mabtest/faults-cli-${randomBytes(4).toString('hex')}`;
    let r;
    for (let attempt = 1; attempt <= 8; attempt++) {
      r = await mab(['push', 'http-endpoint-c:1.0.0', repo, '--store', store, '--json'], { MAB_REGISTRY_TIMEOUT: '1' });
      if (r.exitCode === 0) break;
      // A push that gives up says which request failed, and why.
      expect(r.stderr).toMatch(/mab: error \[E_\w+\]: .*(→ \d{3}|cannot reach registry)/);
    }
    expect(r!.exitCode, r!.stderr.slice(-2000)).toBe(0);
    // Each retry is one "retry:" line on stderr and one entry of the report's `retried`.
    const report = JSON.parse(r!.stdout) as { retries: number; retried: string[]; digest: string };
    const lines = r!.stderr
      .split('\n')
      .filter((l) => l.startsWith('retry: '))
      .map((l) => l.slice('retry: '.length));
    expect(lines).toEqual(report.retried);
    expect(report.retries).toBe(report.retried.length);
    const name = repo.slice(retryable.address.length + 1);
    expect(await dangling(name)).toEqual([]);
    expect((await direct.headManifest(name, '1.0.0'))?.digest).toBe(report.digest);
    // Read back by tools mab did not write, straight from the registry.
    const there = `${REGISTRY}/${name}:1.0.0`;
    const index = JSON.parse(
      await sh('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${there}`]),
    ) as Index;
    // Both images, then the attestation manifest (SBOM and provenance) of each.
    expect(index.manifests.map((m) => m.platform?.architecture)).toEqual(['amd64', 'arm64', 'unknown', 'unknown']);
    await sh('docker', ['pull', '--quiet', '--platform', 'linux/arm64', there]);
  });
});
