/**
 * The opt-in heavy suite (`npm run test:heavy`): every shipped recipe × every strategy it supports
 * × every platform it supports, arm/v7 included, with every smoke check (`--smoke all`, so the
 * slow workloads run too, under QEMU where the platform is foreign). CI builds amd64 and arm64;
 * this covers the rest and takes hours on 2 cores. Each cell's time and size are appended to
 * .mab/heavy-results.jsonl for docs/heavy-suite.md.
 */
import { appendFile, mkdir, mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatPlatform } from '../../src/platform/platform.js';
import { supportedStrategies } from '../../src/plan/plan.js';
import { loadRecipeFile } from '../../src/recipe/load.js';
import { ROOT, mab } from '../engine/helpers.js';
import { missingSnapshots, openfaceFixtures } from '../fixtures/openface/fixtures.js';

const only = process.env.MAB_HEAVY_RECIPES?.split(',');
const files = (await readdir(path.join(ROOT, 'recipes'))).filter((f) => f.endsWith('.yaml'));
const recipes = (await Promise.all(files.map((f) => loadRecipeFile(path.join(ROOT, 'recipes', f))))).filter(
  (r) => !only || only.includes(r.name),
);
const results = path.join(ROOT, '.mab', 'heavy-results.jsonl');

/**
 * Cells this machine cannot build, and why. The Debian mirror here serves a stale armhf index for
 * bookworm-security (InRelease and Packages.xz disagree), so any build stage that adds armhf as
 * a foreign architecture (cross) fails at apt-get update; emulated armhf stages use a base image
 * built without that suite (`mab base --security auto`).
 */
const UNBUILDABLE_HERE: Record<string, string[]> = { cross: ['linux/arm/v7'] };

/** Recipes whose upstream hosts are unreachable here build from fixtures (see each fixture file). */
async function extraArgs(name: string): Promise<string[]> {
  if (name !== 'openface') return [];
  const missing = await missingSnapshots();
  if (missing) throw new Error(`openface needs its fixtures: ${missing}`);
  const { recipes: dir, mirrorArgs } = await openfaceFixtures(await mkdtemp(path.join(os.tmpdir(), 'mab-openface-')));
  return ['--recipes', dir, ...mirrorArgs];
}

interface Row {
  platform: string;
  buildSeconds: number;
  smoke: { name: string; passed: boolean; seconds: number }[];
  size: { compressed: number; uncompressed: number };
}

describe.each(recipes.map((r) => [r.name, r] as const))('%s', (name, recipe) => {
  it.each(supportedStrategies(recipe))('%s on every supported platform, every smoke check', async (strategy) => {
    const platforms = recipe.platforms.map(formatPlatform).filter((p) => !UNBUILDABLE_HERE[strategy]?.includes(p));
    const r = await mab([
      'build',
      name,
      ...(await extraArgs(name)),
      '--strategy',
      strategy,
      '--arch',
      platforms.join(','),
      '--smoke',
      'all',
      '--rerun-smoke',
      '--json',
      '--quiet',
    ]);
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
    const report = JSON.parse(r.stdout) as { platforms: Row[] };
    expect(report.platforms.map((p) => p.platform)).toEqual(platforms);
    await mkdir(path.dirname(results), { recursive: true });
    for (const p of report.platforms) {
      expect(p.smoke.every((s) => s.passed)).toBe(true);
      await appendFile(
        results,
        JSON.stringify({ date: new Date().toISOString(), recipe: name, strategy, ...p }) + '\n',
      );
    }
  });
});
