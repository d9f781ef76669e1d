/**
 * What mab costs before and around the engine (issue 22), as ratios measured in this one run:
 *  - `mab --version` and `mab --help` ÷ `node -e 0` (goal ≤ 2×: only the chosen command's modules load);
 *  - a warm rebuild of sysbench, amd64 + arm64, nothing changed, the whole `mab build` command ÷
 *    `docker buildx build` of the same generated build contexts, fully cached, both platforms side
 *    by side (goal ≤ 0.15×: mab skips the engine for an unchanged plan; buildx asks it every time).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, runs, stats, timed, timedAsync } from './lib.mjs';

const MAB = path.join(ROOT, 'bin', 'mab.js');
const node = (args) => execFileSync('node', args, { stdio: ['ignore', 'ignore', 'inherit'] });
const exec = promisify(execFile);

export async function run() {
  const n = runs(7);
  const bare = [];
  const version = [];
  const help = [];
  for (let i = 0; i < n; i++) {
    bare.push(timed(() => node(['-e', '0'])));
    version.push(timed(() => node([MAB, '--version'])));
    help.push(timed(() => node([MAB, '--help'])));
  }

  const args = ['sysbench', '--arch', 'amd64,arm64', '--strategy', 'cross'];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mab-bench-startup-'));
  node([MAB, 'generate', ...args, '-o', dir]);
  const buildx = (arch) =>
    exec('docker', [
      'buildx',
      'build',
      '--quiet',
      '--platform',
      `linux/${arch}`,
      '--provenance=false',
      '--load',
      '-t',
      `mab-bench/buildx-${arch}`,
      path.join(dir, arch),
    ]);
  // Both once, so that the measured runs are fully cached for each.
  node([MAB, 'build', ...args, '--quiet', '--jobs', '2']);
  await Promise.all([buildx('amd64'), buildx('arm64')]);
  const rebuild = [];
  const cached = [];
  for (let i = 0; i < runs(3); i++) {
    rebuild.push(timed(() => node([MAB, 'build', ...args, '--quiet', '--jobs', '2'])));
    cached.push(await timedAsync(() => Promise.all([buildx('amd64'), buildx('arm64')])));
  }
  rmSync(dir, { recursive: true, force: true });
  const s = {
    bare: stats(bare),
    version: stats(version),
    help: stats(help),
    rebuild: stats(rebuild),
    buildx: stats(cached),
  };
  return {
    name: 'start-up and the warm rebuild',
    seconds: s,
    versionRatio: s.version.median / s.bare.median,
    helpRatio: s.help.median / s.bare.median,
    startupGoal: 2,
    rebuildRatio: s.rebuild.median / s.buildx.median,
    rebuildGoal: 0.15,
  };
}
