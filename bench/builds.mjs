/**
 * Issue 6's figures, each a ratio or a time measured in this one run on this machine:
 *  - sysbench, cold (buildx --no-cache): arm64 with the cross strategy ÷ amd64 native (goal ≤ 1.3×),
 *    and arm64 emulated (multistage under QEMU) ÷ amd64 for reference;
 *  - a rebuild of amd64 + arm64 with nothing changed, wall time of the whole command (goal ≤ 5 s);
 *  - a no-op republish of the 2-platform image: blob bytes sent (goal 0) and wall time (goal ≤ 1.5 s);
 *  - export to the store + push of a fresh image ÷ `docker push` of the same image (goal ≤ 1.2×);
 *    fresh for both: every layer new to the registry, the store and docker's push cache;
 *  - export of that image with a new top layer, into the store holding the layers under it ÷ into
 *    an empty store (no goal in the issue: it shows what the layer records save).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RegistryClient } from '../dist/registry/client.js';
import { EarlyUploads, pushFromStore } from '../dist/registry/push.js';
import { exportImage } from '../dist/store/export.js';
import { Store } from '../dist/store/layout.js';
import { ROOT, runs, stats, timed, timedAsync } from './lib.mjs';

const REGISTRY = '127.0.0.1:5000';
const STORE = process.env.MAB_BENCH_STORE || path.join(ROOT, '.mab', 'bench-store');

/** mab's JSON report of one build. */
function build(args) {
  const out = execFileSync('node', [path.join(ROOT, 'bin', 'mab.js'), 'build', 'sysbench', '--store', STORE, '--json', '--quiet', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out);
}
const seconds = (args) => build(args).platforms[0].buildSeconds;

/**
 * Images made from `from`'s files in three layers (usr/lib, usr/share, the rest), each layer with
 * a new nonce file, so no registry, store or engine cache has seen any of them.
 */
function freshImages(from) {
  const work = mkdtempSync(path.join(os.tmpdir(), 'mab-bench-fresh-'));
  const root = path.join(work, 'root');
  const ctx = path.join(work, 'ctx');
  mkdirSync(root);
  mkdirSync(ctx);
  const container = execFileSync('docker', ['create', from], { encoding: 'utf8' }).trim();
  execFileSync('sh', ['-c', `docker export ${container} | tar -x -C ${root}`]);
  execFileSync('docker', ['rm', container], { stdio: 'ignore' });
  writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM scratch\nADD lib.tar /\nADD share.tar /\nADD rest.tar /\n');
  return {
    next() {
      writeFileSync(path.join(root, 'nonce'), randomBytes(16).toString('hex'));
      execFileSync('tar', ['-C', root, '-cf', path.join(ctx, 'lib.tar'), 'usr/lib', 'nonce']);
      execFileSync('tar', ['-C', root, '-cf', path.join(ctx, 'share.tar'), 'usr/share', 'nonce']);
      execFileSync('tar', ['-C', root, '-cf', path.join(ctx, 'rest.tar'), '--exclude=./usr/lib', '--exclude=./usr/share', '.']);
      const tag = `bench/fresh-${randomBytes(4).toString('hex')}:1`;
      execFileSync('docker', ['buildx', 'build', '--quiet', '--load', '-t', tag, ctx], { stdio: 'ignore' });
      return tag;
    },
    /** `image` with one small new layer on top. */
    rebuild(image) {
      const top = path.join(work, 'top');
      mkdirSync(top, { recursive: true });
      writeFileSync(path.join(top, 'Dockerfile'), `FROM ${image}\nADD nonce /top-nonce\n`);
      writeFileSync(path.join(top, 'nonce'), randomBytes(16).toString('hex'));
      const tag = `bench/rebuilt-${randomBytes(4).toString('hex')}:1`;
      execFileSync('docker', ['buildx', 'build', '--quiet', '--load', '-t', tag, top], { stdio: 'ignore' });
      return tag;
    },
    done: () => rmSync(work, { recursive: true, force: true }),
  };
}

export async function run() {
  const n = runs(3);
  const cold = { amd64: [], arm64Cross: [], arm64Emulated: [] };
  for (let i = 0; i < n; i++) {
    cold.amd64.push(seconds(['--arch', 'amd64', '--strategy', 'multistage', '--no-cache']));
    cold.arm64Cross.push(seconds(['--arch', 'arm64', '--strategy', 'cross', '--no-cache']));
    cold.arm64Emulated.push(seconds(['--arch', 'arm64', '--strategy', 'multistage', '--no-cache']));
  }

  // Warm: the whole command, twice the same; the first run only makes sure everything is there.
  const both = ['--arch', 'amd64,arm64', '--strategy', 'cross', '--jobs', '2'];
  build(both);
  const warm = [];
  for (let i = 0; i < n; i++) warm.push(timed(() => build(both)));

  // Republish: the first push of a fresh repository, then no-op pushes of the same image.
  const repo = `bench/sysbench-${randomBytes(4).toString('hex')}`;
  const push = () => JSON.parse(execFileSync('node', [path.join(ROOT, 'bin', 'mab.js'), 'push', 'sysbench:1.0.20-cross', `${REGISTRY}/${repo}`, '--store', STORE, '--json', '--quiet'], { encoding: 'utf8' }));
  push();
  const republish = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) republish.push(timed(() => (bytes += push().blobBytesSent)));

  // Export + push of a fresh image against docker push of the same image, each to a new
  // repository. Fresh means every layer is new to both: docker push skips (or mounts) a layer it
  // pushed before, and a fresh store has compressed none, so each run gets its own image.
  const ours = [];
  const docker = [];
  const reexport = { reused: [], empty: [] };
  const emptyStore = () => Store.open(path.join(mkdtempSync(path.join(os.tmpdir(), 'mab-bench-')), 'store'));
  const fresh = freshImages('mab/sysbench:1.0.20-cross-amd64');
  // The noisiest pair on this machine (medians of 3 ranged over 0.3× between evenings), and a
  // cheap one: each run is a few seconds, so more of them.
  const freshRuns = runs(7);
  for (let i = 0; i < freshRuns; i++) {
    const image = fresh.next();
    const store = await emptyStore();
    // What `mab build` has from its own inspect of the image it built, before the export.
    const diffIds = (tag) => JSON.parse(execFileSync('docker', ['image', 'inspect', '--format', '{{json .RootFS.Layers}}', tag], { encoding: 'utf8' }));
    const mabPush = async () => {
      const layers = diffIds(image);
      ours.push(await timedAsync(async () => {
        // As `mab build --push` does it: blobs go up as the export stores them.
        const client = new RegistryClient(REGISTRY);
        const repo = `bench/export-push-${randomBytes(4).toString('hex')}`;
        const early = new EarlyUploads(store, client, repo);
        const e = await exportImage(store, image, undefined, (b) => early.add(b), { diffIds: layers });
        await store.tag(['it:1'], e.manifest);
        await pushFromStore(store, 'it:1', client, repo, { tags: ['1'], format: 'docker', early });
      }));
    };
    const dockerPush = () => {
      const ref = `${REGISTRY}/bench/docker-push-${randomBytes(4).toString('hex')}:1`;
      execFileSync('docker', ['tag', image, ref]);
      docker.push(timed(() => execFileSync('docker', ['push', '--quiet', ref], { stdio: 'ignore' })));
      execFileSync('docker', ['rmi', ref], { stdio: 'ignore' });
    };
    // Alternate which goes first, so neither always finds the layers in the page cache.
    if (i % 2) { dockerPush(); await mabPush(); } else { await mabPush(); dockerPush(); }

    // A rebuild that changed only a top layer, exported into the store that holds the layers
    // under it (only hashed, their blobs reused) and into an empty one (all compressed).
    const rebuilt = fresh.rebuild(image);
    const exportSeconds = (into) => {
      const layers = diffIds(rebuilt);
      return timedAsync(() => exportImage(into, rebuilt, undefined, undefined, { diffIds: layers }));
    };
    if (i % 2) { reexport.empty.push(await exportSeconds(await emptyStore())); reexport.reused.push(await exportSeconds(store)); }
    else { reexport.reused.push(await exportSeconds(store)); reexport.empty.push(await exportSeconds(await emptyStore())); }
    execFileSync('docker', ['rmi', rebuilt, image], { stdio: 'ignore' });
  }
  fresh.done();

  const c = { amd64: stats(cold.amd64), arm64Cross: stats(cold.arm64Cross), arm64Emulated: stats(cold.arm64Emulated) };
  return {
    name: 'multi-arch builds (sysbench)',
    cold: { seconds: c, crossRatio: c.arm64Cross.median / c.amd64.median, emulatedRatio: c.arm64Emulated.median / c.amd64.median, goal: 1.3 },
    warm: { seconds: stats(warm), goal: 5 },
    republish: { seconds: stats(republish), blobBytesSent: bytes, goal: 1.5 },
    exportPush: { mab: stats(ours), dockerPush: stats(docker), ratio: stats(ours).median / stats(docker).median, goal: 1.2 },
    reexport: { reused: stats(reexport.reused), empty: stats(reexport.empty), ratio: stats(reexport.reused).median / stats(reexport.empty).median },
  };
}
