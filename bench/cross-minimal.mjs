/**
 * minimal images for arm64 made with the cross method (issue 22: ≤ 1.5× the amd64 build, for every
 * shipped recipe with minimal): per recipe, the cold build (buildx --no-cache; apt's downloads
 * stay in their cache mounts) of arm64 with minimal-cross ÷ amd64 with minimal, built natively
 * here; and, for reference, arm64 minimal under QEMU, which the cross method replaces.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ROOT, runs, stats } from './lib.mjs';

const RECIPES = ['http-endpoint-c', 'http-endpoint-go', 'http-endpoint-python', 'http-endpoint-node', 'coap-service'];
const GOAL = 1.5;

/** The build seconds mab reports for one platform. */
function seconds(recipe, arch, strategy) {
  const out = execFileSync(
    'node',
    [
      path.join(ROOT, 'bin', 'mab.js'),
      'build',
      recipe,
      '--arch',
      arch,
      '--strategy',
      strategy,
      '--no-cache',
      '--json',
      '--quiet',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return JSON.parse(out).platforms[0].buildSeconds;
}

export async function run() {
  const n = runs(2);
  const recipes = {};
  for (const recipe of RECIPES) {
    const amd64 = [];
    const cross = [];
    for (let i = 0; i < n; i++) {
      amd64.push(seconds(recipe, 'amd64', 'minimal'));
      cross.push(seconds(recipe, 'arm64', 'minimal-cross'));
    }
    const emulated = stats([seconds(recipe, 'arm64', 'minimal')]);
    recipes[recipe] = {
      amd64: stats(amd64),
      cross: stats(cross),
      emulated,
      ratio: stats(cross).median / stats(amd64).median,
      goal: GOAL,
    };
  }
  return { name: 'minimal images for arm64 by the cross method', recipes };
}
