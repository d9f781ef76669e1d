/**
 * SIGKILL at random points: `mab build` (while it builds, smoke-tests, exports or tags) and `mab
 * push` (while blobs, manifests or tags go up). After each kill, running the same command again
 * completes; the store verifies and, after a gc, holds no temp file or lock; no smoke-check
 * container is left running; the registry never
 * has a tag that names a missing manifest or blob. The kill times come from a seeded generator,
 * printed, so a failure can be replayed (MAB_KILL_SEED).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/registry/client.js';
import { INDEX_TYPES, type Index, type Manifest } from '../../src/oci/types.js';
import { REGISTRY, ROOT, mab } from './helpers.js';

const SEED = Number(process.env.MAB_KILL_SEED) || Date.now() % 100_000;
let state = SEED;
/** A number in [0, n): a small LCG, so the kill points replay from the seed. */
const rand = (n: number) => ((state = (state * 1103515245 + 12345) % 2 ** 31), state % n);

/** Seconds one uncut run of args takes: kill points are drawn inside it, so they land on a quiet machine and a busy one alike. */
async function duration(args: string[]): Promise<number> {
  const start = Date.now();
  const r = await mab(args);
  expect(r.exitCode, r.stderr.slice(-2000)).toBe(0);
  return Date.now() - start;
}

/** Starts mab, kills it with SIGKILL after ms (if still running); true when the kill landed. */
async function killAfter(args: string[], ms: number): Promise<boolean> {
  const p = execa('node', [path.join(ROOT, 'bin/mab.js'), ...args], { reject: false, stdin: 'ignore', cwd: ROOT });
  const timer = setTimeout(() => p.kill('SIGKILL'), ms);
  const r = await p;
  clearTimeout(timer);
  return r.signal === 'SIGKILL';
}

/** Files a killed process may leave: temp files and the index lock. */
async function leftovers(store: string): Promise<string[]> {
  const out: string[] = [];
  for (const sub of ['.', 'blobs/sha256', 'mab/builds', 'mab/exports', 'mab/pushed']) {
    for (const name of await readdir(path.join(store, sub)).catch(() => [] as string[]))
      if (/\.tmp-|\.lock/.test(name)) out.push(path.join(sub, name));
  }
  return out;
}

/** Every tag of repo names an index or manifest whose children and blobs are all there. */
async function tagsComplete(client: RegistryClient, repo: string): Promise<void> {
  for (const tag of await client.listTags(repo)) {
    const top = await client.getManifest(repo, tag);
    const children = INDEX_TYPES.includes(top.mediaType)
      ? (JSON.parse(top.bytes.toString()) as Index).manifests.map((m) => m.digest)
      : [top.digest];
    for (const d of children) {
      const m = JSON.parse((await client.getManifest(repo, d)).bytes.toString()) as Manifest;
      for (const b of [m.config, ...m.layers])
        expect(await client.hasBlob(repo, b.digest), `${repo}:${tag} → ${d} → ${b.digest}`).toBe(true);
    }
  }
}

console.log(`kill seed ${SEED} (MAB_KILL_SEED=${SEED} replays these kill points)`);

