/**
 * The package preflight (issue 23: a recipe naming a missing package fails in under 5 s, with
 * its line): `mab build` of http-endpoint-python with `python3-yamll` among its build packages,
 * for amd64, arm64 and arm/v7, against Debian's real archive. Cold is a fresh cache (three
 * Packages indexes fetched and read); warm is the same cache again. Beside them, what the same
 * mistake costs without the check: `--no-preflight` for arm64, where apt finds it under QEMU in
 * the build (BuildKit's cache warm from the first run, so this is its fastest case).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, runs, stats, timedAsync } from './lib.mjs';

const GOAL = 5;
const run$ = promisify(execFile);

/** Runs mab, expecting it to fail with `code`; returns nothing, throws if it did not. */
async function failing(args, env, code) {
  const r = await run$('node', [path.join(ROOT, 'bin', 'mab.js'), ...args], { env: { ...process.env, ...env } }).then(
    () => {
      throw new Error(`mab ${args.join(' ')} succeeded; expected ${code}`);
    },
    (e) => e,
  );
  if (!String(r.stderr).includes(`[${code}]`))
    throw new Error(`mab ${args.join(' ')} did not fail with ${code}:\n${r.stderr}`);
}

export async function run() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mab-bench-preflight-'));
  cpSync(path.join(ROOT, 'recipes', 'http-endpoint-python'), path.join(dir, 'http-endpoint-python'), {
    recursive: true,
  });
  const text = readFileSync(path.join(ROOT, 'recipes', 'http-endpoint-python.yaml'), 'utf8').replace(
    /^(build:\n {2}packages: \[)python3\]/m,
    '$1python3, python3-yamll]',
  );
  writeFileSync(path.join(dir, 'http-endpoint-python.yaml'), text);
  const args = ['build', 'http-endpoint-python', '--recipes', dir, '--strategy', 'multistage'];
  const n = runs(3);
  const cold = [];
  const warm = [];
  for (let i = 0; i < n; i++) {
    const cache = path.join(dir, `cache-${i}`);
    cold.push(
      await timedAsync(() => failing([...args, '--arch', 'amd64,arm64,arm/v7'], { MAB_CACHE: cache }, 'E_PACKAGE')),
    );
    warm.push(
      await timedAsync(() => failing([...args, '--arch', 'amd64,arm64,arm/v7'], { MAB_CACHE: cache }, 'E_PACKAGE')),
    );
  }
  const apt = [];
  for (let i = 0; i < Math.min(n, 2); i++)
    apt.push(await timedAsync(() => failing([...args, '--arch', 'arm64', '--no-preflight'], {}, 'E_BUILD')));
  rmSync(dir, { recursive: true, force: true });
  return {
    name: 'package preflight: a misspelt package (python3-yamll), amd64 + arm64 + arm/v7',
    cold: stats(cold),
    warm: stats(warm),
    apt: stats(apt),
    goal: GOAL,
    ratio: stats(apt).median / stats(warm).median,
  };
}
