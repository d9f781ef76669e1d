/**
 * Per engine (docs/engines.md), each figure measured in this one run: export + push of a fresh
 * image ÷ `docker push` of the same image (goals: ≤ 1.0× on the containerd image store, whose
 * compressed blobs mab copies; ≤ 1.2× on the others), and the warm rebuild of sysbench, amd64 +
 * arm64, nothing changed, the whole `mab build` command (goal ≤ 1.5 s).
 *
 * The engine this host runs is measured as it is. The others run in their own network namespaces
 * (test/fixtures/engines.ts, compiled here); there docker push goes to a second registry process
 * on the host's end of the namespace's veth pair, serving the same storage as 127.0.0.1:5000, so
 * neither docker push nor mab's push passes through a forwarder.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportPush } from './export-push.mjs';
import { ROOT, engineFixtures, runs, stats, timedAsync } from './lib.mjs';

const GOALS = { exportPush: { '26.1-containerd': 1.0, default: 1.2 }, warm: 1.5 };

/** A registry process on `address`:5001 over the storage of the one on 127.0.0.1:5000. */
async function sideRegistry(address) {
  const config = readFileSync('/etc/mab/registry.yml', 'utf8').replace(/addr: [\d.:]+/, `addr: ${address}:5001`);
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'mab-bench-registry-')), 'registry.yml');
  writeFileSync(file, config);
  const proc = spawn('docker-registry', ['serve', file], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    if (
      await fetch(`http://${address}:5001/v2/`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { registry: `${address}:5001`, stop: () => proc.kill() };
    await new Promise((r) => setTimeout(r, 200));
  }
  proc.kill();
  throw new Error(`the registry on ${address}:5001 did not start`);
}

export async function run() {
  const { ENGINE_KINDS, engineKind, namespacedEngine } = await engineFixtures();
  const host = await engineKind({});
  const n = runs(3);
  const results = {};
  for (const kind of ENGINE_KINDS) {
    const engine = kind === host ? { env: {}, stop: async () => {} } : await namespacedEngine(kind);
    const side =
      kind === host ? { registry: '127.0.0.1:5000', stop: () => {} } : await sideRegistry(engine.hostAddress);
    try {
      const store = path.join(mkdtempSync(path.join(os.tmpdir(), 'mab-bench-engine-')), 'store');
      // Asynchronous: the engine's forwarders (registry mirror, archive proxy) are in this process.
      const build = () =>
        promisify(execFile)(
          'node',
          [
            path.join(ROOT, 'bin', 'mab.js'),
            'build',
            'sysbench',
            '--arch',
            'amd64,arm64',
            '--strategy',
            'cross',
            '--jobs',
            '2',
            '--store',
            store,
            '--quiet',
          ],
          { env: { ...process.env, ...engine.env } },
        );
      // The first build makes sure everything is there; the warm ones change nothing.
      await build();
      const warm = [];
      for (let i = 0; i < n; i++) warm.push(await timedAsync(build));
      const { ours, docker } = await exportPush({
        runs: runs(5),
        from: 'mab/sysbench:1.0.20-cross-amd64',
        env: engine.env,
        dockerRegistry: side.registry,
      });
      const ratio = stats(ours).median / stats(docker).median;
      results[kind] = {
        host: kind === host,
        warm: { seconds: stats(warm), goal: GOALS.warm },
        exportPush: {
          mab: stats(ours),
          dockerPush: stats(docker),
          ratio,
          goal: GOALS.exportPush[kind] ?? GOALS.exportPush.default,
        },
      };
    } finally {
      side.stop();
      await engine.stop();
    }
  }
  return { name: 'engines: export + push and warm rebuild per engine', engines: results };
}