describe('SIGKILL at random points', () => {
  let source: string;
  beforeAll(async () => {
    source = path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-kill-src-')), 'store');
    const r = await mab([
      'build',
      'http-endpoint-c',
      '--arch',
      'amd64,arm64',
      '--strategy',
      'minimal',
      '--store',
      source,
      '--quiet',
    ]);
    expect(r.exitCode, r.stderr.slice(-2000)).toBe(0);
  });

  it('mab build, 15 times: rerun completes, store verifies, gc leaves no temp file', async () => {
    let landed = 0;
    const fresh = async () => path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-kill-')), 'store');
    const buildArgs = (store: string) => [
      'build',
      'http-endpoint-c',
      '--arch',
      'amd64,arm64',
      '--strategy',
      'minimal',
      '--rerun-smoke',
      '--store',
      store,
      '--quiet',
    ];
    // The shorter of two uncut runs: kill points drawn inside the longer one landed after the end
    // of a faster rerun too often (9 of 15 in one CI run).
    const full = Math.min(await duration(buildArgs(await fresh())), await duration(buildArgs(await fresh())));
    for (let i = 0; i < 15; i++) {
      // A fresh store each time, so the export really runs (and can be cut) after the build.
      const store = await fresh();
      const args = buildArgs(store);
      if (await killAfter(args, Math.round(full * (0.05 + rand(850) / 1000)))) landed++;
      const again = await mab(args);
      expect(again.exitCode, again.stderr.slice(-2000)).toBe(0);
      const verify = await mab(['store', 'verify', '--store', store]);
      expect(verify.exitCode, verify.stdout + verify.stderr).toBe(0);
      expect((await mab(['store', 'gc', '--grace', '0', '--store', store])).exitCode).toBe(0);
      expect(await leftovers(store)).toEqual([]);
    }
    // Server containers of HTTP checks cut off by a kill were removed by the next run.
    expect((await execa('docker', ['ps', '-aq', '--filter', 'label=dev.mab.smoke.owner'])).stdout.trim()).toBe('');
    console.log(`mab build: ${landed} of 15 kills landed before it finished`);
    expect(landed).toBeGreaterThanOrEqual(10);
  });

  it('mab push, 20 times: no tag ever names missing content, and a rerun completes', async () => {
    const client = new RegistryClient(REGISTRY);
    let landed = 0;
    const pushArgs = (repo: string) => [
      'push',
      'http-endpoint-c:1.0.0',
      `${REGISTRY}/${repo}`,
      '--store',
      source,
      '--quiet',
    ];
    // Timed on the second of two pushes: from the second on, blobs are mounted from the
    // repositories before, so every push in the loop is as short as that one, not the first.
    await duration(pushArgs(`mabtest/kill-${randomBytes(4).toString('hex')}`));
    const full = await duration(pushArgs(`mabtest/kill-${randomBytes(4).toString('hex')}`));
    for (let i = 0; i < 20; i++) {
      const repo = `mabtest/kill-${randomBytes(4).toString('hex')}`;
      const args = pushArgs(repo);
      if (await killAfter(args, Math.round(full * (0.05 + rand(850) / 1000)))) landed++;
      await tagsComplete(client, repo);
      const again = await mab(args);
      expect(again.exitCode, again.stderr.slice(-2000)).toBe(0);
      await tagsComplete(client, repo);
      expect(await client.listTags(repo)).toEqual(expect.arrayContaining(['1.0.0', '1.0', '1', 'latest']));
    }
    console.log(`mab push: ${landed} of 20 kills landed before it finished`);
    expect(landed).toBeGreaterThanOrEqual(10);
    expect(await leftovers(source)).toEqual([]);
  });
});

describe('two pushes at once', () => {
  it('of different images that share their base layer, into one repository: both complete and both tags hold', async () => {
    const store = path.join(await mkdtemp(path.join(os.tmpdir(), 'mab-concurrent-')), 'store');
    for (const recipe of ['http-endpoint-c', 'http-endpoint-go']) {
      const r = await mab([
        'build',
        recipe,
        '--arch',
        'amd64,arm64',
        '--strategy',
        'multistage',
        '--store',
        store,
        '--quiet',
      ]);
      expect(r.exitCode, r.stderr.slice(-2000)).toBe(0);
    }
    const client = new RegistryClient(REGISTRY);
    for (let round = 0; round < 3; round++) {
      const repo = `mabtest/concurrent-${randomBytes(4).toString('hex')}`;
      const push = (tag: string, image: string) =>
        mab(['push', image, `${REGISTRY}/${repo}:${tag}`, '--store', store, '--json', '--quiet']);
      const [c, go] = await Promise.all([
        push('c', 'http-endpoint-c:1.0.0-multistage'),
        push('go', 'http-endpoint-go:1.0.0-multistage'),
      ]);
      expect([c.exitCode, go.exitCode], c.stderr + go.stderr).toEqual([0, 0]);
      await tagsComplete(client, repo);
      // The shared bookworm-slim layer is in both images' manifests and in the repository once.
      const digests = [
        JSON.parse(c.stdout) as { children: { digest: string }[] },
        JSON.parse(go.stdout) as { children: { digest: string }[] },
      ];
      const layers = await Promise.all(
        digests.map(
          async (d) =>
            (JSON.parse((await client.getManifest(repo, d.children[0]!.digest)).bytes.toString()) as Manifest)
              .layers[0]!.digest,
        ),
      );
      expect(layers[0]).toBe(layers[1]);
    }
    expect((await mab(['store', 'verify', '--store', store])).exitCode).toBe(0);
  });
});
