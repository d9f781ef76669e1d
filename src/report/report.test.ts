import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXPECTED, storeKnownImage } from '../../test/fixtures/known-image.js';
import { runCli } from '../cli/main.js';
import { recordBuild, type BuildRecord } from '../store/builds.js';
import { Store } from '../store/layout.js';
import { reportMarkdown, reportText } from './format.js';
import { sizeReport, type SizeReport } from './report.js';
import { storeSource } from './source.js';
import { formatPlatform, type Platform } from '../platform/platform.js';

let dir: string;
let stored: Awaited<ReturnType<typeof storeKnownImage>>;
const BUILD: BuildRecord = {
  recipe: 'known',
  version: '1.0.0',
  strategy: 'multistage',
  platform: 'linux/amd64',
  builtAt: '2026-11-23T12:00:00.000Z',
  buildSeconds: 12.5,
  smoke: [{ name: 'runs', passed: true, seconds: 0.4 }],
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mab-report-'));
  const store = await Store.open(dir);
  stored = await storeKnownImage(store, 'known:1.0.0', [
    { architecture: 'amd64', fill: 0x61 },
    { architecture: 'arm64', fill: 0x62 },
  ]);
  // amd64 was built by mab into this store; arm64 came from elsewhere (no record).
  await recordBuild(dir, stored[0]!.manifest.digest, BUILD);
});

async function knownReport(): Promise<SizeReport> {
  // The base is "the image's first layer", as a registry lookup would find it.
  const base = async (name: string, platform: Platform) =>
    name === 'example/base:1'
      ? [stored.find((s) => s.platform === formatPlatform(platform))!.layers[0]!.diffId]
      : undefined;
  return sizeReport(await storeSource(await Store.open(dir), 'known:1.0.0'), {
    builds: (d) => import('../store/builds.js').then((b) => b.buildRecord(dir, d)),
    base,
    baseName: 'example/base:1',
  });
}

describe('the size report of a store tag', () => {
  it("gives every platform's sizes, layers, sharing, base, waste and build exactly", async () => {
    const r = await knownReport();
    expect(r.platforms.map((p) => p.platform)).toEqual(['linux/amd64', 'linux/arm64']);
    for (const [i, p] of r.platforms.entries()) {
      const s = stored[i]!;
      expect(p.manifest).toBe(s.manifest.digest);
      expect(p.compressed).toBe(s.configSize + s.layers.reduce((n, l) => n + l.bytes.length, 0));
      expect(p.uncompressed).toBe(s.layers.reduce((n, l) => n + l.tarBytes, 0));
      expect(p.finalBytes).toBe(EXPECTED.finalBytes);
      expect(p.wasted.bytes).toBe(EXPECTED.wastedBytes);
      // The plain-tar layer is the same blob on both platforms; the others differ in content.
      expect(p.layers.map((l) => l.sharedWith)).toEqual([[], [], [i ? 'linux/amd64' : 'linux/arm64']]);
      expect(p.layers.map((l) => l.fromBase)).toEqual([true, false, false]);
    }
    // amd64's build record names no base, so the --base given is used for both.
    expect(r.platforms[0]!.base).toEqual({
      name: 'example/base:1',
      layers: 1,
      compressed: stored[0]!.layers[0]!.bytes.length,
    });
    expect(r.platforms[0]!.build).toEqual({ buildSeconds: 12.5, smoke: BUILD.smoke, builtAt: BUILD.builtAt });
    expect(r.platforms[1]!.build).toBeUndefined();
    expect(r.shared).toEqual({ layers: 1, compressed: stored[0]!.layers[2]!.bytes.length });
    expect([r.recipe, r.version, r.strategy]).toEqual(['known', '1.0.0', 'multistage']);
  });

  it('matches its golden JSON, Markdown and text', async () => {
    const r = await knownReport();
    await expect(JSON.stringify(r, null, 2) + '\n').toMatchFileSnapshot('../../test/golden/report/known.json');
    await expect(reportMarkdown(r)).toMatchFileSnapshot('../../test/golden/report/known.md');
    const text = reportText(r);
    await expect(text).toMatchFileSnapshot('../../test/golden/report/known.txt');
    expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100);
  });
});

describe('mab report', () => {
  const run = async (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    let out = '';
    let err = '';
    const code = await runCli(['report', 'known:1.0.0', '--store', dir, ...argv], {
      out: (t) => (out += t),
      err: (t) => (err += t),
      env: { ...process.env, ...env },
      cwd: process.cwd(),
    });
    return { code, out, err };
  };

  it('exits 1 naming the platform, its size and the budget when over; 0 within', async () => {
    const [amd64, arm64] = (await knownReport()).platforms;
    const over = await run([
      '--max-size',
      `linux/arm64=${arm64!.compressed - 1}`,
      '--max-size',
      `${amd64!.compressed}`,
    ]);
    expect(over.code).toBe(1);
    expect(over.err).toContain(
      `linux/arm64: ${(arm64!.compressed / 1000).toFixed(2)} KB (${arm64!.compressed} bytes) is over its budget of`,
    );
    expect(over.err).not.toContain('linux/amd64');
    const within = await run(['--max-size', `${arm64!.compressed}B`, '--json']);
    expect(within.code).toBe(0);
    expect((JSON.parse(within.out) as { budgets: { over: boolean }[] }).budgets.map((b) => b.over)).toEqual([
      false,
      false,
    ]);
  });

  it("applies the recipe's max_size unless --max-size is given", async () => {
    const recipes = path.join(dir, 'recipes');
    await mkdir(recipes, { recursive: true });
    await writeFile(
      path.join(recipes, 'known.yaml'),
      'name: known\nversion: 1.0.0\nplatforms: [amd64, arm64]\nentrypoint: [tool]\nmax_size: { arm64: 1KB }\n',
    );
    const byRecipe = await run(['--recipes', recipes]);
    expect(byRecipe.code).toBe(1);
    expect(byRecipe.err).toMatch(/linux\/arm64: .* is over its budget of 1\.00 KB/);
    expect((await run(['--recipes', recipes, '--max-size', '1GB'])).code).toBe(0);
  });

  it('appends the Markdown to $GITHUB_STEP_SUMMARY', async () => {
    const summary = path.join(dir, 'summary.md');
    const r = await run(['--format', 'md'], { GITHUB_STEP_SUMMARY: summary });
    expect(r.code).toBe(0);
    expect(await readFile(summary, 'utf8')).toContain('### Image sizes: known 1.0.0 (multistage), store known:1.0.0');
  });

  it('says how to build a recipe that is not in the store, and refuses a bad size', async () => {
    const r = await runCli(['report', 'sysbench', '--store', dir], {
      out: () => {},
      err: (t) => void (errText += t),
      env: process.env,
      cwd: process.cwd(),
    });
    expect(r).toBe(1);
    expect(errText).toMatch(/recipe sysbench has no build in the store .*\n.*mab build sysbench/);
    const bad = await run(['--max-size', 'linux/arm64=sixty']);
    expect(bad.err).toMatch(/--max-size linux\/arm64=sixty: "sixty" is not a size/);
  });
});
let errText = '';
