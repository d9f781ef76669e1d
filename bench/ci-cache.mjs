/**
 * A CI runner that starts empty, with BuildKit's cache in a registry (--cache-to / --cache-from):
 * the build of a recipe whose last build step changed, on a fresh engine (an empty data-root in a
 * network namespace, test/fixtures/engines.ts) reading the cache ÷ the same build on this host's
 * warm engine (goal ≤ 1.5×). The fresh runner without the cache is measured once beside them.
 *
 * Both builds are the whole `mab build RECIPE --arch amd64,arm64` (default strategy: cross), after
 * a build that wrote the cache. mab's download cache (sources) is shared, as a CI cache step
 * would restore it; the fresh engine pulls its base images from the registry mirror.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, engineFixtures, runs, stats, timedAsync } from './lib.mjs';

const GOAL = 1.5;
// Each recipe with the exact text of its cross build's last step, which each run changes.
const RECIPES = [
  { name: 'http-endpoint-c', step: '$CC -O2 -static -s -o /usr/local/bin/http-endpoint server.c' },
  { name: 'http-endpoint-go', step: "CGO_ENABLED=0 go build -ldflags '-s' -o /usr/local/bin/http-endpoint main.go" },
];

/** A copy of the recipe whose last step ends with a mark of its own. */
function changed({ name, step }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `mab-bench-cache-${name}-`));
  cpSync(path.join(ROOT, 'recipes', name), path.join(dir, name), { recursive: true });
  const text = readFileSync(path.join(ROOT, 'recipes', `${name}.yaml`), 'utf8');
  if (!text.includes(step)) throw new Error(`recipes/${name}.yaml has no step "${step}"`);
  const mark = randomBytes(4).toString('hex');
  writeFileSync(path.join(dir, `${name}.yaml`), text.replace(step, `${step} && echo ${mark} >/dev/null`));
  return dir;
}

const build = (recipe, args, env = {}) =>
  promisify(execFile)(
    'node',
    [
      path.join(ROOT, 'bin', 'mab.js'),
      'build',
      recipe.name,
      '--recipes',
      changed(recipe),
      '--arch',
      'amd64,arm64',
      '--quiet',
      ...args,
    ],
    { env: { ...process.env, ...env }, maxBuffer: 64 << 20 },
  );

export async function run() {
  const { namespacedEngine, ENGINES_DIR } = await engineFixtures();
  const n = runs(3);
  const results = {};
  for (const recipe of RECIPES) {
    const cache = `127.0.0.1:5000/mab-bench/ci-cache-${recipe.name}`;
    // Writes the cache and warms this engine.
    await build(recipe, ['--cache-to', `type=registry,ref=${cache},mode=max`]);
    const warm = [];
    for (let i = 0; i < n; i++) warm.push(await timedAsync(() => build(recipe, [])));
    const fresh = [];
    let cold;
    for (let i = 0; i <= n; i++) {
      const dataRoot = mkdtempSync(path.join(ENGINES_DIR, 'data-bench-runner-'));
      const runner = await namespacedEngine('26.1-containerd', { dataRoot });
      try {
        // The last round is a fresh runner with no cache at all, for scale.
        if (i === n) cold = await timedAsync(() => build(recipe, [], runner.env));
        else fresh.push(await timedAsync(() => build(recipe, ['--cache-from', cache], runner.env)));
      } finally {
        await runner.stop();
        rmSync(dataRoot, { recursive: true, force: true });
      }
    }
    results[recipe.name] = {
      warmLocal: stats(warm),
      freshWithCache: stats(fresh),
      freshWithoutCache: cold,
      ratio: stats(fresh).median / stats(warm).median,
      goal: GOAL,
    };
  }
  return {
    name: 'ci-cache: a fresh runner with --cache-from ÷ a warm local build, last step changed',
    recipes: results,
  };
}
