/**
 * Export to the store + push of a fresh image ÷ `docker push` of the same image, each to a new
 * repository, on one engine (`env` points the docker CLI at it). Fresh means every layer is new to
 * both: docker push skips (or mounts) a layer it pushed before, and a fresh store has compressed
 * none, so each run gets its own image. Also: the export of that image with a new top layer into
 * the store holding the layers under it ÷ into an empty store.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RegistryClient } from '../dist/registry/client.js';
import { EarlyUploads, pushFromStore } from '../dist/pipeline/push.js';
import { exportImage } from '../dist/pipeline/export.js';
import { Store } from '../dist/store/layout.js';
import { timedAsync } from './lib.mjs';

const REGISTRY = '127.0.0.1:5000';
const run = promisify(execFile);

/**
 * Images made from `from`'s files in three layers (usr/lib, usr/share, the rest), each layer with
 * a new nonce file, so no registry, store or engine cache has seen any of them.
 */
async function freshImages(from, docker) {
  const work = mkdtempSync(path.join(os.tmpdir(), 'mab-bench-fresh-'));
  const root = path.join(work, 'root');
  const ctx = path.join(work, 'ctx');
  mkdirSync(root);
  mkdirSync(ctx);
  const container = (await docker(['create', from])).trim();
  await run('sh', ['-c', `docker export ${container} | tar -x -C ${root}`], { env: docker.env });
  await docker(['rm', container]);
  writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM scratch\nADD lib.tar /\nADD share.tar /\nADD rest.tar /\n');
  return {
    async next() {
      writeFileSync(path.join(root, 'nonce'), randomBytes(16).toString('hex'));
      execFileSync('tar', ['-C', root, '-cf', path.join(ctx, 'lib.tar'), 'usr/lib', 'nonce']);
      execFileSync('tar', ['-C', root, '-cf', path.join(ctx, 'share.tar'), 'usr/share', 'nonce']);
      execFileSync('tar', [
        '-C',
        root,
        '-cf',
        path.join(ctx, 'rest.tar'),
        '--exclude=./usr/lib',
        '--exclude=./usr/share',
        '.',
      ]);
      const tag = `bench/fresh-${randomBytes(4).toString('hex')}:1`;
      await docker(['buildx', 'build', '--quiet', '--load', '-t', tag, ctx]);
      return tag;
    },
    /** `image` with one small new layer on top. */
    async rebuild(image) {
      const top = path.join(work, 'top');
      mkdirSync(top, { recursive: true });
      writeFileSync(path.join(top, 'Dockerfile'), `FROM ${image}\nADD nonce /top-nonce\n`);
      writeFileSync(path.join(top, 'nonce'), randomBytes(16).toString('hex'));
      const tag = `bench/rebuilt-${randomBytes(4).toString('hex')}:1`;
      await docker(['buildx', 'build', '--quiet', '--load', '-t', tag, top]);
      return tag;
    },
    done: () => rmSync(work, { recursive: true, force: true }),
  };
}

/**
 * `runs` fresh images made from `from`. `env` adds to the environment of every docker command and
 * of the export; `dockerRegistry` is where docker push sends (the same registry storage as mab's
 * 127.0.0.1:5000, as the engine reaches it).
 */
export async function exportPush({ runs, from, env = {}, dockerRegistry = REGISTRY }) {
  const fullEnv = { ...process.env, ...env };
  // Asynchronous: an engine in a network namespace reaches the registry mirror and Debian's
  // archive through forwarders in this very process, which a synchronous child would stall.
  const docker = Object.assign(
    async (args) => (await run('docker', args, { env: fullEnv, maxBuffer: 1 << 26 })).stdout,
    { env: fullEnv },
  );
  const ours = [];
  const pushed = [];
  const reexport = { reused: [], empty: [] };
  const emptyStore = () => Store.open(path.join(mkdtempSync(path.join(os.tmpdir(), 'mab-bench-')), 'store'));
  // What `mab build` has from its own inspect of the image it built, before the export.
  const diffIds = async (tag) =>
    JSON.parse(await docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', tag]));
  const fresh = await freshImages(from, docker);
  for (let i = 0; i < runs; i++) {
    const image = await fresh.next();
    const store = await emptyStore();
    const mabPush = async () => {
      const layers = await diffIds(image);
      ours.push(
        await timedAsync(async () => {
          // As `mab build --push` does it: blobs go up as the export stores them.
          const client = new RegistryClient(REGISTRY);
          const repo = `bench/export-push-${randomBytes(4).toString('hex')}`;
          const early = new EarlyUploads(store, client, repo);
          const e = await exportImage(store, image, fullEnv, (b) => early.add(b), { diffIds: layers });
          await store.tag(['it:1'], e.manifest);
          await pushFromStore(store, 'it:1', client, repo, { tags: ['1'], format: 'docker', early });
        }),
      );
    };
    const dockerPush = async () => {
      const ref = `${dockerRegistry}/bench/docker-push-${randomBytes(4).toString('hex')}:1`;
      await docker(['tag', image, ref]);
      pushed.push(await timedAsync(() => docker(['push', '--quiet', ref])));
      await docker(['rmi', ref]);
    };
    // Alternate which goes first, so neither always finds the layers in the page cache.
    if (i % 2) {
      await dockerPush();
      await mabPush();
    } else {
      await mabPush();
      await dockerPush();
    }

    // A rebuild that changed only a top layer, exported into the store that holds the layers
    // under it (only hashed, their blobs reused) and into an empty one (all compressed).
    const rebuilt = await fresh.rebuild(image);
    const exportSeconds = async (into) => {
      const layers = await diffIds(rebuilt);
      return timedAsync(() => exportImage(into, rebuilt, fullEnv, undefined, { diffIds: layers }));
    };
    if (i % 2) {
      reexport.empty.push(await exportSeconds(await emptyStore()));
      reexport.reused.push(await exportSeconds(store));
    } else {
      reexport.reused.push(await exportSeconds(store));
      reexport.empty.push(await exportSeconds(await emptyStore()));
    }
    await docker(['rmi', rebuilt, image]);
  }
  fresh.done();
  return { ours, docker: pushed, reexport };
}
